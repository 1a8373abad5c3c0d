"""Every SymPy result the chapters display, checked numerically against PyTorch autograd."""

import math

import pytest
import sympy as sp
import torch

from rnngrad import symbolic


@pytest.mark.parametrize("steps", [1, 3, 5])
def test_scalar_rnn_gradient_matches_autograd(steps):
    (w, u, b, h0, xs), hs, grad, factors = symbolic.scalar_rnn(steps)
    assert sp.simplify(grad - sp.Mul(*factors)) == 0
    g = torch.Generator().manual_seed(steps)
    values = {s: float(torch.randn((), generator=g)) for s in (w, u, b, h0, *xs)}
    start = torch.tensor(values[h0], dtype=torch.float64, requires_grad=True)
    h = start
    for x in xs:
        h = torch.tanh(values[w] * h + values[u] * values[x] + values[b])
    h.backward()
    assert float(grad.subs(values)) == pytest.approx(start.grad.item(), rel=1e-12)
    assert float(hs[-1].subs(values)) == pytest.approx(h.item(), rel=1e-12)


def test_activation_derivative_maxima():
    maxima = symbolic.activation_derivative_maxima()
    assert maxima == {"tanh": 1, "sigmoid": sp.Rational(1, 4)}
    a = torch.linspace(-10, 10, 200_001, dtype=torch.float64, requires_grad=True)
    torch.tanh(a).sum().backward()
    assert a.grad.max().item() == pytest.approx(1.0, abs=1e-9)
    a.grad = None
    torch.sigmoid(a).sum().backward()
    assert a.grad.max().item() == pytest.approx(0.25, abs=1e-9)


def test_scalar_lstm_cell_jacobian_matches_autograd():
    s, total, direct, indirect = symbolic.scalar_lstm()
    g = torch.Generator().manual_seed(0)
    values = {v: float(torch.randn((), generator=g)) for v in s.values()}
    assert float((total - direct - indirect).subs(values)) == pytest.approx(0.0, abs=1e-14)
    p = {k: values[v] for k, v in s.items()}
    c_prev = torch.tensor(p["c_prev"], dtype=torch.float64, requires_grad=True)
    h_prev = p["o_prev"] * torch.tanh(c_prev)
    gate = lambda w, u, b: w * h_prev + u * p["x"] + b  # noqa: E731
    i = torch.sigmoid(gate(p["w_i"], p["u_i"], p["b_i"]))
    f = torch.sigmoid(gate(p["w_f"], p["u_f"], p["b_f"]))
    gg = torch.tanh(gate(p["w_g"], p["u_g"], p["b_g"]))
    (f * c_prev + i * gg).backward()
    assert float(total.subs(values)) == pytest.approx(c_prev.grad.item(), rel=1e-12)
    assert float(direct.subs(values)) == pytest.approx(f.item(), rel=1e-12)
    # With the recurrent weights at zero only the direct path, the forget gate, remains.
    zero = {**values, s["w_i"]: 0, s["w_f"]: 0, s["w_g"]: 0}
    assert float(indirect.subs(zero)) == pytest.approx(0.0, abs=1e-15)


def test_forget_product():
    assert float(symbolic.forget_product(1, 10)) == pytest.approx((1 / (1 + math.exp(-1))) ** 10)
    with pytest.raises(ValueError, match="steps"):
        symbolic.scalar_rnn(0)
