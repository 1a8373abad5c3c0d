"""Figures of Part VI (chapters 16 and 17): the delta rule's erase as a map of the key plane,
the matrix memories' gradient through time, and the state-tracking probe."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .style import COLORS, new_figure, plain_log_ticks

MEMORY_COLORS = {
    "linear attention": COLORS["rnn"],
    "RetNet": COLORS["bound"],
    "Mamba-2": "#ff7f0e",
    "GLA": COLORS["gru"],
    "DeltaNet": COLORS["linear"],
}


def reflection_figure(reach: dict, beta: float, angle_deg: float) -> Figure:
    """Explorer figure: left, the unit circle of the key plane and its image under
    I - beta k k^T (the key drawn, both eigenvalues named); right, the norm of the gradient
    g = (1, 0) carried back n steps by the same transition, measured (dots) and closed form
    (line). ``reach`` from ``rnngrad.measure.matrix.reflection_reach``."""
    fig, (left, right) = new_figure(width=5.6, height=3.2, ncols=2)
    phi = np.linspace(0, 2 * np.pi, 200)
    circle = np.stack([np.cos(phi), np.sin(phi)])
    image = reach["transition"] @ circle
    left.plot(*circle, color=COLORS["bound"], lw=1, ls=":")
    left.plot(*image, color=COLORS["linear"], lw=2)
    k = reach["key"]
    left.annotate("", xy=k, xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": COLORS["rnn"]})
    left.text(1.05 * k[0], 1.05 * k[1] + 0.05, "$k$", color=COLORS["rnn"], fontsize=11)
    left.annotate(
        "", xy=(1, 0), xytext=(0, 0), arrowprops={"arrowstyle": "->", "color": COLORS["lstm"]}
    )
    left.set(
        xlim=(-1.4, 1.4), ylim=(-1.4, 1.4), aspect="equal", xticks=[-1, 0, 1], yticks=[-1, 0, 1]
    )
    low, high = reach["eigenvalues"]
    left.set_title(f"eigenvalues {low:.2f} and {high:.2f}", fontsize=10)
    n = np.arange(len(reach["measured"]))
    right.semilogy(
        n, reach["closed"].clip(min=1e-12), color=COLORS["linear"], lw=2, label="closed form"
    )
    right.semilogy(
        n[::3],
        reach["measured"][::3].clip(min=1e-12),
        "o",
        ms=3,
        color=COLORS["lstm"],
        label="measured",
    )
    right.set(xlabel="steps back $n$", ylabel=r"$\|g\,A^n\|$", ylim=(1e-6, 2))
    right.set_title(rf"$\beta$ = {beta:.2f}, key at {angle_deg:.0f}°", fontsize=10)
    right.legend(loc="lower left", fontsize=10)
    plain_log_ticks(right)
    return fig


def memory_reach_figure(reach: dict) -> Figure:
    """The gradient's norm n steps back through each matrix memory, inside the keys' subspace
    (solid) and outside it (dashed). ``reach`` from ``rnngrad.measure.matrix.memory_reach``."""
    fig, (ax,) = new_figure(width=6.4, height=3.6)
    for name, curves in reach.items():
        color = MEMORY_COLORS.get(name, COLORS["bound"])
        n = np.arange(len(curves["inside"]))
        ax.semilogy(n, curves["inside"].clip(min=1e-300), color=color, lw=2, label=name)
        ax.semilogy(n, curves["outside"].clip(min=1e-300), color=color, lw=1.2, ls="--")
    ax.set(xlabel="steps back $n$", ylabel=r"$\|\partial S_T / \partial S_{T-n}\|$", ylim=(1e-8, 3))
    ax.legend(fontsize=9, loc="lower left", title="solid: inside the keys' span; dashed: outside",
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
