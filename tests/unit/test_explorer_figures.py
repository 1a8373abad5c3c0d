"""The figures behind the chapters' explorers draw what the library computes: the plotted
data equal the library's measurement at the slider values (and not, say, at the defaults).

Catches: a figure function that ignores one of its sliders, swaps its curves' labels, or
draws the bound for the wrong singular value."""

import math

import numpy as np
import pytest
import torch

from rnngrad import AddingProblem, frames, make_model, rnn_jacobian_norms, set_forget_bias_
from rnngrad.cells.init import with_singular_values
from rnngrad.measure import claims


def _by_label(ax) -> dict[str, np.ndarray]:
    return {line.get_label(): np.asarray(line.get_ydata()) for line in ax.lines}


def test_singular_value_figure_plots_the_library_norms():
    steps, seed = 40, 3
    for n, input_scale in ((16, 1.75), (2, 0.5)):
        fig = frames.singular_value_frame(
            1.2, 0.6, input_scale=input_scale, n=n, steps=steps, seed=seed
        )
        lines = _by_label(fig.axes[0])
        w = with_singular_values(
            np.linspace(1.2, 0.6, n), generator=torch.Generator().manual_seed(seed)
        )
        for kind in ("linear", "tanh"):
            norms = rnn_jacobian_norms(
                w, steps, nonlinearity=kind, input_scale=input_scale, seed=seed
            )
            np.testing.assert_allclose(lines[f"{kind} RNN"], norms.clamp(1e-14, 1e14).numpy())
        bound = next(v for k, v in lines.items() if k.startswith("bound"))
        np.testing.assert_allclose(bound, np.clip(1.2 ** np.arange(1, steps + 1.0), 1e-14, 1e14))
    # The input scale reaches the tanh curve only.
    a = _by_label(frames.singular_value_frame(1.0, 0.8, input_scale=0.5, steps=20).axes[0])
    b = _by_label(frames.singular_value_frame(1.0, 0.8, input_scale=3.0, steps=20).axes[0])
    np.testing.assert_allclose(a["linear RNN"], b["linear RNN"])
    assert not np.allclose(a["tanh RNN"], b["tanh RNN"])


def _lstm_unrolled(lstm, x):
    """The LSTM's equations written out here (gate order i, f, g, o as PyTorch stores them),
    float64, from h_0 = c_0 = 0 over a batch-first x (B, T, input). Returns the lists of
    h_t, c_t and f_t, t = 1..T; every c_t is a node of the autograd graph."""
    w_ih, w_hh = lstm.weight_ih_l0.double(), lstm.weight_hh_l0.double()
    b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).double()
    hidden = lstm.hidden_size
    h = c = torch.zeros(x.shape[0], hidden, dtype=torch.float64)
    hs, cs, fs = [], [], []
    for t in range(x.shape[1]):
        gates = x[:, t].double() @ w_ih.T + h @ w_hh.T + b
        i, f, g, o = gates.split(hidden, dim=-1)
        i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
        c = f * c + i * g
        h = o * torch.tanh(c)
        hs.append(h)
        cs.append(c)
        fs.append(f)
    return hs, cs, fs


def test_forget_bias_figure_plots_closed_form_and_measurement():
    """The measured curve is ||dL/dc_{T-lag}|| / ||dL/dc_T|| (batch mean) of the chapter's LSTM,
    here by autograd through the LSTM written out in this file, not through the library's
    probe; the closed form is sigma(b)^lag.
    Catches: a figure (or ``forget_gate_decay``) that never sets the bias, plots the norms in
    time order instead of by lag, normalises by the first step, or swaps the two curves."""
    steps, hidden = 30, 16
    for bias in (-1.0, 2.5):
        lines = list(_by_label(frames.forget_bias_frame(bias, steps=steps).axes[0]).values())
        closed, measured = lines[0], lines[1]
        f = 1 / (1 + math.exp(-bias))
        np.testing.assert_allclose(closed, np.maximum(f ** np.arange(float(steps)), 1e-30))
        # The chapter's model: built under seed 0, bias set, 32 adding-problem sequences.
        torch.manual_seed(0)
        task = AddingProblem(T=steps)
        model = make_model("lstm", task, hidden_size=hidden)
        set_forget_bias_(model.rnn, bias)
        x, y = task.sample(32, torch.Generator().manual_seed(0))
        hs, cs, _ = _lstm_unrolled(model.rnn, x)
        head_w, head_b = model.head.weight.double(), model.head.bias.double()
        loss = ((hs[-1] @ head_w.T + head_b).squeeze(-1) - y.double()).pow(2).mean()
        grads = torch.autograd.grad(loss, cs)  # total dL/dc_t, t = 1..T
        norms = torch.stack([g.norm(dim=-1).mean() for g in grads]).detach().numpy()
        expected = norms[::-1] / norms[-1]  # lag 0, 1, ..., T - 1
        np.testing.assert_allclose(measured, np.maximum(expected, 1e-30), rtol=1e-4)


def _carried_by_hand(forget, seed):
    """||g_k|| / ||g|| and cos(g_k, g) for g_k = g * f_T * ... * f_{T-k+1}, a loop from the
    last step back (g: the seeded random vector the chapter carries)."""
    g = torch.randn(forget.shape[1], generator=torch.Generator().manual_seed(seed)).double()
    carried, ratio, cosine = g.clone(), [], []
    for t in range(forget.shape[0] - 1, -1, -1):
        carried = carried * forget[t]
        ratio.append((carried.norm() / g.norm()).item())
        cosine.append((carried @ g / (carried.norm() * g.norm())).item())
    return np.array(ratio), np.array(cosine)


def test_gating_figure_plots_the_carried_gradient():
    """The plotted ratio and cosine are a random gradient carried back through the forget
    gates of the chapter's random LSTM, gates and product written out in this file.
    Catches: gates multiplied first-to-last, a figure that ignores its bias slider, the
    cosine taken against the wrong vector, the two panels swapped."""
    steps, hidden = 12, 8
    for bias in (1.5, 3.5):
        fig = frames.gating_frame(bias, steps=steps, hidden=hidden)
        lstm = claims.random_lstm(hidden, seed=0)  # nn.LSTM under seed 0, float64
        set_forget_bias_(lstm, bias)
        x = torch.randn(1, steps, hidden, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            _, _, forget = _lstm_unrolled(lstm, x)
        ratio, cosine = _carried_by_hand(torch.cat(forget), seed=0)
        np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), ratio, rtol=1e-9)
        np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), cosine, rtol=1e-9)


def test_product_of_factors_figure_against_autograd():
    """Chapter 1's explorer: the running product drawn for the tanh RNN equals
    |dh_T/dh_{T-k}| of a one-unit RNN differentiated by autograd (independent code)."""
    w, steps = 1.3, 40
    fig = frames.product_of_factors_frame(w, steps)
    right = fig.axes[1]
    x = torch.tensor(np.random.default_rng(0).normal(size=steps))
    h0 = torch.zeros((), dtype=torch.float64, requires_grad=True)
    hs, h = [], h0
    for t in range(steps):
        h = torch.tanh(w * h + x[t])
        hs.append(h)
    # dh_T/dh_{T-k}, k = 1..steps: differentiate h_T with respect to each earlier state.
    earlier = [h0, *hs[:-1]][::-1]  # h_{T-1}, h_{T-2}, ..., h_0
    grads = torch.autograd.grad(hs[-1], earlier, allow_unused=True)
    expected = np.array([abs(g.item()) for g in grads])
    np.testing.assert_allclose(
        right.lines[1].get_ydata(), np.clip(expected, 1e-26, 1e26), rtol=1e-9
    )
    np.testing.assert_allclose(
        right.lines[0].get_ydata(), np.clip(w ** np.arange(1.0, steps + 1), 1e-26, 1e26)
    )


# -- every explorer of the book: fine sliders, and the chart is the figure's data -----------
def _chapter_explorers():
    """(chapter, cell source) of every ``rnngrad.explore(...)`` cell of the chapters."""
    import glob
    import json as _json
    from pathlib import Path

    book = Path(__file__).resolve().parents[2] / "book" / "chapters"
    for path in sorted(glob.glob(str(book / "*.ipynb"))):
        for cell in _json.loads(Path(path).read_text())["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code" and "rnngrad.explore(" in source:
                yield Path(path).name[:2], source


def _explorer(source: str):
    import functools

    import rnngrad

    return eval(source.strip(), {"rnngrad": rnngrad, "frames": frames, "functools": functools})


EXPLORER_CELLS = list(_chapter_explorers())


def test_the_book_has_its_explorers():
    chapters = sorted({ch for ch, _ in EXPLORER_CELLS})
    assert chapters == ["01", "02", "03", "04", "06", "07", "09", "10", "11", "12", "13", "14",
                        "15", "16", "17"]  # fmt: skip
    assert len(EXPLORER_CELLS) == 16


@pytest.mark.parametrize("chapter, source", EXPLORER_CELLS, ids=[c for c, _ in EXPLORER_CELLS])
def test_explorer_sliders_are_fine(chapter, source):
    """A slider is a knob, not a switch: the main (first) slider has at least 25 positions,
    every other at least 5, and each explorer has a chart for the HTML book.
    Catches: a chapter that puts back a 3-position step, or an explorer whose figure function
    lost its chart (the page would show no explorer)."""
    ex = _explorer(source)
    sizes = [len(s.values) for s in ex.sliders]
    assert sizes[0] >= 25, f"chapter {chapter}: main slider has {sizes[0]} positions"
    assert all(n >= 5 for n in sizes[1:]), f"chapter {chapter}: sliders {sizes}"
    assert ex.chart_fn is not None


def _figure_has_line(ax, x: np.ndarray, y: np.ndarray, ylog: bool) -> bool:
    """Some line of ``ax`` passes through every (x, y) of a chart line (its first len(x)
    points: a chart may show a prefix of what the figure draws beyond its x limit)."""
    for line in ax.lines:
        xd = np.asarray(line.get_xdata(), dtype=float)
        yd = np.asarray(line.get_ydata(), dtype=float)
        if len(xd) < len(x) or not np.array_equal(xd[: len(x)], x):
            continue
        yd = yd[: len(x)]
        if ylog:
            yd = np.where(yd > 0, yd, np.nan)
        if np.allclose(yd, y, rtol=1e-12, atol=0, equal_nan=True):
            return True
    return False


@pytest.mark.parametrize("chapter, source", EXPLORER_CELLS, ids=[c for c, _ in EXPLORER_CELLS])
def test_chart_draws_the_figures_data_at_the_defaults(chapter, source):
    """The PDF's still is the matplotlib figure at the defaults; the HTML page opens on the
    chart at the defaults. Every line of that chart is a line of the figure (same x, same y),
    panel by panel, and the chart has as many panels as the figure has axes.
    Catches: a chart built from another measurement than the figure (a slider ignored, a
    seed or step count that differs, curves clipped differently, panels swapped)."""
    import matplotlib.pyplot as plt

    ex = _explorer(source)
    chart, fig = ex.chart(), ex.figure()
    try:
        assert len(chart["panels"]) == len(fig.axes)
        for p, (panel, ax) in enumerate(zip(chart["panels"], fig.axes, strict=True)):
            for k, line in enumerate(panel["lines"]):
                assert _figure_has_line(ax, panel["x"], line["y"], panel["ylog"]), (
                    f"chapter {chapter}: panel {p} line {k} ({line['label']!r}) is not in "
                    "the figure"
                )
    finally:
        plt.close(fig)
