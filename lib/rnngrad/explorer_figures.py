"""Figures behind the explorers of chapters 1, 4, 6, 7 and 9: one knob each, cheap to redraw.

Each function takes the slider values and returns a matplotlib Figure. Whatever does not
depend on the slider (a random cell's gradients, a batch of gradient norms) is measured once
and cached, so a grid of frames costs little more than drawing it; nothing here trains.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from .init import scaled_orthogonal, set_forget_bias_, set_update_bias_
from .plots import plain_log_ticks
from .probe import rnn_jacobian_norms
from .style import COLORS, new_figure

REACH = 1e-3  # "reach": how many steps back the gradient stays above this fraction
PRODUCT_FLOOR = 1e-26  # chapter 1's explorer: below every product its slider values give


def reach_steps(norms: np.ndarray, floor: float = REACH) -> int:
    """Steps back before the relative gradient first drops below ``floor`` (all: len)."""
    below = np.flatnonzero(np.asarray(norms) < floor)
    return int(below[0]) if below.size else len(norms)


# -- chapter 1: the product of factors ----------------------------------------------------
@functools.lru_cache(maxsize=64)
def scalar_factors(w: float, steps: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The factors dh_t/dh_{t-1} of a one-unit RNN h_t = tanh(w h_{t-1} + x_t) (x_t ~ N(0, 1),
    fixed by ``seed``): (linear RNN's factors, tanh RNN's factors), t = 1..steps."""
    x = np.random.default_rng(seed).normal(size=steps)
    h, tanh_factors = 0.0, []
    for t in range(steps):
        h = math.tanh(w * h + x[t])
        tanh_factors.append(w * (1 - h * h))
    return np.full(steps, w), np.array(tanh_factors)


def product_of_factors_figure(w: float, steps: int = 40) -> Figure:
    """Chapter 1's explorer: each step's factor w * tanh'(a_t) and their running product
    |dh_T/dh_{T-k}|, for a linear and a tanh one-unit RNN with recurrent weight w."""
    linear, tanh = scalar_factors(round(w, 6), steps)
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


# -- chapter 4: the GRU's update gate -----------------------------------------------------
@functools.lru_cache(maxsize=64)
def gru_gradient_reach(
    update_bias: float, steps: int = 60, hidden: int = 32, seed: int = 0
) -> np.ndarray:
    """||dL/dh_{T-k}|| / ||dL/dh_T||, k = 0..steps-1, for a random GRU (PyTorch's default
    weights, update-gate bias b_z) on random inputs, L a random projection of h_T."""
    torch.manual_seed(seed)
    gru = nn.GRU(hidden, hidden, batch_first=True).double()
    with torch.no_grad():
        set_update_bias_(gru, update_bias)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(16, steps, hidden, generator=g, dtype=torch.float64)
    cell = nn.GRUCell(hidden, hidden).double()
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in gru.state_dict().items()})
    h = torch.zeros(16, hidden, dtype=torch.float64, requires_grad=True)
    states = []
    for t in range(steps):
        states.append(h)  # h_t enters step t + 1; the gradient reaches it through every step after
        h = cell(x[:, t], h)
    states = states[1:] + [h]
    loss = (h @ torch.randn(hidden, generator=g, dtype=torch.float64)).sum()
    grads = torch.autograd.grad(loss, states)
    norms = torch.stack([gr.norm(dim=-1).mean() for gr in grads]).numpy()[::-1]
    return norms / norms[0]


def gru_update_gate_figure(update_bias: float, steps: int = 60) -> Figure:
    """Chapter 4's explorer: how far back a random GRU's gradient reaches, by update-gate
    bias b_z (PyTorch's convention: z keeps the old state), with sigma(b_z)^k for reference."""
    measured = gru_gradient_reach(round(update_bias, 6), steps)
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
    ax.set_title(f"update-gate bias $b_z = {update_bias:.1f}$: above $10^{{-3}}$ for {reached}")
    plain_log_ticks(ax)
    return fig


# -- chapter 6: the start ------------------------------------------------------------------
@functools.lru_cache(maxsize=64)
def rnn_start_reach(sigma: float, steps: int = 60, hidden: int = 32, seed: int = 0) -> np.ndarray:
    """||dh_t/dh_0|| of a tanh RNN started with every singular value of W_hh at ``sigma``."""
    w = scaled_orthogonal(hidden, sigma, generator=torch.Generator().manual_seed(seed))
    return rnn_jacobian_norms(w.double(), steps, input_scale=0.5, seed=seed).numpy()


@functools.lru_cache(maxsize=16)
def lstm_start_reach(forget_bias: float, steps: int = 60, hidden: int = 16, seed: int = 0):
    """||dL/dc_{T-k}|| / ||dL/dc_T|| of a random LSTM started with forget bias b_f."""
    from .claims import forget_gate_decay

    return forget_gate_decay(forget_bias, steps, hidden=hidden, seed=seed)[1]


def initialisation_figure(sigma: float, forget_bias: float, steps: int = 60) -> Figure:
    """Chapter 6's explorer: what the start sets. A tanh RNN whose recurrent singular values
    all start at sigma, beside an LSTM whose forget bias starts at b_f: how far back the
    gradient reaches at step 0 of training."""
    rnn = rnn_start_reach(round(sigma, 6), steps)
    lstm = lstm_start_reach(round(forget_bias, 6), steps)
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
        loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=10, title="reach above $10^{-3}$"
    )
    ax.set_title(f"at the start: $\\sigma = {sigma:.2f}$ (RNN), $b_f = {forget_bias:.1f}$ (LSTM)")
    return fig


# -- chapter 7: clipping -------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def exploding_gradient_norms(batches: int = 40, sigma: float = 2.0, seed: int = 0) -> np.ndarray:
    """||g|| of the adding problem's loss gradient (T = 50) for a tanh RNN started with every
    recurrent singular value at ``sigma`` (an exploding start), one batch of 32 at a time."""
    from .init import set_recurrent_singular_values_
    from .model import make_model
    from .tasks import AddingProblem

    torch.manual_seed(seed)
    task = AddingProblem(50)
    model = make_model("rnn", task, hidden_size=32)
    set_recurrent_singular_values_(model.rnn, sigma, generator=torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(seed)
    norms = []
    for _ in range(batches):
        x, y = task.sample(32, g)
        model.zero_grad()
        task.loss(model(x), y).backward()
        norms.append(torch.sqrt(sum((p.grad**2).sum() for p in model.parameters())).item())
    return np.array(norms)


def clipping_figure(log10_threshold: float) -> Figure:
    """Chapter 7's explorer: norm clipping at tau = 10^x on the gradients of an exploding
    start. Each batch's gradient norm before clipping and the norm of the step taken after
    (min(||g||, tau)); the direction is kept."""
    tau = 10.0**log10_threshold
    norms = exploding_gradient_norms()
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


# -- chapter 9: the cue's distance ---------------------------------------------------------
@functools.lru_cache(maxsize=8)
def input_gradient_profile(cell: str, length: int = 80, hidden: int = 32, seed: int = 0):
    """||dL/dx_t|| / ||dL/dx_T|| for t = 1..length of an untrained one-layer cell (LSTM with
    forget bias 1), L a random projection of the last state, averaged over a batch of 16."""
    torch.manual_seed(seed)
    module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](4, hidden, batch_first=True)
    if cell == "lstm":
        with torch.no_grad():
            set_forget_bias_(module, 1.0)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(16, length, 4, generator=g).requires_grad_(True)
    out, _ = module(x)
    (out[:, -1] @ torch.randn(hidden, generator=g)).sum().backward()
    norms = x.grad.norm(dim=-1).mean(0).numpy()
    return norms / norms[-1]


def cue_distance_figure(distance: float, length: int = 80) -> Figure:
    """Chapter 9's explorer: a cue ``distance`` steps before the answer; how much of the
    answer's gradient reaches the cue's input in an untrained RNN, LSTM and GRU."""
    d = int(round(distance))
    t = np.arange(1, length + 1)
    fig, (ax,) = new_figure(width=6.4, height=3.4)
    said = []
    for cell in ("rnn", "lstm", "gru"):
        profile = input_gradient_profile(cell, length)
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
