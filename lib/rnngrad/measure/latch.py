"""Why plain RNNs fail, the whole argument: the latch dilemma and the spectrum of W.

* Bengio, Simard & Frasconi (1994): a one-unit network h -> tanh(w h + noise) stores a bit
  robustly only around an attractor h* = tanh(w h*) with slope w (1 - h*^2) < 1, and over T
  steps the gradient dh_T/dh_0 is the product of such slopes: the stronger the latch, the
  faster the gradient vanishes.
* The bound ||W^k|| <= sigma_max^k is loose for a non-normal W: Gelfand's formula
  ||W^k||^(1/k) -> rho(W) (the spectral radius), and ||W||_F^2 - sum |lambda_i|^2
  (Henrici's departure from normality) measures how far W is from a normal matrix, for which
  sigma_max = rho.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


@torch.no_grad()
def latch_run(
    w: float, steps: int = 50, noise: float = 0.3, runs: int = 1000, seed: int = 0
) -> dict[str, float]:
    """Store +1 in the latch h -> tanh(w h + noise * N(0, 1)) for ``steps`` steps, ``runs``
    times. Returns the share of runs that still hold the bit (h_T > 0) and the geometric mean
    over runs of |dh_T/dh_0| (the product of the slopes w (1 - h_t^2) along each run)."""
    g = torch.Generator().manual_seed(seed)
    h = torch.ones(runs, dtype=torch.float64)
    log_grad = torch.zeros(runs, dtype=torch.float64)
    for _ in range(steps):
        h = torch.tanh(w * h + noise * torch.randn(runs, generator=g, dtype=torch.float64))
        log_grad += torch.log(torch.as_tensor(abs(w), dtype=torch.float64) * (1 - h**2))
    return {
        "kept": float((h > 0).double().mean()),
        "gradient": math.exp(float(log_grad.mean())),
    }


def gelfand(w: Tensor, powers: list[int]) -> Tensor:
    """||W^k||_2^(1/k) for each k: starts at sigma_max (k = 1), tends to rho(W)."""
    out, current, done = [], torch.eye(w.shape[0], dtype=w.dtype), 0
    for k in sorted(powers):
        for _ in range(k - done):
            current = w @ current
        done = k
        out.append(torch.linalg.matrix_norm(current, 2) ** (1.0 / k))
    return torch.stack(out)


def spectrum_summary(w: Tensor) -> dict[str, float]:
    """sigma_max, spectral radius rho, and Henrici's departure from normality, relative:
    sqrt(||W||_F^2 - sum |lambda|^2) / ||W||_F (0 for a normal matrix)."""
    eig = torch.linalg.eigvals(w)
    fro2 = float(torch.linalg.matrix_norm(w) ** 2)
    departure = math.sqrt(max(fro2 - float((eig.abs() ** 2).sum()), 0.0) / fro2)
    return {
        "sigma_max": float(torch.linalg.matrix_norm(w, 2)),
        "rho": float(eig.abs().max()),
        "departure": departure,
    }
