"""Initialisations: read the singular values and the gates back."""

import math

import pytest
import torch
from torch import nn

from rnngrad import (
    chrono_init_,
    memory_time,
    scaled_orthogonal,
    set_forget_bias_,
    set_recurrent_singular_values_,
    set_update_bias_,
    with_singular_values,
)


def test_prescribed_singular_values():
    s = [2.0, 1.0, 0.5, 0.0]
    w = with_singular_values(s, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(torch.linalg.svdvals(w), torch.tensor(s, dtype=w.dtype))
    q = scaled_orthogonal(5, gain=0.9)
    torch.testing.assert_close(q @ q.T, 0.81 * torch.eye(5, dtype=q.dtype))


@pytest.mark.parametrize("kind", [nn.RNN, nn.LSTM, nn.GRU])
def test_module_recurrent_singular_values(kind):
    module = kind(3, 4)
    set_recurrent_singular_values_(
        module, [1.5, 1.0, 0.5, 0.1], generator=torch.Generator().manual_seed(1)
    )
    blocks = module.weight_hh_l0.detach().double().split(4)
    for block in blocks:
        torch.testing.assert_close(
            torch.linalg.svdvals(block),
            torch.tensor([1.5, 1.0, 0.5, 0.1], dtype=torch.float64),
            atol=1e-6,
            rtol=0,
        )


@pytest.mark.parametrize("bias", [-1.0, 0.0, 1.0, 2.0])
def test_forget_bias_gives_sigmoid_activation(bias):
    lstm = nn.LSTM(3, 5, num_layers=2)
    with torch.no_grad():
        for p in lstm.parameters():
            p.zero_()
    set_forget_bias_(lstm, bias)
    from rnngrad.cells import layer_parameters, lstm_step

    w_ih, w_hh, b_ih, b_hh = layer_parameters(lstm, 1)
    gates = (torch.zeros(1, 5) @ w_ih.T + b_ih + b_hh).detach()
    f = torch.sigmoid(gates[0, 5:10])
    torch.testing.assert_close(f, torch.full((5,), 1 / (1 + math.exp(-bias))))
    # One step with c_{t-1} = 1 and nothing written (i * g = 0) keeps exactly f.
    _, c = lstm_step(
        torch.zeros(1, 3), (torch.zeros(1, 5), torch.ones(1, 5)), *layer_parameters(lstm, 0)
    )
    torch.testing.assert_close(c[0].detach(), f)


def test_chrono_memory_times_span_range():
    t_max = 50
    lstm = nn.LSTM(2, 200)
    chrono_init_(lstm, t_max, generator=torch.Generator().manual_seed(0))
    b_f = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[200:400].detach().double()
    b_i = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[:200].detach().double()
    times = memory_time(torch.sigmoid(b_f))
    assert times.min() >= 2 - 1e-5 and times.max() <= t_max + 1e-3
    assert times.max() > 0.8 * t_max  # the range is really used
    torch.testing.assert_close(b_i, -b_f)


def test_bad_arguments():
    with pytest.raises(ValueError, match="singular_values must be finite and >= 0"):
        with_singular_values([1.0, -0.5])
    with pytest.raises(ValueError, match="singular_values must be finite"):
        with_singular_values([float("nan")])
    with pytest.raises(ValueError, match="needs 4 values"):
        set_recurrent_singular_values_(nn.RNN(2, 4), [1.0, 1.0])
    with pytest.raises(ValueError, match="needs an LSTM"):
        set_forget_bias_(nn.GRU(2, 3), 1.0)
    with pytest.raises(ValueError, match="finite"):
        set_forget_bias_(nn.LSTM(2, 3), float("inf"))
    with pytest.raises(ValueError, match="t_max"):
        chrono_init_(nn.LSTM(2, 3), 1)
    with pytest.raises(ValueError, match="n must be"):
        scaled_orthogonal(0)


def test_update_bias_sets_the_gru_update_gate():
    from rnngrad.cells import gru_step, layer_parameters

    gru = nn.GRU(2, 3)
    with torch.no_grad():
        for p in gru.parameters():
            p.zero_()
    set_update_bias_(gru, 2.0)
    # Zero weights, zero input: z = sigma(2), n = 0, so h_t = z * h_{t-1}.
    h = gru_step(torch.zeros(1, 2), torch.ones(1, 3), *layer_parameters(gru, 0))
    torch.testing.assert_close(h.detach(), torch.full((1, 3), 1 / (1 + math.exp(-2.0))))
    with pytest.raises(ValueError, match="needs a GRU"):
        set_update_bias_(nn.LSTM(2, 3), 1.0)


# -- multi-layer modules: every initialiser reaches the layers above the first -------------


def _snapshot(module, layer):
    from rnngrad.cells import layer_parameters

    return [p.detach().clone() for p in layer_parameters(module, layer) if p is not None]


@pytest.mark.parametrize("kind", [nn.RNN, nn.LSTM, nn.GRU])
def test_singular_values_on_layer_one(kind):
    """Catches: ``layer=`` ignored (layer 0 written instead) or every layer written."""
    module = kind(3, 4, num_layers=3)
    untouched = {k: _snapshot(module, k) for k in (0, 2)}
    s = [1.5, 1.0, 0.5, 0.1]
    set_recurrent_singular_values_(module, s, generator=torch.Generator().manual_seed(1), layer=1)
    for block in module.weight_hh_l1.detach().double().split(4):
        torch.testing.assert_close(
            torch.linalg.svdvals(block), torch.tensor(s, dtype=torch.float64), atol=1e-6, rtol=0
        )
    for k, before in untouched.items():
        for p, q in zip(_snapshot(module, k), before, strict=True):
            assert torch.equal(p, q), f"layer {k} changed"


def _gate_bias(module, layer, gate):
    """Total bias (b_ih + b_hh) of gate number ``gate`` (LSTM i,f,g,o; GRU r,z,n)."""
    h = module.hidden_size
    b_ih, b_hh = getattr(module, f"bias_ih_l{layer}"), getattr(module, f"bias_hh_l{layer}")
    return (b_ih + b_hh)[gate * h : (gate + 1) * h].detach()


def test_forget_bias_on_every_layer_or_one():
    lstm = nn.LSTM(3, 5, num_layers=3)
    set_forget_bias_(lstm, 2.0)
    for k in range(3):
        torch.testing.assert_close(_gate_bias(lstm, k, 1), torch.full((5,), 2.0))
    before = {k: _snapshot(lstm, k) for k in (0, 2)}
    set_forget_bias_(lstm, -1.0, layer=1)
    torch.testing.assert_close(_gate_bias(lstm, 1, 1), torch.full((5,), -1.0))
    for k, snap in before.items():
        for p, q in zip(_snapshot(lstm, k), snap, strict=True):
            assert torch.equal(p, q), f"layer {k} changed"


def test_chrono_reaches_every_layer():
    """Catches: a chrono loop over layer 0 only, or one draw shared by all layers."""
    t_max = 40
    lstm = nn.LSTM(2, 64, num_layers=3)
    chrono_init_(lstm, t_max, generator=torch.Generator().manual_seed(0))
    forget = []
    for k in range(3):
        b_f, b_i = _gate_bias(lstm, k, 1).double(), _gate_bias(lstm, k, 0).double()
        times = memory_time(torch.sigmoid(b_f))
        assert times.min() >= 2 - 1e-5 and times.max() <= t_max + 1e-3, f"layer {k}"
        assert times.max() > 0.8 * t_max, f"layer {k} does not use the range"
        torch.testing.assert_close(b_i, -b_f)
        forget.append(b_f)
    assert not torch.equal(forget[1], forget[2])


def test_update_bias_reaches_every_layer():
    """Zero weights and inputs: z = sigma(b) in layer 1 too, so h_t = z * h_{t-1} there.
    Catches: an update bias set on the first layer only."""
    from rnngrad.cells import gru_step, layer_parameters

    gru = nn.GRU(2, 3, num_layers=2)
    with torch.no_grad():
        for p in gru.parameters():
            p.zero_()
    set_update_bias_(gru, 1.5)
    z = 1 / (1 + math.exp(-1.5))
    for k in range(2):
        torch.testing.assert_close(_gate_bias(gru, k, 1), torch.full((3,), 1.5))
        x = torch.zeros(1, 2 if k == 0 else 3)
        h = gru_step(x, torch.ones(1, 3), *layer_parameters(gru, k))
        torch.testing.assert_close(h.detach(), torch.full((1, 3), z))


def test_orthogonal_matrices_sizes_defaults_and_generators():
    """One by one is a valid size ([[+-1]]); zero and 2.0 are not; the same
    generator seed gives the same matrix; the defaults are gain 1 in float64. Catches: a size
    check that lets 0 or a float through (or refuses 1), a generator that is not used (the
    global stream instead), another default gain or dtype, blurred messages."""
    from rnngrad.cells.init import random_orthogonal

    one = random_orthogonal(1, torch.Generator().manual_seed(0))
    assert one.shape == (1, 1) and abs(one.item()) == 1.0
    assert scaled_orthogonal(1).abs().item() == pytest.approx(1.0)
    for bad in (0, 2.0):
        with pytest.raises(ValueError, match=f"^n must be a positive int, got {bad!r}$"):
            random_orthogonal(bad)
    for make in (random_orthogonal, scaled_orthogonal):
        a = make(4, generator=torch.Generator().manual_seed(3))
        b = make(4, generator=torch.Generator().manual_seed(3))
        assert torch.equal(a, b)
    q = scaled_orthogonal(4)
    assert q.dtype == torch.float64
    torch.testing.assert_close(q @ q.T, torch.eye(4, dtype=torch.float64))
    with pytest.raises(ValueError, match="^singular_values must not be empty$"):
        with_singular_values([])


def test_forget_bias_refusals_name_the_module():
    """Catches: messages that do not name the module, or blur the bias-free case."""
    with pytest.raises(ValueError, match="^a forget-gate bias needs an LSTM, got GRU$"):
        set_forget_bias_(nn.GRU(2, 3), 1.0)
    message = "^the LSTM was built with bias=False; it has no forget-gate bias$"
    with pytest.raises(ValueError, match=message):
        set_forget_bias_(nn.LSTM(2, 3, bias=False), 1.0)


def test_a_requested_dtype_reaches_every_factor():
    """Catches a ``dtype`` dropped on the way (float64 factors against float32 values: an
    error, or a float64 matrix returned for float32)."""
    g = torch.Generator().manual_seed(2)
    w = with_singular_values([2.0, 0.5], generator=g, dtype=torch.float32)
    assert w.dtype == torch.float32
    torch.testing.assert_close(torch.linalg.svdvals(w), torch.tensor([2.0, 0.5]))
    assert scaled_orthogonal(3, 0.5, generator=g, dtype=torch.float32).dtype == torch.float32
