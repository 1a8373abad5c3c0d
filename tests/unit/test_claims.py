"""The chapters' claims, asserted at small, fast sizes: a library change that breaks one
fails here, not silently in the prose."""

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


def test_forget_bias_closed_form_is_the_zero_weight_limit():
    """Part I, ch. 2 (preview): with zero recurrent weights the measured decay is sigma(b)^lag."""
    closed, measured = rnngrad.measure.claims.forget_gate_decay(1.0, steps=30)
    assert np.all(np.diff(measured) < 0) and measured[0] == 1.0
    assert np.isclose(closed[10], (1 / (1 + np.exp(-1.0))) ** 10)


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
