"""Figures of the selective-gates chapter (15): the explorer of one selective unit (cheap,
no training, so it pre-renders over its whole slider grid) and the trained cells' results."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from ..measure.reach import RESET_AT
from .style import COLORS, VANISH, new_figure, plain_log_ticks

CELL_COLORS = {
    "lstm": COLORS["lstm"],
    "gru": COLORS["gru"],
    "slstm": "#17becf",
    "mingru": COLORS["linear"],
    "minlstm": "#e377c2",
    "ssm": "#ff7f0e",
}


def delta_figure(
    delta: np.ndarray, factor: np.ndarray, hold_log10: float, reset_log10: float
) -> Figure:
    """Explorer figure: left, the per-step retention A_bar_t = exp(Delta_t A) (A = -1) along
    the sequence; right, how much of the gradient at the last step reaches each earlier step,
    exp(A sum Delta), on a log scale: a small Delta holds, one large Delta cuts. ``delta``
    and ``factor`` from ``rnngrad.measure.reach.selective_deltas`` and ``selective_decay``
    (the reset token at ``RESET_AT``)."""
    t = np.arange(1, len(delta) + 1)
    # At most the explorers' frame width, so no label (its sub- and superscripts included) is
    # scaled below the explorers' minimum text size.
    fig, (left, right) = new_figure(width=5.6, height=3.2, ncols=2)
    left.plot(t, np.exp(-delta), "o-", ms=3, color=COLORS["linear"], lw=1.5)
    left.set(xlabel="time step $t$", ylabel=r"$\bar A_t = \exp(\Delta_t A)$", ylim=(-0.05, 1.05))
    left.set_title(
        rf"hold $\Delta$ = {10.0**hold_log10:.3g}, reset $\Delta$ = {10.0**reset_log10:.3g}",
        fontsize=10,
    )
    right.semilogy(t, factor.clip(min=1e-300), color=COLORS["linear"], lw=2)
    right.axhline(VANISH, color=COLORS["rnn"], ls=":", lw=1, label="$10^{-6}$")
    right.axvline(RESET_AT + 1, color=COLORS["bound"], ls="--", lw=1, label="reset token")
    right.set(
        xlabel="time step $t$",
        ylabel=r"$\partial h_T/\partial h_t$",
        ylim=(1e-12, 2),
    )
    kept = factor[RESET_AT - 1]
    right.set_title(
        f"left past the reset: {kept:.1e}" if kept > 0 else "nothing past the reset",
        fontsize=10,
    )
    right.legend(loc="lower left", fontsize=10)
    plain_log_ticks(right)  # no mathtext exponents: they would shrink below the explorers' minimum
    return fig


def results_figure(
    finals: dict[str, dict[str, list[float]]],
    baselines: dict[str, float],
    names: dict[str, str] | None = None,
) -> Figure:
    """One panel per task: the final held-out metric of every seed (dots) and the median
    (bar) per cell, with the task's chance level as a dotted line.
    ``finals[task][cell]`` lists one value per seed (cells by their ``make_model`` names,
    which pick the colours); ``names`` gives the labels shown."""
    names = names or {}
    fig, axes = new_figure(width=3.3 * len(finals), height=3.2, ncols=len(finals))
    for ax, (task, by_cell) in zip(axes, finals.items(), strict=True):
        for k, (cell, values) in enumerate(by_cell.items()):
            color = CELL_COLORS.get(cell, COLORS["bound"])
            kept = [v for v in values if not math.isnan(v)]
            ax.bar(k, np.median(kept) if kept else 0, color=color, alpha=0.35)
            ax.plot([k] * len(kept), kept, "o", color=color, ms=4)
        ax.axhline(baselines[task], color=COLORS["bound"], ls=":", lw=1.5, label="chance")
        ax.set_xticks(range(len(by_cell)), [names.get(c, c) for c in by_cell], rotation=45)
        ax.set_title(task, fontsize=10)
        ax.legend(fontsize=8, loc="best")
    return fig
