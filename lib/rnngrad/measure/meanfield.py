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


def _gaussian_mean(
    f, q: float, scale: float = 1.0, tails: float = 12.0, per_step: int = 8
) -> float:
    """E[f(a)] for a ~ N(0, q), by the trapezoid rule on a uniform grid in a.

    ``f`` must be smooth and vary on a length ``scale`` in a (1 for tanh: sech^4(a) falls to
    half its peak at |a| = 0.61). The step is min(scale, sqrt(q)) / per_step, so the grid
    resolves both f and the Gaussian however large or small q is, and it spans ``tails``
    standard deviations. For an integrand analytic in a strip |Im a| < d the trapezoid rule's
    error falls like exp(-2 pi d / step) (Trefethen & Weideman 2014); tanh's poles sit at
    d = pi / 2, so at step 1/8 the error is of order exp(-8 pi^2), far below double precision.

    A fixed Gauss-Hermite rule in z = a / sqrt(q) cannot do this: with 201 nodes they are 0.22
    apart near z = 0, while at q = 58 sech^4(sqrt(q) z) falls to half at |z| = 0.08, so the
    rule sees the few unsaturated units through one node: it gave chi(8, 1) = 5.83, not 4.44.
    """
    if q <= 0.0:
        return float(f(np.zeros(1))[0])
    sd = math.sqrt(q)
    step = min(scale, sd) / per_step
    half = math.ceil(tails * sd / step)
    a = step * np.arange(-half, half + 1)
    density = np.exp(-0.5 * (a / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
    return float(step * np.sum(f(a) * density))


def _moments(q: float, nonlinearity: str) -> tuple[float, float]:
    """E[phi(a)^2] and E[phi'(a)^2] for a ~ N(0, q): exact for relu and linear (q / 2 and 1 / 2,
    q and 1), by ``_gaussian_mean`` for tanh."""
    if nonlinearity == "relu":
        return q / 2, 0.5
    if nonlinearity == "linear":
        return q, 1.0
    phi, dphi = _check(nonlinearity)
    return _gaussian_mean(lambda a: phi(a) ** 2, q), _gaussian_mean(lambda a: dphi(a) ** 2, q)


def fixed_point_variance(
    sigma_w: float, input_scale: float, nonlinearity: str = "tanh", iterations: int = 500
) -> float:
    """q*: the pre-activation variance the recursion q <- sigma_w^2 E[phi^2] + s^2 settles at."""
    _check(nonlinearity)
    q = input_scale**2 + 1.0
    for _ in range(iterations):
        q_new = sigma_w**2 * _moments(q, nonlinearity)[0] + input_scale**2
        if not math.isfinite(q_new) or q_new > 1e12:
            return math.inf
        if abs(q_new - q) < 1e-14 * max(q, 1.0):
            return q_new
        q = q_new
    return q


def chi(sigma_w: float, input_scale: float, nonlinearity: str = "tanh") -> float:
    """sigma_w^2 E[phi'(a)^2] at a ~ N(0, q*): the mean squared stretch of one step."""
    _check(nonlinearity)
    q = fixed_point_variance(sigma_w, input_scale, nonlinearity)
    if nonlinearity == "relu":  # phi' is 1 on half the units whatever q is
        return sigma_w**2 / 2
    if nonlinearity == "linear":
        return sigma_w**2
    return sigma_w**2 * _moments(q, nonlinearity)[1]


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
