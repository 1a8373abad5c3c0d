"""SymPy derivations of the linear recurrences (chapter 13): the LRU's power, its e-folding
time and the stationary power with and without normalisation."""

from __future__ import annotations

import sympy as sp


def symbolic_unrolled_gradient(k: int):
    r"""SymPy: unroll :math:`h_{t+j} = \lambda h_{t+j-1} + \gamma b_{t+j}` for j = 1..k from a
    symbolic h_t and return ``(h_{t+k}, dh_{t+k}/dh_t)``; the derivative is :math:`\lambda^k`
    whatever the inputs."""

    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    lam, gamma, h_t = sp.symbols("lambda gamma h_t")
    h = h_t
    for j in range(1, k + 1):
        h = lam * h + gamma * sp.Symbol(f"b_{{t+{j}}}")
    return sp.expand(h), sp.expand(sp.diff(h, h_t))


def symbolic_lru_power():
    r"""SymPy: with :math:`\lambda = \exp(-e^{\nu} + i e^{\theta})`, return
    ``(nu, theta, k, lambda^k, |lambda^k|, e-folding time)``: :math:`|\lambda^k| = \exp(-k e^\nu)`,
    which falls to :math:`1/e` after :math:`\tau_e = e^{-\nu} = -1/\ln|\lambda|` steps (the
    e-folding time; the memory time :math:`1/(1-|\lambda|)` is about half a step longer)."""

    nu, theta = sp.symbols("nu theta", real=True)
    k = sp.Symbol("k", positive=True, integer=True)
    lam = sp.exp(-sp.exp(nu) + sp.I * sp.exp(theta))
    power = sp.powsimp(lam**k, force=True)
    modulus = sp.simplify(sp.Abs(power))
    tau = sp.solve(sp.Eq(sp.log(modulus), -1), k)[0]
    return nu, theta, k, power, modulus, tau


def symbolic_stationary_power():
    r"""SymPy: the stationary :math:`E|h|^2` of :math:`h_t = \lambda h_{t-1} + \gamma u_t` for
    white noise :math:`u_t` of unit variance, :math:`\gamma^2 \sum_{j\ge 0} |\lambda|^{2j}`, without
    normalisation (:math:`\gamma = 1`) and with :math:`\gamma = \sqrt{1-|\lambda|^2}`.
    Returns ``(r, unnormalised, normalised)`` with ``r = |lambda|``."""

    r = sp.Symbol("r", positive=True)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    series = sp.Sum((r**2) ** j, (j, 0, sp.oo)).doit()
    # SymPy answers piecewise: the closed form where |lambda|^2 < 1, which holds here
    geometric = series.args[0][0] if isinstance(series, sp.Piecewise) else series
    return r, sp.simplify(geometric), sp.simplify((1 - r**2) * geometric)
