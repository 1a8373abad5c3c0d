"""The book's figure style and its recurring figures.

Figures are built on ``matplotlib.figure.Figure`` directly (not pyplot), so drawing one never
leaves a stray figure behind in a notebook; every figure has a white background, which
stays readable when the book is in dark mode.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np
import torch
from matplotlib.figure import Figure

from .claims import elementwise_gating, forget_activations, random_lstm
from .init import set_forget_bias_, with_singular_values
from .model import SequenceModel
from .probe import probe, rnn_jacobian_norms
from .tasks import AddingProblem

COLORS = {
    "rnn": "#d62728",
    "lstm": "#1f77b4",
    "gru": "#2ca02c",
    "bound": "#7f7f7f",
    "linear": "#9467bd",
    "tanh": "#d62728",
}
VANISH, EXPLODE = 1e-6, 1e6

STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 10,
    "legend.frameon": False,
    "figure.dpi": 110,
}


def use_book_style() -> None:
    """Apply the book's style to every later figure; in a notebook kernel also switch on the
    inline display of figures, so a chapter can end a cell with ``fig``."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if getattr(shell, "kernel", None) is not None:  # a Jupyter kernel, not a plain script
        shell.run_line_magic("matplotlib", "inline")
    mpl.rcParams.update(STYLE)


def new_figure(width: float = 6.4, height: float = 3.6, ncols: int = 1) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0].tolist()
    return fig, axes


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
    fig, (ax,) = new_figure()
    floor, ceiling = 1e-14, 1e14
    for kind in ("linear", "tanh"):
        norms = rnn_jacobian_norms(w, steps, nonlinearity=kind, input_scale=input_scale, seed=seed)
        norms = norms.clamp(floor, ceiling).numpy()
        ax.semilogy(t, norms, color=COLORS[kind], lw=2, label=f"{kind} RNN")
        for threshold, verb in ((VANISH, "vanishes"), (EXPLODE, "explodes")):
            crossed = np.flatnonzero(norms < threshold if verb == "vanishes" else norms > threshold)
            if crossed.size:
                k = crossed[0]
                ax.plot(t[k], norms[k], "o", color=COLORS[kind], ms=7)
                ax.annotate(
                    f"{kind} {verb} at t={t[k]}",
                    (t[k], norms[k]),
                    xytext=(6, 6),
                    textcoords="offset points",
                    color=COLORS[kind],
                    fontsize=8,
                )
    sigma_max = max(sigma_1, sigma_2)
    bound = np.clip(sigma_max ** t.astype(float), floor, ceiling)
    ax.semilogy(t, bound, "--", color=COLORS["bound"], label=r"bound $\sigma_{\max}^t$")
    ax.axhspan(floor, VANISH, color="#1f77b4", alpha=0.07)
    ax.axhspan(EXPLODE, ceiling, color="#d62728", alpha=0.07)
    ax.set_ylim(floor, ceiling)
    ax.set_xlabel("steps back in time $t$")
    ax.set_ylabel(r"$\|\partial h_t / \partial h_0\|_2$")
    ax.set_title(
        rf"${n}\times{n}$: $\sigma_1={sigma_1:.2f}$, $\sigma_2={sigma_2:.2f}$, "
        f"input scale {input_scale:.2f}"
    )
    ax.legend(loc="lower left", fontsize=8)
    return fig


def forget_gate_decay(
    forget_bias: float, steps: int = 60, hidden: int = 16, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(closed form, measured) decay of the cell-state gradient over lags 0..steps-1.

    Closed form: sigma(b_f)^lag, the direct path with zero weights. Measured: a real LSTM
    (PyTorch's default random weights, forget bias b_f) replayed by ``probe`` on the adding
    problem; ||dL/dc_{T-lag}|| / ||dL/dc_T|| averaged over a batch.
    """
    torch.manual_seed(seed)
    task = AddingProblem(T=steps)
    model = SequenceModel("lstm", task.input_size, hidden, task.output_size)
    set_forget_bias_(model.rnn, forget_bias)
    x, y = task.sample(32, torch.Generator().manual_seed(seed))
    norms = probe(model, task, x, y).dL_dc.norm(dim=-1).mean(0).numpy()
    measured = norms[::-1] / norms[-1]
    closed = (1 / (1 + math.exp(-forget_bias))) ** np.arange(steps)
    return closed, measured


def forget_bias_figure(forget_bias: float, steps: int = 60, seed: int = 0) -> Figure:
    """The forget-bias explorer's figure: closed-form and measured decay, memory time marked."""
    closed, measured = forget_gate_decay(forget_bias, steps, seed=seed)
    lag = np.arange(steps)
    f = 1 / (1 + math.exp(-forget_bias))
    fig, (ax,) = new_figure()
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
        ax.axvline(tau, color=COLORS["lstm"], alpha=0.5, ls=":")
        ax.annotate(
            f"memory time 1/(1-f) = {tau:.1f}",
            (tau, 1e-1),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize=8,
        )
    ax.set_ylim(1e-12, 10)
    ax.set_xlabel("lag (steps back from the loss)")
    ax.set_ylabel("gradient reaching $c_{T-\\mathrm{lag}}$")
    ax.set_title(f"forget-gate bias $b_f = {forget_bias:.1f}$")
    ax.legend(loc="lower left", fontsize=8)
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


def unrolled_graph_figure(steps: int = 4) -> Figure:
    """The RNN unrolled in time: inputs, hidden states, the loss, and the backward path."""
    fig = Figure(figsize=(7.2, 2.8), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(-0.8, steps + 1.2)
    ax.set_ylim(-0.9, 2.3)
    arrow = dict(arrowstyle="-|>", color="#444444", lw=1.2, shrinkA=14, shrinkB=14)
    back = dict(
        arrowstyle="-|>",
        color=COLORS["rnn"],
        lw=1.4,
        ls="--",
        shrinkA=14,
        shrinkB=14,
        connectionstyle="arc3,rad=-0.35",
    )
    for t in range(steps + 1):
        ax.text(
            t,
            1,
            f"$h_{t}$" if t < steps else "$h_T$",
            ha="center",
            va="center",
            fontsize=12,
            bbox=dict(boxstyle="circle,pad=0.35", fc="#e8f0fb", ec=COLORS["lstm"]),
        )
        if t > 0:
            label = f"$x_{t}$" if t < steps else "$x_T$"
            ax.text(
                t,
                -0.45,
                label,
                ha="center",
                va="center",
                fontsize=11,
                bbox=dict(boxstyle="square,pad=0.3", fc="#f4f4f4", ec="#888888"),
            )
            ax.annotate("", (t, 1), (t, -0.45), arrowprops=arrow)
            ax.text(t + 0.08, 0.28, "$U$", fontsize=9, color="#444444")
            ax.annotate("", (t, 1), (t - 1, 1), arrowprops=arrow)
            ax.text(t - 0.55, 1.1, "$W$", fontsize=9, color="#444444")
            ax.annotate("", (t - 1, 1), (t, 1), arrowprops=back)
    ax.text(
        steps + 1,
        1,
        "$L$",
        ha="center",
        va="center",
        fontsize=12,
        bbox=dict(boxstyle="round,pad=0.35", fc="#fde8e8", ec=COLORS["rnn"]),
    )
    ax.annotate("", (steps + 1, 1), (steps, 1), arrowprops=arrow)
    ax.annotate("", (steps, 1), (steps + 1, 1), arrowprops=back)
    ax.text(
        steps / 2,
        2.0,
        r"backward: $\partial L/\partial h_{t-1} = W^\top \mathrm{diag}(\phi'(a_t))\,"
        r"\partial L/\partial h_t$",
        ha="center",
        color=COLORS["rnn"],
        fontsize=10,
    )
    return fig


def lstm_cell_figure() -> Figure:
    """The LSTM cell as a diagram: the cell-state line on top (multiply by f, add i*g) and
    the four gates reading [h_{t-1}, x_t] below."""
    fig = Figure(figsize=(7.0, 3.2), layout="constrained")
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 5)
    line = dict(arrowstyle="-|>", color="#444444", lw=1.3)
    carousel = dict(arrowstyle="-|>", color=COLORS["lstm"], lw=2.5)

    def node(x, y, text, color="#ffffff", edge="#444444", style="circle,pad=0.25"):
        ax.text(
            x,
            y,
            text,
            ha="center",
            va="center",
            fontsize=11,
            bbox=dict(boxstyle=style, fc=color, ec=edge),
        )

    # The cell-state path: c_{t-1} -> (x f) -> (+ i g) -> c_t.
    ax.annotate("", (2.9, 4.2), (0.6, 4.2), arrowprops=carousel)
    ax.annotate("", (5.6, 4.2), (3.3, 4.2), arrowprops=carousel)
    ax.annotate("", (9.4, 4.2), (6.0, 4.2), arrowprops=carousel)
    ax.text(0.3, 4.2, "$c_{t-1}$", ha="center", va="center", fontsize=12)
    ax.text(9.7, 4.2, "$c_t$", ha="center", va="center", fontsize=12)
    node(3.1, 4.2, r"$\times$", edge=COLORS["lstm"])
    node(5.8, 4.2, "$+$", edge=COLORS["lstm"])
    # Gates.
    gates = [
        (3.1, r"$f_t = \sigma$"),
        (4.9, r"$i_t = \sigma$"),
        (6.2, r"$g_t = \tanh$"),
        (7.9, r"$o_t = \sigma$"),
    ]
    for x, label in gates:
        node(x, 1.9, label, color="#f4f4f4", style="round,pad=0.3")
        ax.annotate("", (x, 1.55), (x, 0.75), arrowprops=line)
    ax.plot([1.2, 8.6], [0.6, 0.6], color="#444444", lw=1.3)
    ax.text(0.6, 0.6, "$[h_{t-1}, x_t]$", ha="center", va="center", fontsize=11)
    ax.annotate("", (3.1, 3.95), (3.1, 2.25), arrowprops=line)
    node(5.55, 3.05, r"$\times$")
    ax.annotate("", (5.38, 2.85), (4.9, 2.25), arrowprops=line)
    ax.annotate("", (5.72, 2.85), (6.2, 2.25), arrowprops=line)
    ax.annotate("", (5.8, 3.95), (5.6, 3.3), arrowprops=line)
    # Output: h_t = o_t * tanh(c_t).
    node(8.6, 3.05, r"$\times$")
    ax.annotate("", (8.45, 2.85), (7.9, 2.25), arrowprops=line)
    ax.annotate("", (8.6, 3.3), (8.6, 4.2), arrowprops=dict(line, connectionstyle="arc3"))
    ax.text(8.95, 3.65, r"$\tanh$", fontsize=9)
    ax.annotate("", (9.6, 3.05), (8.85, 3.05), arrowprops=line)
    ax.text(9.75, 3.05, "$h_t$", ha="center", va="center", fontsize=12)
    ax.text(
        4.4,
        4.65,
        r"direct path: $\partial c_t / \partial c_{t-1} = f_t$ (+ paths through $h_{t-1}$)",
        ha="center",
        color=COLORS["lstm"],
        fontsize=9,
    )
    return fig
