"""The figures of trained runs draw the numbers they are given."""

import numpy as np
import torch

from rnngrad.figures import COLORS
from rnngrad.figures.runs import gates_over_time_figure, gradient_profile_figure


def test_gradient_profile_divides_by_the_last_step():
    """Each line is ||dL/dh_t|| / ||dL/dh_T||, in the cell's colour, one panel per phase.
    Catches: the raw norms drawn (not divided by the last step's), dividing by the first
    step's, or the phases' panels swapped."""
    before = {"RNN": torch.tensor([1e-9, 1e-4, 2.0]), "LSTM": torch.tensor([0.1, 0.3, 0.5])}
    after = {"RNN": torch.tensor([1e-12, 1e-5, 4.0]), "GRU": torch.tensor([0.2, 0.2, 0.4])}
    fig = gradient_profile_figure({"before training": before, "after training": after})
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ["before training", "after training"]
    for ax, curves in zip(axes, (before, after), strict=True):
        lines = {line.get_label(): line for line in ax.get_lines()}
        for label, n in curves.items():
            np.testing.assert_allclose(lines[label].get_ydata(), (n / n[-1]).numpy())
            assert lines[label].get_color() == COLORS[label.lower()]
        assert ax.get_yscale() == "log"


def test_gates_over_time_draws_the_chosen_units_and_the_mean():
    """Catches: a unit's column confused with a step's row, or the mean taken over steps."""
    rng = np.random.default_rng(0)
    gates = {"input": rng.random((6, 4)), "forget": rng.random((6, 4))}
    marks = np.array([0, 1, 0, 0, 1, 0])
    fig = gates_over_time_figure(gates, marks, units=[2, 0])
    for ax, values in zip(fig.axes, gates.values(), strict=True):
        lines = {line.get_label(): line.get_ydata() for line in ax.get_lines()}
        np.testing.assert_allclose(lines["unit 2"], values[:, 2])
        np.testing.assert_allclose(lines["unit 0"], values[:, 0])
        np.testing.assert_allclose(lines["mean of all units"], values.mean(1))
        assert len(ax.patches) == marks.sum()  # one shaded span per marked step


def test_gradient_profile_draws_the_cell_state_dashed_in_the_cells_colour():
    """A label naming the cell state is the same ratio for ||dL/dc_t||, dashed, in the LSTM's
    colour. Catches: the cell's curve drawn solid (indistinguishable from h's) or in another
    cell's colour, or not divided by its own last step."""
    c = torch.tensor([0.5, 0.8, 1.0, 2.0])
    h = torch.tensor([1e-3, 1e-2, 0.1, 1.0])
    fig = gradient_profile_figure({"after training": {"LSTM": h, "LSTM, cell c": c}})
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    np.testing.assert_allclose(lines["LSTM, cell c"].get_ydata(), (c / c[-1]).numpy())
    assert lines["LSTM, cell c"].get_linestyle() == "--"
    assert lines["LSTM"].get_linestyle() == "-"
    assert lines["LSTM, cell c"].get_color() == COLORS["lstm"]
