"""Gates after the LSTM: selective state spaces, minGRU/minLSTM and xLSTM's exponential gate.

Each cell is written as its paper's equations, in the conventions of the reference code:

* selective SSM (Gu & Dao, 2023; ``state-spaces/mamba``, ``selective_scan_ref``): a diagonal
  ``A < 0``, an input-dependent step ``delta = softplus(W_delta x + b_delta)``, and the
  discretisation ``A_bar = exp(delta A)``, ``B_bar x = delta B x`` (Mamba's simplified
  zero-order hold);
* minGRU and minLSTM (Feng et al., 2024): gates that read only x_t, so the recurrence is linear
  in h and ``rnngrad.linear_rnn.linear_scan`` computes it;
* sLSTM (Beck et al., 2024; ``NX-AI/xlstm``, ``blocks/slstm/src/vanilla/slstm.py``): an
  exponential input gate ``exp(i~)``, a normaliser state n_t, and the stabiliser m_t that keeps
  every exponential <= 1 without changing h_t.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from .linear_rnn import linear_loop, linear_scan

__all__ = [
    "min_gru",
    "min_lstm",
    "selective_ssm",
    "slstm_sequence",
    "slstm_step",
    "slstm_step_naive",
]


def _runner(mode: str):
    if mode not in ("scan", "loop"):
        raise ValueError(f"mode must be 'scan' or 'loop', got {mode!r}")
    return linear_scan if mode == "scan" else linear_loop


def min_gru(x: Tensor, w_z: Tensor, w_h: Tensor, mode: str = "scan") -> Tensor:
    r"""minGRU over a sequence x (B, T, input) with weights (H, input); returns h (B, T, H):

    .. math::
        z_t = \sigma(W_z x_t), \quad \tilde h_t = W_h x_t, \quad
        h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t
    """
    z = torch.sigmoid(x @ w_z.T)  # (B, T, H)
    return _runner(mode)(1 - z, z * (x @ w_h.T))


def min_lstm(x: Tensor, w_f: Tensor, w_i: Tensor, w_h: Tensor, mode: str = "scan") -> Tensor:
    r"""minLSTM over x (B, T, input); returns h (B, T, H):

    .. math::
        f_t = \sigma(W_f x_t), \ i_t = \sigma(W_i x_t), \
        f'_t = \frac{f_t}{f_t + i_t}, \ i'_t = \frac{i_t}{f_t + i_t}, \
        h_t = f'_t \odot h_{t-1} + i'_t \odot W_h x_t
    """
    f, i = torch.sigmoid(x @ w_f.T), torch.sigmoid(x @ w_i.T)
    total = f + i
    return _runner(mode)(f / total, (i / total) * (x @ w_h.T))


def selective_ssm(
    x: Tensor,
    a_log: Tensor,
    w_b: Tensor,
    w_c: Tensor,
    w_delta: Tensor,
    b_delta: Tensor,
    mode: str = "scan",
) -> tuple[Tensor, Tensor]:
    r"""A selective state space over x (B, T, D), N states per channel; returns (y, delta):

    .. math::
        \Delta_t = \operatorname{softplus}(W_\Delta x_t + b_\Delta), \quad
        A = -e^{A_{\log}} < 0, \quad B_t = W_B x_t, \quad C_t = W_C x_t \\
        h_t = e^{\Delta_t A} \odot h_{t-1} + \Delta_t B_t x_t, \qquad y_t = C_t \cdot h_t

    a_log: (D, N); w_b, w_c: (N, D); w_delta: (D, D); b_delta: (D,). A small Delta_t keeps
    the state (exp(Delta A) ~ 1), a large one resets it: an input-dependent forget gate.
    """
    if x.dim() != 3 or a_log.dim() != 2 or a_log.shape[0] != x.shape[-1]:
        raise ValueError(
            f"need x (B, T, D) and a_log (D, N), got {tuple(x.shape)}, {tuple(a_log.shape)}"
        )
    delta = F.softplus(x @ w_delta.T + b_delta)  # (B, T, D)
    a = torch.exp(delta.unsqueeze(-1) * -torch.exp(a_log))  # (B, T, D, N)
    bx = delta.unsqueeze(-1) * (x @ w_b.T).unsqueeze(-2) * x.unsqueeze(-1)  # (B, T, D, N)
    run = _runner(mode)
    # the scan runs over time (dim -2): put (D, N) together as the state
    bsz, T, D, N = a.shape
    h = run(a.permute(0, 2, 1, 3), bx.permute(0, 2, 1, 3))  # (B, D, T, N)
    h = h.permute(0, 2, 1, 3)  # (B, T, D, N)
    y = (h * (x @ w_c.T).unsqueeze(-2)).sum(-1)  # (B, T, D)
    return y, delta


def slstm_step_naive(
    pre: Tensor, state: tuple[Tensor, Tensor, Tensor]
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
    r"""One sLSTM step *without* the stabiliser (overflows once :math:`\tilde\imath` is large):

    .. math::
        i_t = e^{\tilde\imath_t}, \quad f_t = \sigma(\tilde f_t), \quad z_t = \tanh(\tilde z_t), \quad
        o_t = \sigma(\tilde o_t) \\
        c_t = f_t c_{t-1} + i_t z_t, \quad n_t = f_t n_{t-1} + i_t, \quad h_t = o_t\, c_t / n_t

    pre: (B, 4H), the gate pre-activations in xLSTM's order i, f, z, o; state (c, n, h).
    """
    i_raw, f_raw, z_raw, o_raw = pre.chunk(4, dim=-1)
    c, n, _ = state
    i, f = torch.exp(i_raw), torch.sigmoid(f_raw)
    c = f * c + i * torch.tanh(z_raw)
    n = f * n + i
    h = torch.sigmoid(o_raw) * c / n
    return h, (c, n, h)


def slstm_step(
    pre: Tensor, state: tuple[Tensor, Tensor, Tensor, Tensor]
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor, Tensor]]:
    r"""One *stabilised* sLSTM step, state (c, n, m, h), m_0 = -inf:

    .. math::
        m_t = \max(\log f_t + m_{t-1},\ \tilde\imath_t), \quad
        i'_t = e^{\tilde\imath_t - m_t}, \quad f'_t = e^{\log f_t + m_{t-1} - m_t} \\
        c_t = f'_t c_{t-1} + i'_t z_t, \quad n_t = f'_t n_{t-1} + i'_t, \quad h_t = o_t\, c_t / n_t

    Every exponential is <= 1; c_t and n_t are the naive ones times e^{-m_t}, so h_t is
    unchanged.
    """
    i_raw, f_raw, z_raw, o_raw = pre.chunk(4, dim=-1)
    c, n, m, _ = state
    log_f_plus_m = F.logsigmoid(f_raw) + m
    m_new = torch.maximum(log_f_plus_m, i_raw)
    i = torch.exp(i_raw - m_new)
    f = torch.exp(log_f_plus_m - m_new)  # exp(-inf) = 0 at the first step
    c = f * c + i * torch.tanh(z_raw)
    n = f * n + i
    h = torch.sigmoid(o_raw) * c / n
    return h, (c, n, m_new, h)


def slstm_sequence(
    x: Tensor, w: Tensor, r: Tensor, b: Tensor, stabilised: bool = True
) -> tuple[Tensor, Tensor | None]:
    """Run an sLSTM over x (B, T, input): pre-activations W x_t + R h_{t-1} + b, with w
    (4H, input), r (4H, H), b (4H,). Returns (h (B, T, H), m (B, T, H) or None)."""
    if w.shape[0] % 4 or r.shape != (w.shape[0], w.shape[0] // 4):
        raise ValueError(
            f"need w (4H, input) and r (4H, H), got {tuple(w.shape)}, {tuple(r.shape)}"
        )
    hidden = w.shape[0] // 4
    zeros = x.new_zeros(x.shape[0], hidden)
    h, hs, ms = zeros, [], []
    if stabilised:
        state = (zeros, zeros, torch.full_like(zeros, -torch.inf), zeros)
    else:
        state = (zeros, zeros, zeros)
    for t in range(x.shape[1]):
        pre = x[:, t] @ w.T + h @ r.T + b
        if stabilised:
            h, state = slstm_step(pre, state)
            ms.append(state[2])
        else:
            h, state = slstm_step_naive(pre, state)
        hs.append(h)
    return torch.stack(hs, 1), (torch.stack(ms, 1) if stabilised else None)
