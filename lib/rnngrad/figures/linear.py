"""Figures of the linear-recurrence chapters (13, 14): cheap to draw, no training inside, so
the explorers can pre-render them over their whole slider grid. Each draws what it is given;
``rnngrad.notebook.frames`` measures and evaluates for the explorers."""

from __future__ import annotations

import math
import warnings

import numpy as np
from matplotlib.figure import Figure

from .style import COLORS, VANISH, new_figure

LAGS = 600


def eigenvalue_figure(h: np.ndarray, modulus: float, phase_over_pi: float) -> Figure:
    """Explorer figure for one LRU eigenvalue lambda = modulus * exp(i pi phase_over_pi).

    Left: the impulse response h_k = lambda^k (real part, and its envelope |lambda|^k).
    Right: the gradient that reaches k steps back, |dh_{t+k}/dh_t| = |lambda|^k, on a log
    scale, with the e-folding time -1/ln|lambda| and the lag where it falls below 1e-6.
    ``h``: lambda^k, k = 0..lags-1 (``rnngrad.measure.reach.eigenvalue_response``).
    """
    if not 0 <= modulus <= 1:
        raise ValueError(f"modulus must be in [0, 1], got {modulus!r}")
    lags = len(h)
    k = np.arange(lags)
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt). Each panel's legend sits
    # above its axes, titled with what the panel's title said, so it never covers a curve.
    fig, (left, right) = new_figure(width=5.6, height=3.9, ncols=2)
    # Without decay (|lambda| = 1) the response never settles: show its first steps only, as
    # dots, so the oscillation stays readable instead of filling the panel.
    shown = 48 if modulus >= 1 else int(min(lags, max(30, -6 / math.log(max(modulus, 1e-3)))))
    style = {"marker": "o", "ms": 3, "lw": 0.8} if modulus >= 1 else {"lw": 1.5}
    left.plot(k[: shown + 1], h.real[: shown + 1], color=COLORS["linear"], label=r"Re $\lambda^k$",
              **style)  # fmt: skip
    left.plot(k, np.abs(h), color=COLORS["bound"], ls="--", lw=1, label=r"$|\lambda|^k$")
    left.plot(k, -np.abs(h), color=COLORS["bound"], ls="--", lw=1)
    left.set(
        xlabel="steps since the impulse $k$", ylabel="$h_k$", ylim=(-1.1, 1.1), xlim=(0, shown)
    )
    left.set_yticks([-1, -0.5, 0, 0.5, 1])
    first = f"\n(first {shown} steps)" if modulus >= 1 else ""
    left.legend(
        loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=10,
        title=rf"$\lambda = {modulus:.2f}\,e^{{i\,{phase_over_pi:.2f}\pi}}${first}",
        title_fontsize=10,
    )  # fmt: skip
    with np.errstate(divide="ignore"):
        reach = np.abs(h).clip(min=1e-300)
    right.semilogy(
        k, reach, color=COLORS["linear"], lw=2, label=r"$|\partial h_{t+k}/\partial h_t|$"
    )
    right.axhline(VANISH, color=COLORS["rnn"], ls=":", lw=1, label="$10^{-6}$")
    if 0 < modulus < 1:
        tau = -1 / math.log(modulus)
        if tau < lags:
            right.axvline(tau, color=COLORS["bound"], ls="--", lw=1, label=rf"$\tau_e$ = {tau:.1f}")
        below = np.flatnonzero(np.abs(h) < VANISH)
        text = f"below 1e-6 after {below[0]} steps" if below.size else "never below 1e-6 here"
    else:
        text = "never decays" if modulus == 1 else "gone after one step"
    right.set(xlabel="lag $k$", ylabel="gradient factor", ylim=(1e-12, 2))
    right.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=10,
                 title=text, title_fontsize=10)  # fmt: skip
    return fig


def ring_figure(eigenvalues: dict[str, np.ndarray]) -> Figure:
    """Eigenvalues drawn for each named ring (``rnngrad.measure.reach.ring_eigenvalues``), in
    the complex plane with the unit circle: one panel per ring."""
    fig, axes = new_figure(width=3.2 * len(eigenvalues), height=3.2, ncols=len(eigenvalues))
    circle = np.exp(1j * np.linspace(0, 2 * np.pi, 400))
    for ax, (name, lam) in zip(axes, eigenvalues.items(), strict=True):
        ax.plot(circle.real, circle.imag, color=COLORS["bound"], lw=1)
        ax.scatter(lam.real, lam.imag, s=6, color=COLORS["linear"], alpha=0.6)
        ax.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), aspect="equal", xlabel=r"Re $\lambda$")
        ax.set_title(name, fontsize=10)
    axes[0].set_ylabel(r"Im $\lambda$")
    return fig


def timing_figure(lengths, seconds: dict[str, list[float]]) -> Figure:
    """Seconds per forward pass against the sequence length, one line per method (log-log)."""
    fig, (ax,) = new_figure(width=5.0, height=3.2)
    styles = {"loop": ("o-", COLORS["rnn"]), "scan": ("s-", COLORS["linear"])}
    for name, values in seconds.items():
        marker, color = styles.get(name, ("^-", COLORS["bound"]))
        ax.loglog(lengths, np.asarray(values) * 1e3, marker, color=color, label=name)
    ax.set(xlabel="sequence length $T$", ylabel="ms per forward pass")
    ax.legend()
    return fig


def runs_figure(curves: dict[str, list], reach: dict[str, np.ndarray], baseline: float) -> Figure:
    """Left: held-out metric during training, median over seeds with the range shaded, one
    colour per setting (``curves[name]`` is a list of (steps, metrics) per seed; a run that
    stopped early holds its last value). Right: the
    gradient norm ||dL/dh_t|| at initialisation against t, median over seeds."""
    fig, (left, right) = new_figure(width=8.0, height=3.2, ncols=2)
    colors = [COLORS["rnn"], COLORS["linear"], COLORS["lstm"], COLORS["gru"]]
    for color, (name, runs) in zip(colors, curves.items(), strict=False):
        steps = max((r[0] for r in runs), key=len)
        grid = np.full((len(runs), len(steps)), np.nan)
        for i, (_, m) in enumerate(runs):
            grid[i, : len(m)] = m
            grid[i, len(m) :] = m[-1]  # a run stopped at its target keeps its last value
        with np.errstate(all="ignore"):
            lo, mid, hi = (np.nanpercentile(grid, q, axis=0) for q in (0, 50, 100))
        left.semilogy(steps, mid, color=color, lw=2, label=name)
        left.fill_between(steps, lo, hi, color=color, alpha=0.2)
        norms = reach[name]
        right.semilogy(np.arange(1, len(norms) + 1), norms, color=color, lw=2, label=name)
    left.axhline(baseline, color=COLORS["bound"], ls=":", label="predict the mean")
    left.set(xlabel="training step", ylabel="held-out MSE")
    right.set(xlabel="time step $t$", ylabel=r"$\|\partial L/\partial h_t\|$ at initialisation")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return fig


SENSITIVITY_CURVES = {
    "h2": (r"$E[h^2]$", COLORS["bound"], ":"),
    "dh2": (r"$E[(\partial h/\partial\lambda)^2]$", COLORS["rnn"], "-"),
    "norm_dh2": (r"$E[(\partial \gamma h/\partial\lambda)^2]$", COLORS["lstm"], "--"),
    "exp_norm_dh2": (r"$E[(\partial \gamma h/\partial\nu)^2]$", COLORS["gru"], "-"),
    "gate_dh2": (r"gate: $E[(\partial (1-f) h/\partial b)^2]$", COLORS["linear"], "-."),
}


def sensitivity_figure(
    memory: np.ndarray,
    curves: dict[str, np.ndarray],
    at: dict[str, float],
    memory_log10: float,
    rho: float,
) -> Figure:
    """Explorer figure of the curse of memory: the SymPy expressions of
    ``rnngrad.derive.memory`` against the memory 1/(1 - lambda), for input correlation
    ``rho``, with the value at lambda = 1 - 10^-memory_log10 marked. ``memory``, ``curves``
    and ``at`` (the values there) as ``rnngrad.measure.reach.memory_sensitivity`` returns
    them, keyed like ``SENSITIVITY_CURVES``."""
    lam_now = 1 - 10.0**-memory_log10
    # Drawn at the explorer's frame width (5.6 in, text >= 10 pt); the legend sits under the
    # axes, since the curves fan out over the whole panel as rho and the memory change.
    fig, (ax,) = new_figure(width=5.6, height=4.4)
    for key, (label, color, ls) in SENSITIVITY_CURVES.items():
        ax.loglog(memory, curves[key], color=color, ls=ls, lw=2, label=label)
        ax.plot([10.0**memory_log10], [at[key]], "o", color=color)
    ax.axvline(10.0**memory_log10, color=COLORS["bound"], lw=1)
    ax.set(xlabel=r"memory $1/(1-\lambda)$", ylabel="expected square", ylim=(1e-5, 1e12))
    sens = at["dh2"]
    ax.set_title(
        rf"$\lambda$ = {lam_now:.4f}, $\rho$ = {rho:.1f}: $E[(\partial h/\partial\lambda)^2]$ = {sens:.2g}",
        fontsize=10,
    )
    fig.legend(loc="outside lower center", ncol=2, fontsize=10)
    return fig


def simulation_figure(
    checks: dict[float, list[tuple[float, dict[str, float]]]],
    lines: dict[float, tuple[np.ndarray, dict[str, np.ndarray]]],
) -> Figure:
    """SymPy's E[h^2] and E[(dh/dlambda)^2] (lines) against Monte-Carlo estimates (points),
    one colour per input correlation rho; ``checks[rho]`` lists (lambda, simulated),
    ``lines[rho]`` is (lambda, {"h2": ..., "dh2": ...}) from
    ``rnngrad.measure.reach.memory_lines``."""
    fig, axes = new_figure(width=8.0, height=3.2, ncols=2)
    colors = [COLORS["linear"], COLORS["lstm"], COLORS["gru"], COLORS["rnn"]]
    for color, (rho, rows) in zip(colors, checks.items(), strict=False):
        lam_line, expected = lines[rho]
        for ax, key in zip(axes, ("h2", "dh2"), strict=True):
            ax.semilogy(lam_line, expected[key], color=color, lw=1.5, label=rf"$\rho$ = {rho}")
            ax.semilogy([r[0] for r in rows], [r[1][key] for r in rows], "o", color=color)
    axes[0].set(xlabel=r"$\lambda$", ylabel=r"$E[h^2]$")
    axes[1].set(xlabel=r"$\lambda$", ylabel=r"$E[(\partial h/\partial\lambda)^2]$")
    axes[0].legend(fontsize=8)
    return fig


STUDENT_COLORS = [COLORS["rnn"], COLORS["lstm"], COLORS["gru"], COLORS["linear"], "#ff7f0e"]


def lr_sweep_figure(lrs, finals: dict[str, list[list[float]]], baseline: float) -> Figure:
    """Final held-out loss against the learning rate, one line per variant: the median over
    seeds with the range as error bars; diverged runs (NaN) drawn as crosses at the top."""
    fig, (ax,) = new_figure(width=6.4, height=3.4)
    colors = STUDENT_COLORS
    markers = ["o", "s", "^", "D", "v"]
    if len(finals) > len(colors):
        raise ValueError(f"at most {len(colors)} variants, got {len(finals)}")
    top = 10 * baseline
    n = len(finals)
    for i, (color, marker, (name, per_lr)) in enumerate(
        zip(colors, markers, finals.items(), strict=False)
    ):
        # each student slightly offset along the (log) learning-rate axis, so none hides another
        x = np.asarray(lrs, dtype=float) * 10 ** (0.06 * (i - (n - 1) / 2))
        values = np.array([[v if np.isfinite(v) else np.nan for v in runs] for runs in per_lr])
        with warnings.catch_warnings():  # a learning rate at which every run diverged
            warnings.simplefilter("ignore", RuntimeWarning)
            mid = np.nanmedian(values, axis=1)
            lo, hi = np.nanmin(values, axis=1), np.nanmax(values, axis=1)
        ok = np.isfinite(mid)
        ax.errorbar(
            x[ok],
            mid[ok],
            yerr=[mid[ok] - lo[ok], hi[ok] - mid[ok]],
            color=color,
            marker=marker,
            mfc="none" if i % 2 else color,
            capsize=3,
            lw=1.5,
            label=name,
        )
        diverged = np.isnan(values).any(axis=1)
        ax.plot(x[diverged], [top] * int(diverged.sum()), "x", color=color, ms=9, mew=2)
    ax.axhline(baseline, color=COLORS["bound"], ls=":", label="predict 0")
    ax.set(xscale="log", yscale="log", xlabel="learning rate", ylabel="final held-out MSE")
    ax.legend(fontsize=8)
    return fig


def lam_trace_figure(lrs, lams: dict, lam_star: float) -> Figure:
    """Each student's lambda during training, one panel per learning rate: the median over
    seeds (line) and their range (band), with the teacher's lambda* and 1 marked.
    ``lams``: ``{variant: array (steps + 1, learning rates, seeds)}``
    (``rnngrad.training.students.StudentSweep.lams``)."""
    if len(lams) > len(STUDENT_COLORS):
        raise ValueError(f"at most {len(STUDENT_COLORS)} variants, got {len(lams)}")
    fig, axes = new_figure(width=6.4, height=3.3, ncols=len(lrs))
    styles = ["-", "--", "-.", ":", (0, (5, 1))]
    for i, (ax, lr) in enumerate(zip(axes, lrs, strict=True)):
        for color, style, (name, lam) in zip(STUDENT_COLORS, styles, lams.items(), strict=False):
            values = np.asarray(lam)[:, i, :]
            steps = np.arange(len(values))
            ax.plot(steps, np.median(values, axis=1), color=color, ls=style, lw=1.5, label=name)
            ax.fill_between(steps, values.min(axis=1), values.max(axis=1), color=color, alpha=0.15)
        ax.axhline(lam_star, color=COLORS["bound"], ls=":", lw=1)
        ax.axhline(1.0, color="k", lw=0.8)
        ax.set(title=f"learning rate {lr:g}", xlabel="step", ylim=(0, 1.6))
        if i == 0:
            ax.set_ylabel(r"$\lambda$")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7, frameon=False)
    return fig
