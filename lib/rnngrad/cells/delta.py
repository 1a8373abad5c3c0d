r"""The delta rule: a matrix memory that erases along the key before it writes.

DeltaNet (Schlag, Irie & Schmidhuber, 2021; Yang et al., 2024) and Gated DeltaNet (Yang, Kautz &
Hatamizadeh, 2025), with the state :math:`S_t` as value rows by key columns, ``(B, d_v, d_k)``:

.. math::
    S_t = \alpha_t S_{t-1} (I - \beta_t k_t k_t^\top) + \beta_t v_t k_t^\top, \qquad
    o_t = S_t q_t

(:math:`\alpha_t = 1` for DeltaNet). Read as an update,
:math:`S_t = \alpha_t S_{t-1} + \beta_t (v_t - \alpha_t S_{t-1} k_t) k_t^\top`: the memory's
answer to the key, :math:`S_{t-1} k_t`, is moved a fraction :math:`\beta_t` towards the new
value. The state Jacobian is the linear map :math:`X \mapsto \alpha_t X (I - \beta_t k_t
k_t^\top)`, on vec(S) the matrix :math:`\alpha_t (I - \beta_t k_t k_t^\top) \otimes I_{d_v}`
(``state_jacobian``); for a unit key its eigenvalues are :math:`\alpha_t` (orthogonal to
:math:`k_t`) and :math:`\alpha_t (1 - \beta_t)` (along it). With :math:`\beta_t \in [0, 2]`
(``allow_neg_eigval``, as ``fla-org/flash-linear-attention`` names it) the latter reaches -1:
:math:`I - 2 k k^\top` is a reflection (Grazzi et al., 2025).

Two forms: ``delta_loop`` step by step and ``delta_chunked``, the chunkwise form that trains
DeltaNet (Yang et al., 2024): within a chunk the "new values"
:math:`u_t = \beta_t (v_t - \alpha_t S_{t-1} k_t)` solve one unit lower-triangular system (the
WY/UT representation), and the state passes from chunk to chunk.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .selective import SelectiveLayer, _check_x
from .signed import match_start_


def delta_step(
    S: Tensor, k: Tensor, v: Tensor, beta: Tensor, alpha: Tensor | None = None
) -> Tensor:
    r"""One step :math:`S_t = \alpha_t S_{t-1} (I - \beta_t k_t k_t^\top) + \beta_t v_t
    k_t^\top`, written as the paper writes it. S: (B, d_v, d_k); k: (B, d_k); v: (B, d_v);
    beta, alpha: (B,) (alpha None for DeltaNet)."""
    d_k = k.shape[-1]
    eye = torch.eye(d_k, dtype=k.dtype, device=k.device)
    b = beta[:, None, None]
    erase = eye - b * (k.unsqueeze(-1) * k.unsqueeze(-2))  # (B, d_k, d_k)
    S = S @ erase
    if alpha is not None:
        S = alpha[:, None, None] * S
    return S + b * (v.unsqueeze(-1) * k.unsqueeze(-2))


def _check(q, k, v, beta, log_alpha):
    if q.dim() != 3 or q.shape != k.shape or v.dim() != 3 or v.shape[:2] != q.shape[:2]:
        raise ValueError(
            f"need q, k (B, T, d_k) and v (B, T, d_v), got {tuple(q.shape)}, "
            f"{tuple(k.shape)}, {tuple(v.shape)}"
        )
    for name, g in (("beta", beta), ("log_alpha", log_alpha)):
        if g is not None and g.shape != q.shape[:2]:
            raise ValueError(f"{name} must be (B, T) = {tuple(q.shape[:2])}, got {tuple(g.shape)}")


def delta_loop(
    q: Tensor, k: Tensor, v: Tensor, beta: Tensor, log_alpha: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """The (gated) delta rule step by step: returns (o (B, T, d_v), S_T)."""
    _check(q, k, v, beta, log_alpha)
    S = q.new_zeros(q.shape[0], v.shape[-1], q.shape[-1])
    outs = []
    for t in range(q.shape[1]):
        alpha = None if log_alpha is None else log_alpha[:, t].exp()
        S = delta_step(S, k[:, t], v[:, t], beta[:, t], alpha)
        outs.append((S @ q[:, t].unsqueeze(-1)).squeeze(-1))
    return torch.stack(outs, 1), S


def delta_chunked(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    beta: Tensor,
    log_alpha: Tensor | None = None,
    chunk: int = 16,
) -> tuple[Tensor, Tensor]:
    r"""The same outputs as ``delta_loop``, a chunk at a time. In a chunk starting from
    :math:`S_0`, with :math:`g_t = \sum_{r \le t} \log\alpha_r` (within the chunk),

    .. math::
        S_t = e^{g_t} S_0 + \sum_{s \le t} e^{g_t - g_s} u_s k_s^\top, \quad
        u_t + \sum_{s < t} \beta_t e^{g_t - g_s} (k_t^\top k_s)\, u_s
            = \beta_t (v_t - e^{g_t} S_0 k_t)

    (one unit lower-triangular solve for all u), and
    :math:`o_t = e^{g_t} S_0 q_t + \sum_{s \le t} e^{g_t - g_s} (k_s^\top q_t)\, u_s`."""
    _check(q, k, v, beta, log_alpha)
    if not isinstance(chunk, int) or chunk < 1:
        raise ValueError(f"chunk must be a positive int, got {chunk!r}")
    B, T, d_k = k.shape
    S = q.new_zeros(B, v.shape[-1], d_k)
    outs = []
    for start in range(0, T, chunk):
        sl = slice(start, min(start + chunk, T))
        qc, kc, vc, bc = q[:, sl], k[:, sl], v[:, sl], beta[:, sl]
        n = qc.shape[1]
        g = (
            log_alpha[:, sl].cumsum(1)
            if log_alpha is not None
            else q.new_zeros(B, n)
        )  # fmt: skip
        gap = (g.unsqueeze(2) - g.unsqueeze(1)).masked_fill(
            ~torch.ones(n, n, dtype=torch.bool, device=q.device).tril(), -math.inf
        )
        decay = gap.exp()  # [t, s] = exp(g_t - g_s) for s <= t, else 0
        strict = torch.tril(torch.ones(n, n, dtype=torch.bool, device=q.device), -1)
        L = (bc.unsqueeze(-1) * decay * (kc @ kc.transpose(1, 2))).masked_fill(~strict, 0)
        eye = torch.eye(n, dtype=q.dtype, device=q.device)
        rhs = bc.unsqueeze(-1) * (vc - g.exp().unsqueeze(-1) * (kc @ S.transpose(1, 2)))
        u = torch.linalg.solve_triangular(eye + L, rhs, upper=False, unitriangular=True)
        scores = decay * (qc @ kc.transpose(1, 2))  # [t, s] = e^{g_t - g_s} q_t.k_s
        outs.append(g.exp().unsqueeze(-1) * (qc @ S.transpose(1, 2)) + scores @ u)
        last = decay[:, -1]  # exp(g_n - g_s)
        S = g[:, -1, None, None].exp() * S + (u * last.unsqueeze(-1)).transpose(1, 2) @ kc
    return torch.cat(outs, 1), S


def same_doubled_beta(pre: Tensor) -> Tensor:
    """The pre-activation p' whose doubled beta equals the plain beta of ``pre``:
    2 sigma(p') = sigma(p), i.e. p' = -log(1 + 2 e^{-p}) = -softplus(log 2 - p)."""
    return -F.softplus(math.log(2.0) - pre)


def transition(k: Tensor, beta: float | Tensor, alpha: float | Tensor = 1.0) -> Tensor:
    r"""The key-side factor of the state Jacobian, :math:`A_t = \alpha_t (I - \beta_t k_t
    k_t^\top)` (d_k x d_k): :math:`S_t = S_{t-1} A_t + \ldots` For k: (..., d_k)."""
    eye = torch.eye(k.shape[-1], dtype=k.dtype, device=k.device)
    beta, alpha = torch.as_tensor(beta, dtype=k.dtype), torch.as_tensor(alpha, dtype=k.dtype)
    outer = k.unsqueeze(-1) * k.unsqueeze(-2)
    return alpha[..., None, None] * (eye - beta[..., None, None] * outer)


def state_jacobian(
    k: Tensor, beta: float | Tensor, alpha: float | Tensor = 1.0, d_v: int = 1
) -> Tensor:
    r""":math:`\partial\, \mathrm{vec}(S_t) / \partial\, \mathrm{vec}(S_{t-1})` for one step,
    vec stacking the columns of S (d_v x d_k): :math:`A_t^\top \otimes I_{d_v}`, of size
    d_v d_k (``vec(X A) = (A^T kron I) vec(X)``)."""
    A = transition(k, beta, alpha)
    return torch.kron(
        A.transpose(-1, -2).contiguous(), torch.eye(d_v, dtype=k.dtype, device=k.device)
    )


class DeltaNet(SelectiveLayer):
    r"""One head of DeltaNet (``gated=False``) or Gated DeltaNet (``gated=True``) of
    d = ``hidden_size``. q, k, v read x_t; q and k are L2-normalised (DeltaNet's default in
    ``fla``); :math:`\beta_t = \sigma(w_\beta \cdot x_t + b_\beta)`, doubled to (0, 2) with
    ``allow_neg_eigval``; Gated DeltaNet's
    :math:`\alpha_t = e^{-e^{A_{\log}} \operatorname{softplus}(w_\alpha \cdot x_t + b_\alpha)}`
    as in Mamba-2. ``mode``: ``"chunk"`` (training) or ``"loop"``."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        gated: bool = False,
        allow_neg_eigval: bool = False,
        mode: str = "chunk",
    ):
        super().__init__(input_size, hidden_size)
        if mode not in ("chunk", "loop"):
            raise ValueError(f"mode must be 'chunk' or 'loop', got {mode!r}")
        self.gated, self.allow_neg_eigval, self.mode = bool(gated), bool(allow_neg_eigval), mode
        d = hidden_size
        self.q, self.k, self.v = (nn.Linear(input_size, d) for _ in range(3))
        self.beta = nn.Linear(input_size, 1)
        if self.gated:
            self.alpha = nn.Linear(input_size, 1)
            self.a_log = nn.Parameter(torch.log(torch.empty(1).uniform_(1, 16)))
            dt = torch.exp(torch.rand(1) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
            with torch.no_grad():
                self.alpha.bias.copy_(dt + torch.log(-torch.expm1(-dt)))

    def widen_(self, same_start: bool = True) -> None:
        """Switch to beta in (0, 2); with ``same_start`` the beta layer is rewritten
        (``rnngrad.cells.signed.match_start_``) so that every beta on a one-hot input keeps its
        value, and with it the eigenvalue 1 - beta along the key (``same_doubled_beta``)."""
        if self.allow_neg_eigval:
            raise ValueError("the range is already beta in (0, 2)")
        self.allow_neg_eigval = True
        if same_start:
            match_start_(self.beta, same_doubled_beta)

    def memory(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor | None]:
        """(q, k, v, beta, log alpha or None), each (B, T, ...)."""
        q, k = F.normalize(self.q(x), dim=-1), F.normalize(self.k(x), dim=-1)
        beta = torch.sigmoid(self.beta(x)).squeeze(-1)
        if self.allow_neg_eigval:
            beta = 2 * beta
        log_alpha = None
        if self.gated:
            log_alpha = -torch.exp(self.a_log) * F.softplus(self.alpha(x)).squeeze(-1)
        return q, k, self.v(x), beta, log_alpha

    def sequence(self, x: Tensor) -> Tensor:
        run = delta_chunked if self.mode == "chunk" else delta_loop
        return run(*self.memory(x))[0]

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        """The states S_t flattened to (B, d * d) per step, and the outputs."""
        _check_x(x, self.input_size)
        q, k, v, beta, log_alpha = self.memory(x)
        S = x.new_zeros(x.shape[0], self.hidden_size, self.hidden_size)
        states, outs = [], []
        for t in range(x.shape[1]):
            alpha = None if log_alpha is None else log_alpha[:, t].exp()
            S = delta_step(S, k[:, t], v[:, t], beta[:, t], alpha)
            states.append(S.flatten(1))
            outs.append((S @ q[:, t].unsqueeze(-1)).squeeze(-1))
        return states, torch.stack(outs, 1)
