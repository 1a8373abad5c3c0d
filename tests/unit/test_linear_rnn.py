"""The LRU and the parallel scan (rnngrad.cells.linear, rnngrad.core.scan, the "lru" cell): scan == loop in float64, |lambda| < 1
under the parametrisation, the SymPy derivations against autograd and simulation, the probe,
and clear errors for bad arguments."""

import math

import matplotlib
import numpy as np
import pytest
import sympy as sp
import torch

import rnngrad
from conftest import adam_replay
from rnngrad import derive, frames
from rnngrad.cells import linear as linear_module
from rnngrad.cells.linear import (
    LRU,
    gamma_log_init,
    impulse_response,
    lru_lambda,
    lru_step,
    ring_init,
)
from rnngrad.core.scan import combine, linear_loop, linear_scan
from rnngrad.models.lru import LRUModel


def make_lru_model(task, state_size, **options):
    return rnngrad.make_model("lru", task, state_size, **options)


def lru_trace(model, task, x, y):
    return rnngrad.probe(model, task, x, y)


matplotlib.use("Agg")
F64 = torch.float64


def _random_recurrence(T, batch=3, n=5, complex_=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.rand(batch, T, n, generator=g, dtype=F64) * 2 - 1
    b = torch.randn(batch, T, n, generator=g, dtype=F64)
    if complex_:
        a = torch.polar(a.abs(), torch.rand(batch, T, n, generator=g, dtype=F64) * 6)
        b = torch.complex(b, torch.randn(batch, T, n, generator=g, dtype=F64))
    return a, b


@pytest.mark.parametrize("T", [1, 2, 3, 4, 5, 7, 8, 16, 31, 33, 100])
@pytest.mark.parametrize("complex_", [False, True])
def test_scan_equals_loop_float64(T, complex_):
    a, b = _random_recurrence(T, complex_=complex_)
    h0 = torch.randn(3, 5, dtype=F64).to(b.dtype)
    for start in (None, h0):
        scan, loop = linear_scan(a, b, start), linear_loop(a, b, start)
        assert scan.shape == loop.shape == b.shape
        torch.testing.assert_close(scan, loop, rtol=1e-12, atol=1e-12)


def test_loop_is_the_recurrence_written_out():
    a, b = _random_recurrence(4, batch=1, n=1)
    a, b = a.flatten(), b.flatten()
    h1 = b[0]
    h2 = a[1] * h1 + b[1]
    h3 = a[2] * h2 + b[2]
    h4 = a[3] * h3 + b[3]
    expected = torch.stack([h1, h2, h3, h4])
    torch.testing.assert_close(linear_loop(a[None, :, None], b[None, :, None]).flatten(), expected)


def test_constant_diagonal_broadcasts():
    lam = lru_lambda(*ring_init(6, 0.5, 0.99, dtype=F64))
    b = torch.randn(2, 40, 6, dtype=torch.complex128)
    torch.testing.assert_close(linear_scan(lam, b), linear_loop(lam, b), rtol=1e-12, atol=1e-12)


def test_combine_is_associative_symbolically():
    a1, b1, a2, b2, a3, b3 = sp.symbols("a1 b1 a2 b2 a3 b3")
    left = combine(combine((a1, b1), (a2, b2)), (a3, b3))
    right = combine((a1, b1), combine((a2, b2), (a3, b3)))
    assert all(sp.expand(u - v) == 0 for u, v in zip(left, right, strict=True))


def test_a_planted_bug_in_the_operator_is_caught(monkeypatch):
    """The scan == loop comparison is sensitive: the operator applied in the wrong order
    (second map first) must make the scan disagree with the loop."""
    a, b = _random_recurrence(16)

    def wrong(first, second):
        (a_i, b_i), (a_j, b_j) = first, second
        return a_j * a_i, a_i * b_j + b_i

    monkeypatch.setattr(rnngrad.core.scan, "combine", wrong)
    assert not torch.allclose(linear_scan(a, b), linear_loop(a, b))


def test_scan_gradients_equal_loop_gradients():
    a, b = _random_recurrence(21)
    grads = []
    for run in (linear_scan, linear_loop):
        aa, bb = a.clone().requires_grad_(), b.clone().requires_grad_()
        (run(aa, bb) ** 2).sum().backward()
        grads.append((aa.grad, bb.grad))
    for u, v in zip(*grads, strict=True):
        torch.testing.assert_close(u, v, rtol=1e-10, atol=1e-10)


def test_lambda_stays_inside_the_unit_circle():
    nu = torch.linspace(-30, 5, 20_001, dtype=F64)  # e^-e^5 ~ 1e-65: no underflow to 0
    modulus = lru_lambda(nu, torch.randn_like(nu)).abs()
    assert (modulus < 1).all() and (modulus > 0).all()
    # float32 can round exp(-tiny) up to exactly 1, never above
    assert (lru_lambda(nu.float(), torch.zeros(nu.shape)).abs() <= 1).all()


@pytest.mark.parametrize("r_min, r_max", [(0.0, 1.0), (0.9, 0.999), (0.4, 0.5)])
def test_ring_init_is_uniform_on_the_ring(r_min, r_max):
    g = torch.Generator().manual_seed(1)
    nu, theta = ring_init(40_000, r_min, r_max, math.pi / 2, generator=g, dtype=F64)
    lam = lru_lambda(nu, theta)
    assert lam.abs().min() >= r_min - 1e-12 and lam.abs().max() < r_max
    # uniform in area: |lambda|^2 ~ U[r_min^2, r_max^2]
    mean_sq = (lam.abs() ** 2).mean().item()
    assert mean_sq == pytest.approx((r_min**2 + r_max**2) / 2, abs=3e-3)
    assert 0 <= lam.angle().min() and lam.angle().max() <= math.pi / 2 + 1e-12


def test_gamma_normalises_the_state_to_unit_power():
    """SymPy's stationary E|h|^2 (1/(1-r^2) without gamma, 1 with it) against simulation."""
    r, unnormalised, normalised = derive.linear.symbolic_stationary_power()
    assert sp.simplify(unnormalised - 1 / (1 - r**2)) == 0 and normalised == 1
    g = torch.Generator().manual_seed(0)
    for modulus in (0.5, 0.9):
        lam = torch.polar(torch.tensor(modulus, dtype=F64), torch.tensor(1.0, dtype=F64))
        u = torch.randn(20_000, 200, 1, generator=g, dtype=F64).to(torch.complex128)
        power = (linear_scan(lam, u)[:, -1].abs() ** 2).mean().item()
        gamma = math.sqrt(1 - modulus**2)
        assert power == pytest.approx(float(unnormalised.subs(r, modulus)), rel=0.05)
        assert power * gamma**2 == pytest.approx(float(normalised), rel=0.05)


def test_gamma_init_is_the_normaliser():
    nu, theta = ring_init(500, 0.0, 0.999, generator=torch.Generator().manual_seed(3), dtype=F64)
    gamma = torch.exp(gamma_log_init(nu, theta))
    torch.testing.assert_close(gamma**2 + lru_lambda(nu, theta).abs() ** 2, torch.ones_like(nu))


@pytest.mark.parametrize("k", [1, 2, 5, 9])
def test_sympy_unrolled_gradient_is_lambda_to_the_k(k):
    _, derivative = derive.linear.symbolic_unrolled_gradient(k)
    assert sp.simplify(derivative - sp.Symbol("lambda") ** k) == 0


def test_sympy_modulus_and_memory_time_against_autograd():
    nu, theta, k, power, modulus, tau = derive.linear.symbolic_lru_power()
    assert sp.simplify(modulus - sp.exp(-k * sp.exp(nu))) == 0
    assert sp.simplify(tau - sp.exp(-nu)) == 0
    # autograd: in a float64 LRU, dL/dh_t = conj(lambda^(T-t)) dL/dh_T for a loss on h_T
    torch.manual_seed(0)
    lru = LRU(3, 4, r_min=0.7, r_max=0.99).double()
    x = torch.randn(2, 25, 3, dtype=F64)
    lam, inputs = lru.lam, lru.inputs(x)
    h, hs = torch.zeros_like(inputs[:, 0]), []
    for t in range(25):
        h = lam * h + inputs[:, t]
        hs.append(h)
    w = torch.randn(4, dtype=torch.complex128)
    grads = torch.autograd.grad((w * hs[-1]).real.sum(), hs)
    power_fn = sp.lambdify((nu, theta, k), power, "numpy")
    nu_v, theta_v = lru.nu_log.detach().numpy(), lru.theta_log.detach().numpy()
    for t in range(25):
        expected = torch.from_numpy(power_fn(nu_v, theta_v, 24 - t)).conj() * grads[-1]
        torch.testing.assert_close(grads[t], expected, rtol=1e-10, atol=1e-12)


def _lru_loss_written_out(params: dict, x, y):
    """The LRU model's MSE on (x, y), Orvieto et al. (2023) written out here in float64 with a
    plain loop: u_t = relu(W_e x_t + b_e), lambda = exp(-e^nu + i e^theta), gamma = e^gamma_log,
    h_t = lambda h_{t-1} + gamma (B_re + i B_im) u_t, and a Linear-ReLU-Linear head on
    [Re h_T, Im h_T]."""
    u = torch.relu(x @ params["encoder.0.weight"].T + params["encoder.0.bias"])
    lam = torch.exp(-torch.exp(params["lru.nu_log"])) * torch.exp(
        1j * torch.exp(params["lru.theta_log"])
    )
    gamma = torch.exp(params["lru.gamma_log"])
    b = torch.complex(params["lru.b_re"], params["lru.b_im"])
    h = torch.zeros(x.shape[0], lam.shape[0], dtype=torch.complex128)
    for t in range(x.shape[1]):
        h = lam * h + gamma * (u[:, t].to(torch.complex128) @ b.T)
    feats = torch.cat([h.real, h.imag], -1)
    hidden = torch.relu(feats @ params["head.0.weight"].T + params["head.0.bias"])
    pred = hidden @ params["head.2.weight"].T + params["head.2.bias"]
    return ((pred.squeeze(-1) - y) ** 2).mean()


def test_lru_float32_gradients_match_float64_autograd():
    """The float32 model's gradients (scan, complex64) against autograd of the equations
    written out above in float64 (loop, complex128), parameter by parameter.
    Catches: a model whose scan, gamma, phase or read-out differs from the paper's equations
    (a model compared with its own float64 copy would share the mistake), and float32
    gradients lost to rounding over 30 steps."""
    torch.manual_seed(0)
    task = rnngrad.AddingProblem(30)
    model = make_lru_model(task, 8, width=8, r_min=0.8, r_max=0.99, seed=0)
    x, y = task.sample(16, torch.Generator().manual_seed(0))
    task.loss(model(x), y).backward()
    params = {k: v.detach().double().requires_grad_() for k, v in model.state_dict().items()}
    loss64 = _lru_loss_written_out(params, x.double(), y.double())
    assert loss64.item() == pytest.approx(task.loss(model(x), y).item(), rel=1e-5)
    loss64.backward()
    for name, p in model.named_parameters():
        torch.testing.assert_close(
            p.grad.double(), params[name].grad, rtol=1e-3, atol=1e-5, msg=name
        )


def test_model_scan_and_loop_modes_agree():
    task = rnngrad.AddingProblem(40)
    model = make_lru_model(task, 8, seed=1).double()
    x, _ = task.sample(4, torch.Generator().manual_seed(0))
    torch.testing.assert_close(
        model.states(x.double(), "scan"), model.states(x.double(), "loop"), rtol=1e-12, atol=1e-12
    )


def test_trace_gives_total_gradients_through_time():
    task = rnngrad.AddingProblem(20)
    model = make_lru_model(task, 6, width=8, r_min=0.5, r_max=0.95, seed=2).double()
    x, y = task.sample(8, torch.Generator().manual_seed(0))
    x, y = x.double(), y.double()
    trace = lru_trace(model, task, x, y)
    assert trace.loss == pytest.approx(task.loss(model(x), y).item(), rel=1e-12)
    lam = model.lru.lam.detach()
    for t in range(20):  # read-out at the last step only: dL/dh_t = conj(lambda)^(T-t) dL/dh_T
        torch.testing.assert_close(
            trace.dL_dh[:, t], lam.conj() ** (19 - t) * trace.dL_dh[:, -1], rtol=1e-9, atol=1e-14
        )
    # The norms against the closed form: ||dL/dh_t|| = || |lambda|^(T-t) * dL/dh_T || with
    # dL/dh_T from autograd through the read-out alone (independent of the probe), batch mean.
    h_last = model.states(x)[:, -1].detach().requires_grad_()
    (g_last,) = torch.autograd.grad(task.loss(model.readout(h_last.unsqueeze(1)), y), h_last)
    expected = torch.stack(
        [(lam.abs() ** (19 - t) * g_last.abs()).norm(dim=-1).mean() for t in range(20)]
    )
    torch.testing.assert_close(trace.gradient_norms(), expected, rtol=1e-9, atol=0.0)
    assert trace.reach() == pytest.approx((expected[0] / expected[-1]).item(), rel=1e-9)
    assert trace.reach() < 0.95**19  # every |lambda| <= r_max = 0.95: the reach is below it


def test_train_runs_an_lru_model():
    """Five steps of ``train`` equal five Adam steps written out here, bit for bit, and the
    LRU's own parameters (nu, theta, gamma, B) move. Catches: LRU parameters that do not
    reach the optimiser or get no gradient through the scan."""
    task = rnngrad.AddingProblem(20)
    model = make_lru_model(task, 4, width=8, seed=0)
    history = rnngrad.train(
        model, task, 5, batch_size=8, eval_every=5, device="cpu", progress=False
    )
    assert history.steps == 5 and math.isfinite(history.final_metric)
    replay = make_lru_model(task, 4, width=8, seed=0)
    start = {k: v.detach().clone() for k, v in replay.named_parameters()}
    losses = adam_replay(replay, task, 5, batch=8, lr=2e-3)
    assert history.loss == losses
    for (name, p), q in zip(model.named_parameters(), replay.parameters(), strict=True):
        assert torch.equal(p, q), name
        assert not torch.equal(start[name], q), f"{name} never moved"


def test_impulse_response_is_lambda_to_the_k():
    h = impulse_response(0.9, 0.3, 12)
    lam = torch.polar(torch.tensor(0.9, dtype=F64), torch.tensor(0.3, dtype=F64))
    torch.testing.assert_close(h, lam ** torch.arange(12))


def test_eigenvalue_figure_plots_lambda_to_the_k():
    """Left: Re lambda^k and the envelope +-|lambda|^k; right: |lambda|^k and the e-folding
    time -1/ln|lambda|, for lambda = r e^{i pi phase}, against numbers written out here.
    Catches: the phase taken in radians instead of units of pi, the envelope of another
    modulus, the e-folding time as -ln r."""
    r, phase, lags = 0.9, 0.25, 60
    left, right = frames.eigenvalue_frame(r, phase, lags).axes
    k = np.arange(lags)
    real = left.lines[0]
    shown = len(real.get_xdata())
    np.testing.assert_allclose(real.get_ydata(), (r**k * np.cos(np.pi * phase * k))[:shown])
    np.testing.assert_allclose(left.lines[1].get_ydata(), r**k)
    np.testing.assert_allclose(left.lines[2].get_ydata(), -(r**k))
    np.testing.assert_allclose(right.lines[0].get_ydata(), r**k)
    (tau,) = [line for line in right.lines if line.get_label().startswith(r"$\tau_e$")]
    assert tau.get_xdata()[0] == pytest.approx(-1 / math.log(r))
    for modulus in (0.0, 1.0):  # the edges draw too
        assert isinstance(frames.eigenvalue_frame(modulus, 0.25), matplotlib.figure.Figure)


def test_ring_figure_draws_eigenvalues_inside_their_ring():
    """Each panel scatters n eigenvalues with r_min <= |lambda| <= r_max and phase in
    [0, max_phase]. Catches: rings swapped between panels, moduli drawn outside the ring."""
    rings = {"a": (0.0, 1.0, 6.28), "b": (0.9, 0.999, 0.6)}
    fig = frames.ring_frame(rings, n=20)
    assert len(fig.axes) == 2
    for ax, (r_min, r_max, max_phase) in zip(fig.axes, rings.values(), strict=True):
        (points,) = ax.collections
        lam = points.get_offsets()[:, 0] + 1j * points.get_offsets()[:, 1]
        assert len(lam) == 20
        assert (np.abs(lam) >= r_min - 1e-6).all() and (np.abs(lam) <= r_max + 1e-6).all()
        assert (np.mod(np.angle(lam), 2 * np.pi) <= max_phase + 1e-5).all()


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ring_init(0), "n must be"),
        (lambda: ring_init(4, 0.5, 0.5), "r_min < r_max"),
        (lambda: ring_init(4, 0.0, 1.5), "r_max <= 1"),
        (lambda: ring_init(4, -0.1, 0.5), "0 <= r_min"),
        (lambda: ring_init(4, max_phase=0.0), "max_phase"),
        (lambda: linear_scan(torch.ones(3, 4), torch.ones(2, 5, 4)), "broadcast"),
        (lambda: linear_scan(torch.ones(4), torch.ones(4)), r"\(\.\.\., T, N\)"),
        (lambda: linear_loop(torch.ones(4), torch.ones(2, 3, 4), torch.ones(2, 5)), "h0"),
        (lambda: LRU(0, 4), "input_size"),
        (lambda: LRU(2, 4)(torch.ones(1, 3, 2), mode="fast"), "mode"),
        (lambda: LRUModel(2, 4, 1, width=0), "width"),
        (lambda: impulse_response(1.2, 0.0, 5), "modulus"),
        (lambda: impulse_response(0.5, 0.0, 0), "steps"),
        (lambda: derive.linear.symbolic_unrolled_gradient(0), "k must be"),
        (lambda: frames.eigenvalue_frame(-0.5, 0.0), "modulus"),
        (
            lambda: lru_trace(
                make_lru_model(rnngrad.AddingProblem(5), 2), None, torch.ones(5, 2), None
            ),
            "x must",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize(
    "layers, lag, lam", [(1, 30, 0.9), (2, 30, 0.9), (4, 200, 0.99), (3, 57, -0.8)]
)
def test_a_stack_of_diagonal_recurrences_has_a_binomial_impulse_response(layers, lag, lam):
    """Chapter 13: one diagonal layer's gradient through time is lambda^K and cannot grow, but L
    identical layers in cascade (each layer's states the next one's inputs) have impulse
    response C(K+L-1, L-1) lambda^K, the coefficient of z^K in (1 - lambda z)^-L. Checked
    against autograd through linear_scan in float64. Catches the exponent or the binomial's
    arguments off by one (C(K+L, L), lambda^(K+1)), and a claim that a stack keeps |lambda|^K."""
    x = torch.zeros(1, lag + 1, 1, dtype=torch.float64, requires_grad=True)
    h = x
    for _ in range(layers):
        h = linear_scan(torch.tensor(lam, dtype=torch.float64), h)
    (grad,) = torch.autograd.grad(h[0, lag, 0], x)
    derived = math.comb(lag + layers - 1, layers - 1) * lam**lag
    assert grad[0, 0, 0].item() == pytest.approx(derived, rel=1e-10)


# -- the layer's contract, written out (each test names the wrong implementations it catches) --


def test_lru_step_repeated_is_the_layer():
    """``lru_step`` (the equation as one step) run over a sequence gives the layer's states,
    with gamma = exp(gamma_log). Catches a step that subtracts or divides the input term,
    divides lambda by h, or drops B's real or imaginary part."""
    torch.manual_seed(0)
    lru = LRU(3, 4, r_min=0.5, r_max=0.9).double()
    x = torch.randn(2, 6, 3, dtype=F64)
    h, states = torch.zeros(2, 4, dtype=torch.complex128), []
    for t in range(6):
        h = lru_step(x[:, t], h, lru.lam, lru.b_re, lru.b_im, torch.exp(lru.gamma_log))
        states.append(h)
    torch.testing.assert_close(torch.stack(states, 1), lru(x), atol=1e-12, rtol=1e-12)


def test_ring_init_draws_from_its_generator_alone():
    """The same generator seed gives the same eigenvalues whatever the global stream, and the
    global stream is not drawn. Catches either draw made without the generator."""
    draws = []
    for global_seed in (0, 1):
        torch.manual_seed(global_seed)
        state = torch.get_rng_state()
        draws.append(ring_init(5, 0.2, 0.9, generator=torch.Generator().manual_seed(7)))
        assert torch.equal(torch.get_rng_state(), state)
    for a, b in zip(draws[0], draws[1], strict=True):
        assert torch.equal(a, b)


def test_sizes_of_one_are_allowed():
    """One eigenvalue, one input, one step are valid sizes. Catches checks written ``<= 1`` or
    ``< 2`` in ``ring_init``, ``LRU`` and ``impulse_response``."""
    assert ring_init(1)[0].shape == (1,)
    assert LRU(1, 1)(torch.ones(2, 3, 1)).shape == (2, 3, 1)
    assert impulse_response(0.5, 0.3, 1).tolist() == [1.0]


def test_lru_size_errors_name_the_size():
    """Catches an error message naming another size (or a mangled name)."""
    with pytest.raises(ValueError, match="^input_size must be a positive int, got 0$"):
        LRU(0, 4)
    with pytest.raises(ValueError, match="^state_size must be a positive int, got 0$"):
        LRU(2, 0)


def test_lru_start_takes_its_phase_range_and_glorot_scale():
    """Every phase inside [0, max_phase], and B's entries drawn with standard deviation
    1/sqrt(2 * input_size) (the reference code's). Catches max_phase not passed on (2 pi
    instead), and B scaled by sqrt(2 d), 2/sqrt(2 d), sqrt(d/2), 1/sqrt(3 d) or divided by
    the scale."""
    torch.manual_seed(0)
    lru = LRU(8, 1024, max_phase=0.1)
    assert lru.lam.angle().min() >= 0 and lru.lam.angle().max() <= 0.1 + 1e-6
    for b in (lru.b_re, lru.b_im):
        assert b.std().item() == pytest.approx(1 / math.sqrt(16), rel=0.05)


def test_lru_mode_picks_the_scan_or_the_loop(monkeypatch):
    """``mode`` defaults to "scan" and chooses the computation (the two agree in value, so
    the choice is observed by substituting each). Catches a mode ignored, inverted or a
    default that is not "scan"."""
    calls = []
    monkeypatch.setattr(linear_module, "linear_scan", lambda a, b: calls.append("scan") or b)
    monkeypatch.setattr(linear_module, "linear_loop", lambda a, b: calls.append("loop") or b)
    lru = LRU(2, 3)
    x = torch.ones(1, 4, 2)
    lru(x), lru(x, "scan"), lru(x, "loop")
    assert calls == ["scan", "scan", "loop"]
