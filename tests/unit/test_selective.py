"""Selective and exponential gates (rnngrad.cells.selective): scan == loop for minGRU, minLSTM and
the selective SSM; the stabilised sLSTM equals the naive one where the naive is finite, and
stays finite (and equal to float64) where float32's naive overflows."""

import math

import pytest
import torch

from rnngrad.cells import selective

F64 = torch.float64


def _weights(shape, seed, scale=1.0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=F64) * scale


@pytest.mark.parametrize("T", [1, 5, 32, 37])
def test_min_gru_and_min_lstm_scan_equal_loop(T):
    x = _weights((3, T, 4), 0)
    w_z, w_h, w_i = _weights((6, 4), 1), _weights((6, 4), 2), _weights((6, 4), 3)
    torch.testing.assert_close(
        selective.min_gru(x, w_z, w_h, "scan"),
        selective.min_gru(x, w_z, w_h, "loop"),
        rtol=1e-12,
        atol=1e-12,
    )
    torch.testing.assert_close(
        selective.min_lstm(x, w_z, w_i, w_h, "scan"),
        selective.min_lstm(x, w_z, w_i, w_h, "loop"),
        rtol=1e-12,
        atol=1e-12,
    )


def test_min_gru_is_the_recurrence_written_out():
    x = _weights((2, 6, 3), 4)
    w_z, w_h = _weights((5, 3), 5), _weights((5, 3), 6)
    h = torch.zeros(2, 5, dtype=F64)
    for t in range(6):
        z = torch.sigmoid(x[:, t] @ w_z.T)
        h = (1 - z) * h + z * (x[:, t] @ w_h.T)
    torch.testing.assert_close(selective.min_gru(x, w_z, w_h)[:, -1], h)


def test_selective_ssm_scan_equals_loop_and_delta_gates_the_state():
    x = _weights((2, 30, 4), 7)
    args = (
        _weights((4, 3), 8, 0.5),
        _weights((3, 4), 9),
        _weights((3, 4), 10),
        _weights((4, 4), 11),
        _weights((4,), 12),
    )
    y_scan, delta = selective.selective_ssm(x, *args, mode="scan")
    y_loop, _ = selective.selective_ssm(x, *args, mode="loop")
    torch.testing.assert_close(y_scan, y_loop, rtol=1e-11, atol=1e-11)
    assert (delta > 0).all()


def test_stabilised_slstm_equals_naive_where_naive_is_finite():
    x = _weights((4, 25, 3), 13)
    w, r, b = _weights((8, 3), 14), _weights((8, 2), 15, 0.5), _weights((8,), 16)
    naive, _ = selective.slstm_sequence(x, w, r, b, stabilised=False)
    stable, m = selective.slstm_sequence(x, w, r, b, stabilised=True)
    assert torch.isfinite(naive).all()
    torch.testing.assert_close(stable, naive, rtol=1e-10, atol=1e-12)
    assert m is not None and m.shape == stable.shape


def test_naive_slstm_overflows_in_float32_and_the_stabiliser_does_not():
    """Input-gate pre-activations of about 100 overflow exp in float32 (max ~ 88.7)."""
    x = _weights((2, 20, 3), 17)
    w, r, b = _weights((8, 3), 18), _weights((8, 2), 19, 0.5), _weights((8,), 20)
    b[:2] += 100.0  # the input gate's bias: exp(100) > float32's largest number
    naive32, _ = selective.slstm_sequence(
        x.float(), w.float(), r.float(), b.float(), stabilised=False
    )
    stable32, _ = selective.slstm_sequence(
        x.float(), w.float(), r.float(), b.float(), stabilised=True
    )
    reference, _ = selective.slstm_sequence(x, w, r, b, stabilised=False)  # float64: finite
    assert not torch.isfinite(naive32).all()
    assert torch.isfinite(reference).all()
    torch.testing.assert_close(stable32.double(), reference, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: selective.min_gru(
                torch.ones(1, 2, 3), torch.ones(2, 3), torch.ones(2, 3), "fast"
            ),
            "mode",
        ),
        (
            lambda: selective.slstm_sequence(
                torch.ones(1, 2, 3), torch.ones(6, 3), torch.ones(6, 1), torch.ones(6)
            ),
            "need w",
        ),
        (
            lambda: selective.selective_ssm(
                torch.ones(1, 2, 3), torch.ones(4, 2), *[torch.ones(1)] * 4
            ),
            "need x",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def _dot(w, row: int, x, b: int, t: int) -> float:
    """(W x_t)[row] for sequence b, summed out in Python."""
    return sum(w[row, k].item() * x[b, t, k].item() for k in range(x.shape[-1]))


def test_min_lstm_coefficients_are_the_papers_normalised_gates():
    """Feng et al. (2024), minLSTM: f_t = sigma(W_f x_t + b_f), i_t = sigma(W_i x_t + b_i),
    f'_t = f_t / (f_t + i_t), i'_t = i_t / (f_t + i_t), h~_t = W_h x_t + b_h and
    h_t = f'_t h_{t-1} + i'_t h~_t, every number written out in Python floats.
    Catches: the gates left unnormalised (a = f, b = i h~), normalised by the wrong sum
    (f / (1 + i)), a bias dropped, and f' and i' swapped."""
    B, T, n_in, H = 2, 5, 3, 4
    x = _weights((B, T, n_in), 30)
    w_f, w_i, w_h = _weights((H, n_in), 31), _weights((H, n_in), 32), _weights((H, n_in), 33)
    b_f, b_i, b_h = _weights((H,), 34), _weights((H,), 35), _weights((H,), 36)
    a, bx = selective.min_lstm_coefficients(x, w_f, w_i, w_h, b_f, b_i, b_h)
    h_lib = selective.min_lstm(x, w_f, w_i, w_h, b_f=b_f, b_i=b_i, b_h=b_h)
    for b in range(B):
        h = [0.0] * H
        for t in range(T):
            for j in range(H):
                f = _sigmoid(_dot(w_f, j, x, b, t) + b_f[j].item())
                i = _sigmoid(_dot(w_i, j, x, b, t) + b_i[j].item())
                h_tilde = _dot(w_h, j, x, b, t) + b_h[j].item()
                f_n, i_n = f / (f + i), i / (f + i)
                assert a[b, t, j].item() == pytest.approx(f_n, rel=1e-12)
                assert bx[b, t, j].item() == pytest.approx(i_n * h_tilde, rel=1e-12, abs=1e-15)
                h[j] = f_n * h[j] + i_n * h_tilde
                assert h_lib[b, t, j].item() == pytest.approx(h[j], rel=1e-10, abs=1e-12)


def test_selective_ssm_is_the_zero_order_hold_of_gu_and_dao():
    """Gu & Dao (2023), Mamba's discretisation: Delta_t = softplus(W_Delta x_t + b_Delta),
    A = -exp(A_log), A_bar = exp(Delta A), B_bar x = Delta B x with B_t = W_B x_t, C_t = W_C x_t,
    h_t = A_bar h_{t-1} + B_bar x_t and y_t = C_t . h_t, per channel d and state n, in Python.
    Catches: A_bar = exp(A) or exp(-Delta) (Delta or A left out), B_bar x without Delta or
    without x, Delta without softplus, B taken per channel instead of per state, and a read-out
    that sums over channels instead of states."""
    B, T, D, N = 2, 4, 3, 2
    x = _weights((B, T, D), 40)
    a_log, w_b, w_c = _weights((D, N), 41, 0.5), _weights((N, D), 42), _weights((N, D), 43)
    w_delta, b_delta = _weights((D, D), 44), _weights((D,), 45)
    a, bx, c, delta = selective.selective_ssm_coefficients(x, a_log, w_b, w_c, w_delta, b_delta)
    y, delta_y = selective.selective_ssm(x, a_log, w_b, w_c, w_delta, b_delta)
    torch.testing.assert_close(delta_y, delta, rtol=0, atol=0)
    for b in range(B):
        h = [[0.0] * N for _ in range(D)]
        for t in range(T):
            b_t = [_dot(w_b, n, x, b, t) for n in range(N)]
            c_t = [_dot(w_c, n, x, b, t) for n in range(N)]
            for d in range(D):
                dt = math.log1p(math.exp(_dot(w_delta, d, x, b, t) + b_delta[d].item()))
                assert delta[b, t, d].item() == pytest.approx(dt, rel=1e-12)
                for n in range(N):
                    a_bar = math.exp(dt * -math.exp(a_log[d, n].item()))
                    b_bar_x = dt * b_t[n] * x[b, t, d].item()
                    assert a[b, t, d, n].item() == pytest.approx(a_bar, rel=1e-12)
                    assert bx[b, t, d, n].item() == pytest.approx(b_bar_x, rel=1e-12, abs=1e-15)
                    h[d][n] = a_bar * h[d][n] + b_bar_x
                y_td = sum(c_t[n] * h[d][n] for n in range(N))
                assert y[b, t, d].item() == pytest.approx(y_td, rel=1e-10, abs=1e-12)
            for n in range(N):
                assert c[b, t, n].item() == pytest.approx(c_t[n], rel=1e-12, abs=1e-15)


# -- the layers' and functions' contracts, written out (each names the wrong code it catches) --


def test_the_mode_picks_the_scan_or_the_loop(monkeypatch):
    """ "scan" runs ``linear_scan`` and "loop" ``linear_loop`` (they agree in value, so the
    choice is observed by substituting each), in the functions and in ``SelectiveSSM``.
    Catches a mode ignored or inverted, and a layer that does not pass its mode on."""
    from rnngrad.core import scan

    assert selective._runner("scan") is scan.linear_scan
    assert selective._runner("loop") is scan.linear_loop
    calls = []
    for name in ("linear_scan", "linear_loop"):
        real = getattr(selective, name)
        monkeypatch.setattr(
            selective, name, lambda a, b, real=real, name=name: calls.append(name) or real(a, b)
        )
    for mode in ("scan", "loop"):
        selective.SelectiveSSM(2, 3, mode=mode)(torch.randn(1, 4, 2))
    assert calls == ["linear_scan", "linear_loop"]
    assert selective.MinLSTM(2, 3, mode="loop").mode == "loop"


def test_min_gru_passes_its_biases_on():
    """``min_gru`` with b_z and b_h is the recurrence written out with them. Catches either
    bias dropped or passed in the other's place."""
    x = _weights((2, 5, 3), 50)
    w_z, w_h, b_z, b_h = (
        _weights((4, 3), 51),
        _weights((4, 3), 52),
        _weights((4,), 53),
        _weights((4,), 54),
    )
    h, hs = torch.zeros(2, 4, dtype=F64), []
    for t in range(5):
        z = torch.sigmoid(x[:, t] @ w_z.T + b_z)
        h = (1 - z) * h + z * (x[:, t] @ w_h.T + b_h)
        hs.append(h)
    got = selective.min_gru(x, w_z, w_h, b_z=b_z, b_h=b_h)
    torch.testing.assert_close(got, torch.stack(hs, 1), rtol=1e-12, atol=1e-12)


def test_slstm_sequence_is_stabilised_by_default_and_returns_the_stabiliser():
    """By default the stabilised step runs and its m_t comes back: m_t = max(log sigma(f~_t) +
    m_{t-1}, i~_t) from m_0 = -inf, written out here; with H = 5 the four gate blocks do not
    split evenly into five. Catches an unstabilised default, the state's h returned as m, and
    the pre-activations cut into other than four blocks."""
    H = 5
    x = _weights((2, 6, 3), 55)
    w, r, b = _weights((4 * H, 3), 56), _weights((4 * H, H), 57, 0.5), _weights((4 * H,), 58)
    h, m = selective.slstm_sequence(x, w, r, b)
    assert m is not None
    naive, _ = selective.slstm_sequence(x, w, r, b, stabilised=False)
    torch.testing.assert_close(h, naive, rtol=1e-10, atol=1e-12)
    prev, h_prev = torch.full((2, H), -math.inf, dtype=F64), torch.zeros(2, H, dtype=F64)
    for t in range(6):
        pre = x[:, t] @ w.T + h_prev @ r.T + b
        prev = torch.maximum(torch.nn.functional.logsigmoid(pre[:, H : 2 * H]) + prev, pre[:, :H])
        torch.testing.assert_close(m[:, t], prev, rtol=1e-12, atol=1e-12)
        h_prev = h[:, t]


def test_layer_sizes_inputs_and_last_state():
    """Sizes are positive ints (1 allowed, bools and floats not), input_size checked too; a
    one-step sequence unrolls; h_n is the last output as (1, B, H); an h0 is refused with its
    message. Catches size checks ``<= 1``/``< 2`` or with ``and``, input_size unchecked, an
    unroll that reads step 1 for its zero start, h_n from another step or of shape (B, 1, H),
    and a mangled message."""
    assert selective.MinGRU(1, 1)(torch.ones(2, 3, 1))[0].shape == (2, 3, 1)
    for bad in (True, 2.5, 0):
        with pytest.raises(ValueError, match="input_size must be a positive int"):
            selective.MinGRU(bad, 3)
    states, out = selective.MinGRU(2, 3).unroll(torch.ones(2, 1, 2))
    assert len(states) == 1 and out.shape == (2, 1, 3)
    layer = selective.MinLSTM(2, 3)
    x = torch.randn(4, 5, 2)
    out, h_n = layer(x)
    assert h_n.shape == (1, 4, 3)
    torch.testing.assert_close(h_n[0], out[:, -1])
    with pytest.raises(
        ValueError, match=r"^these layers start from a zero state \(h0 must be None\)$"
    ):
        layer(x, torch.zeros(1, 4, 3))


def test_selective_ssm_refuses_an_x_without_time():
    """x (T, D) with a matching a_log (D, N) is refused. Catches a check that needs both x and
    a_log of the wrong rank (``and`` for ``or``)."""
    with pytest.raises(ValueError, match="need x"):
        selective.selective_ssm(torch.ones(2, 3), torch.ones(3, 2), *[torch.ones(1)] * 4)


def test_selective_ssm_starts_as_the_reference_code():
    """Mamba's start: W_B, W_C ~ N(0, 1/D), W_Delta ~ N(0, 0.01/D), and the step
    softplus(b_Delta) log-uniform in [0.001, 0.1]. Catches the scales multiplied by sqrt(D) or
    with 1.1 or 1/0.1, a step range other than [0.001, 0.1], and b_Delta not softplus's
    inverse of the step."""
    torch.manual_seed(0)
    D = 256
    ssm = selective.SelectiveSSM(2, D, state_size=16)
    assert ssm.w_b.std().item() == pytest.approx(1 / math.sqrt(D), rel=0.05)
    assert ssm.w_c.std().item() == pytest.approx(1 / math.sqrt(D), rel=0.05)
    assert ssm.w_delta.std().item() == pytest.approx(0.1 / math.sqrt(D), rel=0.05)
    dt = torch.nn.functional.softplus(ssm.b_delta.detach())
    assert dt.min() >= 1e-3 * (1 - 1e-5) and dt.max() <= 0.1 * (1 + 1e-5)
    assert dt.min() < 1.5e-3 and dt.max() > 0.07
    assert dt.log().mean().item() == pytest.approx(math.log(0.01), abs=0.3)  # log-uniform


def test_slstm_weights_start_uniform_within_one_over_root_h():
    """nn.LSTM's start, U(-1/sqrt(H), 1/sqrt(H)), for W, R and every bias outside the forget
    block, both ends reached. Catches a bound sqrt(H) or 2/sqrt(H), draws from [bound, 1) or
    [-bound, 1), and a constant fill."""
    torch.manual_seed(0)
    H = 16
    bound = 1 / math.sqrt(H)
    cell = selective.SLSTM(8, H)
    bias = torch.cat([cell.bias[:H], cell.bias[2 * H :]])
    for t in (cell.weight_ih, cell.weight_hh, bias):
        assert t.abs().max() <= bound
        assert t.min() < -0.8 * bound and t.max() > 0.8 * bound
