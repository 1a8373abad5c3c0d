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
