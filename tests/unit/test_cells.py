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


def test_rnn_step_is_tanh_by_default():
    """Catches another default non-linearity (step_function always passes the module's)."""
    from rnngrad.cells import rnn_step

    g = torch.Generator().manual_seed(0)
    x, h = torch.randn(2, 3, generator=g), torch.randn(2, 4, generator=g)
    w_ih, w_hh = torch.randn(4, 3, generator=g), torch.randn(4, 4, generator=g)
    b_ih, b_hh = torch.randn(4, generator=g), torch.randn(4, generator=g)
    expected = torch.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
    torch.testing.assert_close(rnn_step(x, h, w_ih, w_hh, b_ih, b_hh), expected)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_a_single_vector_steps_like_a_row_of_a_batch(kind):
    """The Jacobians (rnngrad.measure.jacobians) step one sequence as plain vectors (H,):
    the gates are split along the last axis, which for a vector is its only one. Catches a
    split along dim=1 (right for a batch, an error for a vector)."""
    from rnngrad.cells import gru_step, lstm_step

    torch.manual_seed(4)
    cell = CELLS[kind](3, 5).double()
    params = [p.detach() for p in layer_parameters(cell)]
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 5, dtype=torch.float64)
    if kind == "lstm":
        c = torch.randn(2, 5, dtype=torch.float64)
        batch = lstm_step(x, (h, c), *params)
        single = lstm_step(x[1], (h[1], c[1]), *params)
        for a, b in zip(single, batch, strict=True):
            torch.testing.assert_close(a, b[1])
    else:
        torch.testing.assert_close(gru_step(x[1], h[1], *params), gru_step(x, h, *params)[1])


def test_replay_and_unroll_name_what_they_take():
    """Catches: a *Cell accepted by replay, a 2-D input passed on because its last size is
    right (the check needs both conditions, not either), and blurred messages."""
    from rnngrad.cells import replay

    message = r"^replay takes a sequence module; call step_function\(cell\) for a \*Cell$"
    with pytest.raises(TypeError, match=message):
        replay(nn.GRUCell(3, 4), torch.zeros(5, 2, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 3\), got \(5, 3\)"):
        replay(nn.GRU(3, 4), torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, 3\), got \(5, 2, 4\)"):
        replay(nn.GRU(3, 4), torch.zeros(5, 2, 4))
    with pytest.raises(TypeError, match=message.replace("replay", "unroll")):
        unroll(nn.LSTMCell(3, 4), torch.zeros(5, 2, 3))
    with pytest.raises(ValueError, match=r"with batch_first\), got \(5, 3\)$"):
        unroll(nn.GRU(3, 4), torch.zeros(5, 3))


@pytest.mark.parametrize("kind, layers", [("lstm", 1), ("gru", 3), ("lstm", 3)])
def test_unroll_starts_from_zeros_like_the_fused_module(kind, layers):
    """Without a state both start from zeros of shape (layers, B, H) (h and c for the LSTM);
    one sequence (B = 1) under three layers. Catches: a zero start without the layer axis,
    or a single tensor where the LSTM needs the pair (h_0, c_0)."""
    torch.manual_seed(6)
    module = MODULES[kind](3, 4, layers).double()
    x = torch.randn(5, 1, 3, dtype=torch.float64)
    out, last = unroll(module, x)
    fused_out, fused_last = module(x)
    torch.testing.assert_close(out, fused_out)
    for a, b in zip(
        last if kind == "lstm" else [last],
        fused_last if kind == "lstm" else [fused_last],
        strict=True,
    ):
        torch.testing.assert_close(a, b)


def test_cell_types_default_layer_and_unsupported_modules():
    """Each module and cell named by its kind; ``layer_parameters`` and ``step_function``
    read layer 0 unless told; projections and bidirectional modules are refused by name.
    Catches: a misspelt kind for the plain RNN, a default layer of 1 (an error on one-layer
    modules), the projection or direction checks skipped, blurred messages."""
    for kind in ("rnn", "lstm", "gru"):
        assert cell_type(MODULES[kind](2, 3)) == kind
        assert cell_type(CELLS[kind](2, 3)) == kind
    with pytest.raises(TypeError, match="or their \\*Cell, got Linear$"):
        cell_type(nn.Linear(2, 2))
    gru = nn.GRU(3, 4, num_layers=2)
    assert layer_parameters(gru)[1] is gru.weight_hh_l0
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    torch.testing.assert_close(step_function(gru)(x, h), step_function(gru, 0)(x, h))
    lstm = nn.LSTM(3, 4)
    torch.testing.assert_close(
        step_function(lstm)(x, (h, h))[0], lstm(x[None], (h[None], h[None]))[0][0]
    )
    with pytest.raises(ValueError, match="^LSTMs with proj_size > 0 are not supported$"):
        layer_parameters(nn.LSTM(3, 4, proj_size=2))
    with pytest.raises(ValueError, match="^bidirectional modules are not supported$"):
        layer_parameters(nn.GRU(3, 4, bidirectional=True))
