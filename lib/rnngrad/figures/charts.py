"""The explorers' figures as charts for the browser (``chart.Chart``): one ``<name>_chart``
per explorer figure ``<name>_figure`` (in ``gated``, ``nongated``, ``linear``, ``selective``),
taking the same arguments and drawing the same arrays, colours, scales and limits, with the
figure's TeX written in Unicode. ``tests/unit/test_explorer_figures.py`` checks, for every
explorer of the book, that each line of the chart is a line of the figure."""

from __future__ import annotations

import math

import numpy as np

from ..measure.reach import REACH, RESET_AT, reach_steps
from .chart import DASH_DOT, DASHED, DOTTED, Band, Chart, Line, Mark, Panel, Rule, power_of_ten
from .gated import PRODUCT_FLOOR
from .linear import SENSITIVITY_CURVES
from .style import COLORS, EXPLODE, VANISH

NAN = float("nan")
_CELL_NAMES = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}


def _log_ticks(lo: int, hi: int, every: int) -> list[float]:
    return [10.0**e for e in range(lo, hi + 1, every)]


# -- Parts I-IV --------------------------------------------------------------------------
def product_of_factors_chart(linear: np.ndarray, tanh: np.ndarray, w: float) -> Chart:
    steps = len(linear)
    k = np.arange(1, steps + 1)
    left = Panel(
        k, "step t", "factor |∂hₜ/∂hₜ₋₁|", (0, 2.1), yticks=[0, 0.5, 1, 1.5, 2],
        lines=[
            Line(linear, COLORS["linear"], "linear: w"),
            Line(np.abs(tanh), COLORS["tanh"], "tanh: |w (1 − hₜ²)|", marker=2.5),
        ],
        rules=[Rule(1.0)],
    )  # fmt: skip
    right = Panel(
        k, "steps back k", "product |∂h_T/∂h_T₋ₖ|", (PRODUCT_FLOOR, 1e13), ylog=True,
        rules=[Rule(1.0)], legend_title=f"after {steps} steps",
        yticks=_log_ticks(-24, 12, 6),
    )  # fmt: skip
    for name, factors in (("linear", linear), ("tanh", tanh)):
        exact = np.cumprod(np.abs(factors[::-1]))
        product = np.clip(exact, PRODUCT_FLOOR, 1 / PRODUCT_FLOOR)
        right.lines.append(Line(product, COLORS[name], f"{name}: {exact[-1]:.1e}"))
    return Chart(
        [left, right],
        f"recurrent weight w = {w:.2f}: the gradient is a product of {steps} factors",
    )


def singular_value_chart(
    norms: dict[str, np.ndarray], sigma_1: float, sigma_2: float, input_scale: float, n: int
) -> Chart:
    steps = len(norms["linear"])
    t = np.arange(1, steps + 1)
    floor, ceiling = 1e-14, 1e14
    panel = Panel(
        t, "time step t (the product runs from step 1 to t)", "‖∂hₜ/∂h₀‖₂", (floor, ceiling),
        ylog=True, yticks=_log_ticks(-14, 14, 4),
        bands=[Band(floor, VANISH, "#1f77b4"), Band(EXPLODE, ceiling, "#d62728")],
        title=f"{n}×{n}: σ₁ = {sigma_1:.2f}, σ₂ = {sigma_2:.2f}, input scale {input_scale:.2f}",
    )  # fmt: skip
    for kind in ("linear", "tanh"):
        shown = np.clip(norms[kind], floor, ceiling)
        panel.lines.append(Line(shown, COLORS[kind], f"{kind} RNN"))
        for threshold, verb in ((VANISH, "vanishes"), (EXPLODE, "explodes")):
            crossed = np.flatnonzero(shown < threshold if verb == "vanishes" else shown > threshold)
            if crossed.size:
                i = crossed[0]
                mark = Mark(t[i], shown[i], COLORS[kind], f"{kind} {verb} at t={t[i]}", size=5)
            else:  # the same marks in every frame: one not drawn here
                mark = Mark(NAN, NAN, COLORS[kind])
            panel.marks.append(mark)
    bound = np.clip(max(sigma_1, sigma_2) ** t.astype(float), floor, ceiling)
    panel.lines.append(Line(bound, COLORS["bound"], "bound σₘₐₓᵗ", width=1.5, dash=DASHED))
    return Chart([panel])


def forget_bias_chart(closed: np.ndarray, measured: np.ndarray, forget_bias: float) -> Chart:
    steps = len(measured)
    f = 1 / (1 + math.exp(-forget_bias))
    tau = 1 / (1 - f)
    return Chart(
        [
            Panel(
                np.arange(steps), "lag (steps back from the loss)", "gradient reaching c_T−lag",
                (1e-12, 10), ylog=True, title=f"forget-gate bias b_f = {forget_bias:g}",
                yticks=_log_ticks(-12, 0, 3),
                lines=[
                    Line(np.maximum(closed, 1e-30), COLORS["bound"],
                         f"σ(b_f)ˡᵃᵍ, σ(b_f) = {f:.3f}", width=1.5, dash=DASHED),
                    Line(np.maximum(measured, 1e-30), COLORS["lstm"],
                         "measured ‖∂L/∂c_T−lag‖ (relative)"),
                ],
                rules=[
                    Rule(tau, "x", COLORS["lstm"], f"memory time 1/(1 − f) = {tau:.1f}",
                         dash=DOTTED) if tau <= steps else Rule(NAN, "x", COLORS["lstm"])
                ],
            )
        ]
    )  # fmt: skip


def gru_update_gate_chart(measured: np.ndarray, update_bias: float) -> Chart:
    steps = len(measured)
    z = 1 / (1 + math.exp(-update_bias))
    k = np.arange(steps)
    floor = 1e-16
    reached = reach_steps(measured)
    said = f"{reached} steps" if reached < steps else f"all {steps} steps"
    direct = np.where(z**k >= floor, z**k, np.nan)
    return Chart(
        [
            Panel(
                k, "steps back k", "‖∂L/∂h_T−k‖ (relative)", (floor, 10), ylog=True,
                yticks=_log_ticks(-16, 0, 4),
                title=f"update-gate bias b_z = {update_bias:g}: above 10⁻³ for {said}",
                lines=[
                    Line(direct, COLORS["bound"], f"σ(b_z)ᵏ, σ(b_z) = {z:.3f}", width=1.5,
                         dash=DASHED),
                    Line(np.where(measured >= floor, measured, np.nan), COLORS["gru"],
                         "random GRU, measured"),
                ],
                rules=[Rule(REACH, dash=DOTTED)],
            )
        ]
    )  # fmt: skip


def initialisation_chart(
    rnn: np.ndarray, lstm: np.ndarray, sigma: float, forget_bias: float
) -> Chart:
    k = np.arange(1, len(rnn) + 1)
    return Chart(
        [
            Panel(
                k, "steps back k", "gradient reaching k steps back", (1e-16, 1e8), ylog=True,
                yticks=_log_ticks(-16, 8, 4),
                title=f"at the start: σ = {sigma:.2f} (RNN), b_f = {forget_bias:.1f} (LSTM)",
                legend_title="horizon: steps back above 10⁻³",
                lines=[
                    Line(np.clip(rnn, 1e-16, 1e8), COLORS["rnn"],
                         f"tanh RNN, σ = {sigma:.2f}: {reach_steps(rnn)} steps"),
                    Line(np.clip(lstm, 1e-16, 1e8), COLORS["lstm"],
                         f"LSTM, b_f = {forget_bias:.1f}: {reach_steps(lstm)} steps"),
                ],
                rules=[Rule(REACH, dash=DOTTED)],
            )
        ]
    )  # fmt: skip


def clipping_chart(norms: np.ndarray, log10_threshold: float) -> Chart:
    tau = 10.0**log10_threshold
    cut = int((norms > tau).sum())
    top = max(1e5, norms.max() * 3)
    return Chart(
        [
            Panel(
                np.arange(1, len(norms) + 1), "batch", "gradient norm", (1.0, top), ylog=True,
                yticks=_log_ticks(0, int(math.log10(top)), 1),
                title=f"τ = {tau:.3g}: {cut} of {len(norms)} steps shortened, none turned",
                lines=[
                    Line(norms, COLORS["rnn"], "‖g‖ before clipping", marker=3, stroke=False),
                    Line(np.minimum(norms, tau), COLORS["lstm"], "‖step‖ / η after clipping",
                         width=1.5, marker=2.5),
                ],
                rules=[Rule(tau, label=f"threshold τ = {tau:.3g}")],
            )
        ]
    )  # fmt: skip


def cue_distance_chart(profiles: dict[str, np.ndarray], distance: float) -> Chart:
    d = int(round(distance))
    length = len(profiles["rnn"])
    panel = Panel(
        np.arange(1, length + 1), f"input position t (the answer is read after t = {length})",
        "‖∂L/∂xₜ‖ (relative to t = T)", (1e-23, 10), ylog=True, yticks=_log_ticks(-22, 0, 4),
        title=f"cue {d} steps before the answer", legend_title="gradient reaching the cue",
        rules=[Rule(length - d, "x")],
    )  # fmt: skip
    for cell in ("rnn", "lstm", "gru"):
        at_cue = profiles[cell][length - 1 - d]
        label = f"{_CELL_NAMES[cell]}: {at_cue:.1e} at the cue"
        panel.lines.append(Line(profiles[cell], COLORS[cell], label))
        panel.marks.append(Mark(length - d, at_cue, COLORS[cell], size=5))
    return Chart([panel])


def gating_chart(ratio: np.ndarray, cosine: np.ndarray, forget_bias: float) -> Chart:
    k = np.arange(1, len(ratio) + 1)
    return Chart(
        [
            Panel(k, "steps back k", "‖gₖ‖ / ‖g‖", (1e-16, 2), ylog=True,
                  yticks=_log_ticks(-16, 0, 4), lines=[Line(ratio, COLORS["lstm"])]),
            Panel(k, "steps back k", "cos(gₖ, g)", (0, 1.05), yticks=[0, 0.25, 0.5, 0.75, 1],
                  lines=[Line(cosine, COLORS["lstm"])]),
        ],
        f"forget-gate bias b_f = {forget_bias:g}: length and direction of the gradient",
    )  # fmt: skip


# -- Part V ------------------------------------------------------------------------------
def leaky_reach_chart(
    measured: np.ndarray, no_weights: np.ndarray, bound: np.ndarray, leak: float, scale: float
) -> Chart:
    tau_e = -1 / math.log(leak)
    return Chart(
        [
            Panel(
                np.arange(len(measured)), "lag k (steps back from the last)",
                "‖∂L/∂h_T−k‖ / ‖∂L/∂h_T‖", (1e-8, 1e2), ylog=True, yticks=_log_ticks(-8, 2, 2),
                title=f"leak α = {leak:.2f}, singular values s = {scale:.2f}",
                lines=[
                    Line(measured, COLORS["rnn"], "measured (random leaky RNN)"),
                    Line(no_weights, "#000000", "αᵏ (no W_hh)", width=1.2, dash=DASHED),
                    Line(bound, COLORS["bound"], "bound (α + (1 − α)s)ᵏ", width=1.5,
                         dash=DOTTED),
                ],
                rules=[Rule(tau_e, "x", COLORS["lstm"], f"e-folding time τₑ = {tau_e:.1f}",
                            dash=None)],
            )
        ]
    )  # fmt: skip


def jacobian_shrink_chart(norms: dict[str, np.ndarray], input_scale: float, u: float) -> Chart:
    steps = len(norms["orthogonal tanh"])
    curves = [  # drawn first to last: the thick identity under the rest, linear on top
        ("identity, ReLU (IRNN)", "identity relu", COLORS["lstm"], None, 3.5),
        ("orthogonal, tanh", "orthogonal tanh", COLORS["tanh"], None, 2),
        ("orthogonal, ReLU", "orthogonal relu", COLORS["gru"], None, 2),
        (f"diag(u = 2^(1/{steps}) = {u:.4f}), ReLU (IndRNN)", "indrnn relu", "#8c564b",
         DOTTED, 2),
        ("orthogonal, linear", "orthogonal linear", COLORS["linear"], (4.0, 2.0), 1.5),
    ]  # fmt: skip
    lines = [
        Line(np.where(norms[key] <= 0, np.nan, norms[key]), color, label, width=lw, dash=dash)
        for label, key, color, dash, lw in curves
    ]
    return Chart(
        [
            Panel(np.arange(1, steps + 1), "steps t", "‖∂hₜ/∂h₀‖₂", (1e-34, 1e2), ylog=True,
                  yticks=_log_ticks(-32, 0, 4), lines=lines,
                  title=f"pre-activation noise, standard deviation {input_scale:.2f}")
        ]
    )  # fmt: skip


# -- Part VI -----------------------------------------------------------------------------
def eigenvalue_chart(h: np.ndarray, modulus: float, phase_over_pi: float) -> Chart:
    lags = len(h)
    k = np.arange(lags)
    shown = 48 if modulus >= 1 else int(min(lags, max(30, -6 / math.log(max(modulus, 1e-3)))))
    dots = modulus >= 1
    first = f" (first {shown} steps)" if dots else ""
    left = Panel(
        k[: shown + 1], "steps since the impulse k", "hₖ", (-1.1, 1.1), xlim=(0, shown),
        yticks=[-1, -0.5, 0, 0.5, 1],
        legend_title=f"λ = {modulus:.2f}·e^(i·{phase_over_pi:.2f}π){first}",
        lines=[
            Line(h.real[: shown + 1], COLORS["linear"], "Re λᵏ", width=0.8 if dots else 1.5,
                 marker=2.5 if dots else 0),
            Line(np.abs(h)[: shown + 1], COLORS["bound"], "|λ|ᵏ", width=1, dash=DASHED),
            Line(-np.abs(h)[: shown + 1], COLORS["bound"], None, width=1, dash=DASHED),
        ],
    )  # fmt: skip
    tau = NAN
    if 0 < modulus < 1:
        below = np.flatnonzero(np.abs(h) < VANISH)
        text = f"below 10⁻⁶ after {below[0]} steps" if below.size else "never below 10⁻⁶ here"
        if -1 / math.log(modulus) < lags:
            tau = -1 / math.log(modulus)
    else:
        text = "never decays" if modulus == 1 else "gone after one step"
    right = Panel(
        k, "lag k", "gradient factor", (1e-12, 2), ylog=True, yticks=_log_ticks(-12, 0, 3),
        legend_title=text,
        lines=[Line(np.abs(h).clip(min=1e-300), COLORS["linear"], "|∂hₜ₊ₖ/∂hₜ|")],
        rules=[
            Rule(VANISH, "y", COLORS["rnn"], "10⁻⁶", dash=DOTTED),
            Rule(tau, "x", COLORS["bound"], f"τₑ = {tau:.1f}" if tau == tau else None),
        ],
    )  # fmt: skip
    return Chart([left, right])


_SENSITIVITY_LABELS = {
    "h2": "E[h²]",
    "dh2": "E[(∂h/∂λ)²]",
    "norm_dh2": "E[(∂γh/∂λ)²]",
    "exp_norm_dh2": "E[(∂γh/∂ν)²]",
    "gate_dh2": "gate: E[(∂(1−f)h/∂b)²]",
}
_DASHES = {"-": None, "--": DASHED, ":": DOTTED, "-.": DASH_DOT}


def sensitivity_chart(
    memory: np.ndarray,
    curves: dict[str, np.ndarray],
    at: dict[str, float],
    memory_log10: float,
    rho: float,
) -> Chart:
    now = 10.0**memory_log10
    panel = Panel(
        memory, "memory 1/(1 − λ)", "expected square", (1e-5, 1e12), ylog=True, xlog=True,
        yticks=_log_ticks(-4, 12, 4), rules=[Rule(now, "x", dash=None)],
        title=f"λ = {1 - 10.0**-memory_log10:.4f}, ρ = {rho:.1f}: E[(∂h/∂λ)²] = {at['dh2']:.2g}",
    )  # fmt: skip
    for key, (_, color, ls) in SENSITIVITY_CURVES.items():
        panel.lines.append(Line(curves[key], color, _SENSITIVITY_LABELS[key], dash=_DASHES[ls]))
        panel.marks.append(Mark(now, at[key], color))
    return Chart([panel])


def delta_chart(
    delta: np.ndarray, factor: np.ndarray, hold_log10: float, reset_log10: float
) -> Chart:
    t = np.arange(1, len(delta) + 1)
    kept = factor[RESET_AT - 1]
    left = Panel(
        t, "time step t", "Āₜ = exp(Δₜ A)", (-0.05, 1.05), yticks=[0, 0.25, 0.5, 0.75, 1],
        title=f"hold Δ = {10.0**hold_log10:.3g}, reset Δ = {10.0**reset_log10:.3g}",
        lines=[Line(np.exp(-delta), COLORS["linear"], None, width=1.5, marker=2.5)],
    )  # fmt: skip
    right = Panel(
        t, "time step t", "∂h_T/∂hₜ", (1e-12, 2), ylog=True, yticks=_log_ticks(-12, 0, 3),
        title=f"left past the reset: {kept:.1e}" if kept > 0 else "nothing past the reset",
        lines=[Line(factor.clip(min=1e-300), COLORS["linear"], None)],
        rules=[
            Rule(VANISH, "y", COLORS["rnn"], power_of_ten(-6), dash=DOTTED),
            Rule(RESET_AT + 1, "x", COLORS["bound"], "reset token"),
        ],
    )  # fmt: skip
    return Chart([left, right])
