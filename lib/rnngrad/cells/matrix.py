r"""Matrix memories written with outer products: linear attention and its decays, and the mLSTM.

The state is a matrix :math:`S_t` (``(B, d_v, d_k)``, value rows by key columns) that each step
writes with the outer product :math:`v_t k_t^\top` and reads with a query, :math:`o_t = S_t q_t`.
Every cell here is one recurrence with a different decay in front of :math:`S_{t-1}`:

* linear attention (Katharopoulos et al., 2020): no decay, :math:`S_t = S_{t-1} + v_t
  \phi(k_t)^\top` with :math:`\phi = \operatorname{elu} + 1` and the normaliser
  :math:`z_t = z_{t-1} + \phi(k_t)`, :math:`o_t = S_t \phi(q_t) / z_t^\top \phi(q_t)`;
* RetNet's retention (Sun et al., 2023): a fixed decay, :math:`S_t = \gamma S_{t-1} + v_t
  k_t^\top`;
* Mamba-2's SSD (Dao & Gu, 2024): a scalar decay of the input, :math:`S_t = a_t S_{t-1} + v_t
  k_t^\top` with :math:`a_t = e^{\Delta_t A}`;
* gated linear attention, GLA (Yang et al., 2024): a decay per key channel,
  :math:`S_t = S_{t-1} \operatorname{diag}(\alpha_t) + v_t k_t^\top`;
* the mLSTM of xLSTM (Beck et al., 2024; ``NX-AI/xlstm``): an exponential input gate and a
  sigmoid forget gate on the matrix, a normaliser state :math:`n_t` and the stabiliser
  :math:`m_t` (as in the sLSTM of ``rnngrad.cells.selective``).

Each is computed two ways: step by step (``*_loop``) and in the parallel form that trains these
models (``*_parallel``): causal masked attention with the decays between positions s and t
folded into the mask, :math:`o_t = \sum_{s \le t} (\prod_{r=s+1}^{t} a_r)(k_s^\top q_t)\, v_s`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .selective import SelectiveLayer, _check_x

DECAYS = ("none", "fixed", "scalar", "channel")


def _check_qkv(q: Tensor, k: Tensor, v: Tensor) -> None:
    if q.dim() != 3 or q.shape != k.shape or v.shape[:2] != q.shape[:2] or v.dim() != 3:
        raise ValueError(
            f"need q, k (B, T, d_k) and v (B, T, d_v), got {tuple(q.shape)}, "
            f"{tuple(k.shape)}, {tuple(v.shape)}"
        )


def _log_decay(log_decay: Tensor | float | None, k: Tensor) -> Tensor:
    """The log decay as (B, T, d_k) (zeros when None): a float (fixed), (B, T) (scalar of the
    input) or (B, T, d_k) (one per key channel)."""
    if log_decay is None:
        return torch.zeros_like(k)
    if not isinstance(log_decay, Tensor):
        return torch.full_like(k, float(log_decay))
    if log_decay.shape == k.shape[:2]:
        return log_decay.unsqueeze(-1).expand_as(k)
    if log_decay.shape != k.shape:
        raise ValueError(
            f"log_decay must be a float, (B, T) or (B, T, d_k) = {tuple(k.shape)}, "
            f"got {tuple(log_decay.shape)}"
        )
    return log_decay


def outer_step(S: Tensor, q: Tensor, k: Tensor, v: Tensor, decay: Tensor | None = None):
    r"""One step :math:`S_t = S_{t-1} \operatorname{diag}(a_t) + v_t k_t^\top`,
    :math:`o_t = S_t q_t`; ``decay`` (B, d_k) (a scalar decay repeated over the channels), or None
    for none. S: (B, d_v, d_k); q, k: (B, d_k); v: (B, d_v). Returns (o_t, S_t)."""
    if decay is not None:
        S = S * decay.unsqueeze(-2)
    S = S + v.unsqueeze(-1) * k.unsqueeze(-2)
    return (S @ q.unsqueeze(-1)).squeeze(-1), S


def linear_attention_loop(
    q: Tensor, k: Tensor, v: Tensor, log_decay: Tensor | float | None = None
) -> tuple[Tensor, Tensor]:
    """The decayed outer-product recurrence step by step: returns (o (B, T, d_v), S_T)."""
    _check_qkv(q, k, v)
    decay = _log_decay(log_decay, k).exp()
    S = q.new_zeros(q.shape[0], v.shape[-1], q.shape[-1])
    outs = []
    for t in range(q.shape[1]):
        o, S = outer_step(S, q[:, t], k[:, t], v[:, t], decay[:, t])
        outs.append(o)
    return torch.stack(outs, 1), S


def decay_mask(log_decay: Tensor) -> Tensor:
    r"""(B, T, T, d) with entry [t, s] = :math:`\prod_{r=s+1}^{t} a_r` for s <= t and 0 above
    the diagonal, from the cumulative log decay (differences, never a ratio of two products)."""
    A = log_decay.cumsum(1)  # (B, T, d)
    diff = A.unsqueeze(2) - A.unsqueeze(1)  # [t, s] = A_t - A_s
    T = log_decay.shape[1]
    causal = torch.ones(T, T, dtype=torch.bool, device=log_decay.device).tril()
    return diff.masked_fill(~causal[None, :, :, None], -math.inf).exp()


def linear_attention_parallel(
    q: Tensor, k: Tensor, v: Tensor, log_decay: Tensor | float | None = None
) -> Tensor:
    r"""The same outputs as ``linear_attention_loop`` as causal masked attention:
    :math:`o_t = \sum_{s\le t} \big(\sum_c q_{tc} k_{sc} \prod_{r=s+1}^{t} a_{rc}\big) v_s`."""
    _check_qkv(q, k, v)
    D = decay_mask(_log_decay(log_decay, k))
    scores = torch.einsum("btc,bsc,btsc->bts", q, k, D)
    return scores @ v


def elu_feature(x: Tensor) -> Tensor:
    """Katharopoulos et al.'s feature map phi(x) = elu(x) + 1 > 0."""
    return F.elu(x) + 1


def normalised_linear_attention(q: Tensor, k: Tensor, v: Tensor, mode: str = "parallel") -> Tensor:
    r"""Linear attention as Katharopoulos et al. (2020) wrote it, with the feature map and the
    normaliser: :math:`S_t = S_{t-1} + v_t \phi(k_t)^\top`, :math:`z_t = z_{t-1} + \phi(k_t)`,
    :math:`o_t = S_t \phi(q_t) / z_t^\top \phi(q_t)`. The normaliser is the same recurrence with
    a value of one, so both forms compute it alongside."""
    fq, fk = elu_feature(q), elu_feature(k)
    ones = v.new_ones(*v.shape[:2], 1)
    vz = torch.cat([v, ones], -1)
    out = (
        linear_attention_parallel(fq, fk, vz)
        if mode == "parallel"
        else linear_attention_loop(fq, fk, vz)[0]
    )
    return out[..., :-1] / out[..., -1:]


# -- mLSTM --------------------------------------------------------------------------------------


def mlstm_step(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    i_raw: Tensor,
    f_raw: Tensor,
    state: tuple[Tensor, Tensor, Tensor],
) -> tuple[Tensor, tuple[Tensor, Tensor, Tensor]]:
    r"""One stabilised mLSTM step (Beck et al., 2024, eqs. 19-27), state (C, n, m), m_0 = -inf:

    .. math::
        m_t = \max(\log\sigma(\tilde f_t) + m_{t-1},\ \tilde\imath_t), \quad
        i'_t = e^{\tilde\imath_t - m_t}, \quad f'_t = e^{\log\sigma(\tilde f_t) + m_{t-1} - m_t} \\
        C_t = f'_t C_{t-1} + i'_t\, v_t k_t^\top, \quad n_t = f'_t n_{t-1} + i'_t k_t, \quad
        \tilde h_t = \frac{C_t q_t}{\max(|n_t^\top q_t|,\ e^{-m_t})}

    k is already scaled by 1/sqrt(d_k); the output gate is the layer's. q, k: (B, d_k);
    v: (B, d_v); i_raw, f_raw: (B,). Returns (h~_t, state)."""
    C, n, m = state
    log_f_plus_m = F.logsigmoid(f_raw) + m
    m_new = torch.maximum(log_f_plus_m, i_raw)
    i = torch.exp(i_raw - m_new).unsqueeze(-1)
    f = torch.exp(log_f_plus_m - m_new).unsqueeze(-1)  # exp(-inf) = 0 at the first step
    C = f.unsqueeze(-1) * C + i.unsqueeze(-1) * (v.unsqueeze(-1) * k.unsqueeze(-2))
    n = f * n + i * k
    below = torch.maximum((n * q).sum(-1).abs(), torch.exp(-m_new)).unsqueeze(-1)
    return (C @ q.unsqueeze(-1)).squeeze(-1) / below, (C, n, m_new)


def mlstm_loop(q: Tensor, k: Tensor, v: Tensor, i_raw: Tensor, f_raw: Tensor) -> Tensor:
    """The mLSTM's h~ (B, T, d_v) step by step; k is scaled by 1/sqrt(d_k) here."""
    _check_qkv(q, k, v)
    B, T, d_k = k.shape
    k = k / math.sqrt(d_k)
    state = (
        q.new_zeros(B, v.shape[-1], d_k),
        q.new_zeros(B, d_k),
        q.new_full((B,), -math.inf),
    )
    outs = []
    for t in range(T):
        h, state = mlstm_step(q[:, t], k[:, t], v[:, t], i_raw[:, t], f_raw[:, t], state)
        outs.append(h)
    return torch.stack(outs, 1)


def mlstm_parallel(q: Tensor, k: Tensor, v: Tensor, i_raw: Tensor, f_raw: Tensor) -> Tensor:
    r"""The mLSTM in its parallel form (Beck et al., 2024, appendix): with
    :math:`\log F_t = \sum_{r \le t} \log\sigma(\tilde f_r)`,
    :math:`\tilde D_{ts} = \log F_t - \log F_s + \tilde\imath_s` (s <= t), its row maximum
    :math:`m_t`, :math:`C_{ts} = (q_t^\top k_s / \sqrt{d_k})\, e^{\tilde D_{ts} - m_t}` and
    :math:`\tilde h_t = \sum_s C_{ts} v_s / \max(|\sum_s C_{ts}|, e^{-m_t})`."""
    _check_qkv(q, k, v)
    T = q.shape[1]
    log_f = F.logsigmoid(f_raw).cumsum(1)  # (B, T)
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    D = (log_f.unsqueeze(2) - log_f.unsqueeze(1) + i_raw.unsqueeze(1)).masked_fill(
        ~causal, -math.inf
    )
    m = D.max(-1, keepdim=True).values  # (B, T, 1)
    C = (q @ k.transpose(1, 2)) / math.sqrt(q.shape[-1]) * torch.exp(D - m)
    below = torch.maximum(C.sum(-1, keepdim=True).abs(), torch.exp(-m))
    return (C @ v) / below


# -- layers -------------------------------------------------------------------------------------


def _check_mode(mode: str) -> None:
    if mode not in ("parallel", "loop"):
        raise ValueError(f"mode must be 'parallel' or 'loop', got {mode!r}")


class OuterProductLayer(SelectiveLayer):
    r"""A one-head matrix memory of d = ``hidden_size``: q, k, v = linear maps of x_t
    (d each), state :math:`S_t` of d x d, output :math:`o_t = S_t q_t` (B, T, d).

    ``decay``: ``"none"`` (linear attention, with its feature map and normaliser), ``"fixed"``
    (RetNet, :math:`\gamma` = ``gamma``; keys scaled by 1/sqrt(d) as in RetNet), ``"scalar"``
    (Mamba-2: :math:`a_t = e^{\Delta_t A}`, :math:`\Delta_t = \operatorname{softplus}(w_\Delta
    \cdot x_t + b_\Delta)`, and the value scaled by :math:`\Delta_t`), ``"channel"`` (GLA:
    :math:`\alpha_t = \sigma(W_\alpha x_t + b_\alpha)^{1/16}`, GLA's temperature).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        decay: str = "none",
        gamma: float = 1 - 2**-5,
        mode: str = "parallel",
    ):
        super().__init__(input_size, hidden_size)
        if decay not in DECAYS:
            raise ValueError(f"decay must be one of {DECAYS}, got {decay!r}")
        if not 0 < gamma <= 1:
            raise ValueError(f"gamma must be in (0, 1], got {gamma!r}")
        _check_mode(mode)
        self.decay, self.gamma, self.mode = decay, gamma, mode
        d = hidden_size
        self.q, self.k, self.v = (nn.Linear(input_size, d) for _ in range(3))
        if decay == "scalar":
            self.delta = nn.Linear(input_size, 1)
            # Mamba-2's start: A in [1, 16], dt log-uniform in [0.001, 0.1]
            self.a_log = nn.Parameter(torch.log(torch.empty(1).uniform_(1, 16)))
            dt = torch.exp(torch.rand(1) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
            with torch.no_grad():
                self.delta.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        elif decay == "channel":
            self.alpha = nn.Linear(input_size, d)

    def memory(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor | float | None]:
        """(q, k, v, log decay) for ``linear_attention_*``."""
        q, k, v = self.q(x), self.k(x), self.v(x)
        if self.decay == "fixed":
            return q, k / math.sqrt(self.hidden_size), v, math.log(self.gamma)
        if self.decay == "scalar":
            delta = F.softplus(self.delta(x)).squeeze(-1)  # (B, T)
            return q, k, v * delta.unsqueeze(-1), -torch.exp(self.a_log) * delta
        if self.decay == "channel":
            return q, k, v, F.logsigmoid(self.alpha(x)) / 16
        return q, k, v, None

    def sequence(self, x: Tensor) -> Tensor:
        q, k, v, log_decay = self.memory(x)
        if self.decay == "none":
            return normalised_linear_attention(q, k, v, self.mode)
        if self.mode == "parallel":
            return linear_attention_parallel(q, k, v, log_decay)
        return linear_attention_loop(q, k, v, log_decay)[0]

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        """The states S_t flattened to (B, d * d) per step, and the outputs."""
        _check_x(x, self.input_size)
        q, k, v, log_decay = self.memory(x)
        if self.decay == "none":
            q, k = elu_feature(q), elu_feature(k)
        decay = _log_decay(log_decay, k).exp()
        S = x.new_zeros(x.shape[0], self.hidden_size, self.hidden_size)
        z, states, outs = x.new_zeros(x.shape[0], self.hidden_size), [], []
        for t in range(x.shape[1]):
            o, S = outer_step(S, q[:, t], k[:, t], v[:, t], decay[:, t])
            if self.decay == "none":
                z = z + k[:, t]
                o = o / (z * q[:, t]).sum(-1, keepdim=True)
            states.append(S.flatten(1))
            outs.append(o)
        return states, torch.stack(outs, 1)


class MLSTM(SelectiveLayer):
    r"""xLSTM's mLSTM (Beck et al., 2024), one head of d = ``hidden_size``: q, k, v, the scalar
    input and forget gates :math:`\tilde\imath_t, \tilde f_t` and the output gate
    :math:`o_t = \sigma(W_o x_t + b_o)` read x_t; :math:`h_t = o_t \odot \tilde h_t`. The
    forget gate's bias starts spread over [3, 6] as in ``NX-AI/xlstm``."""

    def __init__(self, input_size: int, hidden_size: int, mode: str = "parallel"):
        super().__init__(input_size, hidden_size)
        _check_mode(mode)
        self.mode = mode
        d = hidden_size
        self.q, self.k, self.v, self.o = (nn.Linear(input_size, d) for _ in range(4))
        self.i_gate, self.f_gate = nn.Linear(input_size, 1), nn.Linear(input_size, 1)
        with torch.no_grad():
            self.f_gate.bias.uniform_(3.0, 6.0)

    def gates(self, x: Tensor):
        i, f = self.i_gate(x).squeeze(-1), self.f_gate(x).squeeze(-1)
        return self.q(x), self.k(x), self.v(x), i, f

    def sequence(self, x: Tensor) -> Tensor:
        run = mlstm_parallel if self.mode == "parallel" else mlstm_loop
        return torch.sigmoid(self.o(x)) * run(*self.gates(x))

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        """The stabilised C_t flattened to (B, d * d) per step, and the outputs."""
        _check_x(x, self.input_size)
        q, k, v, i, f = self.gates(x)
        B, T, d = q.shape
        k = k / math.sqrt(d)
        state = (x.new_zeros(B, d, d), x.new_zeros(B, d), x.new_full((B,), -math.inf))
        states, outs = [], []
        for t in range(T):
            h, state = mlstm_step(q[:, t], k[:, t], v[:, t], i[:, t], f[:, t], state)
            states.append(state[0].flatten(1))
            outs.append(h)
        return states, torch.sigmoid(self.o(x)) * torch.stack(outs, 1)
