"""Figures that draw what the library measured: each function calls one measurement (in
``probe`` or ``claims``) and only draws it, in the book's style (``rnngrad.style``)."""

from __future__ import annotations

import math

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, NullFormatter

from .claims import elementwise_gating, forget_activations, forget_gate_decay, random_lstm
from .init import set_forget_bias_, with_singular_values
from .probe import rnn_jacobian_norms
from .style import COLORS, EXPLODE, VANISH, new_figure

_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _pos=None) -> str:
    """'10⁻⁶' for 1e-6 (Unicode superscripts), '' between the powers of ten."""
    if not value > 0:
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return "10" + str(round(exponent)).translate(_SUPERSCRIPT)


def plain_log_ticks(ax) -> None:
    """Label a log-scaled y axis 10⁻⁶, 10⁰, ... in plain text rather than mathtext: an
    explorer draws dozens of frames, and parsing the tick labels as mathtext was half the
    time of each."""
    ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.yaxis.set_minor_formatter(NullFormatter())


def singular_value_figure(
    sigma_1: float,
    sigma_2: float,
    input_scale: float = 1.0,
    n: int = 2,
    steps: int = 60,
    seed: int = 0,
) -> Figure:
    """||dh_t/dh_0|| over t for a linear and a tanh RNN whose n x n recurrent matrix has
    singular values spread from sigma_1 to sigma_2, with the bound sigma_max^t."""
    n = int(round(n))  # a slider hands over floats
    g = torch.Generator().manual_seed(seed)
    w = with_singular_values(np.linspace(sigma_1, sigma_2, n), generator=g)
    t = np.arange(1, steps + 1)
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt); the legend sits under the
    # axes, where neither the curves nor the bound can run through it.
    fig, (ax,) = new_figure(width=5.6, height=4.6)
    floor, ceiling = 1e-14, 1e14
    for kind in ("linear", "tanh"):
        norms = rnn_jacobian_norms(w, steps, nonlinearity=kind, input_scale=input_scale, seed=seed)
        norms = norms.clamp(floor, ceiling).numpy()
        ax.semilogy(t, norms, color=COLORS[kind], lw=2, label=f"{kind} RNN")
        for threshold, verb in ((VANISH, "vanishes"), (EXPLODE, "explodes")):
            crossed = np.flatnonzero(norms < threshold if verb == "vanishes" else norms > threshold)
            if crossed.size:  # marked on the curve, named in the legend (no text on the curves)
                k = crossed[0]
                ax.plot(
                    t[k],
                    norms[k],
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


def forget_bias_figure(forget_bias: float, steps: int = 60, seed: int = 0) -> Figure:
    """The forget-bias explorer's figure: closed-form and measured decay, memory time marked."""
    closed, measured = forget_gate_decay(forget_bias, steps, seed=seed)
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
    ax.set_ylabel("gradient reaching $c_{T-\\mathrm{lag}}$")
    ax.set_title(f"forget-gate bias $b_f = {forget_bias:.1f}$")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8)  # outside: never on data
    plain_log_ticks(ax)
    return fig


def gating_figure(forget_bias: float, steps: int = 30, hidden: int = 32, seed: int = 0) -> Figure:
    """Part IV's gate explorer: a random gradient carried back through the forget gates of
    a random LSTM (forget bias b_f) on a random sequence: its length and its cosine to
    the original, k steps back."""
    lstm = random_lstm(hidden, seed=seed)
    set_forget_bias_(lstm, forget_bias)
    x = torch.randn(1, steps, hidden, generator=torch.Generator().manual_seed(seed))
    ratio, cosine = elementwise_gating(forget_activations(lstm, x.double())[0], seed=seed)
    k = np.arange(1, steps + 1)
    fig, axes = new_figure(width=8.0, height=3.0, ncols=2)
    axes[0].semilogy(k, ratio.numpy(), color=COLORS["lstm"], lw=2)
    axes[0].set_ylim(1e-16, 2)
    axes[0].set_ylabel(r"$\|g_k\| \,/\, \|g\|$")
    axes[1].plot(k, cosine.numpy(), color=COLORS["lstm"], lw=2)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_ylabel(r"$\cos(g_k, g)$")
    for ax in axes:
        ax.set_xlabel("steps back $k$")
    fig.suptitle(
        f"forget-gate bias $b_f = {forget_bias:.1f}$: length and direction of the gradient"
    )
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
