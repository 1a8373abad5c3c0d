"""State tracking: running parity and a two-state automaton with a reset, trained on short
sequences and evaluated on long ones.

A task of this module trains on sequences of ``train_length`` symbols with the automaton's state
as the label at every step, and is evaluated (``held_out``) on sequences of ``test_length``,
where only the last step is scored: does the model know the state after more steps than it
ever saw? Parity is the simplest regular language that no linear recurrence with per-step
eigenvalues in [0, 1] recognises at every length, and eigenvalues in [-1, 1] make it easy
(Merrill, Petty & Sabharwal, 2024; Sarrof, Veitsman & Hahn, 2024; Grazzi et al., 2025).
Inputs are one-hot and batch-first, like ``rnngrad.core.tasks``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .tasks import ClassificationTask, check_length


class StateTrackingTask(ClassificationTask):
    """What the automata share: per-step labels to train, the last step's to evaluate."""

    train_length: int
    test_length: int
    symbols: int

    def _check(self) -> None:
        check_length("train_length", self.train_length, 1)
        check_length("test_length", self.test_length, 1)
        self.per_step = True
        self.output_size = 2
        self.input_size = self.symbols

    @property
    def length(self) -> int:
        return self.train_length

    def draw(self, batch: int, length: int, generator=None) -> Tensor:
        """(batch, length) symbol ids."""
        raise NotImplementedError

    def states(self, symbols: Tensor) -> Tensor:
        """The automaton's state (0 or 1) after each symbol, from state 0: (B, T) long."""
        raise NotImplementedError

    def _pairs(self, batch, length, generator):
        ids = self.draw(batch, length, generator)
        return F.one_hot(ids, self.symbols).float(), self.states(ids)

    def sample(self, batch, generator=None):
        return self._pairs(batch, self.train_length, generator)

    def held_out(self, batch, generator=None):
        return self._pairs(batch, self.test_length, generator)

    def loss(self, pred, y):
        return F.cross_entropy(pred.reshape(-1, 2), y.reshape(-1))

    def metric(self, pred, y):
        """Accuracy on the state after the last symbol."""
        return float((pred[:, -1].argmax(-1) == y[:, -1]).float().mean())

    @staticmethod
    def accuracy_by_step(pred: Tensor, y: Tensor) -> Tensor:
        """Accuracy at each step (T,), over the batch."""
        return (pred.argmax(-1) == y).float().mean(0)


@dataclass
class ParityTask(StateTrackingTask):
    """Running parity of a bit string: the label after step t is x_1 + ... + x_t mod 2.
    Bits are fair coins. Chance, derived: the last parity is a fair coin independent of any
    proper subset of the bits, so a model that misses any bit scores 1/2 (``chance``, and
    ``majority``, what always answering one state scores)."""

    train_length: int = 16
    test_length: int = 256

    def __post_init__(self) -> None:
        self.symbols = 2
        self._check()
        self.name = f"parity (train {self.train_length}, test {self.test_length})"
        self.baseline, self.chance, self.majority = math.log(2), 0.5, 0.5

    def draw(self, batch, length, generator=None):
        return torch.randint(0, 2, (batch, length), generator=generator)

    def states(self, symbols):
        return symbols.cumsum(1) % 2


TOGGLE, KEEP, RESET = 0, 1, 2


@dataclass
class ToggleResetTask(StateTrackingTask):
    """A two-state automaton over three symbols: *toggle* flips the state, *keep* leaves it,
    *reset* sets it to 0 (parity with a reset). Each step is a reset with probability
    ``reset_rate`` and a toggle or a keep with equal probability otherwise.

    Two trivial rules, derived for a sequence long enough to have forgotten its start (r =
    ``reset_rate``). The state is 0 with the stationary probability
    ``majority`` = r + (1 - r) / 2 (a reset sets it, and a toggle or a keep moves it from a
    state that is 0 with that probability), so always answering 0 scores ``majority``. A model
    that sees the last symbol does a little better: after a reset it knows the state; after a
    toggle the state is 1 with probability ``majority`` and after a keep 0 with that
    probability, so answering 1 after a toggle and 0 otherwise scores
    ``chance`` = r + (1 - r) ``majority``, the better of the two and the task's chance level
    (53.1 % at r = 1/32, against 51.6 % for always 0). The state after the last step depends on
    the steps back to the last reset, on average about 1 / r of them (32 by default): twice the
    training length."""

    train_length: int = 16
    test_length: int = 256
    reset_rate: float = 1 / 32

    def __post_init__(self) -> None:
        if not 0 < self.reset_rate < 1:
            raise ValueError(f"reset_rate must be in (0, 1), got {self.reset_rate!r}")
        self.symbols = 3
        self._check()
        self.name = f"toggle-reset (train {self.train_length}, test {self.test_length})"
        self.baseline = math.log(2)
        r = self.reset_rate
        self.majority = r + (1 - r) / 2
        self.chance = r + (1 - r) * self.majority

    def draw(self, batch, length, generator=None):
        u = torch.rand(batch, length, generator=generator)
        ids = torch.where(u < (1 - self.reset_rate) / 2, TOGGLE, KEEP)
        return torch.where(u >= 1 - self.reset_rate, RESET, ids)

    def states(self, symbols):
        state = torch.zeros(symbols.shape[0], dtype=torch.long)
        out = []
        for t in range(symbols.shape[1]):
            s = symbols[:, t]
            state = torch.where(s == TOGGLE, 1 - state, torch.where(s == RESET, 0, state))
            out.append(state)
        return torch.stack(out, 1)


AUTOMATA = {"parity": ParityTask, "toggle_reset": ToggleResetTask}


def make_automaton(name: str, **kwargs) -> StateTrackingTask:
    """``make_automaton("parity", test_length=256)``; names are the keys of ``AUTOMATA``."""
    if name not in AUTOMATA:
        raise ValueError(f"unknown automaton {name!r}; expected one of {sorted(AUTOMATA)}")
    return AUTOMATA[name](**kwargs)
