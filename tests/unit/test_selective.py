"""Selective and exponential gates (rnngrad.cells.selective): scan == loop for minGRU, minLSTM and
the selective SSM; the stabilised sLSTM equals the naive one where the naive is finite, and
stays finite (and equal to float64) where float32's naive overflows."""

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
