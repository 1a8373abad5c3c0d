"""Find the sentences of the book whose truth depends on its data.

A chapter states numbers by pasting glued values ({glue:text}`key`). A sentence that pastes a
number *and* compares it ("grows from a to b", "below the baseline", "faster than") is true
only while the data say so; a rerun on another machine, a cheaper budget or a library change
can turn it false while every number on the page stays correct. ``data_sentences`` finds those
sentences; ``tests/chapters/test_prose_claims.py`` holds, for each, the rule that makes it true, checked
against the executed chapters.

A sentence compares when it uses a comparing word ("faster", "only", "at most", "never",
"every", "times", ...) or a relation in its mathematics ($>1$, \\le, \\gg, ...). Pasted values
that are themselves text (a verdict word, a "rises" / "falls" computed in a cell) make that part
of the wording data-driven, but not the rest: a sentence that pastes a word *and* a number
still needs a rule for its numbers (its ``keys`` are the numeric ones). Only a sentence whose
every pasted value is a word is exempt.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass

GLUE_MIME = "application/papermill.record/text/plain"
GLUE_ROLE = re.compile(r"\{glue(?::text|:any|:)?\}`([^`]+)`")
COMPARATIVE = re.compile(
    r"\b(more|less|fewer|larger|smaller|higher|lower|greater|beats?|faster|slower|rises?|"
    r"falls?|grows?|shrinks?|exceeds?|below|above|better|worse|outperforms?|than|twice|half|"
    r"longer|shorter|stronger|weaker|drops?|halved?|only|at most|at least|times|explodes?|"
    r"exploded|vanish(?:es|ed)?|within|ahead|behind|never|every|all|none|beyond)\b",
    re.IGNORECASE,
)
# a relation inside the mathematics: $> 1$, $\le$, $\gg$, ...
MATH_RELATION = re.compile(
    r"\$[^$]*(?:[<>]|\\(?:le|ge|leq|geq|ll|gg|lesssim|gtrsim|neq|approx)\b)[^$]*\$"
)
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z(*\[{$])")
NUMBER = re.compile(r"[-+−]?(?:\d+(?:[.,]\d+)*(?:\.\d+)?|\.\d+)(?:e[-+−]?\d+)?", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    chapter: str  # notebook stem, e.g. "02_vanishing_and_exploding"
    cell: str  # the markdown cell's id
    keys: frozenset[str]  # the glue keys it pastes ("other.ipynb::key" for other chapters)
    text: str  # the sentence with its glue roles replaced by their values


def glued_values(nb: dict) -> dict[str, str]:
    """Every value a notebook glued, as the text its glue record holds (a Python repr)."""
    values = {}
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if GLUE_MIME in data:
                values[out["metadata"]["scrapbook"]["name"]] = data[GLUE_MIME]
    return values


def as_text(record: str) -> str:
    """A glue record's value as it reads on the page ("'5e-03'" -> "5e-03")."""
    try:
        value = ast.literal_eval(record)
    except (ValueError, SyntaxError):
        return record
    return value if isinstance(value, str) else str(value)


def as_number(record: str) -> float | None:
    """The number a glued value states, or None when it is words ("inconclusive").

    "89%" -> 0.89, "×1.28" -> 1.28, "2e+05" -> 2e5, "0.49 (0.46–0.52)" -> 0.49 (the first
    number), "4,000" -> 4000."""
    text = as_text(record).strip()
    if text == "exactly 0":  # rnngrad.difference's zero
        return 0.0
    if not text or re.search(r"[A-Za-z]{3,}", text):
        return None
    match = NUMBER.search(text)
    if match is None:
        return None
    number = float(match.group().replace("−", "-").replace(",", ""))
    return number / 100 if text[match.end() : match.end() + 1] == "%" else number


def _key(role: str) -> str:
    """The glue key of a role's text: 'ch2_x:.2f' -> 'ch2_x', 'nb.ipynb::ch2_x' kept whole."""
    notebook, sep, key = role.rpartition("::")
    key = key.split(":")[0]
    return f"{notebook}::{key}" if sep else key


def sentences(text: str) -> Iterator[str]:
    for block in re.split(r"\n\s*\n", text):
        yield from (s for s in SENTENCE_END.split(" ".join(block.split())) if s)


def data_sentences(chapter: str, nb: dict, values_of) -> Iterator[Sentence]:
    """The sentences of ``nb`` that paste at least one number and compare something.

    ``values_of(key)`` returns a key's glue record (other chapters' keys included) or None."""
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for sentence in sentences("".join(cell["source"])):
            roles = GLUE_ROLE.findall(sentence)
            bare = GLUE_ROLE.sub("", sentence)
            if not roles or not (COMPARATIVE.search(bare) or MATH_RELATION.search(bare)):
                continue
            records = {_key(r): values_of(_key(r)) for r in roles}
            keys = frozenset(k for k, r in records.items() if r is None or as_number(r) is not None)
            if not keys:
                continue  # every pasted value is a word: the wording is computed from the data
            shown = GLUE_ROLE.sub(
                lambda m, r=records: as_text(r.get(_key(m.group(1))) or "?"), sentence
            )
            yield Sentence(chapter, cell.get("id", "?"), keys, shown)
