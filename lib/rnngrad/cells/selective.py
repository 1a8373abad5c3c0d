"""Gates after the LSTM: selective state spaces, minGRU/minLSTM and xLSTM's exponential gate.

Each cell is written as its paper's equations, in the conventions of the reference code:

* selective SSM (Gu & Dao, 2023; ``state-spaces/mamba``, ``selective_scan_ref``): a diagonal
  ``A < 0``, an input-dependent step ``delta = softplus(W_delta x + b_delta)``, and the
  discretisation ``A_bar = exp(delta A)``, ``B_bar x = delta B x`` (Mamba's simplified
  zero-order hold);
* minGRU and minLSTM (Feng et al., 2024): gates that read only x_t, so the recurrence is linear
  in h and ``rnngrad.core.scan.linear_scan`` computes it;
* sLSTM (Beck et al., 2024; ``NX-AI/xlstm``, ``blocks/slstm/src/vanilla/slstm.py``): an
  exponential input gate ``exp(i~)``, a normaliser state n_t, and the stabiliser m_t that keeps
  every exponential <= 1 without changing h_t.

The trainable layers (batch first, ``forward(x) -> (output (B, T, H), h_n (1, B, H))`` like
``nn.GRU``; ``unroll(x) -> (states, output)`` runs the same computation one step at a time for the
probe):
* ``SelectiveSSM`` (Gu & Dao, 2023): a linear in-projection to D channels, then
  ``selective_ssm`` with N states per channel and Mamba's skip ``y + D_skip * u``;
  S4D-real start ``A_n = -n`` and a step ``delta`` started log-uniform in [0.001, 0.1], as in
  the reference code (``state-spaces/mamba``, ``mamba_simple.py``).
* ``MinGRU``, ``MinLSTM`` (Feng et al., 2024): ``nn.Linear`` gates of x_t only, run by the
  parallel scan (``mode="loop"`` runs the same recurrence sequentially).
* ``SLSTM`` (Beck et al., 2024): the stabilised exponential-gate step ``slstm_step``
  with a full recurrent matrix R; forget-gate biases start spread linearly over [3, 6], the
  start ``NX-AI/xlstm`` gives its forget gates (``bias_linspace_init_``); every other weight
  U(-1/sqrt(H), 1/sqrt(H)) like nn.LSTM.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core.scan import linear_loop, linear_scan
from .gated import affine


def _runner(mode: str):
    if mode not in ("scan", "loop"):
        raise ValueError(f"mode must be 'scan' or 'loop', got {mode!r}")
    return linear_scan if mode == "scan" else linear_loop


def min_gru_coefficients(
    x: Tensor, w_z: Tensor, w_h: Tensor, b_z: Tensor | None = None, b_h: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """minGRU as the linear recurrence h_t = a_t * h_{t-1} + b_t: returns (a, b), each
    (B, T, H), with a_t = 1 - z_t and b_t = z_t * h~_t (both read x_t only)."""
    z = torch.sigmoid(affine(x, w_z, b_z))  # (B, T, H)
    return 1 - z, z * affine(x, w_h, b_h)


def min_gru(
    x: Tensor,
    w_z: Tensor,
    w_h: Tensor,
    mode: str = "scan",
    *,
    b_z: Tensor | None = None,
    b_h: Tensor | None = None,
) -> Tensor:
    r"""minGRU over a sequence x (B, T, input) with weights (H, input); returns h (B, T, H):

    .. math::
        z_t = \sigma(W_z x_t + b_z), \quad \tilde h_t = W_h x_t + b_h, \quad
        h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t
    """
    run = _runner(mode)
    return run(*min_gru_coefficients(x, w_z, w_h, b_z, b_h))


def min_lstm_coefficients(
    x: Tensor,
    w_f: Tensor,
    w_i: Tensor,
    w_h: Tensor,
    b_f: Tensor | None = None,
    b_i: Tensor | None = None,
    b_h: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """minLSTM as h_t = a_t * h_{t-1} + b_t: (a, b) = (f'_t, i'_t * h~_t), each (B, T, H)."""
    f, i = torch.sigmoid(affine(x, w_f, b_f)), torch.sigmoid(affine(x, w_i, b_i))
    total = f + i
    return f / total, (i / total) * affine(x, w_h, b_h)


def min_lstm(
    x: Tensor,
    w_f: Tensor,
    w_i: Tensor,
    w_h: Tensor,
    mode: str = "scan",
    *,
    b_f: Tensor | None = None,
    b_i: Tensor | None = None,
    b_h: Tensor | None = None,
) -> Tensor:
    r"""minLSTM over x (B, T, input); returns h (B, T, H):

    .. math::
        f_t = \sigma(W_f x_t + b_f), \ i_t = \sigma(W_i x_t + b_i), \
        f'_t = \frac{f_t}{f_t + i_t}, \ i'_t = \frac{i_t}{f_t + i_t}, \
        h_t = f'_t \odot h_{t-1} + i'_t \odot (W_h x_t + b_h)
    """
    run = _runner(mode)
    return run(*min_lstm_coefficients(x, w_f, w_i, w_h, b_f, b_i, b_h))


def selective_ssm_coefficients(
    x: Tensor, a_log: Tensor, w_b: Tensor, w_c: Tensor, w_delta: Tensor, b_delta: Tensor
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The selective SSM as h_t = a_t * h_{t-1} + b_t per (channel, state): returns
    (a, b, C, delta) with a = exp(delta A) and b = delta B x, both (B, T, D, N),
    C = W_C x: (B, T, N) and delta: (B, T, D)."""
    if x.dim() != 3 or a_log.dim() != 2 or a_log.shape[0] != x.shape[-1]:
        raise ValueError(
            f"need x (B, T, D) and a_log (D, N), got {tuple(x.shape)}, {tuple(a_log.shape)}"
        )
    delta = F.softplus(x @ w_delta.T + b_delta)  # (B, T, D)
    a = torch.exp(delta.unsqueeze(-1) * -torch.exp(a_log))  # (B, T, D, N)
    bx = delta.unsqueeze(-1) * (x @ w_b.T).unsqueeze(-2) * x.unsqueeze(-1)  # (B, T, D, N)
    return a, bx, x @ w_c.T, delta


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
    run = _runner(mode)
    a, bx, c, delta = selective_ssm_coefficients(x, a_log, w_b, w_c, w_delta, b_delta)
    # the scan runs over time (dim -2): put (D, N) together as the state
    h = run(a.permute(0, 2, 1, 3), bx.permute(0, 2, 1, 3))  # (B, D, T, N)
    h = h.permute(0, 2, 1, 3)  # (B, T, D, N)
    y = (h * c.unsqueeze(-2)).sum(-1)  # (B, T, D)
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


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_x(x: Tensor, input_size: int) -> None:
    if x.dim() != 3 or x.shape[-1] != input_size:
        raise ValueError(f"x must have shape (B, T, {input_size}), got {tuple(x.shape)}")


def _unroll_linear(a: Tensor, b: Tensor) -> list[Tensor]:
    """h_t = a_t * h_{t-1} + b_t step by step; a, b: (B, T, ...). One tensor per step."""
    h, states = torch.zeros_like(b[:, 0]), []
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        states.append(h)
    return states


class SelectiveLayer(nn.Module):
    """What the layers share: sizes, ``num_layers = 1``, batch first, ``forward``."""

    num_layers = 1
    batch_first = True

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        _check_sizes(input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size = input_size, hidden_size

    def sequence(self, x: Tensor) -> Tensor:  # (B, T, input) -> (B, T, H)
        raise NotImplementedError

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        raise NotImplementedError

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        _check_x(x, self.input_size)
        if h0 is not None:
            raise ValueError("these layers start from a zero state (h0 must be None)")
        out = self.sequence(x)
        return out, out[:, -1].unsqueeze(0)


class LinearSelective(SelectiveLayer):
    """A selective layer that is linear in h: ``coefficients(x)`` gives (a, b), each (B, T, H),
    and h_t = a_t * h_{t-1} + b_t is computed by the parallel scan or, with ``mode="loop"``,
    step by step; ``unroll`` gives the states one step at a time for the probe."""

    mode: str = "scan"

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def sequence(self, x: Tensor) -> Tensor:
        return _runner(self.mode)(*self.coefficients(x))

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        _check_x(x, self.input_size)
        states = _unroll_linear(*self.coefficients(x))
        return states, torch.stack(states, 1)


class MinGRU(LinearSelective):
    r"""minGRU (Feng et al., 2024): :math:`z_t = \sigma(W_z x_t + b_z)`,
    :math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot (W_h x_t + b_h)`."""

    def __init__(self, input_size: int, hidden_size: int, mode: str = "scan"):
        super().__init__(input_size, hidden_size)
        _runner(mode)  # checks the mode
        self.mode = mode
        self.linear_z = nn.Linear(input_size, hidden_size)
        self.linear_h = nn.Linear(input_size, hidden_size)

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        z, h = self.linear_z, self.linear_h
        return min_gru_coefficients(x, z.weight, h.weight, z.bias, h.bias)


class MinLSTM(MinGRU):
    r"""minLSTM (Feng et al., 2024): :math:`f'_t = f_t/(f_t + i_t)`, :math:`i'_t = i_t/(f_t +
    i_t)`, :math:`h_t = f'_t \odot h_{t-1} + i'_t \odot (W_h x_t + b_h)`, gates of x_t only."""

    def __init__(self, input_size: int, hidden_size: int, mode: str = "scan"):
        super().__init__(input_size, hidden_size, mode)
        del self.linear_z
        self.linear_f = nn.Linear(input_size, hidden_size)
        self.linear_i = nn.Linear(input_size, hidden_size)

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f, i, h = self.linear_f, self.linear_i, self.linear_h
        return min_lstm_coefficients(x, f.weight, i.weight, h.weight, f.bias, i.bias, h.bias)


class SelectiveSSM(SelectiveLayer):
    r"""A one-layer selective state space (Mamba's S6 without the convolution and gate):
    :math:`u_t = W_{in} x_t + b_{in}` (D = ``hidden_size`` channels), then per channel and
    state :math:`h_t = e^{\Delta_t A} h_{t-1} + \Delta_t B_t u_t`,
    :math:`y_t = C_t \cdot h_t + D_{skip} u_t`."""

    def __init__(self, input_size: int, hidden_size: int, state_size: int = 4, mode: str = "scan"):
        super().__init__(input_size, hidden_size)
        _check_sizes(state_size=state_size)
        _runner(mode)
        self.mode, self.state_size = mode, state_size
        D, N = hidden_size, state_size
        self.in_proj = nn.Linear(input_size, D)
        # S4D-real: A_n = -n for n = 1..N in every channel
        self.a_log = nn.Parameter(torch.log(torch.arange(1, N + 1.0)).repeat(D, 1))  # (D, N)
        self.w_b = nn.Parameter(torch.randn(N, D) / math.sqrt(D))
        self.w_c = nn.Parameter(torch.randn(N, D) / math.sqrt(D))
        self.w_delta = nn.Parameter(torch.randn(D, D) * 0.1 / math.sqrt(D))
        dt = torch.exp(torch.rand(D) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        self.b_delta = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1(dt)
        self.d_skip = nn.Parameter(torch.ones(D))

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(a, b, C, u): a, b (B, T, D, N), C (B, T, N), u (B, T, D)."""
        u = self.in_proj(x)
        a, b, c, _ = selective_ssm_coefficients(
            u, self.a_log, self.w_b, self.w_c, self.w_delta, self.b_delta
        )
        return a, b, c, u

    def sequence(self, x: Tensor) -> Tensor:
        u = self.in_proj(x)
        y, _ = selective_ssm(
            u, self.a_log, self.w_b, self.w_c, self.w_delta, self.b_delta, self.mode
        )
        return y + self.d_skip * u

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        """States flattened to (B, D * N) per step."""
        _check_x(x, self.input_size)
        a, b, c, u = self.coefficients(x)
        bsz, T, D, N = a.shape
        h, states, ys = a.new_zeros(bsz, D * N), [], []
        for t in range(T):
            h = (a[:, t] * h.view(bsz, D, N) + b[:, t]).reshape(bsz, D * N)
            states.append(h)
            ys.append((h.view(bsz, D, N) * c[:, t].unsqueeze(1)).sum(-1))  # (B, D)
        return states, torch.stack(ys, 1) + self.d_skip * u


class SLSTM(SelectiveLayer):
    r"""sLSTM (Beck et al., 2024), stabilised: pre-activations :math:`W x_t + R h_{t-1} + b` in
    the order i, f, z, o; :math:`i_t = e^{\tilde\imath_t}`, :math:`f_t = \sigma(\tilde f_t)`,
    :math:`c_t = f_t c_{t-1} + i_t z_t`, :math:`n_t = f_t n_{t-1} + i_t`,
    :math:`h_t = o_t c_t / n_t`, all through the stabiliser :math:`m_t`."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        H = hidden_size
        bound = 1 / math.sqrt(H)
        self.weight_ih = nn.Parameter(torch.empty(4 * H, input_size).uniform_(-bound, bound))
        self.weight_hh = nn.Parameter(torch.empty(4 * H, H).uniform_(-bound, bound))
        bias = torch.empty(4 * H).uniform_(-bound, bound)
        bias[H : 2 * H] = torch.linspace(3.0, 6.0, H)  # forget gate
        self.bias = nn.Parameter(bias)

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        _check_x(x, self.input_size)
        wx = x @ self.weight_ih.T + self.bias  # (B, T, 4H)
        zeros = x.new_zeros(x.shape[0], self.hidden_size)
        h, state = zeros, (zeros, zeros, torch.full_like(zeros, -math.inf), zeros)
        states = []
        for t in range(x.shape[1]):
            h, state = slstm_step(wx[:, t] + h @ self.weight_hh.T, state)
            states.append(h)
        return states, torch.stack(states, 1)

    def sequence(self, x: Tensor) -> Tensor:
        return self.unroll(x)[1]
