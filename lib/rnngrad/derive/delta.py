r"""SymPy derivations of the matrix memories (chapter 16): the state Jacobian of the gated delta
rule as a linear map on vec(S), and its eigenvalues."""

from __future__ import annotations

import sympy as sp


def _vec(M: sp.Matrix) -> sp.Matrix:
    """Stack the columns of M (vec(S), the convention of vec(X A) = (A^T kron I) vec(X))."""
    return sp.Matrix([M[i, j] for j in range(M.shape[1]) for i in range(M.shape[0])])


def symbolic_delta_jacobian(d_k: int = 2, d_v: int = 2):
    r"""SymPy: the step :math:`S_t = \alpha S_{t-1} (I - \beta k k^\top) + \beta v k^\top` with a
    symbolic S (d_v x d_k), k, v, alpha and beta, differentiated entry by entry.

    Returns ``(symbols, step, jacobian, general)``: ``jacobian`` is
    :math:`\partial\,\mathrm{vec}(S_t) / \partial\,\mathrm{vec}(S_{t-1})` (d_v d_k square) found
    by differentiation, ``general`` the closed form
    :math:`\alpha (I - \beta k k^\top)^\top \otimes I_{d_v}` it must equal; ``symbols`` is
    ``(S, k, v, alpha, beta)``."""
    for name, n in (("d_k", d_k), ("d_v", d_v)):
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"{name} must be a positive int, got {n!r}")
    alpha, beta = sp.symbols("alpha beta", real=True)
    S = sp.Matrix(d_v, d_k, lambda i, j: sp.Symbol(f"S_{i + 1}{j + 1}", real=True))
    k = sp.Matrix(d_k, 1, lambda i, _: sp.Symbol(f"k_{i + 1}", real=True))
    v = sp.Matrix(d_v, 1, lambda i, _: sp.Symbol(f"v_{i + 1}", real=True))
    erase = sp.eye(d_k) - beta * k * k.T
    step = alpha * S * erase + beta * v * k.T
    jacobian = _vec(step).jacobian(_vec(S))
    general = sp.kronecker_product((alpha * erase).T, sp.eye(d_v))
    return (S, k, v, alpha, beta), step, sp.simplify(jacobian), general


def symbolic_delta_eigenvalues(d_k: int = 2, d_v: int = 1):
    r"""SymPy: the eigenvalues of :math:`\alpha (I - \beta k k^\top) \otimes I_{d_v}` for a unit
    key :math:`k = (\cos\theta, \sin\theta, 0, \ldots)`, as ``{eigenvalue: multiplicity}``:
    :math:`\alpha` (d_v (d_k - 1) times, every direction orthogonal to k) and
    :math:`\alpha (1 - \beta)` (d_v times, along k), whatever theta."""
    if not isinstance(d_k, int) or d_k < 2:
        raise ValueError(f"d_k must be an int >= 2, got {d_k!r}")
    alpha, beta, theta = sp.symbols("alpha beta theta", real=True)
    k = sp.Matrix([sp.cos(theta), sp.sin(theta), *([0] * (d_k - 2))])
    J = sp.kronecker_product(alpha * (sp.eye(d_k) - beta * k * k.T), sp.eye(d_v))
    eig = J.eigenvals()
    return {sp.factor(sp.simplify(e)): m for e, m in eig.items()}
