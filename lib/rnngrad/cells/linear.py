"""The Linear Recurrent Unit (Orvieto et al., 2023): one complex number per state unit,
multiplied by a fixed eigenvalue at every step: no matrix, no activation. Its conventions
here follow the authors' reference code (``NicolasZucchet/minimal-LRU``, ``lru/model.py``):

* eigenvalues ``lambda = exp(-exp(nu_log) + i exp(theta_log))``, so ``|lambda| < 1`` for every
  real ``nu_log`` (exponential parametrisation);
* ring initialisation: ``|lambda|^2`` uniform on ``[r_min^2, r_max^2]``, phase uniform on
  ``[0, max_phase]``;
* normalisation ``gamma``, initialised at ``sqrt(1 - |lambda|^2)`` (which keeps the state's
  variance at the input's for white-noise inputs) and then trained freely as ``gamma_log``.

The layer runs on ``rnngrad.core.scan``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..core.scan import linear_loop, linear_scan


def lru_lambda(nu_log: Tensor, theta_log: Tensor) -> Tensor:
    r"""The LRU's eigenvalues, :math:`\lambda = \exp(-e^{\nu} + i\,e^{\theta})` (complex, shape
    of ``nu_log``). :math:`|\lambda| = \exp(-e^{\nu}) \in (0, 1)` for any real :math:`\nu`; the
    phase is :math:`e^{\theta}`."""
    return torch.exp(torch.complex(-torch.exp(nu_log), torch.exp(theta_log)))


def ring_init(
    n: int,
    r_min: float = 0.0,
    r_max: float = 1.0,
    max_phase: float = 2 * math.pi,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[Tensor, Tensor]:
    r"""``(nu_log, theta_log)`` for ``n`` eigenvalues drawn uniformly on the ring
    :math:`r_{min} \le |\lambda| \le r_{max}`, :math:`0 \le \arg\lambda \le` ``max_phase``
    (uniform in area: :math:`|\lambda|^2 \sim U[r_{min}^2, r_{max}^2]`)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not 0.0 <= r_min < r_max <= 1.0:
        raise ValueError(f"need 0 <= r_min < r_max <= 1, got r_min={r_min!r}, r_max={r_max!r}")
    if not max_phase > 0:
        raise ValueError(f"max_phase must be > 0, got {max_phase!r}")
    u1 = torch.rand(n, generator=generator, dtype=dtype)
    u2 = torch.rand(n, generator=generator, dtype=dtype)
    # u in [0, 1) keeps |lambda|^2 < r_max^2 <= 1, so the log below is finite.
    nu_log = torch.log(-0.5 * torch.log(u1 * (r_max**2 - r_min**2) + r_min**2))
    theta_log = torch.log(max_phase * u2.clamp_min(torch.finfo(dtype).tiny))
    return nu_log, theta_log


def gamma_log_init(nu_log: Tensor, theta_log: Tensor) -> Tensor:
    r""":math:`\log\gamma` with :math:`\gamma = \sqrt{1 - |\lambda|^2}`."""
    return 0.5 * torch.log1p(-(lru_lambda(nu_log, theta_log).abs() ** 2))


def lru_step(
    x: Tensor, h: Tensor, lam: Tensor, b_re: Tensor, b_im: Tensor, gamma: Tensor
) -> Tensor:
    r"""One LRU step (complex state, real input):

    .. math::
        h_t = \lambda \odot h_{t-1} + \gamma \odot (B x_t), \qquad B = B_{re} + i B_{im}

    x: (B, input), h: (B, N) complex, lam and gamma: (N,), b_re and b_im: (N, input).
    """
    return lam * h + gamma * torch.complex(x @ b_re.T, x @ b_im.T)


class LRU(nn.Module):
    r"""A Linear Recurrent Unit layer: real inputs (B, T, input_size) to complex states
    (B, T, state_size), :math:`h_t = \lambda \odot h_{t-1} + \gamma \odot (B x_t)`, every
    parameter trained (``nu_log``, ``theta_log``, ``gamma_log``, ``b_re``, ``b_im``)."""

    def __init__(
        self,
        input_size: int,
        state_size: int,
        r_min: float = 0.0,
        r_max: float = 1.0,
        max_phase: float = 2 * math.pi,
    ):
        super().__init__()
        for name, value in [("input_size", input_size), ("state_size", state_size)]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        nu_log, theta_log = ring_init(state_size, r_min, r_max, max_phase)
        self.nu_log = nn.Parameter(nu_log)
        self.theta_log = nn.Parameter(theta_log)
        self.gamma_log = nn.Parameter(gamma_log_init(nu_log, theta_log))
        scale = 1 / math.sqrt(2 * input_size)  # Glorot-like, as in the reference code
        self.b_re = nn.Parameter(torch.randn(state_size, input_size) * scale)
        self.b_im = nn.Parameter(torch.randn(state_size, input_size) * scale)

    @property
    def lam(self) -> Tensor:
        return lru_lambda(self.nu_log, self.theta_log)

    def inputs(self, x: Tensor) -> Tensor:
        """gamma * (B x_t) for every step: (B, T, input) -> (B, T, N) complex."""
        return torch.exp(self.gamma_log) * torch.complex(x @ self.b_re.T, x @ self.b_im.T)

    def forward(self, x: Tensor, mode: str = "scan") -> Tensor:
        if mode not in ("scan", "loop"):
            raise ValueError(f"mode must be 'scan' or 'loop', got {mode!r}")
        run = linear_scan if mode == "scan" else linear_loop
        return run(self.lam, self.inputs(x))


def impulse_response(modulus: float, phase: float, steps: int) -> Tensor:
    """h_k = lambda^k for k = 0..steps-1 (a unit impulse at k = 0), lambda = modulus e^{i phase};
    complex128, shape (steps,). Also the gradient factor dh_{t+k}/dh_t."""
    if not 0 <= modulus <= 1:
        raise ValueError(f"modulus must be in [0, 1], got {modulus!r}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    k = torch.arange(steps, dtype=torch.float64)
    return torch.polar(modulus**k, phase * k)
