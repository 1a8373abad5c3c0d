"""Where the prose says two chapters show the same run or the same measurement, their glued
numbers must agree. Catches a chapter whose settings drift away from the run it claims to
repeat (another seed, another budget, another held-out batch), which would bring back two
values for one quantity with no word on why."""

from __future__ import annotations

import re

import pytest
from prose_check import as_text, glued_values

from conftest import executed_notebooks, need

# (chapter, key), (chapter, key), relative tolerance: the rounding of the two formats.
SAME = [
    # chapter 3 trains chapter 1's run and probes chapter 1's held-out sequences (.2g vs .0e)
    (("03", "ch3_dh_kept"), ("01", "ch1_lstm_reach"), 0.15),
    # chapter 10's claim 1 is chapter 3's measurement (jacobians.random_lstm_paths)
    (("10", "ch10_n1"), ("03", "ch3_share10_b0"), 0.0),
    (("10", "ch10_share_b3"), ("03", "ch3_share10_b3"), 0.0),
]


def _number(text: str) -> float:
    match = re.search(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text.replace(",", ""))
    assert match, f"no number in {text!r}"
    return float(match.group())


@pytest.fixture(scope="module")
def glued() -> dict[str, dict[str, str]]:
    notebooks = executed_notebooks()
    need(bool(notebooks), "no executed chapters: run make book first")
    return {path.name[:2]: glued_values(nb) for path, nb in notebooks.items()}


@pytest.mark.parametrize(("a", "b", "rel"), SAME, ids=[f"{a[1]}={b[1]}" for a, b, _ in SAME])
def test_chapters_that_share_a_run_show_the_same_number(glued, a, b, rel):
    x, y = (_number(as_text(glued[ch][key])) for ch, key in (a, b))
    assert x == pytest.approx(y, rel=rel, abs=1e-12), f"{a[1]} = {x} but {b[1]} = {y}"
