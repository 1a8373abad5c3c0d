"""The curse of memory's teacher task (Zucchet & Orvieto, 2024): stationary AR(1) inputs
with unit variance, and the normalised one-unit linear teacher's outputs as targets.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .scan import linear_scan
from .tasks import Task


def check_memory_args(lam: float, rho: float) -> None:
    if not 0 < lam < 1:
        raise ValueError(f"lam must be in (0, 1), got {lam!r}")
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")


def ar1_inputs(
    batch: int,
    T: int,
    rho: float = 0.0,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """Stationary AR(1) inputs of unit variance, x_t = rho x_{t-1} + sqrt(1 - rho^2) e_t,
    shape (batch, T, 1); white noise at rho = 0."""
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")
    if not isinstance(T, int) or T < 1 or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch and T must be positive ints, got {batch!r}, {T!r}")
    noise = torch.randn(batch, T, 1, generator=generator, dtype=dtype)
    x0 = torch.randn(batch, 1, generator=generator, dtype=dtype)  # the stationary start
    rho_t = torch.tensor(rho, dtype=dtype)
    return linear_scan(rho_t, math.sqrt(1 - rho**2) * noise, x0)


class TeacherTask(Task):
    r"""Teacher-student regression: inputs x_t (AR(1), unit variance), targets the
    normalised teacher :math:`y_t = \sqrt{1-\lambda_*^2}\,\sum_n \lambda_*^n x_{t-n}` (unit
    variance), one per step. Predicting 0 scores MSE 1 (``baseline``)."""

    def __init__(self, lam_star: float, T: int = 300, rho: float = 0.0):
        check_memory_args(lam_star, rho)
        if not isinstance(T, int) or T < 2:
            raise ValueError(f"T must be an int >= 2, got {T!r}")
        self.lam_star, self.T, self.rho = lam_star, T, rho
        self.name, self.input_size, self.output_size = f"teacher (lambda*={lam_star})", 1, 1
        self.per_step, self.baseline, self.metric_name = True, 1.0, "MSE"

    @property
    def length(self) -> int:
        return self.T

    def sample(self, batch, generator=None):
        x = ar1_inputs(batch, self.T, self.rho, generator=generator, dtype=torch.float32)
        lam = torch.tensor(self.lam_star)
        y = math.sqrt(1 - self.lam_star**2) * linear_scan(lam, x)
        return x, y[..., 0]
