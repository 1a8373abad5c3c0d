"""The derivations the chapters display, done by SymPy.

Each function returns SymPy objects; chapters show them with ``sympy.latex`` and the tests
check them against PyTorch autograd on random numbers.
"""

from __future__ import annotations

import sympy as sp


def scalar_rnn(steps: int):
    """A scalar tanh RNN h_t = tanh(w h_{t-1} + u x_t + b), unrolled ``steps`` times.

    Returns ``(symbols, h, grad, factors)``: the symbols (w, u, b, h0, xs), the list of
    expressions h_1..h_T, dh_T/dh_0 as SymPy differentiated it, and the factors
    w (1 - h_t^2) whose product it equals.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    w, u, b, h0 = sp.symbols("w u b h_0", real=True)
    xs = sp.symbols(f"x_1:{steps + 1}", real=True)
    hs = []
    h = h0
    for x in xs:
        h = sp.tanh(w * h + u * x + b)
        hs.append(h)
    grad = sp.diff(hs[-1], h0)
    factors = [w * (1 - ht**2) for ht in hs]
    return (w, u, b, h0, xs), hs, grad, factors


def matrix_rnn(n: int = 2, steps: int = 2):
    """An n-dimensional tanh RNN h_t = tanh(W h_{t-1} + u_t) unrolled ``steps`` times.

    Returns ``(W, h0, us, jacobian, factors)``: the symbols, dh_T/dh_0 as SymPy's Jacobian,
    and the per-step factors diag(1 - h_t^2) W, whose product (latest step on the left)
    it equals. The gradient of a loss flows the other way: dL/dh_{t-1} = W^T diag(1 - h_t^2) dL/dh_t.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    W = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"w_{i + 1}{j + 1}", real=True))
    h0 = sp.Matrix(n, 1, lambda i, _: sp.Symbol(f"h_0{i + 1}", real=True))
    us = [
        sp.Matrix(n, 1, lambda i, _, t=t: sp.Symbol(f"u_{t}{i + 1}", real=True))
        for t in range(1, steps + 1)
    ]
    h, factors = h0, []
    for u in us:
        h = (W * h + u).applyfunc(sp.tanh)
        factors.append(sp.diag(*[1 - hi**2 for hi in h]) * W)
    jacobian = h.jacobian(h0)
    return W, h0, us, jacobian, factors


def activation_derivative_maxima() -> dict[str, sp.Expr]:
    """max tanh'(a) and max sigmoid'(a) over real a (the gamma of the vanishing bound)."""
    a = sp.symbols("a", real=True)
    out = {}
    for name, f in {"tanh": sp.tanh(a), "sigmoid": _sigmoid(a)}.items():
        d = sp.diff(f, a)
        critical = sp.solve(sp.Eq(sp.diff(d, a), 0), a)
        out[name] = sp.simplify(max((d.subs(a, c) for c in critical), key=lambda e: float(e)))
    return out


def scalar_lstm():
    """dc_t/dc_{t-1} of a scalar LSTM, split into its direct path and the rest.

    The cell: c_t = f c_{t-1} + i g with every gate reading h_{t-1} = o_{t-1} tanh(c_{t-1}).
    Returns ``(symbols, total, direct, indirect)``: ``total`` as SymPy differentiates it,
    ``direct`` = f_t (the constant error carousel when f_t = 1), and ``indirect`` the three
    paths through h_{t-1}, written out by the chain rule (total = direct + indirect).
    """
    s = _symbols(
        "c_prev=c_{t-1}", "o_prev=o_{t-1}", "x=x_t", *"w_i w_f w_g u_i u_f u_g b_i b_f b_g".split()
    )
    h_prev = s["o_prev"] * sp.tanh(s["c_prev"])
    gate = lambda k: s[f"w_{k}"] * h_prev + s[f"u_{k}"] * s["x"] + s[f"b_{k}"]  # noqa: E731
    i, f, g = _sigmoid(gate("i")), _sigmoid(gate("f")), sp.tanh(gate("g"))
    total = sp.diff(f * s["c_prev"] + i * g, s["c_prev"])
    dh = s["o_prev"] * (1 - sp.tanh(s["c_prev"]) ** 2)  # dh_{t-1}/dc_{t-1}
    indirect = dh * (
        s["c_prev"] * f * (1 - f) * s["w_f"]
        + g * i * (1 - i) * s["w_i"]
        + i * (1 - g**2) * s["w_g"]
    )
    return s, total, f, indirect


def _symbols(*specs: str) -> dict[str, sp.Symbol]:
    """Real symbols keyed by a Python name: ``"x=x_t"`` prints as x_t, ``"w_f"`` as itself."""
    pairs = [spec.split("=") if "=" in spec else (spec, spec) for spec in specs]
    return {key: sp.Symbol(name, real=True) for key, name in pairs}


def _sigmoid(z):
    return 1 / (1 + sp.exp(-z))


def scalar_gru():
    """dh_t/dh_{t-1} of a scalar GRU in PyTorch's convention, h_t = (1 - z) n + z h_{t-1}.

    Returns ``(symbols, total, direct, indirect)``: ``direct`` = z_t, the update gate's share
    of the old state (the GRU's counterpart of the LSTM's forget gate), and ``indirect`` the
    paths through r_t, z_t and n_t, written out by the chain rule (total = direct + indirect).
    """
    s = _symbols("h_prev=h_{t-1}", "x=x_t", *"w_r w_z w_n u_r u_z u_n b_r b_z b_in b_hn".split())
    h_prev, x = s["h_prev"], s["x"]
    r = _sigmoid(s["u_r"] * x + s["w_r"] * h_prev + s["b_r"])
    z = _sigmoid(s["u_z"] * x + s["w_z"] * h_prev + s["b_z"])
    hidden_n = s["w_n"] * h_prev + s["b_hn"]  # the part of n the reset gate scales
    n = sp.tanh(s["u_n"] * x + s["b_in"] + r * hidden_n)
    total = sp.diff((1 - z) * n + z * h_prev, h_prev)
    dn = (1 - n**2) * (r * s["w_n"] + r * (1 - r) * s["w_r"] * hidden_n)
    indirect = (1 - z) * dn + z * (1 - z) * s["w_z"] * (h_prev - n)
    return s, total, z, indirect


def parameter_count(cell: str, layers: int = 1):
    """Parameters of ``nn.RNN``/``nn.LSTM``/``nn.GRU`` as a SymPy expression in the input size
    d and hidden size H: gates x (W_ih: H x d, W_hh: H x H, b_ih, b_hh: H each) in layer one,
    and the same with d replaced by H in every later layer."""
    gates = {"rnn": 1, "lstm": 4, "gru": 3}
    if cell not in gates:
        raise ValueError(f"unknown cell {cell!r}; expected one of {sorted(gates)}")
    if not isinstance(layers, int) or layers < 1:
        raise ValueError(f"layers must be a positive int, got {layers!r}")
    d, H = sp.symbols("d H", positive=True, integer=True)
    one_layer = lambda inputs: gates[cell] * (H * inputs + H * H + 2 * H)  # noqa: E731
    return sp.expand(one_layer(d) + (layers - 1) * one_layer(H)), (d, H)


def forget_product(bias, steps):
    """sigma(b_f)^T: how much of c_0 reaches c_T along the direct path with zero weights."""
    return _sigmoid(sp.sympify(bias)) ** steps
