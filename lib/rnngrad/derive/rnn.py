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
    for name, f in {"tanh": sp.tanh(a), "sigmoid": sigmoid(a)}.items():
        d = sp.diff(f, a)
        critical = sp.solve(sp.Eq(sp.diff(d, a), 0), a)
        out[name] = sp.simplify(max((d.subs(a, c) for c in critical), key=lambda e: float(e)))
    return out


def scalar_lstm():
    """dc_t/dc_{t-1} of a scalar LSTM, split into its diagonal path and the rest.

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
    i, f, g = sigmoid(gate("i")), sigmoid(gate("f")), sp.tanh(gate("g"))
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


def sigmoid(z):
    return 1 / (1 + sp.exp(-z))


def scalar_gru():
    """dh_t/dh_{t-1} of a scalar GRU in PyTorch's convention, h_t = (1 - z) n + z h_{t-1}.

    Returns ``(symbols, total, direct, indirect)``: ``direct`` = z_t, the update gate's share
    of the old state (the GRU's counterpart of the LSTM's forget gate), and ``indirect`` the
    paths through r_t, z_t and n_t, written out by the chain rule (total = direct + indirect).
    """
    s = _symbols("h_prev=h_{t-1}", "x=x_t", *"w_r w_z w_n u_r u_z u_n b_r b_z b_in b_hn".split())
    h_prev, x = s["h_prev"], s["x"]
    r = sigmoid(s["u_r"] * x + s["w_r"] * h_prev + s["b_r"])
    z = sigmoid(s["u_z"] * x + s["w_z"] * h_prev + s["b_z"])
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
    """sigma(b_f)^T: how much of c_0 reaches c_T along the diagonal path with zero weights."""
    return sigmoid(sp.sympify(bias)) ** steps


def scalar_lstm_block():
    """The 2 x 2 Jacobian d(c_t, h_t)/d(c_{t-1}, h_{t-1}) of a scalar LSTM, every gate reading
    h_{t-1} (weights w_k) and x_t (weights u_k).

    Returns ``(symbols, block, by_hand)``: ``block`` as SymPy differentiates it, ``by_hand``
    written out by the chain rule in the gates' values (the form the chapter displays):

        [[f,                 c f(1-f) w_f + g i(1-i) w_i + i (1-g^2) w_g],
         [o tanh'(c_t) f,    tanh(c_t) o(1-o) w_o + o tanh'(c_t) * (the entry above)]]
    """
    s = _symbols(
        "c_prev=c_{t-1}",
        "h_prev=h_{t-1}",
        "x=x_t",
        *"w_i w_f w_g w_o u_i u_f u_g u_o b_i b_f b_g b_o".split(),
    )
    gate = lambda k: s[f"w_{k}"] * s["h_prev"] + s[f"u_{k}"] * s["x"] + s[f"b_{k}"]  # noqa: E731
    i, f, g, o = sigmoid(gate("i")), sigmoid(gate("f")), sp.tanh(gate("g")), sigmoid(gate("o"))
    c = f * s["c_prev"] + i * g
    h = o * sp.tanh(c)
    block = sp.Matrix([c, h]).jacobian([s["c_prev"], s["h_prev"]])
    dc_dh = s["c_prev"] * f * (1 - f) * s["w_f"] + g * i * (1 - i) * s["w_i"]
    dc_dh = dc_dh + i * (1 - g**2) * s["w_g"]
    slope = o * (1 - sp.tanh(c) ** 2)
    by_hand = sp.Matrix(
        [[f, dc_dh], [slope * f, sp.tanh(c) * o * (1 - o) * s["w_o"] + slope * dc_dh]]
    )
    return s, block, by_hand


def block_symbols():
    """Symbols for displaying the block in the gates' values: returns a dict and the 2 x 2
    matrix written with f, i, g, o, c_t as plain symbols (for LaTeX only)."""
    f, i, g, o, c, cp, wf, wi, wg, wo = sp.symbols(
        "f_t i_t g_t o_t c_t c_{t-1} w_f w_i w_g w_o", real=True
    )
    dc_dh = cp * f * (1 - f) * wf + g * i * (1 - i) * wi + i * (1 - g**2) * wg
    slope = o * (1 - sp.tanh(c) ** 2)
    return sp.Matrix([[f, dc_dh], [slope * f, sp.tanh(c) * o * (1 - o) * wo + slope * dc_dh]])


def latch(w=None):
    """The one-unit latch h -> tanh(w h) of Bengio, Simard & Frasconi (1994).

    Returns ``(w, h, fixed_point, slope)``: the fixed-point condition h - tanh(w h) = 0 and the
    slope of the map at h, w (1 - tanh^2(w h)), which at a fixed point h* equals w (1 - h*^2).
    With ``w`` a number, ``fixed_point`` is the positive root h* (w > 1) and ``slope`` its value
    there; for w <= 1 the only fixed point is 0 with slope w.
    """
    ws, h = sp.symbols("w h", real=True)
    condition = h - sp.tanh(ws * h)
    slope = sp.diff(sp.tanh(ws * h), h)
    if w is None:
        return ws, h, condition, slope
    w = sp.nsimplify(w)
    if w <= 1:
        return w, h, sp.Integer(0), w
    root = sp.nsolve(condition.subs(ws, w), h, 1.0)
    return w, h, root, slope.subs({ws: w, h: root})


def latch_slope_at_fixed_point():
    """d tanh(w h)/dh at a fixed point h* = tanh(w h*), simplified: w (1 - h*^2)."""
    ws, h = sp.symbols("w h", real=True)
    slope = sp.diff(sp.tanh(ws * h), h)
    return sp.simplify(slope.subs(sp.tanh(ws * h), h)), (ws, h)


def gru_z_limit():
    """The scalar GRU's dh_t/dh_{t-1} = z_t + (W-paths), written in the update gate's value
    z_t, and its limit z_t -> 1 (update bias b_z -> infinity).

    Returns ``(z, in_z, at_one)``: the derivative with the gate's value as the symbol z_t,
    and its value at z_t = 1: exactly 1, since every W-path carries a factor (1 - z_t).
    """
    s, total, direct, indirect = scalar_gru()
    z = sp.Symbol("z_t", positive=True)
    in_z = (direct + indirect).xreplace({direct: z})
    return z, in_z, sp.simplify(in_z.subs(z, 1))
