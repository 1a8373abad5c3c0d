"""The derivations of Part V's non-gated recurrences, done by SymPy.

Like ``rnngrad.derive.rnn``: each function returns SymPy objects; the chapters display them
with ``sympy.latex`` and ``tests/unit/test_nongated.py`` checks them against autograd.
"""

from __future__ import annotations

import sympy as sp

from .rnn import sigmoid


def leaky_scalar():
    """dh_t/dh_{t-1} of a scalar leaky unit h_t = a h_{t-1} + (1 - a) tanh(w h_{t-1} + u x_t + b).

    Returns ``(symbols, h_t, total, written)``: ``total`` as SymPy differentiates it and
    ``written`` = alpha + (1 - alpha) w (1 - tanh^2), the form the chapter reads off."""
    alpha, w, u, b, h, x = sp.symbols("alpha w u b h_{t-1} x_t", real=True)
    pre = w * h + u * x + b
    h_t = alpha * h + (1 - alpha) * sp.tanh(pre)
    total = sp.diff(h_t, h)
    written = alpha + (1 - alpha) * w * (1 - sp.tanh(pre) ** 2)
    return {"alpha": alpha, "w": w, "u": u, "b": b, "h": h, "x": x}, h_t, total, written


def efolding_time():
    """How long a leak alpha takes to lose a factor e: alpha^k = exp(-k / tau_e) solved for
    the e-folding time tau_e = -1/ln(alpha), and its series near alpha = 1,
    tau_e ~ 1/(1 - alpha) - 1/2: the book's memory time 1/(1 - alpha) less half a step.
    Returns ``(alpha, k, tau_e, series)``."""
    alpha = sp.Symbol("alpha", positive=True)
    k, tau = sp.symbols("k tau_e", positive=True)
    solution = sp.solve(sp.Eq(sp.log(alpha**k), -k / tau), tau)[0]
    eps = sp.Symbol("epsilon", positive=True)
    series = sp.series(solution.subs(alpha, 1 - eps), eps, 0, 1).removeO().subs(eps, 1 - alpha)
    return alpha, k, sp.simplify(solution), series


def gru_as_leaky():
    """A scalar GRU in PyTorch's form, h_t = (1 - z) n + z h_{t-1} with the reset gate inside
    the candidate as n = tanh(u x_t + b_in + r (w h_{t-1} + b_hn)), with its update gate
    frozen at z = alpha and its reset gate open (r = 1) *is* the leaky unit with bias
    b = b_in + b_hn.

    Returns ``(gru, leaky, difference)`` with difference simplified (it is 0)."""
    alpha, z, r, w, u, b_in, b_hn, h, x = sp.symbols(
        "alpha z r w u b_{in} b_{hn} h_{t-1} x_t", real=True
    )
    n = sp.tanh(u * x + b_in + r * (w * h + b_hn))
    gru = (1 - z) * n + z * h
    leaky = alpha * h + (1 - alpha) * sp.tanh(w * h + u * x + (b_in + b_hn))
    return gru, leaky, sp.simplify(gru.subs({z: alpha, r: 1}) - leaky)


def time_warping():
    """Tallec & Ollivier's argument, one Euler step at a time.

    The continuous leaky dynamics dh/dt = tanh(a(t)) - h, seen through a time warping
    t -> c(t), become dh/dt = c'(t) (tanh(a) - h). One Euler step of size 1 gives
    h_{t+1} = (1 - c') h_t + c' tanh(a): a leaky unit with alpha = 1 - c'. A warping whose
    speed c' changes with the input needs an input-dependent alpha: a gate.

    Returns ``(symbols, euler_step, leaky_form, difference)``."""
    h, a, speed = sp.symbols("h_t a_t c'", real=True)
    euler_step = h + speed * (sp.tanh(a) - h)
    leaky_form = (1 - speed) * h + speed * sp.tanh(a)
    return (h, a, speed), euler_step, leaky_form, sp.simplify(euler_step - leaky_form)


def chrono_bias():
    """The forget bias whose memory time 1 / (1 - sigma(b_f)) equals tau: b_f = log(tau - 1);
    and the input bias b_i = -b_f gives the input gate sigma(-b_f) = 1/tau = 1 - f, the leaky
    unit's (1 - alpha). Returns ``(tau, b_f, input_gate)``."""
    tau = sp.Symbol("tau", positive=True)
    b = sp.Symbol("b_f", real=True)
    b_f = sp.solve(sp.Eq(1 / (1 - sigmoid(b)), tau), b)[0]
    input_gate = sp.simplify(sigmoid(-b_f))
    return tau, sp.simplify(b_f), input_gate


def indrnn_gradient(steps: int):
    """A scalar IndRNN unit h_t = relu(w x_t + u h_{t-1} + b), unrolled ``steps`` times with
    every pre-activation positive (ReLU passing): dh_T/dh_0 = u^T. Solving |u|^T = gamma gives
    the largest recurrent weight that keeps the gain below gamma, u_max = gamma^(1/T) (and
    epsilon^(1/T) the smallest that keeps at least epsilon).

    Returns ``(symbols, gain, u_max)``."""
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    u, w, b, h0 = sp.symbols("u w b h_0", positive=True)
    xs = sp.symbols(f"x_1:{steps + 1}", positive=True)
    h = h0
    for x in xs:
        h = w * x + u * h + b  # the ReLU passes: positive everything
    gain = sp.diff(h, h0)
    gamma, T = sp.symbols("gamma T", positive=True)
    u_max = sp.solve(sp.Eq(u**T, gamma), u)[0]
    return (u, w, b, h0, xs, gamma, T), sp.factor(gain), u_max


def rotation():
    """The exponential map: exp of the skew-symmetric [[0, -theta], [theta, 0]] is the
    rotation by theta, and Q^T Q = I, so ||Q v|| = ||v|| for every v.

    Returns ``(theta, Q, QtQ, norm_gap)`` with ``norm_gap`` = ||Q v||^2 - ||v||^2 simplified (0)."""
    theta = sp.Symbol("theta", real=True)
    v1, v2 = sp.symbols("v_1 v_2", real=True)
    A = sp.Matrix([[0, -theta], [theta, 0]])
    Q = sp.simplify(A.exp().applyfunc(lambda e: e.rewrite(sp.cos)))
    v = sp.Matrix([v1, v2])
    norm_gap = sp.simplify((Q * v).dot(Q * v) - v.dot(v))
    return theta, Q, sp.simplify(Q.T * Q), norm_gap
