"""figures.runs.archived_curves draws the archive's curves: the median over seeds per arm.

Catches: a figure that fails on a seed with no curve (a run that diverged before its first
evaluation, as two IRNN seeds at T = 200 did), or one that draws the mean instead of the
median (one diverging seed would drag the line)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

from rnngrad import figures  # noqa: E402


def test_the_line_is_the_median_and_empty_seeds_are_left_out():
    curves = {"A": [[[100, 0.1], [200, 0.1]], [[100, 0.2], [200, 0.2]], [[100, 9.0], [200, 9.0]], []],
              "never evaluated": [[]]}  # fmt: skip
    fig, (ax,) = figures.new_figure(4, 3)
    figures.runs.archived_curves(curves, "MSE", ax=ax)
    (line,) = ax.get_lines()  # the arm with no curve at all draws nothing
    assert line.get_label() == "A"
    np.testing.assert_allclose(line.get_ydata(), [0.2, 0.2])
