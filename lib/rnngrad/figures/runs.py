"""Figures of many training runs: metric against a setting, learning curves with their
spread over seeds, where the gradient reaches, and how large gradients get."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.transforms import ScaledTranslation

from ..training.loop import History
from ..training.spec import Run
from ..training.sweep import median, select
from .style import COLORS, new_figure

LEGEND_DROP_IN = 0.45  # a legend under the axes starts this far below them (inches)

# Per cell, a marker and line style besides the palette's colour, so cells whose medians
# coincide (all at accuracy 1, say) stay visible: the LSTM thin, dashed and with open squares,
# drawn on top of the GRU's wide solid line and filled triangles.
CELL_STYLE = {
    "rnn": {"marker": "o", "ls": "-", "lw": 2, "zorder": 3},
    "lstm": {"marker": "s", "ls": (0, (4, 3)), "lw": 1.5, "ms": 9, "mfc": "none", "mew": 1.5,
             "zorder": 4},
    "gru": {"marker": "^", "ls": "-", "lw": 3.5, "ms": 6, "zorder": 2},
}  # fmt: skip


def metric_vs_setting(
    runs: Sequence[Run], xlabel: str, ax=None, baseline: dict | None = None, title: str = ""
) -> Figure | None:
    """The final metric of each cell against the swept setting (median over seeds, every
    seed as a dot); ``baseline`` maps setting -> the score of a model that learnt nothing."""
    fig = None
    if ax is None:
        fig, (ax,) = new_figure(4.2, 3.2)
    settings = sorted({r.setting for r in runs})
    for cell in dict.fromkeys(r.cell for r in runs):
        mine = select(runs, cell=cell)
        mid = [median(r.metric for r in select(mine, setting=s)) for s in settings]
        style = CELL_STYLE.get(cell, {"marker": "o", "ls": "-", "lw": 2})
        ax.plot(settings, mid, color=COLORS.get(cell, COLORS["bound"]), label=cell.upper(), **style)
        ax.plot([r.setting for r in mine], [r.metric for r in mine], ".", color=COLORS.get(cell, COLORS["bound"]),
                zorder=style.get("zorder"))  # fmt: skip
    if baseline:
        xs = sorted(baseline)
        ax.plot(xs, [baseline[x] for x in xs], "k--", lw=1, label="baseline")
    task = runs[0].task
    ax.set_xlabel(xlabel)
    ax.set_ylabel(task.metric_name)
    ax.set_title(title)
    # Under the axes, clear of the tick labels and the x label, where no median, seed or
    # baseline can run through it (a cell at the baseline leaves no free corner inside).
    below = ax.transAxes + ScaledTranslation(0, -LEGEND_DROP_IN, ax.figure.dpi_scale_trans)
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below, ncols=2, fontsize=8
    )
    return fig


def learning_curves(
    runs: Sequence[Run], label, ax=None, title: str = "", colors: dict[str, str] | None = None
) -> Figure | None:
    """Held-out metric over training: the median over seeds per group (``label(run)``) as a
    line, the range between the best and worst seed shaded. ``colors`` maps a group's label
    to its colour (e.g. ``{"LSTM": COLORS["lstm"]}``); other groups take the default cycle."""
    fig = None
    if ax is None:
        fig, (ax,) = new_figure(5.0, 3.2)
    for i, (name, group) in enumerate(_group(runs, label).items()):
        steps = max((r.history.eval_step for r in group), key=len)
        # A run that stopped early (target reached) keeps its last value.
        curves = np.array([_pad(r.history, len(steps)) for r in group], dtype=float)
        color = (colors or {}).get(name, f"C{i}")
        ax.plot(steps, np.nanmedian(curves, 0), color=color, lw=2, label=name)
        ax.fill_between(steps, np.nanmin(curves, 0), np.nanmax(curves, 0), color=color, alpha=0.2)
    ax.set_xlabel("training step")
    ax.set_ylabel(runs[0].task.metric_name)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def _group(runs: Sequence[Run], label) -> dict[str, list[Run]]:
    """Runs grouped by ``label(run)``, in order of first appearance."""
    groups: dict[str, list[Run]] = {}
    for r in runs:
        groups.setdefault(label(r), []).append(r)
    return groups


def _pad(history: History, n: int) -> list[float]:
    """A run that reached its target keeps its last value; a diverged one has none."""
    values = history.eval_metric
    fill = np.nan if history.diverged or not values else values[-1]
    return values + [fill] * (n - len(values))


def gradient_profile_figure(
    norms: dict[str, dict[str, torch.Tensor]], title: str = "", width: float = 9.0
) -> Figure:
    """Where the loss still reaches: ||dL/dh_t|| / ||dL/dh_T|| against the step t (log
    scale), one panel per phase (e.g. ``{"before training": {...}, "after training": {...}}``),
    one line per cell in the book's colours (a label's first word names the cell). A label
    that names the cell state (``"LSTM, cell c"``) is the same ratio for ||dL/dc_t||, dashed."""
    fig, axes = new_figure(width, 3.3, ncols=len(norms))
    for ax, (phase, curves) in zip(axes, norms.items(), strict=True):
        for label, n in curves.items():
            ratio = (n / n[-1]).double().cpu().numpy()
            steps = np.arange(1, len(ratio) + 1)
            color = COLORS[label.split()[0].strip(",").lower()]
            style = "--" if "cell" in label else "-"
            ax.semilogy(steps, ratio, color=color, ls=style, lw=2.2, label=label)
        ax.set_title(phase)
        ax.set_xlabel("time step $t$ (the loss is read at the last step)")
        ax.set_xlim(1, len(ratio))
    cell = any("cell" in label for curves in norms.values() for label in curves)
    axes[0].set_ylabel(
        r"$\|\partial L/\partial s_t\| \,/\, \|\partial L/\partial s_T\|$, $s = h$ (dashed: $c$)"
        if cell
        else r"$\|\partial L/\partial h_t\| \,/\, \|\partial L/\partial h_T\|$"
    )
    low = min(ax.get_ylim()[0] for ax in axes)
    for ax in axes:
        ax.set_ylim(low, 3.0)
    axes[-1].legend(loc="lower right")
    if title:
        fig.suptitle(title)
    return fig


def grad_norm_histogram(runs: Sequence[Run], label, ax=None, title: str = "") -> Figure | None:
    """The distribution of the (pre-clipping) gradient norm over all steps, per group."""
    fig = None
    if ax is None:
        fig, (ax,) = new_figure(5.0, 3.2)
    groups = {
        name: [g for r in group for g in r.history.grad_norm]
        for name, group in _group(runs, label).items()
    }
    finite = [v for vs in groups.values() for v in vs if np.isfinite(v) and v > 0]
    bins = np.logspace(np.log10(min(finite)), np.log10(max(finite)), 40)
    for i, (name, values) in enumerate(groups.items()):
        ax.hist(
            [v for v in values if np.isfinite(v)],
            bins=bins,
            histtype="step",
            lw=2,
            color=f"C{i}",
            label=name,
        )
    ax.set_xscale("log")
    ax.set_xlabel("gradient norm before clipping")
    ax.set_ylabel("training steps")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def archived_curves(
    curves: dict[str, list[list[list[float]]]],
    metric_name: str,
    ax=None,
    baseline: float | None = None,
    title: str = "",
    styles: dict[str, dict] | None = None,
    legend: bool = True,
) -> Figure | None:
    """Held-out curves read from the archive (``{arm: [[[step, metric], ...] per seed]}``):
    the median over seeds per arm as a line, the best-to-worst range shaded (a seed that
    diverged before its first evaluation has no curve and is left out). A seed that
    stopped at its target keeps its last value from there on; each seed's curve (thinned in
    the archive) is interpolated linearly onto the steps of all of them. ``styles`` maps an
    arm to its line's keywords (``{"color": ..., "ls": "--"}``); others take the cycle.
    ``legend=False`` leaves the legend to ``shared_legend`` (one for a row of panels)."""
    fig = None
    if ax is None:
        fig, (ax,) = new_figure(5.6, 3.6)
    for i, (name, runs) in enumerate(curves.items()):
        runs = [run for run in runs if run]  # a run that diverged before its first evaluation
        if not runs:
            continue
        steps = sorted({s for run in runs for s, _ in run})
        table = np.full((len(runs), len(steps)), np.nan)
        for j, run in enumerate(runs):  # each seed's (thinned) curve on the common steps
            xs, ys = np.array(run, dtype=float).T
            table[j] = np.interp(steps, xs, ys, left=np.nan, right=ys[-1])
        style = {"color": f"C{i}", "lw": 2, **(styles or {}).get(name, {})}
        ax.plot(steps, np.nanmedian(table, 0), label=name, **style)
        ax.fill_between(steps, np.nanmin(table, 0), np.nanmax(table, 0), color=style["color"],
                        alpha=0.12)  # fmt: skip
    if baseline is not None:
        ax.axhline(baseline, color="k", ls="--", lw=1, label="baseline")
    ax.set_xlabel("training step")
    ax.set_ylabel(metric_name)
    ax.set_title(title)
    if legend:
        below = ax.transAxes + ScaledTranslation(0, -LEGEND_DROP_IN, ax.figure.dpi_scale_trans)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below, ncols=2,
                  fontsize=8)  # fmt: skip
    return fig


def shared_legend(axes, ncols: int = 5):
    """One legend below a row of panels, with every label any panel drew once (the panels of
    ``archived_curves`` drawn with ``legend=False``)."""
    handles = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, handle)
    fig = axes[0].figure
    # samples long enough to show a dash-dot pattern (matplotlib's default, 2 font sizes,
    # draws a dash-dotted line as one short dash)
    fig.legend(handles.values(), handles.keys(), loc="upper center", bbox_to_anchor=(0.5, 0.0),
               ncols=ncols, fontsize=8, frameon=False, handlelength=4)  # fmt: skip


def gates_over_time_figure(
    gates: dict[str, np.ndarray], marks: np.ndarray, units: Sequence[int], title: str = ""
) -> Figure:
    """One sequence's gates over time: a panel per gate (``{"input": (T, H), "forget": (T, H)}``),
    a line for each unit of ``units`` and, dashed grey, the mean over all units; the steps
    where ``marks`` (T,) is set are shaded."""
    fig, axes = new_figure(9.0, 3.5, ncols=len(gates))
    steps = np.arange(1, len(marks) + 1)
    shades = ("#1f77b4", "#ff7f0e", "#8c564b", "#e377c2")
    for ax, (name, values) in zip(axes, gates.items(), strict=True):
        for t in steps[np.asarray(marks, bool)]:
            ax.axvspan(t - 0.5, t + 0.5, color="#bbbbbb", alpha=0.6, lw=0)
        for k, unit in enumerate(units):
            ax.plot(
                steps, values[:, unit], color=shades[k % len(shades)], lw=2, label=f"unit {unit}"
            )
        ax.plot(steps, values.mean(1), color="#555555", ls="--", lw=1.5, label="mean of all units")
        ax.set_title(f"{name} gate")
        ax.set_xlabel("time step $t$ (shaded: the two marked steps)")
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlim(0.5, len(marks) + 0.5)
    axes[0].set_ylabel("gate value")
    fig.legend(
        *axes[0].get_legend_handles_labels(), loc="outside lower center", ncols=len(units) + 1
    )
    if title:
        fig.suptitle(title)
    return fig


def span_loss_figure(
    spans: dict[str, list[tuple[int, int, int, float]]],
    blind: list[tuple[int, int, int, float]],
    title: str = "",
) -> Figure:
    """A character model's loss on closing brackets against the span back to their opener
    (``measure.spans.loss_by_span`` bins, one line per cell in the book's colours), with the
    loss of the model that ignores the past on the same characters, dashed."""
    fig, (ax,) = new_figure(6.0, 3.4)
    ticks = [f"{lo}-{hi}" for lo, hi, _, _ in blind]
    where = np.arange(len(ticks))
    if blind:
        ax.plot(where, [b[3] for b in blind], "k--", lw=1.5, label="ignores the past")
    for cell, bins in spans.items():
        ax.plot(
            where,
            [b[3] for b in bins],
            "o-",
            color=COLORS[cell],
            lw=2.2,
            label=cell.upper() if cell != "rnn" else "tanh RNN",
        )
    ax.set_xticks(where, [f"{t}\n({b[2]:,})" for t, b in zip(ticks, blind, strict=True)])
    ax.set_xlabel("span back to the opening bracket, characters (closers in the bin)")
    ax.set_ylabel("cross-entropy on the closer, nats")
    ax.set_ylim(bottom=0)
    if spans or blind:
        ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return fig
