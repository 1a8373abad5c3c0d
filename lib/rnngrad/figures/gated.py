"""Figures of the gradient in the plain, LSTM and GRU cells (Parts I-IV): each takes what
``rnngrad.measure`` measured and draws it in the book's style; none measures."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..measure.reach import REACH, reach_steps
from .style import COLORS, EXPLODE, VANISH, new_figure, plain_log_ticks

PRODUCT_FLOOR = 1e-26  # chapter 1's explorer: below every product its slider values give


def product_of_factors_figure(linear: np.ndarray, tanh: np.ndarray, w: float) -> Figure:
    """Chapter 1's explorer: each step's factor w * tanh'(a_t) and their running product
    |dh_T/dh_{T-k}|, for a linear and a tanh one-unit RNN with recurrent weight w, given the
    factors of each (``rnngrad.measure.reach.scalar_factors``), t = 1..steps."""
    steps = len(linear)
    k = np.arange(1, steps + 1)
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt); each panel's legend sits
    # under its axes, where no factor, product or reference line can run through it.
    fig, (left, right) = new_figure(width=5.6, height=4.0, ncols=2)
    left.plot(k, linear, color=COLORS["linear"], lw=2, label=r"linear: $w$")
    left.plot(k, np.abs(tanh), "o-", color=COLORS["tanh"], ms=3, label=r"tanh: $|w\,(1 - h_t^2)|$")
    left.axhline(1, color=COLORS["bound"], ls="--", lw=1)
    left.set_ylim(0, 2.1)
    left.set_yticks([0, 0.5, 1, 1.5, 2])  # fixed: the layout does not change the tick labels
    left.set_xlabel(r"step $t$")
    left.set_ylabel(r"factor $|\partial h_t/\partial h_{t-1}|$")
    left.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=10)
    for name, factors in (("linear", linear), ("tanh", tanh)):
        exact = np.cumprod(np.abs(factors[::-1]))
        product = np.clip(exact, PRODUCT_FLOOR, 1 / PRODUCT_FLOOR)
        right.semilogy(k, product, color=COLORS[name], lw=2, label=f"{name}: {exact[-1]:.1e}")
    right.axhline(1, color=COLORS["bound"], ls="--", lw=1)
    right.set_ylim(PRODUCT_FLOOR, 1e13)
    right.set_xlabel(r"steps back $k$")
    right.set_ylabel(r"product $|\partial h_T/\partial h_{T-k}|$")
    right.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=10, title=f"after {steps} steps"
    )
    fig.suptitle(f"recurrent weight $w = {w:.2f}$: the gradient is a product of {steps} factors")
    plain_log_ticks(right)
    return fig


def gru_update_gate_figure(measured: np.ndarray, update_bias: float) -> Figure:
    """Chapter 4's explorer: how far back a random GRU's gradient reaches, by update-gate
    bias b_z (PyTorch's convention: z keeps the old state), with sigma(b_z)^k for reference.
    ``measured``: ||dL/dh_{T-k}|| / ||dL/dh_T||, k = 0..steps-1
    (``rnngrad.measure.reach.gru_gradient_reach``)."""
    steps = len(measured)
    z = 1 / (1 + math.exp(-update_bias))
    k = np.arange(steps)
    fig, (ax,) = new_figure(width=6.4, height=3.4)
    floor = 1e-16  # a curve ends where it leaves the axis, rather than running along its floor
    direct = np.where(z**k >= floor, z**k, np.nan)
    ax.semilogy(
        k,
        direct,
        "--",
        color=COLORS["bound"],
        label=rf"$\sigma(b_z)^k$, $\sigma(b_z) = {z:.3f}$",
    )
    ax.semilogy(
        k,
        np.where(measured >= floor, measured, np.nan),
        color=COLORS["gru"],
        lw=2,
        label="random GRU, measured",
    )
    reach = reach_steps(measured)
    ax.axhline(REACH, color=COLORS["bound"], lw=1, ls=":")
    ax.set_ylim(floor, 10)
    ax.set_xlabel(r"steps back $k$")
    ax.set_ylabel(r"$\|\partial L/\partial h_{T-k}\|$ (relative)")
    ax.legend(loc="lower left")
    reached = f"{reach} steps" if reach < steps else f"all {steps} steps"
    ax.set_title(f"update-gate bias $b_z = {update_bias:g}$: above $10^{{-3}}$ for {reached}")
    plain_log_ticks(ax)
    return fig


def initialisation_figure(
    rnn: np.ndarray, lstm: np.ndarray, sigma: float, forget_bias: float
) -> Figure:
    """Chapter 6's explorer: what the start sets. A tanh RNN whose recurrent singular values
    all start at sigma, beside an LSTM whose forget bias starts at b_f: how far back the
    gradient reaches at step 0 of training (``rnngrad.measure.reach.rnn_start_reach`` and
    ``lstm_start_reach``, one value per step back k = 1..steps)."""
    steps = len(rnn)
    k = np.arange(1, steps + 1)
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt); the legend sits under the
    # axes, where neither curve can run through it (a small sigma takes the RNN's curve down
    # the lower left, a large one up the upper left).
    fig, (ax,) = new_figure(width=5.6, height=4.3)
    ax.semilogy(
        k,
        np.clip(rnn, 1e-16, 1e8),
        color=COLORS["rnn"],
        lw=2,
        label=f"tanh RNN, $\\sigma = {sigma:.2f}$: {reach_steps(rnn)} steps",
    )
    ax.semilogy(
        k,
        np.clip(lstm, 1e-16, 1e8),
        color=COLORS["lstm"],
        lw=2,
        label=f"LSTM, $b_f = {forget_bias:.1f}$: {reach_steps(lstm)} steps",
    )
    ax.axhline(REACH, color=COLORS["bound"], lw=1, ls=":")
    ax.set_ylim(1e-16, 1e8)
    ax.set_yticks([10.0**e for e in range(-16, 9, 4)])
    ax.set_xlabel("steps back $k$")
    ax.set_ylabel("gradient reaching $k$ steps back")
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, -0.18),
        fontsize=10,
        title="horizon: steps back above $10^{-3}$",
    )
    ax.set_title(f"at the start: $\\sigma = {sigma:.2f}$ (RNN), $b_f = {forget_bias:.1f}$ (LSTM)")
    return fig


def clipping_figure(norms: np.ndarray, log10_threshold: float) -> Figure:
    """Chapter 7's explorer: norm clipping at tau = 10^x on the gradients of an exploding
    start. Each batch's gradient norm before clipping (``norms``, from
    ``rnngrad.measure.reach.exploding_gradient_norms``) and the norm of the step taken after
    (min(||g||, tau)); the direction is kept."""
    tau = 10.0**log10_threshold
    clipped = np.minimum(norms, tau)
    b = np.arange(1, len(norms) + 1)
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt); the legend sits under the
    # axes, where the clipped steps (along the threshold, from 10 to 10^4) cannot reach it.
    fig, (ax,) = new_figure(width=5.6, height=4.0)
    ax.semilogy(b, norms, "o", color=COLORS["rnn"], ms=4, label=r"$\|g\|$ before clipping")
    ax.semilogy(
        b,
        clipped,
        "s-",
        color=COLORS["lstm"],
        ms=3,
        lw=1.5,
        label=r"$\|\mathrm{step}\| / \eta$ after clipping",
    )
    ax.axhline(tau, color=COLORS["bound"], ls="--", lw=1, label=f"threshold τ = {tau:.3g}")
    ax.set_ylim(1.0, max(1e5, norms.max() * 3))
    ax.set_xlabel("batch")
    ax.set_ylabel("gradient norm")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncols=2, fontsize=10)
    cut = int((norms > tau).sum())
    ax.set_title(f"τ = {tau:.3g}: {cut} of {len(norms)} steps shortened, none turned")
    return fig


def cue_distance_figure(profiles: dict[str, np.ndarray], distance: float) -> Figure:
    """Chapter 9's explorer: a cue ``distance`` steps before the answer; how much of the
    answer's gradient reaches the cue's input in an untrained RNN, LSTM and GRU.
    ``profiles[cell]`` (cells ``"rnn"``, ``"lstm"``, ``"gru"``): ||dL/dx_t|| / ||dL/dx_T||,
    t = 1..length (``rnngrad.measure.reach.input_gradient_profile``)."""
    d = int(round(distance))
    length = len(profiles["rnn"])
    t = np.arange(1, length + 1)
    fig, (ax,) = new_figure(width=6.4, height=3.4)
    said = []
    for cell in ("rnn", "lstm", "gru"):
        profile = profiles[cell]
        at_cue = profile[length - 1 - d]
        ax.semilogy(
            t,
            profile,
            color=COLORS[cell],
            lw=2,
            label=f"{cell.upper()}: {at_cue:.1e} at the cue",
        )
        ax.plot(length - d, at_cue, "o", color=COLORS[cell], ms=7)
        said.append(at_cue)
    ax.axvline(length - d, color=COLORS["bound"], ls="--", lw=1)
    ax.set_ylim(1e-23, 10)  # the RNN's profile falls to 4e-22 at t = 1: every frame inside
    ax.set_xlabel(f"input position t (the answer is read after t = {length})")
    ax.set_ylabel(r"$\|\partial L/\partial x_t\|$ (relative to $t = T$)")
    ax.legend(loc="lower right", title="gradient reaching the cue")
    ax.set_title(f"cue {d} steps before the answer")
    return fig


def singular_value_figure(
    norms: dict[str, np.ndarray],
    sigma_1: float,
    sigma_2: float,
    input_scale: float,
    n: int,
) -> Figure:
    """||dh_t/dh_0|| over t for a linear and a tanh RNN whose n x n recurrent matrix has
    singular values spread from sigma_1 to sigma_2, with the bound sigma_max^t. ``norms``:
    ``{"linear": ..., "tanh": ...}``, t = 1..steps
    (``rnngrad.measure.reach.singular_value_norms``)."""
    steps = len(norms["linear"])
    t = np.arange(1, steps + 1)
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt); the legend sits under the
    # axes, where neither the curves nor the bound can run through it.
    fig, (ax,) = new_figure(width=5.6, height=4.6)
    floor, ceiling = 1e-14, 1e14
    for kind in ("linear", "tanh"):
        shown = np.clip(norms[kind], floor, ceiling)
        ax.semilogy(t, shown, color=COLORS[kind], lw=2, label=f"{kind} RNN")
        for threshold, verb in ((VANISH, "vanishes"), (EXPLODE, "explodes")):
            crossed = np.flatnonzero(shown < threshold if verb == "vanishes" else shown > threshold)
            if crossed.size:  # marked on the curve, named in the legend (no text on the curves)
                k = crossed[0]
                ax.plot(
                    t[k],
                    shown[k],
                    "o",
                    color=COLORS[kind],
                    ms=7,
                    label=f"{kind} {verb} at t={t[k]}",
                )
    sigma_max = max(sigma_1, sigma_2)
    bound = np.clip(sigma_max ** t.astype(float), floor, ceiling)
    ax.semilogy(t, bound, "--", color=COLORS["bound"], label=r"bound $\sigma_{\max}^t$")
    ax.axhspan(floor, VANISH, color="#1f77b4", alpha=0.07)
    ax.axhspan(EXPLODE, ceiling, color="#d62728", alpha=0.07)
    ax.set_ylim(floor, ceiling)
    ax.set_xlabel("time step $t$ (the product runs from step 1 to t)")
    ax.set_ylabel(r"$\|\partial h_t / \partial h_0\|_2$")
    ax.set_title(
        rf"${n}\times{n}$: $\sigma_1={sigma_1:.2f}$, $\sigma_2={sigma_2:.2f}$, "
        f"input scale {input_scale:.2f}"
    )
    ax.set_yticks([10.0**e for e in range(-14, 15, 4)])
    # Two columns of three rows in every frame, so the axes keep their size as the sliders
    # move: the linear RNN, its mark and the bound on the left, the tanh RNN and its mark on
    # the right; an empty slot where a curve crosses no threshold.
    found = dict(zip(*reversed(ax.get_legend_handles_labels()), strict=True))  # label: handle
    blank = (Line2D([], [], alpha=0), "")
    columns = []
    for kind in ("linear", "tanh"):
        marks = [(found[lab], lab) for lab in found if lab.startswith(f"{kind} ") and "t=" in lab]
        columns.append(
            [(found[f"{kind} RNN"], f"{kind} RNN"), *marks, blank][: max(2, 1 + len(marks))]
        )
    columns[0] += [(handle, lab) for lab, handle in found.items() if lab.startswith("bound")]
    rows = max(len(c) for c in columns)
    slots = [entry for c in columns for entry in c + [blank] * (rows - len(c))]
    handles, labels = zip(*slots, strict=True)  # ncols=2 fills the first column, then the second
    ax.legend(
        handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2, fontsize=10
    )
    plain_log_ticks(ax)
    return fig


def forget_bias_figure(closed: np.ndarray, measured: np.ndarray, forget_bias: float) -> Figure:
    """The forget-bias explorer's figure: closed-form and measured decay over lags
    0..steps-1 (``rnngrad.measure.claims.forget_gate_decay``), memory time marked."""
    steps = len(measured)
    lag = np.arange(steps)
    f = 1 / (1 + math.exp(-forget_bias))
    fig, (ax,) = new_figure(width=8.4)
    ax.semilogy(
        lag,
        np.maximum(closed, 1e-30),
        "--",
        color=COLORS["bound"],
        label=rf"$\sigma(b_f)^{{\,\mathrm{{lag}}}}$, $\sigma(b_f)={f:.3f}$",
    )
    ax.semilogy(
        lag,
        np.maximum(measured, 1e-30),
        color=COLORS["lstm"],
        lw=2,
        label=r"measured $\|\partial L/\partial c_{T-\mathrm{lag}}\|$ (relative)",
    )
    tau = 1 / (1 - f)
    if tau <= steps:
        ax.axvline(
            tau, color=COLORS["lstm"], alpha=0.5, ls=":", label=f"memory time $1/(1-f) = {tau:.1f}$"
        )
    ax.set_ylim(1e-12, 10)
    ax.set_xlabel("lag (steps back from the loss)")
    ax.set_ylabel("gradient at $c_{T-\\mathrm{lag}}$")
    ax.set_title(f"forget-gate bias $b_f = {forget_bias:g}$")
    fig.legend(loc="outside lower center", ncols=2, fontsize=8)  # below the axes: never on data
    plain_log_ticks(ax)
    return fig


def gating_figure(ratio: np.ndarray, cosine: np.ndarray, forget_bias: float) -> Figure:
    """Part IV's gate explorer: a random gradient carried back through the forget gates of
    a random LSTM (forget bias b_f) on a random sequence: its length and its cosine to
    the original, k = 1..steps steps back (``rnngrad.measure.reach.forget_gating``)."""
    k = np.arange(1, len(ratio) + 1)
    fig, axes = new_figure(width=8.0, height=3.0, ncols=2)
    axes[0].semilogy(k, ratio, color=COLORS["lstm"], lw=2)
    axes[0].set_ylim(1e-16, 2)
    axes[0].set_ylabel(r"$\|g_k\| \,/\, \|g\|$")
    axes[1].plot(k, cosine, color=COLORS["lstm"], lw=2)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_ylabel(r"$\cos(g_k, g)$")
    for ax in axes:
        ax.set_xlabel("steps back $k$")
    fig.suptitle(f"forget-gate bias $b_f = {forget_bias:g}$: length and direction of the gradient")
    return fig


def gradient_norm_figure(norms: dict[str, np.ndarray], title: str = "") -> Figure:
    """||dL/dh_t|| over t, one line per label (e.g. per cell type)."""
    fig, (ax,) = new_figure()
    for label, values in norms.items():
        ax.semilogy(
            np.arange(1, len(values) + 1),
            values,
            lw=2,
            label=label,
            color=COLORS.get(label.split()[0].lower()),
        )
    ax.set_xlabel("time step $t$")
    ax.set_ylabel(r"$\|\partial L / \partial h_t\|$")
    ax.set_title(title)
    ax.legend()
    return fig
