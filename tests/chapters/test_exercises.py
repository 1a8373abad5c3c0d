"""Every chapter's exercises: each ends in exercises with a code exercise the student can check,
and every code exercise runs as written (at class scale) and its check can fail.

A code exercise is three cells after a chapter's ``## Exercises``: the starter (tag
``exercise``; ``metadata.exercise`` names its knob and the value the exercise asks for), a hidden
cell (``remove-cell``) that measures the solution's numbers with the starter's own function and
glues them, and the check (tags ``exercise-check`` and ``skip-execution``: the build does not run
it, since the starter ran at its default) that asserts the student's ``answer`` equals the
solution's. Run here at class scale (``RNNGRAD_SCALE=class``, every training run a quarter as
long), the scale the instructors' page recommends for a classroom: an exercise must work there.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "book" / "chapters").glob("*.ipynb"))


def _tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


def exercises(path: Path) -> tuple[list, list[tuple]]:
    """(the markdown cells from ``## Exercises`` on, [(starter, hidden cells, check), ...])."""
    cells = nbformat.read(path, as_version=4).cells
    start = next(
        (
            i
            for i, c in enumerate(cells)
            if c.cell_type == "markdown" and "## Exercises" in c.source
        ),
        None,
    )
    if start is None:
        return [], []
    text, groups = [], []
    for cell in cells[start:]:
        if cell.cell_type == "markdown":
            text.append(cell)
        elif "exercise" in _tags(cell):
            groups.append((cell, [], None))
        elif groups and "remove-cell" in _tags(cell) and groups[-1][2] is None:
            groups[-1][1].append(cell)
        elif groups and "exercise-check" in _tags(cell):
            groups[-1] = (groups[-1][0], groups[-1][1], cell)
    return text, groups


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_chapter_ends_in_exercises_with_one_to_check(path):
    """Catches a chapter with no exercises (8, 10 and 18 had none), or whose exercises have no
    code exercise with a check cell the student can run."""
    text, groups = exercises(path)
    assert text, f"{path.name} has no ## Exercises"
    assert groups, f"{path.name} has no code exercise (a cell tagged 'exercise')"
    for starter, hidden, check in groups:
        assert check is not None, (
            f"{path.name}: exercise {starter.metadata['exercise']} has no check"
        )
        assert "skip-execution" in _tags(check)
        assert re.search(r"^\s*assert ", check.source, re.M)
        knob = starter.metadata["exercise"]["knob"]
        assert re.search(rf"^{knob} = .+# the knob", starter.source, re.M), "the knob line"
        assert hidden, "no hidden cell measures the solution's numbers"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_solutions_quote_only_numbers_the_chapter_glues(path):
    """Catches an exercise key (``chN_ex...``) that no cell of its chapter glues (a typed-in number
    shows up as a missing key in the build; a renamed one as a broken page)."""
    text, _ = exercises(path)
    source = "\n".join(
        c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
    )
    for key in re.findall(r"\{glue:text\}`(ch\d+_ex\w*)`", "\n".join(c.source for c in text)):
        assert re.search(rf"['\"]{key}['\"]", source), f"{path.name}: {key} is never glued"


def _run(source: str, namespace: dict) -> None:
    exec(compile(source, "<exercise>", "exec"), namespace)


@pytest.mark.parametrize("path", [p for p in CHAPTERS if exercises(p)[1]], ids=lambda p: p.stem)
def test_code_exercises_run_as_written_and_their_checks_can_fail(path, monkeypatch):
    """Runs each starter as written, its hidden cell, then the check, at class scale.

    * A check that passes with a wrong answer catches nothing (planted: an ``assert True``-like
      check): it must reject ``-123456``.
    * A check that passes with the knob left at its default cannot tell whether the student
      turned it: the starter's answer at the default must differ from its answer at the
      exercise's value, and the check must reject it. Caught: exercise 3.4's old answer, the
      step at which the LSTM reached MSE 0.01, which was step 500 from both forget biases at
      full scale and None from both at class scale; and exercise 7.1 at class scale, where
      SGD's runs, cut to 50 steps, diverged no more often than Adam's.
    * A starter whose knob line the exercise's value cannot replace is not the exercise the
      text asks for, and a starter that crashes (3.4's old ``forget_bias=0.0``, 15.3's
      stacked MinGRU) fails here."""
    monkeypatch.setenv("RNNGRAD_SCALE", "class")
    monkeypatch.setenv("TQDM_DISABLE", "1")
    monkeypatch.chdir(path.parent)
    for starter, hidden, check in exercises(path)[1]:
        meta = starter.metadata["exercise"]
        name = f"{path.name}: exercise {meta.get('number', meta['knob'])}"
        namespace: dict = {}
        _run("import rnngrad\nimport torch", namespace)
        _run(starter.source, namespace)  # as written: the knob at its default
        default = namespace["answer"]
        for cell in hidden:
            _run(cell.source, namespace)
        turned, n = re.subn(
            rf"^{meta['knob']} = .+?(  # the knob)",
            rf"{meta['knob']} = {meta['value']}\1",
            starter.source,
            count=1,
            flags=re.M,
        )
        assert n == 1, f"{name}: no knob line to turn"
        _run(turned, namespace)  # the student's run, the knob at the exercise's value
        assert namespace["answer"] != default, (
            f"{name}: the answer is {default!r} with the knob at its default and at "
            f"{meta['knob']} = {meta['value']}: the check cannot tell whether it was turned"
        )
        for wrong in (-123456.0, default):  # no exercise measures -123456; nor the default
            with pytest.raises(AssertionError):
                _run(check.source, dict(namespace, answer=wrong))
        _run(check.source, namespace)  # and the check accepts it
