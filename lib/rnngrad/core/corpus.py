"""Real text every machine has: the Python standard library's own source, as a character-level
corpus (Karpathy, Johnson & Fei-Fei, 2016, found LSTM units that track brackets and quotes in
source code).

``SourceCode(T)`` predicts each next character of windows of ``T`` characters. The corpus is
the top-level ``*.py`` files of the running interpreter's standard library, in name order;
every tenth file is held out, so a run is measured on files it never trained on.
``corpus_id`` names the interpreter and a hash of the text (the records keep it: another
Python version ships another text). ``closing_brackets`` finds, in a batch of windows, every
character that closes a bracket opened inside the window, with the distance back to its
opener: the dependency whose loss the chapter plots against its span.
"""

from __future__ import annotations

import functools
import hashlib
import math
import platform
import re
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from .tasks import Task, check_length

# The alphabet: newline, then printable ASCII; every other character is one "other" symbol.
ALPHABET = "\n" + "".join(chr(c) for c in range(32, 127))
OTHER = len(ALPHABET)
VOCAB = OTHER + 1
OPENERS, CLOSERS = "([{", ")]}"
HELD_OUT_EVERY = 10
_FOREIGN = re.compile("[^\n\x20-\x7e]")
_TABLE = np.full(128, OTHER, dtype=np.int64)  # byte -> code
for _code, _ch in enumerate(ALPHABET):
    _TABLE[ord(_ch)] = _code


def stdlib_files(root: Path | None = None) -> list[Path]:
    """The corpus's files: the standard library's top-level modules, in name order."""
    root = Path(root or sysconfig.get_paths()["stdlib"])
    return sorted(root.glob("*.py"))


def encode(text: str) -> Tensor:
    """Character codes: an index into ``ALPHABET``, ``OTHER`` for anything else."""
    ascii_only = _FOREIGN.sub("\x7f", text).encode("ascii")  # DEL stands for every other one
    return torch.from_numpy(_TABLE[np.frombuffer(ascii_only, dtype=np.uint8)].astype(np.int64))


def decode(codes: Tensor) -> str:
    return "".join(
        ALPHABET[int(c)] if int(c) < OTHER else "\N{REPLACEMENT CHARACTER}" for c in codes
    )


@functools.cache
def _corpus(root: str | None = None) -> tuple[Tensor, Tensor, str]:
    """(training codes, held-out codes, id) of the corpus under ``root`` (the interpreter's
    standard library when None); read once per process."""
    train, held, digest = [], [], hashlib.sha256()
    for i, path in enumerate(stdlib_files(Path(root) if root else None)):
        text = path.read_text(encoding="utf-8", errors="replace")
        digest.update(path.name.encode() + b"\0" + text.encode())
        (held if i % HELD_OUT_EVERY == 0 else train).append(text)
    name = f"Python {platform.python_version()} stdlib, sha256 {digest.hexdigest()[:12]}"
    return encode("\n".join(train)), encode("\n".join(held)), name


@dataclass
class SourceCode(Task):
    """Next-character prediction on the standard library's source, in windows of ``T``.

    Inputs are one-hot characters, targets the next character at every step; the loss and
    metric are the cross-entropy in nats per character. The baseline is the cross-entropy of
    the training text's character frequencies on the held-out text: the best predictor that
    ignores every earlier character.
    """

    T: int = 200
    root: str | None = None  # another folder of *.py files (tests); None: the stdlib
    # which text (interpreter and hash): part of a run's spec, so a record made on another
    # interpreter's library is stale here rather than silently compared
    corpus_id: str = field(init=False, default="")

    def __post_init__(self) -> None:
        check_length("T", self.T, 2)
        self.name, self.input_size, self.output_size = f"source code (T={self.T})", VOCAB, VOCAB
        self.per_step, self.metric_name = True, "cross-entropy"
        train, held, self.corpus_id = _corpus(self.root)
        if len(held) <= self.T + 1 or len(train) <= self.T + 1:
            raise ValueError(f"the corpus is too short for windows of {self.T} characters")
        self.baseline = float(-self.unigram_log_probs()[held].mean())

    @property
    def length(self) -> int:
        return self.T

    def unigram_log_probs(self) -> Tensor:
        """Log-frequencies of the training text's characters (add-one: none is impossible)."""
        counts = torch.bincount(_corpus(self.root)[0], minlength=VOCAB).double() + 1.0
        return (counts / counts.sum()).log()

    def _windows(self, codes: Tensor, batch: int, generator) -> tuple[Tensor, Tensor]:
        starts = torch.randint(0, len(codes) - self.T - 1, (batch,), generator=generator)
        index = starts[:, None] + torch.arange(self.T + 1)
        chars = codes[index]
        return F.one_hot(chars[:, :-1], VOCAB).float(), chars[:, 1:]

    def sample(self, batch, generator=None):
        return self._windows(_corpus(self.root)[0], batch, generator)

    def held_out(self, batch, generator=None):
        """Windows of the held-out files (every tenth), never trained on."""
        return self._windows(_corpus(self.root)[1], batch, generator)

    def loss(self, pred, y):
        return F.cross_entropy(pred.reshape(-1, self.output_size), y.reshape(-1))

    @staticmethod
    def bits(nats: float) -> float:
        """Nats per character in bits per character, the unit character models report."""
        return nats / math.log(2)


def closing_brackets(targets: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Every target character that closes a bracket opened earlier in its window: (row,
    position, distance), the distance being how many characters back its opener was.

    Brackets nest (one stack per window, all three kinds); brackets inside strings and
    comments count too. A closer that does not match the innermost opener ends the matching
    in that window up to there (the stack is emptied): rare in source, and never guessed at."""
    open_codes = {int(encode(c)[0]): i for i, c in enumerate(OPENERS)}
    close_codes = {int(encode(c)[0]): i for i, c in enumerate(CLOSERS)}
    rows, positions, distances = [], [], []
    for b, row in enumerate(targets.tolist()):
        stack: list[tuple[int, int]] = []  # (kind, position)
        for t, code in enumerate(row):
            if code in open_codes:
                stack.append((open_codes[code], t))
            elif code in close_codes and stack:
                kind, at = stack.pop()
                if kind == close_codes[code]:
                    rows.append(b)
                    positions.append(t)
                    distances.append(t - at)
                else:
                    stack.clear()  # mismatched: the window's nesting is unknown from here
    return (
        torch.tensor(rows, dtype=torch.long),
        torch.tensor(positions, dtype=torch.long),
        torch.tensor(distances, dtype=torch.long),
    )
