"""The textbook cells replay PyTorch's fused modules exactly: same outputs, same gradients."""

import pytest
import torch
from torch import nn

from rnngrad.cells import cell_type, layer_parameters, step_function, unroll

MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
CELLS = {"rnn": nn.RNNCell, "lstm": nn.LSTMCell, "gru": nn.GRUCell}
TOL = {torch.float64: 1e-10, torch.float32: 1e-5}


def _grads(module):
    return [p.grad.clone() for p in module.parameters()]


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kind", ["rnn", "relu", "lstm", "gru"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_unroll_matches_fused_module(kind, seed, dtype):
    g = torch.Generator().manual_seed(seed)
    size = lambda lo, hi: int(torch.randint(lo, hi, (), generator=g))  # noqa: E731
    n_in, hidden, layers, T, B = size(1, 6), size(1, 9), size(1, 4), size(1, 12), size(1, 5)
    batch_first = bool(seed % 2)
    torch.manual_seed(seed)
    extra = {"nonlinearity": "relu"} if kind == "relu" else {}
    module = MODULES["rnn" if kind == "relu" else kind](
        n_in, hidden, layers, batch_first=batch_first, **extra
    ).to(dtype)
    shape = (B, T, n_in) if batch_first else (T, B, n_in)
    x = torch.randn(*shape, generator=g, dtype=dtype)
    h0 = torch.randn(layers, B, hidden, generator=g, dtype=dtype)
    state = (h0, torch.randn_like(h0)) if kind == "lstm" else h0

    fused_out, fused_state = module(x, state)
    (
        fused_out.sin().sum()
        + torch.cat(list(fused_state) if kind == "lstm" else [fused_state]).sum()
    ).backward()
    fused_grads = _grads(module)
    module.zero_grad()

    out, last = unroll(module, x, state)
    (out.sin().sum() + torch.cat(list(last) if kind == "lstm" else [last]).sum()).backward()

    tol = TOL[dtype]
    torch.testing.assert_close(out, fused_out, atol=tol, rtol=tol)
    for mine, theirs in zip(_grads(module), fused_grads, strict=True):
        torch.testing.assert_close(mine, theirs, atol=tol * 10, rtol=tol * 10)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_step_matches_pytorch_cell(kind, dtype):
    """One step of the textbook cell against nn.RNNCell/LSTMCell/GRUCell: outputs and the
    gradients of every parameter."""
    torch.manual_seed(3)
    cell = CELLS[kind](4, 6).to(dtype)
    x, h = torch.randn(5, 4, dtype=dtype), torch.randn(5, 6, dtype=dtype)
    state = (h, torch.randn_like(h)) if kind == "lstm" else h
    outputs = {}
    for name, fn in (("pytorch", cell), ("textbook", step_function(cell))):
        cell.zero_grad()
        out = fn(x, state)
        out = list(out) if kind == "lstm" else [out]
        sum(o.sin().sum() for o in out).backward()
        outputs[name] = (out, _grads(cell))
    tol = TOL[dtype]
    for a, b in zip(*(outputs[n][0] for n in ("textbook", "pytorch")), strict=True):
        torch.testing.assert_close(a, b, atol=tol, rtol=tol)
    for a, b in zip(*(outputs[n][1] for n in ("textbook", "pytorch")), strict=True):
        torch.testing.assert_close(a, b, atol=tol * 10, rtol=tol * 10)


def test_bias_free_modules():
    torch.manual_seed(0)
    module = nn.GRU(3, 4, bias=False).double()
    x = torch.randn(7, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(unroll(module, x)[0], module(x)[0])


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="nn.RNN/LSTM/GRU"):
        cell_type(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="x must have shape"):
        unroll(nn.LSTM(3, 4), torch.randn(5, 2, 7))
    with pytest.raises(ValueError, match="layer must be"):
        layer_parameters(nn.LSTM(3, 4, num_layers=2), layer=2)
    with pytest.raises(ValueError, match="nonlinearity"):
        from rnngrad.cells import rnn_step

        rnn_step(
            torch.zeros(1, 1),
            torch.zeros(1, 1),
            torch.zeros(1, 1),
            torch.zeros(1, 1),
            None,
            None,
            nonlinearity="sigmoid",
        )


def _cho_gru_step(x, h, w_ih, w_hh, b_ih, b_hh):
    """The other GRU convention (Chung et al., 2014; d2l): z lets the *candidate* in,
    h_t = z * n_t + (1 - z) * h_{t-1}. Written out here, independently of rnngrad.cells."""
    xr, xz, xn = (x @ w_ih.T + b_ih).chunk(3, dim=-1)
    hr, hz, hn = (h @ w_hh.T + b_hh).chunk(3, dim=-1)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return z * n + (1 - z) * h


def test_the_two_gru_conventions_are_one_model_under_z_to_one_minus_z():
    """Negating the update gate's weights and biases turns sigma(a) into 1 - sigma(a): the
    same network in either convention. So a positive update bias in PyTorch's convention
    (z keeps the old state) is a negative one in the other. Catches: a library GRU written
    in the other convention while the book says PyTorch's (the replay would then disagree
    with nn.GRU unless the z block were flipped)."""
    from rnngrad.cells import gru_step

    torch.manual_seed(5)
    cell = nn.GRUCell(3, 4).double()
    x, h = torch.randn(6, 3, dtype=torch.float64), torch.randn(6, 4, dtype=torch.float64)
    params = [p.detach() for p in layer_parameters(cell)]
    flipped = [p.clone() for p in params]
    for p in flipped:
        p[4:8] = -p[4:8]  # the z block (gate order r, z, n)
    ours = gru_step(x, h, *params)
    torch.testing.assert_close(ours, cell(x, h).detach())
    torch.testing.assert_close(_cho_gru_step(x, h, *flipped), ours, atol=1e-12, rtol=1e-12)
    # Without the flip the two conventions are different models.
    assert not torch.allclose(_cho_gru_step(x, h, *params), ours, atol=1e-3)
