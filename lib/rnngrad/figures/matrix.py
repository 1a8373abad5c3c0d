"""Figures of Part VI (chapters 16 and 17): the delta rule's erase along its key, the matrix
memories' gradient through time, and one unit tracking the parity; each explorer's figure with
its chart for the HTML book (``rnngrad.figures.chart``)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .chart import DASHED, DOTTED, Chart, Line, Panel, Rule
from .style import COLORS, new_figure, plain_log_ticks

MEMORY_COLORS = {
    "linear attention": COLORS["rnn"],
    "RetNet": COLORS["bound"],
    "Mamba-2": "#ff7f0e",
    "GLA": COLORS["gru"],
    "DeltaNet": COLORS["linear"],
}


def reflection_figure(reach: dict, beta: float, angle_deg: float) -> Figure:
    """Explorer figure: the gradient g = (1, 0) carried back n steps through I - beta k k^T
    with one key k: left, its components along k (shrinking as (1 - beta)^n, changing sign for
    beta > 1) and across k (kept); right, its norm, measured (dots) and in closed form (line),
    on a log scale. ``reach`` from ``rnngrad.measure.matrix.reflection_reach``."""
    fig, (left, right) = new_figure(width=5.6, height=3.2, ncols=2)
    n = reach["steps"]
    left.plot(n, reach["along"], color=COLORS["rnn"], lw=1.5, marker="o", ms=2, label="along $k$")
    left.plot(n, reach["across"], color=COLORS["lstm"], lw=1.5, ls="--", label="across $k$")
    low, high = reach["eigenvalues"]
    left.set(xlabel="steps back $n$", ylabel="component of $g A^n$", ylim=(-1.05, 1.05))
    left.set_title(f"eigenvalues {low:.2f} and {high:.2f}", fontsize=10)
    left.legend(loc="lower right", fontsize=9)
    right.semilogy(
        n, reach["closed"].clip(min=1e-12), color=COLORS["linear"], lw=2, label="closed form"
    )
    right.semilogy(
        n, reach["measured"].clip(min=1e-12), "o", ms=2, color=COLORS["lstm"], label="measured"
    )
    right.set(xlabel="steps back $n$", ylabel=r"$\|g\,A^n\|$", ylim=(1e-6, 2))
    right.set_title(rf"$\beta$ = {beta:.2f}, key at {angle_deg:.0f}°", fontsize=10)
    right.legend(loc="lower left", fontsize=10)
    plain_log_ticks(right)
    return fig


def reflection_chart(reach: dict, beta: float, angle_deg: float) -> Chart:
    """``reflection_figure`` as a chart for the HTML book."""
    n = reach["steps"]
    low, high = reach["eigenvalues"]
    left = Panel(
        n, "steps back n", "component of g Aⁿ", (-1.05, 1.05), yticks=[-1, -0.5, 0, 0.5, 1],
        title=f"eigenvalues {low:.2f} and {high:.2f}",
        lines=[Line(reach["along"], COLORS["rnn"], "along k", width=1.5, marker=2.0),
               Line(reach["across"], COLORS["lstm"], "across k", width=1.5, dash=DASHED)],
    )  # fmt: skip
    right = Panel(
        n, "steps back n", "‖g Aⁿ‖", (1e-6, 2), ylog=True,
        yticks=[10.0**e for e in range(-6, 1, 2)],
        title=f"β = {beta:.2f}, key at {angle_deg:.0f}°",
        lines=[Line(reach["closed"].clip(min=1e-12), COLORS["linear"], "closed form"),
               Line(reach["measured"].clip(min=1e-12), COLORS["lstm"], "measured", marker=2.0,
                    stroke=False)],
    )  # fmt: skip
    return Chart([left, right])


def memory_reach_figure(reach: dict) -> Figure:
    """The gradient's norm n steps back through each matrix memory, inside the keys' subspace
    (solid) and outside it (dashed). The delta rule's outside curve is also marked with dots,
    since at exactly 1 it lies on linear attention's lines. ``reach`` from
    ``rnngrad.measure.matrix.memory_reach``."""
    fig, (ax,) = new_figure(width=6.4, height=3.6)
    for name, curves in reach.items():
        color = MEMORY_COLORS.get(name, COLORS["bound"])
        n = np.arange(len(curves["inside"]))
        ax.semilogy(n, curves["inside"].clip(min=1e-300), color=color, lw=2, label=name)
        dots = name == "DeltaNet"
        marks = {"marker": "o", "ms": 4, "markevery": max(1, len(n) // 10)} if dots else {}
        outside = curves["outside"].clip(min=1e-300)
        ax.semilogy(n, outside, color=color, lw=1.2, ls="--", zorder=3, **marks)
    ax.set(xlabel="steps back $n$", ylabel=r"$\|\partial S_T / \partial S_{T-n}\|$", ylim=(1e-8, 3))
    ax.legend(fontsize=9, loc="lower left", title="solid: inside the keys' span; dashed: outside (dots: DeltaNet's)",
              title_fontsize=9)  # fmt: skip
    plain_log_ticks(ax)
    return fig


def one_unit_parity_figure(run: dict, toggle: float, keep: float) -> Figure:
    """Explorer figure for chapter 17: left, the one unit's state h_t (line) against the
    running parity (dots) on one bit string, with the decision threshold 1/2; right, the
    gradient factor |dh_T/dh_t| on a log scale. ``run`` from
    ``rnngrad.measure.matrix.one_unit_parity``."""
    fig, (left, right) = new_figure(width=5.6, height=3.2, ncols=2)
    t = np.arange(1, len(run["states"]) + 1)
    left.plot(t, run["parity"], "o", ms=3, color=COLORS["bound"], label="parity")
    left.plot(t, run["states"], color=COLORS["linear"], lw=1.5, label="$h_t$")
    left.axhline(0.5, color=COLORS["rnn"], ls=":", lw=1)
    left.set(xlabel="time step $t$", ylabel="$h_t$", ylim=(-1.6, 2.1))
    left.set_title(f"right at {100 * run['correct']:.0f} % of steps", fontsize=10)
    left.legend(loc="lower left", fontsize=9, ncols=2)
    right.semilogy(t, run["gradient"].clip(min=1e-300), color=COLORS["linear"], lw=2)
    right.set(xlabel="time step $t$", ylabel=r"$|\partial h_T/\partial h_t|$", ylim=(1e-12, 2))
    right.set_title(f"a(1) = {toggle:.2f}, a(0) = {keep:.2f}", fontsize=10)
    plain_log_ticks(right)
    return fig


def one_unit_parity_chart(run: dict, toggle: float, keep: float) -> Chart:
    """``one_unit_parity_figure`` as a chart for the HTML book."""
    t = np.arange(1, len(run["states"]) + 1)
    left = Panel(
        t, "time step t", "hₜ", (-1.6, 2.1), title=f"right at {100 * run['correct']:.0f} % of steps",
        lines=[Line(run["parity"].astype(float), COLORS["bound"], "parity", marker=2.5, stroke=False),
               Line(run["states"], COLORS["linear"], "hₜ", width=1.5)],
        rules=[Rule(0.5, "y", COLORS["rnn"], None, dash=DOTTED)],
    )  # fmt: skip
    right = Panel(
        t, "time step t", "|∂h_T/∂hₜ|", (1e-12, 2), ylog=True,
        yticks=[10.0**e for e in range(-12, 1, 3)],
        title=f"a(1) = {toggle:.2f}, a(0) = {keep:.2f}",
        lines=[Line(run["gradient"].clip(min=1e-300), COLORS["linear"], None)],
    )  # fmt: skip
    return Chart([left, right])
