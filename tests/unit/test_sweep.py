"""Many runs at once: the grid trains what it says, seeded, and the helpers summarise it."""

import math

import pytest
import torch

import rnngrad
from rnngrad import AddingProblem, grid, lstm_forget_bias, median, select
from rnngrad.notebook.helpers import table
from rnngrad.training.loop import Stop


def _grid(**kw):
    tasks = {5: AddingProblem(5), 8: AddingProblem(8)}
    return grid(
        ["rnn", "lstm"],
        tasks,
        steps=6,
        seeds=(0, 1),
        hidden_size=4,
        eval_every=3,
        device="cpu",
        progress=False,
        **kw,
    )


def test_grid_trains_every_combination_reproducibly():
    runs = _grid()
    assert [(r.cell, r.setting, r.seed) for r in runs] == [
        (c, s, seed) for c in ("rnn", "lstm") for s in (5, 8) for seed in (0, 1)
    ]
    again = _grid()
    assert [r.history.loss for r in runs] == [r.history.loss for r in again]
    assert runs[0].history.loss != runs[1].history.loss  # the seed matters
    assert all(r.history.steps == 6 and r.solved_at is None for r in runs)
    assert len(select(runs, cell="lstm", setting=8)) == 2


def test_grid_applies_init_and_reports_the_solving_step():
    runs = _grid(init=lstm_forget_bias(2.0), target=10.0)  # any MSE is below 10: step 3
    lstm = select(runs, cell="lstm")[0].model.rnn
    forget_bias = lstm.bias_ih_l0[4:8] + lstm.bias_hh_l0[4:8]  # after 3 small Adam steps
    assert torch.allclose(forget_bias, torch.full((4,), 2.0), atol=0.05)
    assert all(r.solved_at == 3 for r in runs)


def test_grid_rejects_empty_sweeps():
    with pytest.raises(ValueError, match="at least one"):
        grid([], {1: AddingProblem(3)}, steps=1)


def test_median_ignores_diverged_runs():
    assert median([3.0, math.nan, 1.0, 2.0]) == 2.0
    assert median([1.0, 4.0]) == 2.5
    assert math.isnan(median([math.nan]))


def test_full_sweep_flag(monkeypatch):
    monkeypatch.setenv("RNNGRAD_FULL", "1")
    assert rnngrad.full_sweep()
    monkeypatch.setenv("RNNGRAD_FULL", "0")
    assert not rnngrad.full_sweep()


def test_table_is_markdown_and_checks_its_rows():
    md = table([[1, "a"], [2, "b"]], ["n", "name"]).data
    assert md.splitlines() == ["| n | name |", "|---|---|", "| 1 | a |", "| 2 | b |"]
    with pytest.raises(ValueError, match="expected 2"):
        table([[1]], ["n", "name"])
    # a | inside a cell or a header (|loop - parallel|) is escaped, so the row keeps its cells
    md = table([["|a - b|", 1]], ["|x - y| over T", "n"]).data
    assert md.splitlines()[0] == "| \\|x - y\\| over T | n |"
    assert md.splitlines()[2] == "| \\|a - b\\| | 1 |"


def test_sweep_figures_draw_every_run():
    from rnngrad.figures import runs as sweep_plots

    runs = _grid()
    fig = sweep_plots.metric_vs_setting(runs, "T", baseline={5: 1 / 6, 8: 1 / 6})
    ax = fig.axes[0]
    assert ax.get_xlabel() == "T" and ax.get_ylabel() == "MSE"
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"RNN", "LSTM", "baseline"}
    fig = sweep_plots.learning_curves(runs, label=lambda r: r.cell)
    assert len(fig.axes[0].lines) == 2  # one median line per group
    fig = sweep_plots.grad_norm_histogram(runs, label=lambda r: r.cell)
    assert fig.axes[0].get_xscale() == "log"


def test_a_diverged_run_has_no_metric():
    task = AddingProblem(30)
    runs = grid(
        ["rnn"],
        {"exploding": task},
        steps=40,
        nonlinearity="relu",
        init=lambda model, setting, seed: rnngrad.set_recurrent_singular_values_(model.rnn, 3.0),
        optimizer="sgd",
        lr=0.1,
        eval_every=1,
        device="cpu",
        progress=False,
    )
    (run,) = runs
    assert run.history.diverged and run.history.eval_metric  # it was evaluated before
    assert math.isnan(run.metric) and math.isnan(median([run.metric]))


def test_workers_give_the_same_runs_as_one_process():
    """Catches: workers that train different numbers, and a one-thread run (in this process,
    ``workers=1``) that leaves the process on one thread instead of the count it had."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)  # neither 1 nor a default a wrong restore could fall back on
    try:
        serial = _grid(workers=1)
        assert torch.get_num_threads() == 3  # restored after the one-thread runs
        parallel = _grid(workers=2)
    finally:
        torch.set_num_threads(before)
    assert [r.history.loss for r in serial] == [r.history.loss for r in parallel]
    assert [r.history.eval_metric for r in serial] == [r.history.eval_metric for r in parallel]
    for a, b in zip(serial, parallel, strict=True):
        for (name, p), q in zip(
            a.model.state_dict().items(), b.model.state_dict().values(), strict=True
        ):
            assert torch.equal(p, q), name


def _fake_run(cell, setting, seed, metric, solved_at=None, higher=False):
    task = rnngrad.AgreementTask(2) if higher else AddingProblem(5)
    history = rnngrad.History(eval_step=[10], eval_metric=[metric])
    if solved_at is not None:
        history.stopped = Stop("target", solved_at)
    return rnngrad.Run(rnngrad.RunSpec(cell, task, 1, seed, setting), None, history)


def test_helpers_summarise_the_runs():
    from rnngrad.training.sweep import (
        beats_baseline,
        compare_runs,
        longest_beaten,
        median_metric,
        outcomes,
        solved_count,
    )

    runs = [_fake_run("rnn", 10, s, 0.05, solved_at=300 + s) for s in range(5)] + [
        _fake_run("rnn", 20, s, 0.16 if s else 0.01) for s in range(5)
    ]
    runs += [_fake_run("lstm", T, s, 0.001, solved_at=100 + s) for T in (10, 20) for s in range(5)]
    assert median_metric(runs, cell="rnn", setting=20) == 0.16
    assert solved_count(runs, cell="rnn") == (5, 10)
    assert outcomes(runs, cell="rnn", setting=20) == [None] * 5
    assert longest_beaten(runs, beats_baseline, cell="rnn") == 10  # one seed of 20 beat it
    assert longest_beaten(runs, beats_baseline, cell="lstm") == 20
    assert longest_beaten(runs, lambda r: False, cell="lstm") is None
    v = compare_runs(runs, {"cell": "lstm", "setting": 10}, {"cell": "rnn", "setting": 10})
    assert v.winner == "LSTM, 10" and v.a.median == 102
    v = compare_runs(runs, {"cell": "rnn", "setting": 10}, {"cell": "rnn", "setting": 20})
    assert v.outcome == "A better"  # solved against unsolved
    v = compare_runs(
        runs, {"cell": "rnn", "setting": 20}, {"cell": "rnn", "setting": 10}, by="metric"
    )
    assert v.outcome == "inconclusive at this budget"  # one seed of 20 beat every seed of 10
    v = compare_runs(runs, {"cell": "lstm"}, {"cell": "rnn", "setting": 20}, by="metric")
    assert v.outcome == "A better" and v.b.format(".2f") == "0.16 (0.01–0.16), 5/5"
    with pytest.raises(ValueError, match="no runs match"):
        compare_runs(runs, {"cell": "gru"}, {"cell": "rnn"})


def test_grid_applies_each_settings_own_train_keywords():
    """``setting_kwargs`` reaches the runs of its setting only: evaluated every 2 steps at
    T = 5 and every 3 at T = 8 (the shared ``eval_every=3`` otherwise), so steps 2, 4, 6 and
    3, 6 (a run is also evaluated at its last step).
    Catches: a grid that drops ``setting_kwargs`` (every run on the shared keywords), or
    applies one setting's keywords to every run."""
    runs = _grid(setting_kwargs={5: {"eval_every": 2}})
    for run in runs:
        expected = [2, 4, 6] if run.setting == 5 else [3, 6]
        assert run.history.eval_step == expected, (run.cell, run.setting, run.seed)
        assert run.spec.train["eval_every"] == (2 if run.setting == 5 else 3)
    clipped = grid(
        ["rnn"],
        {"free": AddingProblem(5), "clipped": AddingProblem(5)},
        steps=1,
        hidden_size=4,
        optimizer="sgd",
        lr=1.0,
        setting_kwargs={"clipped": {"clip": 1e-3}},
        device="cpu",
        progress=False,
    )
    free, tight = clipped  # same seed, same first batch: only the clip differs
    moved = [
        torch.cat([(p - q).flatten() for p, q in zip(r.model.parameters(), start, strict=True)])
        for r, start in [(free, _start_weights()), (tight, _start_weights())]
    ]
    assert moved[0].norm() > 1e-2  # an unclipped SGD step (lr 1) of the gradient itself
    assert moved[1].norm().item() == pytest.approx(1e-3, rel=1e-3)  # rescaled to the clip


def _start_weights():
    """The weights ``grid`` starts the "rnn" run of seed 0 from (hidden 4, adding T = 5)."""
    model = rnngrad.make_model("rnn", AddingProblem(5), hidden_size=4, seed=0)
    return [p.detach() for p in model.parameters()]


def test_compare_runs_by_accuracy_calls_the_higher_accuracy_better():
    """On a classification task the metric is an accuracy: higher is better; the solving
    step stays lower-is-better on the same task.
    Catches: ``compare_runs`` with ``higher_is_better=False`` always (the less accurate
    group wins), or taking the direction from the task also for ``by="solved_at"``."""
    from rnngrad.training.sweep import compare_runs

    accurate = [0.95, 0.97, 0.99, 0.96, 0.98]
    guessing = [0.50, 0.55, 0.52, 0.51, 0.53]
    runs = [
        _fake_run("lstm", 2, s, m, solved_at=100 + s, higher=True) for s, m in enumerate(accurate)
    ]
    runs += [
        _fake_run("rnn", 2, s, m, solved_at=500 + s, higher=True) for s, m in enumerate(guessing)
    ]
    by_metric = compare_runs(runs, {"cell": "lstm"}, {"cell": "rnn"}, by="metric")
    assert by_metric.outcome == "A better" and by_metric.winner == "LSTM"
    assert compare_runs(runs, {"cell": "rnn"}, {"cell": "lstm"}, by="metric").winner == "LSTM"
    # Solved at steps 100-104 against 500-504: fewer steps is better, accuracy task or not.
    assert compare_runs(runs, {"cell": "lstm"}, {"cell": "rnn"}).winner == "LSTM"
    # The loss task next to it: lower is better.
    losses = [_fake_run("gru", 5, s, 0.01 + s / 100) for s in range(5)]
    losses += [_fake_run("rnn", 5, s, 0.16 + s / 100) for s in range(5)]
    assert compare_runs(losses, {"cell": "gru"}, {"cell": "rnn"}, by="metric").winner == "GRU"


def _book_cost():
    """benchmarks/book_cost.py, imported as a module."""
    import importlib
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    try:
        return importlib.import_module("book_cost")
    finally:
        sys.path.pop(0)


def test_book_cost_reads_the_execution_cache_and_flags_the_budget(tmp_path):
    import json
    import sqlite3

    book_cost = _book_cost()
    db = tmp_path / "global.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE nbcache (uri TEXT, data TEXT, created TEXT)")
    rows = [
        ("/b/chapters/05_benchmarks.ipynb", {"execution_seconds": 500.0}, "2026-01-01"),
        ("/b/chapters/05_benchmarks.ipynb", {"execution_seconds": 60.0}, "2026-01-02"),  # newer
        ("/b/chapters/06_initialisation.ipynb", {"execution_seconds": 100.0}, "2026-01-01"),
    ]
    con.executemany(
        "INSERT INTO nbcache VALUES (?, ?, ?)", [(u, json.dumps(d), c) for u, d, c in rows]
    )
    con.commit()
    con.close()
    seconds = book_cost.cached_seconds(db)
    assert seconds == {"05_benchmarks": 60.0, "06_initialisation": 100.0}
    lines, ok = book_cost.report(seconds, unit=0.02)  # 3,000 and 5,000 units
    assert not ok
    assert [line for line in lines if "OVER BUDGET" in line] == [
        "06_initialisation                   100.0     20.0     5000  OVER BUDGET"
    ]
    assert book_cost.report({"05_benchmarks": 60.0}, unit=0.02)[1]
    assert book_cost.cached_seconds(tmp_path / "missing.db") == {}
    # each chapter's own unit: 100 s at 40 ms is 2,500 units, within budget
    assert book_cost.report(seconds, unit={"05_benchmarks": 0.02, "06_initialisation": 0.04})[1]


def test_book_cost_pairs_each_chapter_with_the_unit_of_its_own_build(tmp_path):
    """Catches a report that divides every chapter by the newest unit, or by one timed
    before the chapter ran."""
    from datetime import datetime

    book_cost = _book_cost()
    path = tmp_path / "units.json"
    assert book_cost.recorded_units(path) == []
    book_cost.record_unit(0.011, path)
    book_cost.record_unit(0.019, path)
    (first, u1), (second, u2) = book_cost.recorded_units(path)
    assert (u1, u2) == (0.011, 0.019) and first <= second
    before = datetime(2000, 1, 1)
    assert book_cost.unit_after(before, [(first, u1), (second, u2)]) == 0.011
    assert book_cost.unit_after(second, [(first, u1), (second, u2)]) == 0.019
    assert book_cost.unit_after(datetime(2999, 1, 1), [(first, u1)]) is None


def test_cell_cost_times_each_cell_of_a_notebook(tmp_path):
    """Catches a timer that reads the wrong timestamps (queueing, not execution: every cell
    about equal), counts markdown, or runs the notebook outside its own folder (a chapter's
    relative paths would break)."""
    import importlib
    import sys
    from pathlib import Path

    import nbformat

    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    try:
        cell_cost = importlib.import_module("cell_cost")
    finally:
        sys.path.pop(0)
    (tmp_path / "data.txt").write_text("here")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# a chapter"),
        nbformat.v4.new_code_cell("text = open('data.txt').read()"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(0.6)"),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    path = tmp_path / "chapter.ipynb"
    nbformat.write(nb, path)
    wall, rows = cell_cost.cell_seconds(path)
    assert [i for i, _, _ in rows] == [1, 2, 3]
    seconds = {i: s for i, s, _ in rows}
    assert seconds[2] >= 0.55 and seconds[1] < 0.3 and seconds[3] < 0.3
    assert wall > sum(seconds.values())  # the kernel's start is outside every cell
    assert rows[1][2] == "import time"


def test_cell_cost_floor_is_the_chapters_own_setup_cell(tmp_path):
    """Catches a floor that times an empty notebook (no library import: far too cheap) or a
    whole chapter (its work counted as fixed cost)."""
    import importlib
    import sys
    from pathlib import Path

    import nbformat

    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    try:
        cell_cost = importlib.import_module("cell_cost")
    finally:
        sys.path.pop(0)
    (cell,) = nbformat.read(cell_cost.setup_only(tmp_path), as_version=4).cells
    assert "import rnngrad" in cell.source and "rnngrad.setup()" in cell.source
