"""Linear diagonal recurrences: the LRU and the parallel scan that computes them.

The parallel scan of a linear recurrence ``h_t = a_t * h_{t-1} + b_t``.

A linear recurrence is a composition of affine maps, which is associative (Blelloch, 1990;
Martin & Cundy, 2018): ``linear_scan`` computes all T states in O(log T) vectorised rounds
(about 2 log2 T for its odd-even recursion); ``linear_loop`` is the plain sequential loop it
must equal. The LRU, the selective cells, minGRU/minLSTM and the teacher task all run on it.
"""

from __future__ import annotations

import torch
from torch import Tensor


def combine(first: tuple[Tensor, Tensor], second: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    r"""The scan's associative operator: apply the affine map ``first`` = (a_i, b_i), then
    ``second`` = (a_j, b_j): :math:`(a_j a_i,\; a_j b_i + b_j)`."""
    a_i, b_i = first
    a_j, b_j = second
    return a_j * a_i, a_j * b_i + b_j


def _check_scan_args(a: Tensor, b: Tensor, h0: Tensor | None) -> tuple[Tensor, Tensor]:
    if b.dim() < 2:
        raise ValueError(f"b must have shape (..., T, N), got {tuple(b.shape)}")
    try:
        a, b = torch.broadcast_tensors(a, b)
    except RuntimeError as err:
        raise ValueError(
            f"a {tuple(a.shape)} does not broadcast against b {tuple(b.shape)}"
        ) from err
    if h0 is not None:
        if h0.shape[-1] != b.shape[-1]:
            raise ValueError(f"h0 must end in N = {b.shape[-1]}, got {tuple(h0.shape)}")
        # fold the initial state into the first input: h_1 = a_1 h0 + b_1
        b = torch.cat([(a[..., :1, :] * h0.unsqueeze(-2)) + b[..., :1, :], b[..., 1:, :]], -2)
    return a, b


def linear_loop(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` for t = 1..T, one step after the other.

    ``b``: (..., T, N); ``a`` broadcasts against it ((N,) for a constant diagonal,
    (..., T, N) for a time-varying one); ``h0``: (..., N), zeros when None. Returns (..., T, N).
    """
    a, b = _check_scan_args(a, b, h0)
    h = torch.zeros_like(b[..., 0, :])
    states = []
    for t in range(b.shape[-2]):
        h = a[..., t, :] * h + b[..., t, :]
        states.append(h)
    return torch.stack(states, -2)


def linear_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """The same states as ``linear_loop``, by a parallel scan (odd-even recursion).

    Round one combines neighbours (0, 1), (2, 3), ... into one affine map each, recursion
    scans those T/2 maps, and one more vectorised step fills in the even positions: about
    2T multiplications in all. The recursion goes floor(log2 T) levels down, with one round
    of whole-tensor operations on the way down and one on the way back up at each level:
    2 floor(log2 T) rounds instead of T sequential steps (Blelloch, 1990).
    """
    a, b = _check_scan_args(a, b, h0)
    return _scan(a, b)


def _scan(a: Tensor, b: Tensor) -> Tensor:
    T = b.shape[-2]
    if T == 1:
        return b
    m = T // 2
    a_even, a_odd = a[..., 0 : 2 * m : 2, :], a[..., 1 : 2 * m : 2, :]
    b_even, b_odd = b[..., 0 : 2 * m : 2, :], b[..., 1 : 2 * m : 2, :]
    odd = _scan(*combine((a_even, b_even), (a_odd, b_odd)))  # h_1, h_3, ..., (m states)
    rest = (T - 1) // 2  # even positions 2, 4, ... below T
    even = torch.cat([b[..., :1, :], a[..., 2::2, :] * odd[..., :rest, :] + b[..., 2::2, :]], -2)
    pairs = torch.stack([even[..., :m, :], odd], -2).flatten(-3, -2)  # (..., 2m, N) interleaved
    return pairs if T % 2 == 0 else torch.cat([pairs, even[..., m:, :]], -2)


def scan_rounds(T: int) -> int:
    """How many levels ``linear_scan``'s odd-even recursion goes down for T steps: each level
    halves the length (floor(log2 T) levels) and costs a fixed number of whole-tensor
    operations on the way down and back up, where the loop needs T sequential steps."""
    if not isinstance(T, int) or isinstance(T, bool) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    rounds = 0
    while T > 1:
        T, rounds = T // 2, rounds + 1
    return rounds
