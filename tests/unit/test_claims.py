"""The chapters' claims, asserted at small, fast sizes: a library change that breaks one
fails here, not silently in the prose."""

import math

import numpy as np
import pytest
import torch

import rnngrad


def test_saturation_turns_exploding_into_vanishing():
    """Part I, ch. 2: sigma_max > 1 is only necessary for exploding."""
    w = rnngrad.with_singular_values(
        np.linspace(1.5, 0.5, 16), generator=torch.Generator().manual_seed(0)
    )
    linear = rnngrad.rnn_jacobian_norms(w, 60, nonlinearity="linear")[-1]
    saturated = rnngrad.rnn_jacobian_norms(w, 60, nonlinearity="tanh", input_scale=3.0)[-1]
    assert linear > 100 and saturated < 1e-10


def test_clipping_rescues_the_exploding_relu_rnn():
    """Part I, ch. 2: unclipped runs spike (or end non-finite); clipped runs all train.
    Which unclipped run breaks, and when, depends on rounding, so the claim is over seeds."""
    task = rnngrad.EchoSeries(T=50, delay=10)
    runs = {}
    for clip in (None, 1.0):
        for seed in range(3):
            torch.manual_seed(seed)
            model = rnngrad.make_model("rnn", task, hidden_size=32, nonlinearity="relu")
            rnngrad.set_recurrent_singular_values_(
                model.rnn, 1.1, generator=torch.Generator().manual_seed(seed)
            )
            runs[clip, seed] = rnngrad.train(
                model,
                task,
                steps=300,
                lr=0.03,
                optimizer="sgd",
                clip=clip,
                seed=seed,
                progress=False,
                device="cpu",
            )
    assert any(runs[None, s].diverged or max(runs[None, s].grad_norm) > 1e3 for s in range(3))
    assert not any(runs[1.0, s].diverged for s in range(3))
    assert all(runs[1.0, s].final_metric < task.baseline for s in range(3))


def test_forget_bias_decides_whether_the_gradient_reaches_the_subject():
    """Part I, ch. 2: across 8 clauses an untrained LSTM with PyTorch's default forget bias (0)
    passes back no more than the RNN; a forget bias of 1 or 3 passes back orders of magnitude more."""
    task = rnngrad.AgreementTask(clauses=8)
    x, y = task.sample(64, torch.Generator().manual_seed(0))
    reach = {}
    for name, cell, bias in [
        ("rnn", "rnn", None),
        ("lstm0", "lstm", 0.0),
        ("lstm1", "lstm", 1.0),
        ("lstm3", "lstm", 3.0),
    ]:
        torch.manual_seed(0)
        model = rnngrad.make_model(cell, task, 64)
        if bias is not None:
            rnngrad.set_forget_bias_(model.rnn, bias)
        norms = rnngrad.probe(model, task, x, y).gradient_norms()
        reach[name] = (norms[1] / norms[-1]).item()
    assert reach["lstm0"] < 10 * reach["rnn"]
    assert reach["lstm1"] > 100 * reach["rnn"]
    assert reach["lstm3"] > 100 * reach["lstm1"] or reach["lstm3"] > 1e-2


def _sigmoid(b: float) -> float:
    return 1 / (1 + math.exp(-b))


@pytest.mark.parametrize("bias", [-1.0, 1.0, 3.0])
def test_forget_bias_closed_form_is_the_zero_weight_limit(monkeypatch, bias):
    """Part I, ch. 2 (preview): with zero LSTM weights, ``forget_gate_decay``'s own measurement
    is its closed form sigma(b)^lag at every lag (the LSTM is built by the function; only its
    weights are zeroed here, before it sets the bias and probes).
    Catches: a decay that never sets the forget bias (sigma(0)^lag = 0.5^lag), measured
    norms left in time order or normalised by the first step instead of the last."""
    from rnngrad.measure import claims

    build = claims.make_model

    def zero_weights(*args, **kwargs):
        model = build(*args, **kwargs)
        with torch.no_grad():
            for p in model.rnn.parameters():
                p.zero_()
        return model

    monkeypatch.setattr(claims, "make_model", zero_weights)
    closed, measured = claims.forget_gate_decay(bias, steps=25, hidden=4)
    expected = np.array([_sigmoid(bias) ** lag for lag in range(25)])
    np.testing.assert_allclose(closed, expected, rtol=1e-12)
    np.testing.assert_allclose(measured, expected, rtol=1e-4)


def test_forget_bias_sets_the_decay_rate_of_a_random_lstm():
    """With PyTorch's random weights the measured decay per step stays near sigma(b) (the
    weights' extra paths add about 0.1 at this size): 0.27 at b = -1, 0.95 at b = 3, so the
    curves of the chapter's two biases are far apart.
    Catches: a bias that is never set (both rates near sigma(0) = 0.5 plus the same 0.1)."""
    from rnngrad.measure import claims

    for bias in (-1.0, 3.0):
        closed, measured = claims.forget_gate_decay(bias, steps=30)
        lags = np.arange(1, 30)
        rate = math.exp(np.polyfit(lags, np.log(measured[1:]), 1)[0])  # per-step factor
        assert measured[0] == 1.0
        assert abs(rate - _sigmoid(bias)) < 0.15, (bias, rate)


def test_elementwise_gating_multiplies_the_last_gates_first():
    """g_k = g * f_T * f_{T-1} * ... * f_{T-k+1}, written out: the gradient entering at step T
    crosses the last gate first. Forget gates that rise through the sequence make the order
    visible (the first gates are small, the last near 1).
    Catches: ``torch.cumprod(forget, dim=0)`` without ``.flip(0)`` (the first gates first),
    a product that includes one gate too many, a cosine taken against the wrong vector."""
    from rnngrad.measure import claims

    T, H = 6, 3
    g_forget = torch.Generator().manual_seed(5)
    forget = torch.linspace(0.1, 0.95, T).unsqueeze(1) * (
        0.8 + 0.2 * torch.rand(T, H, generator=g_forget)
    )
    ratio, cosine = claims.elementwise_gating(forget.double(), seed=3)
    g = torch.randn(H, generator=torch.Generator().manual_seed(3)).double()  # its random g
    for k in range(1, T + 1):
        carried = [g[j].item() for j in range(H)]
        for step in range(T - 1, T - k - 1, -1):  # steps T, T-1, ..., T-k+1 (0-based)
            carried = [carried[j] * forget[step, j].item() for j in range(H)]
        norm_c = math.sqrt(sum(c * c for c in carried))
        norm_g = math.sqrt(sum(v.item() ** 2 for v in g))
        dot = sum(c * v.item() for c, v in zip(carried, g, strict=True))
        assert ratio[k - 1].item() == pytest.approx(norm_c / norm_g, rel=1e-6)
        assert cosine[k - 1].item() == pytest.approx(dot / (norm_c * norm_g), rel=1e-6)


def test_measures_for_part_iv_are_defined_once():
    """Catches reach taken at word 1 instead of the given position, and an arithmetic mean of f."""
    from rnngrad.measure import claims

    norms = torch.tensor([8.0, 4.0, 2.0, 1.0])  # the gradient doubles at every step back
    assert claims.reach_at(norms, 1) == 4.0
    assert claims.geometric_mean_forget(torch.tensor([0.1, 1.0])) == pytest.approx(0.1**0.5)
    lstm = claims.random_lstm(8, seed=0)
    x = torch.randn(30, 8, dtype=torch.float64)
    v = torch.ones(8, dtype=torch.float64)
    assert 0 < claims.diagonal_path_share(lstm, x, v, 10) < 1
    with torch.no_grad():
        lstm.weight_hh_l0.zero_()
    assert claims.diagonal_path_share(lstm, x, v, 10) == pytest.approx(1.0)


def test_forget_bias_decay_is_sigma_b_to_the_lag_with_zero_weights():
    """With every LSTM weight and bias zero except the forget bias b, the cell gradient decays
    exactly as sigma(b)^lag: the probe's dL/dc_t against the closed form. Catches a cell or
    probe that multiplies by anything but f (f(1-f), f one step late, a missing term)."""
    task = rnngrad.AddingProblem(T=20)
    model = rnngrad.make_model("lstm", task, hidden_size=4, seed=0).double()
    with torch.no_grad():
        for p in model.rnn.parameters():
            p.zero_()
    rnngrad.set_forget_bias_(model.rnn, 1.0)
    x, y = task.sample(8, torch.Generator().manual_seed(0))
    norms = rnngrad.probe(model, task, x.double(), y.double()).dL_dc.norm(dim=-1).mean(0)
    measured = norms.flip(0) / norms[-1]  # lag 0, 1, ..., T - 1
    closed = torch.sigmoid(torch.tensor(1.0, dtype=torch.float64)) ** torch.arange(20)
    torch.testing.assert_close(measured, closed, rtol=1e-12, atol=0.0)
