"""The LSTM's 2H x 2H block Jacobian and the GRU's dh_t/dh_{t-1}, written from their closed
forms in rnngrad.jacobians, checked against PyTorch autograd over many steps (float64).

Each test names the wrong implementation it catches."""

import pytest
import torch

from rnngrad.cells import gru_step, layer_parameters, lstm_step
from rnngrad.measure import jacobians as J

H, T = 6, 80


def _lstm(scale=1.0, seed=0):
    torch.manual_seed(seed)
    lstm = torch.nn.LSTM(H, H).double()
    with torch.no_grad():
        lstm.weight_hh_l0.mul_(scale)
    x = torch.randn(T, H, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.float64)
    return lstm, x


def _autograd_state_jacobian(lstm, x):
    params = layer_parameters(lstm)

    def run(s0):
        c, h = s0[:H], s0[H:]
        for x_t in x:
            h, c = lstm_step(x_t, (h, c), *params)
        return torch.cat([c, h])

    return torch.autograd.functional.jacobian(run, torch.zeros(2 * H, dtype=torch.float64))


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
def test_product_of_lstm_blocks_is_the_autograd_jacobian(scale):
    """Catches: a block missing the output gate's W-path (dh/dh without W_ho), a transposed
    W block, or the product taken in the wrong order (earliest step on the left)."""
    lstm, x = _lstm(scale)
    blocks = J.lstm_blocks(lstm, x)
    auto = _autograd_state_jacobian(lstm, x)
    product = J.chain([b.matrix() for b in blocks])
    torch.testing.assert_close(product, auto, rtol=1e-9, atol=1e-13 * auto.abs().max().item())


def test_each_block_matches_autograd_and_dc_dc_is_diag_f():
    """Catches a block written with the gate's derivative f(1-f) where its value f belongs."""
    lstm, x = _lstm(1.0)
    params = layer_parameters(lstm)
    hs, cs = J.lstm_states(lstm, x)
    for t in (0, 17, T - 1):
        block = J.lstm_block(x[t], hs[t], cs[t], params)

        def step(s, t=t):
            h, c = lstm_step(x[t], (s[H:], s[:H]), *params)
            return torch.cat([c, h])

        auto = torch.autograd.functional.jacobian(step, torch.cat([cs[t], hs[t]]))
        torch.testing.assert_close(block.matrix(), auto, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(block.dc_dc, torch.diag(block.gates[1]))


def test_dc_T_dc_0_with_h0_computed_from_c0():
    """Catches dropping the P_ch diag(o_0 tanh'(c_0)) term when h_0 = o_0 tanh(c_0)."""
    lstm, x = _lstm(1.5, seed=3)
    params = layer_parameters(lstm)
    g = torch.Generator().manual_seed(9)
    c0 = torch.randn(H, generator=g, dtype=torch.float64)
    o0 = torch.rand(H, generator=g, dtype=torch.float64)

    def run(c):
        h = o0 * torch.tanh(c)
        for x_t in x:
            h, c = lstm_step(x_t, (h, c), *params)
        return c

    auto = torch.autograd.functional.jacobian(run, c0)
    blocks = J.lstm_blocks(lstm, x, o0 * torch.tanh(c0), c0)
    got = J.lstm_cell_jacobian(blocks, c0, o0)
    torch.testing.assert_close(got, auto, rtol=1e-9, atol=1e-13 * auto.abs().max().item())
    # The chained one-step factors of the old derivation are not the gradient.
    hs, cs = J.lstm_states(lstm, x, o0 * torch.tanh(c0), c0)
    chained = J.chain(J.one_step_factors(blocks, hs, cs, o0))
    rel = torch.linalg.matrix_norm(chained - auto) / torch.linalg.matrix_norm(auto)
    assert rel > 1e-3
    # ...but for one step they agree: the first factor is exact.
    torch.testing.assert_close(
        J.one_step_factors(blocks[:1], hs, cs, o0)[0], J.lstm_cell_jacobian(blocks[:1], c0, o0)
    )


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_product_of_gru_jacobians_is_the_autograd_jacobian(scale):
    """Catches the reset gate applied before the matrix (Cho et al.'s U(r*h)) instead of
    PyTorch's r*(W h + b_hn), or a dropped z(1-z)(h - n) W_hz term."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(H, H).double()
    with torch.no_grad():
        gru.weight_hh_l0.mul_(scale)
    x = torch.randn(T, H, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    params = layer_parameters(gru)

    def run(h):
        for x_t in x:
            h = gru_step(x_t, h, *params)
        return h

    auto = torch.autograd.functional.jacobian(run, torch.zeros(H, dtype=torch.float64))
    got = J.chain([j.matrix() for j in J.gru_jacobians(gru, x)])
    torch.testing.assert_close(got, auto, rtol=1e-9, atol=1e-13 * auto.abs().max().item())


def _autograd_cell_gradients(lstm, x, v):
    params = layer_parameters(lstm)
    h = c = torch.zeros(H, dtype=torch.float64)
    cs = []
    for x_t in x:
        h, c = lstm_step(x_t, (h, c), *params)
        cs.append(c)
    return torch.autograd.grad((v * h).sum(), cs)


def test_lstm_path_split_totals_are_autograd_and_direct_is_the_forget_product():
    """Catches a direct part carried by the one-step factor instead of f alone, or totals
    that forget the path through h_t."""
    lstm, x = _lstm(1.0)
    v = torch.randn(H, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    split = J.lstm_path_split(lstm, x, v)
    auto = torch.stack([g.norm() for g in _autograd_cell_gradients(lstm, x, v)]).flip(0)
    torch.testing.assert_close(split.total, auto, rtol=1e-10, atol=1e-300)
    blocks = J.lstm_blocks(lstm, x)
    f = torch.stack([b.gates[1] for b in blocks])
    grads = _autograd_cell_gradients(lstm, x, v)
    k = 10
    expected = (torch.prod(f[T - k :], dim=0) * grads[-1]).norm()
    torch.testing.assert_close(split.direct[k], expected)
    # With zero recurrent weights nothing travels the W-paths.
    with torch.no_grad():
        lstm.weight_hh_l0.zero_()
    assert J.lstm_path_split(lstm, x, v).rest.max() < 1e-12


def test_gru_path_split_zero_weights_is_all_direct():
    torch.manual_seed(0)
    gru = torch.nn.GRU(H, H).double()
    with torch.no_grad():
        gru.weight_hh_l0.zero_()
    x = torch.randn(20, H, dtype=torch.float64)
    split = J.gru_path_split(gru, x, torch.ones(H, dtype=torch.float64))
    assert split.rest.max() < 1e-12 and torch.allclose(
        split.direct_share(), torch.ones(20).double()
    )


def _split(forget_bias, singular_value=None, hidden=16, steps=60):
    import rnngrad

    torch.manual_seed(0)
    lstm = torch.nn.LSTM(hidden, hidden).double()
    rnngrad.set_forget_bias_(lstm, forget_bias)
    if singular_value is not None:
        rnngrad.set_recurrent_singular_values_(
            lstm, singular_value, generator=torch.Generator().manual_seed(0)
        )
    g = torch.Generator().manual_seed(1)
    x = torch.randn(steps, hidden, dtype=torch.float64, generator=g)
    v = torch.randn(hidden, dtype=torch.float64, generator=g)
    split = J.lstm_path_split(lstm, x, v)
    return split.direct / split.total[0], split.rest / split.total[0]


def test_chapter_3_path_statements():
    """Chapter 3's sentences about the paths, asserted on a small LSTM: at forget bias 0 both
    parts die; an open forget gate keeps the diagonal path *and* the W-paths alive; a large
    recurrent matrix makes the W-paths explode while the diagonal path stays below 1."""
    d0, r0 = _split(0.0)
    d3, r3 = _split(3.0)
    db, rb = _split(3.0, singular_value=4.0, hidden=64)  # the chapter's width
    assert d0[40] < 1e-6 and r0[40] < 1e-4
    assert d3[40] > 1e-3 and r3[40] > 1e3 * r0[40]
    assert (d3 / (d3 + r3))[5] > (d3 / (d3 + r3))[40]  # the pure diagonal's share falls with lag
    assert rb[40] > 1 and db.max() <= 1 + 1e-12


@pytest.mark.parametrize("singular_value", [None, 2.0])
def test_random_lstm_paths_is_the_documented_measurement(singular_value):
    """The book's measurement rebuilt from its description: ``nn.LSTM(hidden, hidden)`` in
    float64 under ``torch.manual_seed(0)``, the forget gate's total bias set (b_ih's forget
    rows, b_hh's zeroed), optionally every recurrent singular value set (generator seed 0),
    then per sequence x ~ N(0, 1) (steps, hidden) followed by dL/dh_T ~ N(0, 1) from one
    generator (seed 1), each split's parts divided by its ||dL/dc_T|| and averaged.
    Catches: other seeds or draw order, a forget bias on one bias vector only, parts not
    relative to ||dL/dc_T|| (or to the wrong lag), a sum instead of a mean, the singular
    values ignored."""
    import rnngrad

    hidden, steps, sequences = 5, 12, 3
    direct, rest = J.random_lstm_paths(
        1.5, singular_value, hidden=hidden, steps=steps, sequences=sequences
    )
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(hidden, hidden).double()
    with torch.no_grad():
        lstm.bias_ih_l0[hidden : 2 * hidden] = 1.5
        lstm.bias_hh_l0[hidden : 2 * hidden] = 0.0
    if singular_value is not None:
        rnngrad.set_recurrent_singular_values_(
            lstm, singular_value, generator=torch.Generator().manual_seed(0)
        )
        assert torch.linalg.svdvals(lstm.weight_hh_l0.detach()).max() > 1.5
    g = torch.Generator().manual_seed(1)
    d, r = torch.zeros(steps, dtype=torch.float64), torch.zeros(steps, dtype=torch.float64)
    for _ in range(sequences):
        x = torch.randn(steps, hidden, dtype=torch.float64, generator=g)
        v = torch.randn(hidden, dtype=torch.float64, generator=g)
        split = J.lstm_path_split(lstm, x, v)
        d += split.direct / split.total[0] / sequences
        r += split.rest / split.total[0] / sequences
    assert direct.shape == rest.shape == (steps,)
    torch.testing.assert_close(direct, d, rtol=1e-12, atol=0)
    torch.testing.assert_close(rest, r, rtol=1e-12, atol=0)
    assert direct[0] == pytest.approx(1.0) and rest[0] == pytest.approx(0.0, abs=1e-12)


def test_gru_path_split_totals_are_autograd_and_direct_is_the_update_gate_product():
    """For L = <v, h_T>: ``total`` at lag k is ||dL/dh_{T-k}|| from autograd, ``direct`` is
    ||z_{T-k+1} ... z_T * v|| and ``rest`` the norm of the difference, one number per lag.
    Catches: totals never compared (None, or one norm over all lags), the direct part or
    the rest normed over the whole array instead of per lag."""
    torch.manual_seed(0)
    gru = torch.nn.GRU(H, H).double()
    steps = 15
    x = torch.randn(steps, H, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    v = torch.randn(H, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    split = J.gru_path_split(gru, x, v)
    params = layer_parameters(gru)
    h, hs = torch.zeros(H, dtype=torch.float64), []
    for x_t in x:
        h = gru_step(x_t, h, *params)
        hs.append(h)
    grads = torch.autograd.grad((v * h).sum(), hs)  # dL/dh_1 .. dL/dh_T
    auto = torch.stack([g.norm() for g in grads]).flip(0)  # by lag
    assert split.total.shape == split.direct.shape == split.rest.shape == (steps,)
    torch.testing.assert_close(split.total, auto, rtol=1e-10, atol=1e-300)
    z = torch.stack([j.gates[1] for j in J.gru_jacobians(gru, x)])  # z_1 .. z_T
    for k in (0, 1, 6):
        direct = torch.prod(z[steps - k :], dim=0) * v
        assert split.direct[k].item() == pytest.approx(direct.norm().item(), rel=1e-10)
        rest = (grads[steps - 1 - k] - direct).norm().item()
        assert split.rest[k].item() == pytest.approx(rest, rel=1e-10)


def test_direct_share_is_direct_over_direct_plus_rest():
    """3 / (3 + 1) = 0.75 and 0 / (0 + 2) = 0. Catches a share taken as direct / (direct - rest)
    (1.5), which the all-direct case (rest = 0) cannot tell."""
    split = J.PathSplit(
        total=torch.tensor([3.5, 2.0]),
        direct=torch.tensor([3.0, 0.0]),
        rest=torch.tensor([1.0, 2.0]),
    )
    torch.testing.assert_close(split.direct_share(), torch.tensor([0.75, 0.0]))


def test_jacobians_of_modules_without_biases_and_from_a_given_start():
    """A GRU and an LSTM built with ``bias=False`` have no bias tensors (None): their
    Jacobians still match autograd, the GRU's from a non-zero h_0. Catches: every parameter
    detached, None included (an error), and a start ``h0`` that is ignored (zeros used)."""
    torch.manual_seed(1)
    gru = torch.nn.GRU(H, H, bias=False).double()
    x = torch.randn(6, H, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    h0 = torch.randn(H, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    params = layer_parameters(gru)

    def run(h):
        for x_t in x:
            h = gru_step(x_t, h, *params)
        return h

    auto = torch.autograd.functional.jacobian(run, h0)
    got = J.chain([j.matrix() for j in J.gru_jacobians(gru, x, h0)])
    torch.testing.assert_close(got, auto, rtol=1e-9, atol=1e-14)
    torch.manual_seed(2)
    lstm = torch.nn.LSTM(H, H, bias=False).double()
    auto = _autograd_state_jacobian(lstm, x)
    got = J.chain([b.matrix() for b in J.lstm_blocks(lstm, x)])
    torch.testing.assert_close(got, auto, rtol=1e-9, atol=1e-14)


def test_random_lstm_paths_defaults_are_the_books_setting():
    """Chapters 3 and 10 call it with a forget bias alone: 64 units, 100 steps, 4 sequences.
    Catches other defaults (the chapters would measure another LSTM)."""
    explicit = J.random_lstm_paths(3.0, hidden=64, steps=100, sequences=4)
    for a, b in zip(J.random_lstm_paths(3.0), explicit, strict=True):
        assert torch.equal(a, b)


def test_lstm_path_orders_add_up_to_the_path_split():
    """Count 0 is the diagonal path, all counts together the total dL/dc_t, counts >= 1 the
    W-paths; a path can pass W at most once per step back. Catches a count that does not rise
    through W (or rises on diag(f)), and a recursion that drops a block."""
    lstm, x = _lstm(1.5)
    v = torch.randn(H, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    orders = J.lstm_path_orders(lstm, x, v)
    split = J.lstm_path_split(lstm, x, v)
    torch.testing.assert_close(orders[:, 0].norm(dim=1), split.direct, rtol=1e-10, atol=1e-300)
    torch.testing.assert_close(orders.sum(1).norm(dim=1), split.total, rtol=1e-10, atol=1e-300)
    torch.testing.assert_close(orders[:, 1:].sum(1).norm(dim=1), split.rest, rtol=1e-9, atol=1e-14)
    lag = torch.arange(orders.shape[0])[:, None]
    beyond = torch.arange(orders.shape[1])[None, :] > lag  # more passes than steps back
    assert orders[beyond].abs().max() == 0
    assert orders[3, 1].norm() > 0  # one pass through W does reach back


def test_random_lstm_w_paths_left_counts_the_few_pass_paths():
    """All passes together leave nothing out; none leaves all of it. Catches a ratio taken
    over the total instead of the W-paths."""
    kw = dict(hidden=6, steps=15, sequences=2)
    assert J.random_lstm_w_paths_left(2.0, 10, 10, **kw) == pytest.approx(0.0, abs=1e-12)
    assert J.random_lstm_w_paths_left(2.0, 10, 0, **kw) == pytest.approx(1.0)
    assert 0 < J.random_lstm_w_paths_left(2.0, 10, 2, **kw) < 1


def test_the_few_pass_count_reads_the_paths_measurements_network():
    """Its W-paths are those of ``random_lstm_paths`` (same LSTM, sequences and dL/dh_T).
    Catches the two measurements drifting onto different networks."""
    kw = dict(hidden=5, steps=12, sequences=2)
    _, rest = J.random_lstm_paths(1.5, **kw)
    lstm, pairs = J._random_lstm(1.5, None, 5, 12, 2)
    mine = torch.stack(
        [
            (lambda o: o[:, 1:].sum(1).norm(dim=1) / o[0].sum(0).norm())(
                J.lstm_path_orders(lstm, x, v)
            )
            for x, v in pairs
        ]
    ).mean(0)
    torch.testing.assert_close(mine, rest, rtol=1e-9, atol=1e-14)
