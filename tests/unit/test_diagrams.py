"""The hand-drawn diagrams show what their captions say they show."""

import pytest

from rnngrad.figures import diagrams


@pytest.mark.parametrize("steps", [2, 4])
def test_unrolled_lstm_has_every_state_and_one_w_path(steps):
    """Catches: ``steps`` ignored (a fixed number of cells drawn), a missing last state, or
    the W-path drawn without its label."""
    fig = diagrams.unrolled_lstm_figure(steps)
    texts = [t.get_text() for t in fig.axes[0].texts]
    names = list(map(str, range(steps + 1)))  # c_0 .. c_steps, numbered (no "T" among numbers)
    for name in names:
        assert f"$c_{{{name}}}$" in texts and f"$h_{{{name}}}$" in texts
    assert sum(t.startswith("gates") for t in texts) == steps
    assert sum(t.startswith(r"$\times f_") for t in texts) == steps  # one factor per step
    assert any("W-path" in t for t in texts) and any("diagonal path" in t for t in texts)
