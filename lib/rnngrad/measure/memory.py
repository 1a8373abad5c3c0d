"""The curse of memory, simulated: a one-unit linear recurrence's E[h^2] and E[(dh/dlambda)^2]
over many AR(1) sequences, to set beside ``rnngrad.derive.memory``'s closed forms."""

from __future__ import annotations

import torch

from ..core.scan import linear_scan
from ..core.teacher import ar1_inputs, check_memory_args


def simulate_memory(
    lam: float, rho: float = 0.0, *, batch: int = 20_000, generator: torch.Generator | None = None
) -> dict[str, float]:
    """Monte-Carlo E[h_T^2] and E[(dh_T/dlam)^2] at stationarity (T = 20 memory times),
    the derivative by autograd in float64: each sequence gets its own copy of lambda, so
    one backward pass gives every per-sequence derivative."""
    check_memory_args(lam, rho)
    T = max(50, int(20 / (1 - lam)))
    x = ar1_inputs(batch, T, rho, generator=generator)
    lam_t = torch.full((batch, 1, 1), lam, dtype=torch.float64, requires_grad=True)
    h_last = linear_scan(lam_t, x)[:, -1, 0]  # (batch,)
    (grad,) = torch.autograd.grad(h_last.sum(), lam_t)
    return {"h2": h_last.pow(2).mean().item(), "dh2": grad.pow(2).mean().item()}
