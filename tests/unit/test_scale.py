"""The class-scale switch ``RNNGRAD_SCALE`` (``rnngrad.core.scale``)."""

from __future__ import annotations

import pytest

import rnngrad
from rnngrad.core.scale import scaled_steps, step_scale


@pytest.mark.parametrize(("raw", "share"), [("", 1.0), ("1", 1.0), ("class", 0.25), ("0.1", 0.1)])
def test_the_switch_reads_class_or_a_share(monkeypatch, raw, share):
    """Catches a parser that ignores ``class`` or reads the share inverted (1 / share)."""
    monkeypatch.setenv("RNNGRAD_SCALE", raw)
    assert step_scale() == share
    assert scaled_steps(200) == round(200 * share)


@pytest.mark.parametrize("raw", ["0", "2", "-0.5", "fast"])
def test_a_bad_switch_is_refused(monkeypatch, raw):
    """Catches a switch that would silently lengthen runs (2) or train for zero steps (0)."""
    monkeypatch.setenv("RNNGRAD_SCALE", raw)
    with pytest.raises(ValueError, match="RNNGRAD_SCALE"):
        step_scale()


def test_train_takes_the_shrunk_number_of_steps(monkeypatch):
    """Catches ``train`` not reading the switch (planted: the hook removed from the loop)."""
    monkeypatch.setenv("RNNGRAD_SCALE", "0.25")
    task = rnngrad.AddingProblem(T=5)
    model = rnngrad.make_model("rnn", task, hidden_size=4, seed=0)
    history = rnngrad.train(
        model, task, 40, batch_size=8, eval_every=10, eval_batch=8, device="cpu", progress=False
    )
    assert history.steps == 10


def test_workers_run_at_the_parents_scale_not_their_own(monkeypatch):
    """A worker process keeps the environment it started with: a pool started under
    RNNGRAD_SCALE=0.1 (an exercise) and reused after the switch is unset must train the full
    number of steps. Catches the runner letting each worker read its own stale switch (the
    suite once saw chapter 8's LSTM fail after the exercises' tests, trained a tenth as long)."""
    import rnngrad
    from rnngrad.training.runner import run
    from rnngrad.training.spec import RunSpec

    task = rnngrad.AddingProblem(5)
    spec = RunSpec(cell="rnn", task=task, steps=20, seed=0, setting=5, model={"hidden_size": 4},
                   train={"eval_every": 10, "eval_batch": 8})  # fmt: skip
    monkeypatch.setenv("RNNGRAD_SCALE", "0.1")
    short = [len(r.history.loss) for r in run([spec, spec], workers=2, progress=False)]
    monkeypatch.delenv("RNNGRAD_SCALE")
    full = [len(r.history.loss) for r in run([spec, spec], workers=2, progress=False)]
    assert short == [2, 2] and full == [20, 20], (short, full)
