"""The curse of memory (Zucchet & Orvieto, 2024): a one-unit linear recurrence
``h_t = lambda h_{t-1} + x_t`` whose gradients neither vanish nor explode, yet whose output
becomes ever more sensitive to ``lambda`` as its memory grows (lambda -> 1).

Inputs are stationary with unit variance and correlation ``E[x_t x_{t-k}] = rho^|k|`` (AR(1);
white noise at rho = 0). Every expectation is derived with SymPy from one generating function

    S(a, b) = E[h(a) h(b)],  h(a) = sum_n a^n x_{t-n},

since E[h^2] = S(l, l), E[h dh/dl] = dS/db (l, l) and E[(dh/dl)^2] = d2S/da db (l, l). The
conventions (and the closed forms they must reproduce) follow the authors' code,
``NicolasZucchet/Vanishing-and-exploding-gradients-are-not-the-end-of-the-story``,
``figures/1D-case.ipynb``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import sympy as sp


@dataclass(frozen=True)
class MemoryExpressions:
    """SymPy expressions in ``lam`` (the eigenvalue) and ``rho`` (the input correlation)."""

    lam: object
    rho: object
    generating: object  # S(a, b) with a = b = lam left symbolic in ``a``, ``b``
    a: object
    b: object
    h2: object  # E[h^2]
    dh2: object  # E[(dh/dlam)^2]
    norm_dh2: object  # E[(d(gamma h)/dlam)^2], gamma = sqrt(1 - lam^2)
    exp_norm_dh2: object  # E[(d(gamma h)/dnu)^2], lam = exp(-exp(nu))
    gate_dh2: object  # E[(d((1 - lam) h)/db)^2], lam = sigmoid(b): a GRU-style coupled gate


@cache
def memory_expressions() -> MemoryExpressions:
    """Derive E[h^2], E[(dh/dl)^2] and the normalised sensitivities with SymPy."""

    lam = sp.Symbol("lambda", positive=True)
    rho = sp.Symbol("rho", real=True)
    a, b = sp.symbols("a b", positive=True)
    n, d = sp.symbols("n d", integer=True, nonnegative=True)

    def geometric(term, var, start):
        series = sp.Sum(term, (var, start, sp.oo)).doit()
        # SymPy answers piecewise; the closed form holds where |ratio| < 1 (our case)
        return series.args[0][0] if isinstance(series, sp.Piecewise) else series

    # E[h(a) h(b)] = sum_{n,m} a^n b^m rho^|n-m|: the diagonal n = m, then n = m + d and
    # m = n + d for d >= 1, each a product of two geometric series.
    diagonal = geometric((a * b) ** n, n, 0)
    generating = diagonal * (1 + geometric((a * rho) ** d, d, 1) + geometric((b * rho) ** d, d, 1))
    at = {a: lam, b: lam}
    s = generating.subs(at)
    s_b = sp.diff(generating, b).subs(at)
    s_ab = sp.diff(generating, a, b).subs(at)
    gamma = sp.sqrt(1 - lam**2)
    dgamma = sp.diff(gamma, lam)
    norm = dgamma**2 * s + 2 * gamma * dgamma * s_b + gamma**2 * s_ab
    dlam_dnu = lam * sp.log(lam)  # lam = exp(-exp(nu)): dlam/dnu = -lam exp(nu) = lam ln lam
    # a coupled gate, h_t = f h_{t-1} + (1 - f) x_t with f = sigmoid(b): gain 1 - lam,
    # dlam/db = lam (1 - lam)
    gate = lam**2 * (1 - lam) ** 2 * (s - 2 * (1 - lam) * s_b + (1 - lam) ** 2 * s_ab)
    return MemoryExpressions(
        lam=lam,
        rho=rho,
        generating=sp.simplify(generating),
        a=a,
        b=b,
        h2=sp.factor(sp.simplify(s)),
        dh2=sp.factor(sp.simplify(s_ab)),
        norm_dh2=sp.factor(sp.simplify(norm)),
        exp_norm_dh2=sp.simplify(dlam_dnu**2 * sp.factor(sp.simplify(norm))),
        gate_dh2=sp.factor(sp.simplify(gate)),
    )


@cache
def memory_functions():
    """NumPy functions ``f(lam, rho)`` of the expressions: a dict keyed ``h2``, ``dh2``,
    ``norm_dh2``, ``exp_norm_dh2``, ``gate_dh2`` (cheap enough for explorer frames)."""

    e = memory_expressions()
    return {
        key: sp.lambdify((e.lam, e.rho), getattr(e, key), "numpy")
        for key in ("h2", "dh2", "norm_dh2", "exp_norm_dh2", "gate_dh2")
    }
