"""The prose may not say what the data no longer support.

``prose_check.data_sentences`` finds every sentence that pastes a glued number and compares
something. Each must be listed in ``CLAIMS`` with the rule that makes it true (checked here
against the executed chapters in the build's cache), or with the reason it compares nothing
the data decide. A rebuild that turns a rule false, or a new comparing sentence with no rule,
fails the test suite: the build cannot silently publish a sentence its own numbers contradict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from prose_check import Sentence, as_number, data_sentences, glued_values

from conftest import chapter_notebooks, executed_notebooks, need

V = dict[str, float]


@dataclass(frozen=True)
class Claim:
    chapter: str  # the notebook's two-digit number
    keys: tuple[str, ...]  # the glue keys the sentence pastes
    says: str  # what the sentence asserts, in words
    holds: Callable[[V], bool] | None = None  # the rule that makes it true
    exempt: str = ""  # or: why the sentence compares nothing the data decide

    def __post_init__(self) -> None:
        if (self.holds is None) == (not self.exempt):
            raise ValueError(f"{self.keys}: give a rule or a reason for exemption, not both")


CLAIMS: list[Claim] = []


def _index(claims: list[Claim]) -> dict[tuple[str, frozenset[str]], Claim]:
    index = {}
    for claim in claims:
        key = (claim.chapter, frozenset(claim.keys))
        assert key not in index, f"two claims for {key}"
        index[key] = claim
    return index


def _values_of(executed: dict[str, dict]) -> Callable[[str], str | None]:
    by_chapter = {stem: glued_values(nb) for stem, nb in executed.items()}
    merged = {k: v for values in by_chapter.values() for k, v in values.items()}

    def values_of(key: str) -> str | None:
        notebook, sep, name = key.rpartition("::")
        if sep:
            return by_chapter.get(notebook.removesuffix(".ipynb"), {}).get(name)
        return merged.get(key)

    return values_of


def find_sentences(executed: dict[str, dict]) -> list[Sentence]:
    values_of = _values_of(executed)
    return [s for stem, nb in executed.items() for s in data_sentences(stem, nb, values_of)]


def check(executed: dict[str, dict], claims: list[Claim]) -> list[str]:
    """Every problem: a comparing sentence with no claim, a claim whose rule is false on the
    data, a claim no sentence matches any more."""
    index, values_of, problems, used = _index(claims), _values_of(executed), [], set()
    for s in find_sentences(executed):
        key = (s.chapter[:2], s.keys)
        claim = index.get(key)
        if claim is None:
            problems.append(f"{s.chapter} [{s.cell}] no rule for: {s.text}")
            continue
        used.add(key)
        if claim.holds is None:
            continue
        numbers = {k: as_number(values_of(k) or "") for k in s.keys}
        missing = [k for k, v in numbers.items() if v is None]
        if missing:
            problems.append(f"{s.chapter}: no number for {missing} in: {s.text}")
        elif not claim.holds({k.rpartition("::")[2]: v for k, v in numbers.items()}):
            problems.append(f"{s.chapter} [{s.cell}] false ({claim.says}): {s.text}")
    for key in set(index) - used:
        problems.append(f"stale claim (no sentence pastes exactly {sorted(key[1])}): {key[0]}")
    return problems


@pytest.fixture(scope="module")
def executed() -> dict[str, dict]:
    by_path = executed_notebooks()
    chapters = {}
    for nb in chapter_notebooks():
        need(nb.resolve() in by_path, f"{nb.name} has no executed copy in the cache (make book)")
        chapters[nb.stem] = by_path[nb.resolve()]
    return chapters


def test_every_comparing_sentence_holds_on_the_data(executed):
    problems = check(executed, CLAIMS)
    assert not problems, "\n".join(problems)


# -- the checker itself can fail -----------------------------------------------------------


def _notebook(markdown: str, **glued: str) -> dict:
    outputs = [
        {
            "output_type": "display_data",
            "data": {"application/papermill.record/text/plain": repr(v)},
            "metadata": {"scrapbook": {"name": k}},
        }
        for k, v in glued.items()
    ]
    return {
        "cells": [
            {"cell_type": "code", "id": "c1", "source": "", "outputs": outputs},
            {"cell_type": "markdown", "id": "m1", "source": markdown},
        ]
    }


SENTENCE = "The gradient falls from {glue:text}`a` to {glue:text}`b:.1e` over the run."
FALLS = Claim("99", ("a", "b"), "it falls", holds=lambda v: v["b"] < v["a"])


def test_a_sentence_the_data_contradict_is_caught():
    """Catches a checker that never evaluates the rule (or evaluates it on the wrong keys)."""
    true = {"99_demo": _notebook(SENTENCE, a="3e-02", b="1e-05")}
    false = {"99_demo": _notebook(SENTENCE, a="3e-02", b="4e-01")}
    assert check(true, [FALLS]) == []
    assert any("false (it falls)" in p for p in check(false, [FALLS]))


def test_a_comparing_sentence_without_a_rule_is_caught():
    """Catches a checker that lets unregistered comparisons through, or a stale rule stay."""
    book = {"99_demo": _notebook(SENTENCE, a="3e-02", b="1e-05")}
    assert any("no rule for" in p for p in check(book, []))
    other = Claim("99", ("a", "c"), "stale", holds=lambda v: True)
    assert any("stale claim" in p for p in check(book, [FALLS, other]))


def test_computed_wording_and_plain_numbers_need_no_rule():
    """A pasted verdict word makes the wording data-driven; a number with no comparison
    states a measurement. Catches a scanner so eager that every number needs a rule."""
    words = "The LSTM is {glue:text}`v` than the RNN at {glue:text}`a`."
    plain = "The run ended at {glue:text}`a` after 100 steps."
    book = {"99_demo": _notebook(words + "\n\n" + plain, v="faster", a="0.12")}
    assert check(book, []) == []


@pytest.mark.parametrize(
    ("record", "number"),
    [
        ("'89%'", 0.89),
        ("'×1.28'", 1.28),
        ("'2e+05'", 2e5),
        ("'0.49 (0.46–0.52)'", 0.49),
        ("'4,000'", 4000.0),
        ("'−3.5'", -3.5),
        ("800", 800.0),
        ("'inconclusive'", None),
    ],
)
def test_glued_values_read_as_numbers(record, number):
    """Catches a parser that drops a percent sign, a leading ×, a thousands comma or a
    Unicode minus, and one that reads a verdict word as a number."""
    assert as_number(record) == number
