"""Figures of Part V's non-gated recurrences (leaky units, the shrinking Jacobian): draw only."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from .style import COLORS, new_figure


def leaky_reach_figure(
    measured: np.ndarray, no_weights: np.ndarray, bound: np.ndarray, leak: float, scale: float
) -> Figure:
    """Gradient reach of a leaky unit over lags k = 0..steps-1: measured
    (``rnngrad.measure.reach.leaky_gradient_reach``), alpha^k (no recurrent weights) and the
    bound (alpha + (1 - alpha) s)^k (``leaky_reach_bounds``), with the e-folding time
    -1/ln(alpha) marked."""
    lags = np.arange(len(measured))
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt) so nothing is rescaled; the
    # legend sits under the axes, where no curve can run through it.
    fig, (ax,) = new_figure(width=5.6, height=4.0)
    ax.semilogy(lags, measured, color=COLORS["rnn"], lw=2, label="measured (random leaky RNN)")
    ax.semilogy(lags, no_weights, color="k", ls="--", lw=1.2, label=r"$\alpha^k$ (no $W_{hh}$)")
    ax.semilogy(lags, bound, color=COLORS["bound"], ls=":", lw=1.5,
                label=r"bound $(\alpha + (1-\alpha)s)^k$")  # fmt: skip
    tau_e = -1 / math.log(leak)
    ax.axvline(tau_e, color=COLORS["lstm"], lw=1, label=rf"e-folding time $\tau_e$ = {tau_e:.1f}")
    ax.set_ylim(1e-8, 1e2)
    ax.set_xlabel("lag $k$ (steps back from the last)")
    ax.set_ylabel(r"$\|\partial L/\partial h_{T-k}\| / \|\partial L/\partial h_T\|$")
    ax.set_title(rf"leak $\alpha$ = {leak:.2f}, singular values $s$ = {scale:.2f}", fontsize=10)
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    return fig


def jacobian_shrink_figure(norms: dict[str, np.ndarray], input_scale: float, u: float) -> Figure:
    """||dh_t/dh_0|| over t for an orthogonal recurrent matrix with no nonlinearity, with tanh
    and with ReLU, for the identity with ReLU (IRNN) and for IndRNN at its bound u (gamma =
    2): the linear part keeps the norm, the nonlinearity takes its share. ``norms`` and ``u``
    as ``rnngrad.measure.reach.jacobian_shrink_norms`` returns them, t = 1..steps."""
    steps = len(norms["orthogonal tanh"])
    curves = {  # label: measured curve, colour, line style, width, drawing order
        "orthogonal, tanh": ("orthogonal tanh", COLORS["tanh"], "-", 2, 2),
        "orthogonal, ReLU": ("orthogonal relu", COLORS["gru"], "-", 2, 2),
        "identity, ReLU (IRNN)": ("identity relu", COLORS["lstm"], "-", 3.5, 1),
        rf"diag($u = 2^{{1/{steps}}}$ = {u:.4f}), ReLU (IndRNN)": (
            "indrnn relu", "#8c564b", ":", 2, 3),
        "orthogonal, linear": ("orthogonal linear", COLORS["linear"], (0, (4, 2)), 1.5, 4),
    }  # fmt: skip
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt); the legend sits under the
    # axes, where no curve runs through it.
    fig, (ax,) = new_figure(width=5.6, height=4.6)
    t = range(1, steps + 1)
    for label, (key, color, ls, lw, z) in curves.items():
        shown = np.where(norms[key] <= 0, np.nan, norms[key])  # exactly 0 (dead ReLU): no point
        ax.semilogy(t, shown, color=color, ls=ls, lw=lw, zorder=z, label=label)
    # Tanh falls to 5e-20 by step 100 with input scale 1 and to 8e-32 with scale 2: the same
    # y range in every frame, with room for the lowest.
    ax.set_ylim(1e-34, 1e2)
    ax.set_yticks([10.0**e for e in range(-32, 1, 4)])
    ax.set_xlabel("steps $t$")
    ax.set_ylabel(r"$\|\partial h_t/\partial h_0\|_2$")
    ax.set_title(f"pre-activation noise, standard deviation {input_scale:.2f}", fontsize=10)
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    return fig
