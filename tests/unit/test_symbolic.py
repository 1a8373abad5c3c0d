"""Every SymPy result the chapters display, checked numerically against PyTorch autograd."""

import math

import pytest
import sympy as sp
import torch

from rnngrad.derive import rnn as symbolic


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
    # With the recurrent weights at zero only the diagonal path, the forget gate, remains.
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


def test_scalar_lstm_block_matches_autograd_and_the_chain_rule():
    """The 2 x 2 block d(c_t, h_t)/d(c_{t-1}, h_{t-1}). Catches a hand-written form with the
    forget gate's derivative f(1-f) on the diagonal (instead of its value f), or one that
    drops the output gate's path tanh(c_t) o(1-o) w_o."""
    s, block, by_hand = symbolic.scalar_lstm_block()
    g = torch.Generator().manual_seed(4)
    values = {v: float(torch.randn((), generator=g)) for v in s.values()}
    p = {k: values[v] for k, v in s.items()}

    def step(state):
        c_prev, h_prev = state[0], state[1]
        gate = lambda k: p[f"w_{k}"] * h_prev + p[f"u_{k}"] * p["x"] + p[f"b_{k}"]  # noqa: E731
        i, f, o = torch.sigmoid(gate("i")), torch.sigmoid(gate("f")), torch.sigmoid(gate("o"))
        c = f * c_prev + i * torch.tanh(gate("g"))
        return torch.stack([c, o * torch.tanh(c)])

    start = torch.tensor([p["c_prev"], p["h_prev"]], dtype=torch.float64)
    auto = torch.autograd.functional.jacobian(step, start)
    for expr in (block, by_hand):
        got = torch.tensor(expr.subs(values).evalf().tolist(), dtype=torch.float64)
        torch.testing.assert_close(got, auto, rtol=1e-12, atol=1e-14)


def test_latch_fixed_point_and_slope():
    """h -> tanh(w h): catches a slope evaluated as w (1 - w^2 h^2) or a fixed point that is
    not one. For w > 1 the slope at h* is below 1 (contracting), and tends to 0 as w grows."""
    slope, (w, h) = symbolic.latch_slope_at_fixed_point()
    assert sp.simplify(slope - w * (1 - h**2)) == 0
    slopes = []
    for value in (1.5, 2.0, 4.0):
        _, _, root, at_root = symbolic.latch(value)
        assert math.tanh(value * float(root)) == pytest.approx(float(root), abs=1e-12)
        x = torch.tensor(float(root), dtype=torch.float64, requires_grad=True)
        torch.tanh(value * x).backward()
        assert float(at_root) == pytest.approx(x.grad.item(), rel=1e-10)
        slopes.append(float(at_root))
    assert 1 > slopes[0] > slopes[1] > slopes[2]
    assert symbolic.latch(0.8)[2] == 0


def test_gru_update_gate_limit_is_one():
    """z -> 1: dh_t/dh_{t-1} -> 1 exactly (every W-path carries 1 - z). Catches a GRU written
    in the other convention (z weighting the candidate), whose limit would be the W-paths."""
    z, in_z, at_one = symbolic.gru_z_limit()
    assert at_one == 1
    s, total, _, _ = symbolic.scalar_gru()
    g = torch.Generator().manual_seed(2)
    values = {v: float(torch.randn((), generator=g)) for v in s.values()}
    z_value = 1 / (
        1
        + math.exp(
            -(
                values[s["u_z"]] * values[s["x"]]
                + values[s["w_z"]] * values[s["h_prev"]]
                + values[s["b_z"]]
            )
        )
    )
    assert float(in_z.subs({**values, z: z_value})) == pytest.approx(
        float(total.subs(values)), rel=1e-12
    )
