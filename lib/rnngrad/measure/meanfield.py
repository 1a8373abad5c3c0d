"""Mean-field prediction of the per-step gradient growth of a random RNN.

For h_t = phi(W h_{t-1} + u_t) with W's entries of variance sigma_w^2 / N (or W = sigma_w Q,
Q orthogonal) and inputs u_t of variance s^2 per unit, the pre-activations a_t are, for large
N, Gaussian with variance q_t, and

    q_t = sigma_w^2 E_z[phi(sqrt(q_{t-1}) z)^2] + s^2          (z ~ N(0, 1))

settles at a fixed point q*. One step's Jacobian diag(phi'(a_t)) W stretches a vector's
squared length by, on average,

    chi = sigma_w^2 E_z[phi'(sqrt(q*) z)^2],

so gradients grow (chi > 1) or vanish (chi < 1) like chi^{T/2} (Poole et al. 2016; for
recurrent networks Chen, Pennington & Schoenholz 2018). Large weights saturate tanh
(E[phi'^2] falls) but only like 1/sigma_w, so chi still *grows* with sigma_w; large
*inputs* raise q* without raising sigma_w and can push chi below 1.
"""

from __future__ import annotations

import math

import numpy as np
import torch

_PHI = {
    "tanh": (np.tanh, lambda a: 1 - np.tanh(a) ** 2),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
    "linear": (lambda a: a, lambda a: np.ones_like(a)),
}


def _gauss(n: int = 201):
    """Nodes and weights of Gauss-Hermite quadrature for E_z[.] with z ~ N(0, 1)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(n)
    return nodes, weights / math.sqrt(2 * math.pi)


def fixed_point_variance(
    sigma_w: float, input_scale: float, nonlinearity: str = "tanh", iterations: int = 500
) -> float:
    """q*: the pre-activation variance the recursion q <- sigma_w^2 E[phi^2] + s^2 settles at."""
    phi, _ = _check(nonlinearity)
    z, w = _gauss()
    q = input_scale**2 + 1.0
    for _ in range(iterations):
        q_new = sigma_w**2 * float(w @ phi(math.sqrt(q) * z) ** 2) + input_scale**2
        if not math.isfinite(q_new) or q_new > 1e12:
            return math.inf
        if abs(q_new - q) < 1e-14 * max(q, 1.0):
            return q_new
        q = q_new
    return q


def chi(sigma_w: float, input_scale: float, nonlinearity: str = "tanh") -> float:
    """sigma_w^2 E[phi'(a)^2] at a ~ N(0, q*): the mean squared stretch of one step."""
    _, dphi = _check(nonlinearity)
    q = fixed_point_variance(sigma_w, input_scale, nonlinearity)
    if nonlinearity == "relu":  # phi' is 1 on half the units whatever q is
        return sigma_w**2 / 2
    if nonlinearity == "linear":
        return sigma_w**2
    z, w = _gauss()
    return sigma_w**2 * float(w @ dphi(math.sqrt(q) * z) ** 2)


def predicted_rate(sigma_w: float, input_scale: float, nonlinearity: str = "tanh") -> float:
    """Predicted growth of log ||J_t ... J_1 v|| per step: (1/2) log chi."""
    return 0.5 * math.log(chi(sigma_w, input_scale, nonlinearity))


@torch.no_grad()
def measured_rate(
    sigma_w: float,
    input_scale: float,
    nonlinearity: str = "tanh",
    n: int = 256,
    steps: int = 100,
    warmup: int = 30,
    seed: int = 0,
    orthogonal: bool = False,
) -> float:
    """Measured growth of log ||J_t ... J_1 v|| per step in one random network of n units:
    W Gaussian with entry variance sigma_w^2 / n (or sigma_w times a random orthogonal matrix),
    inputs N(0, input_scale^2), a random start vector v, after ``warmup`` steps of the forward
    pass (so the states have reached their stationary scale)."""
    _check(nonlinearity)
    g = torch.Generator().manual_seed(seed)
    if orthogonal:
        q, r = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
        W = sigma_w * q * torch.sign(torch.diagonal(r))[None, :]
    else:
        W = sigma_w * torch.randn(n, n, generator=g, dtype=torch.float64) / math.sqrt(n)
    phi = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a}[nonlinearity]
    dphi = {
        "tanh": lambda a: 1 - torch.tanh(a) ** 2,
        "relu": lambda a: (a > 0).to(a),
        "linear": torch.ones_like,
    }[nonlinearity]
    h = torch.zeros(n, dtype=torch.float64)
    v = torch.randn(n, generator=g, dtype=torch.float64)
    v /= v.norm()
    log_norm = 0.0
    for t in range(warmup + steps):
        a = W @ h + input_scale * torch.randn(n, generator=g, dtype=torch.float64)
        h = phi(a)
        if t >= warmup:
            v = dphi(a) * (W @ v)
            size = v.norm().item()
            if size == 0.0:
                return -math.inf
            log_norm += math.log(size)
            v /= size  # renormalise each step: no under- or overflow
    return log_norm / steps


def _check(nonlinearity: str):
    if nonlinearity not in _PHI:
        raise ValueError(f"nonlinearity must be one of {sorted(_PHI)}, got {nonlinearity!r}")
    return _PHI[nonlinearity]
