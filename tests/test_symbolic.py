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


def test_matrix_rnn_jacobian_is_the_product_of_step_factors():
    W, h0, us, jacobian, factors = symbolic.matrix_rnn(2, 3)
    g = torch.Generator().manual_seed(7)
    w = torch.randn(2, 2, generator=g, dtype=torch.float64)
    h_start = torch.randn(2, generator=g, dtype=torch.float64)
    u = [torch.randn(2, generator=g, dtype=torch.float64) for _ in us]
    values = {W[i, j]: float(w[i, j]) for i in range(2) for j in range(2)}
    values |= {h0[i]: float(h_start[i]) for i in range(2)}
    values |= {us[t][i]: float(u[t][i]) for t in range(3) for i in range(2)}

    def run(h):
        for ut in u:
            h = torch.tanh(w @ h + ut)
        return h

    expected = torch.autograd.functional.jacobian(run, h_start)
    got = torch.tensor(jacobian.subs(values).evalf().tolist(), dtype=torch.float64)
    torch.testing.assert_close(got, expected, atol=1e-12, rtol=1e-12)
    product = sp.eye(2)
    for factor in factors:
        product = factor * product  # latest step on the left
    torch.testing.assert_close(
        torch.tensor(product.subs(values).evalf().tolist(), dtype=torch.float64),
        expected,
        atol=1e-12,
        rtol=1e-12,
    )


def test_scalar_gru_hidden_jacobian_matches_pytorch_gru():
    s, total, direct, indirect = symbolic.scalar_gru()
    g = torch.Generator().manual_seed(3)
    values = {v: float(torch.randn((), generator=g)) for v in s.values()}
    p = {k: values[v] for k, v in s.items()}
    cell = torch.nn.GRUCell(1, 1).double()
    with torch.no_grad():  # PyTorch's layout: rows r, z, n
        cell.weight_ih.copy_(torch.tensor([[p["u_r"]], [p["u_z"]], [p["u_n"]]]))
        cell.weight_hh.copy_(torch.tensor([[p["w_r"]], [p["w_z"]], [p["w_n"]]]))
        cell.bias_ih.copy_(torch.tensor([0.0, 0.0, p["b_in"]]))
        cell.bias_hh.copy_(torch.tensor([p["b_r"], p["b_z"], p["b_hn"]]))
    h_prev = torch.tensor([[p["h_prev"]]], dtype=torch.float64, requires_grad=True)
    h = cell(torch.tensor([[p["x"]]], dtype=torch.float64), h_prev)
    h.backward()
    assert float(total.subs(values)) == pytest.approx(h_prev.grad.item(), rel=1e-12)
    assert float((total - direct - indirect).subs(values)) == pytest.approx(0.0, abs=1e-14)
    z = torch.sigmoid(
        torch.tensor(p["u_z"] * p["x"] + p["w_z"] * p["h_prev"] + p["b_z"], dtype=torch.float64)
    )
    assert float(direct.subs(values)) == pytest.approx(z.item(), rel=1e-12)


@pytest.mark.parametrize(
    "cell, module", [("rnn", torch.nn.RNN), ("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU)]
)
@pytest.mark.parametrize("d, H, layers", [(1, 1, 1), (3, 8, 1), (10, 64, 2), (7, 5, 3)])
def test_parameter_counts_match_pytorch(cell, module, d, H, layers):
    formula, (sd, sH) = symbolic.parameter_count(cell, layers)
    expected = sum(p.numel() for p in module(d, H, num_layers=layers).parameters())
    assert formula.subs({sd: d, sH: H}) == expected
    with pytest.raises(ValueError, match="unknown cell"):
        symbolic.parameter_count("transformer")
