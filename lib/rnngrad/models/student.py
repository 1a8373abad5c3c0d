"""The curse of memory's student: one linear unit, three parametrisations (Zucchet & Orvieto, 2024)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..core.scan import linear_scan

PARAMETRISATIONS = ("raw", "normalised", "exp-normalised")
LAM_MAX = 1 - 1e-4  # a projected student's largest lambda (its memory: 10,000 steps)


def student_lam(theta: Tensor, parametrisation: str) -> Tensor:
    r"""The student's eigenvalue from its trained parameter: :math:`\exp(-e^{\nu})` for
    ``exp-normalised`` (below 1 by construction), the parameter itself otherwise."""
    return torch.exp(-torch.exp(theta)) if parametrisation == "exp-normalised" else theta


def student_gain(lam: Tensor, parametrisation: str) -> Tensor | float:
    r"""The input normalisation :math:`g(\lambda)`: 1 for ``raw``, else
    :math:`\gamma = \sqrt{\max(1-\lambda^2, 0)}`. Past :math:`|\lambda| = 1` the clamp makes
    the gain 0 and its gradient 0: an unprotected normalised student that steps past 1 is
    stuck there (``project_lam_`` keeps a directly trained lambda below 1)."""
    return 1.0 if parametrisation == "raw" else torch.sqrt((1 - lam**2).clamp_min(0))


@torch.no_grad()
def project_lam_(theta: Tensor) -> Tensor:
    """Projected gradient descent's projection for a directly trained lambda: clamp it in
    place onto [0, ``LAM_MAX``] (after an optimiser step), and return it."""
    return theta.clamp_(0.0, LAM_MAX)


class OneUnitStudent(nn.Module):
    r"""The student: :math:`h_t = \lambda h_{t-1} + x_t`, output :math:`c\,g(\lambda)\,h_t`.

    * ``raw``: :math:`\lambda` trained directly, :math:`g = 1`;
    * ``normalised``: :math:`\lambda` trained directly, :math:`g = \gamma = \sqrt{1-\lambda^2}`;
    * ``exp-normalised``: :math:`\lambda = \exp(-e^{\nu})`, :math:`\nu` trained, :math:`g = \gamma`
      (the LRU's choice).
    """

    cell = "student"
    per_step = True

    def __init__(self, parametrisation: str = "raw", lam0: float = 0.5):
        super().__init__()
        if parametrisation not in PARAMETRISATIONS:
            raise ValueError(
                f"parametrisation must be one of {PARAMETRISATIONS}, got {parametrisation!r}"
            )
        if not 0 < lam0 < 1:
            raise ValueError(f"lam0 must be in (0, 1), got {lam0!r}")
        self.parametrisation = parametrisation
        value = math.log(-math.log(lam0)) if parametrisation == "exp-normalised" else lam0
        self.theta = nn.Parameter(torch.tensor(value))
        self.c = nn.Parameter(torch.tensor(1.0))

    @property
    def lam(self) -> Tensor:
        return student_lam(self.theta, self.parametrisation)

    def readout(self, hidden: Tensor) -> Tensor:
        return self.c * student_gain(self.lam, self.parametrisation) * hidden

    def forward(self, x: Tensor) -> Tensor:
        return self.readout(linear_scan(self.lam, x))  # (B, T, 1)

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        """The recurrence one step at a time, each h_t its own node of autograd's graph (for
        the probe): (the states, each (B, 1); all of them stacked, (B, T, 1))."""
        h, states = torch.zeros_like(x[:, 0]), []
        for t in range(x.shape[1]):
            h = self.lam * h + x[:, t]
            states.append(h)
        return states, torch.stack(states, 1)
