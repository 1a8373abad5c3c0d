"""The figures behind the chapters' explorers draw what the library computes: the plotted
data equal the library's measurement at the slider values (and not, say, at the defaults).

Catches: a figure function that ignores one of its sliders, swaps its curves' labels, or
draws the bound for the wrong singular value."""

import math

import numpy as np
import torch

from rnngrad import frames, rnn_jacobian_norms, set_forget_bias_
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


def test_forget_bias_figure_plots_closed_form_and_measurement():
    for bias in (-1.0, 2.5):
        lines = list(_by_label(frames.forget_bias_frame(bias, steps=30).axes[0]).values())
        closed, measured = lines[0], lines[1]
        f = 1 / (1 + math.exp(-bias))
        np.testing.assert_allclose(closed, np.maximum(f ** np.arange(30.0), 1e-30))
        _, expected = claims.forget_gate_decay(bias, 30, seed=0)
        np.testing.assert_allclose(measured, np.maximum(expected, 1e-30))


def test_gating_figure_plots_the_carried_gradient():
    steps, hidden, bias = 12, 8, 1.5
    fig = frames.gating_frame(bias, steps=steps, hidden=hidden)
    lstm = claims.random_lstm(hidden, seed=0)
    set_forget_bias_(lstm, bias)
    x = torch.randn(1, steps, hidden, generator=torch.Generator().manual_seed(0))
    ratio, cosine = claims.elementwise_gating(claims.forget_activations(lstm, x.double())[0])
    np.testing.assert_allclose(fig.axes[0].lines[0].get_ydata(), ratio.numpy())
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(), cosine.numpy())
    # The slider matters: a larger forget bias carries more of the gradient back.
    more = frames.gating_frame(bias + 2, steps=steps, hidden=hidden).axes[0].lines[0].get_ydata()
    assert more[-1] > ratio[-1].item()


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
