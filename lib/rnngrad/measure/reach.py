"""How far back a gradient reaches in random (untrained) cells: the measurements behind the
explorers and the static figures of chapters 1, 2, 4, 6, 7, 9, 10, 11, 12, 13, 14 and 15.

Each function takes the settings a slider moves and returns arrays; whatever does not depend
on the slider is measured once and cached, so a grid of explorer frames costs little more than
drawing it. Nothing here trains."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import Tensor, nn

from ..cells.gated import replay
from ..cells.init import (
    scaled_orthogonal,
    set_forget_bias_,
    set_recurrent_singular_values_,
    set_update_bias_,
    with_singular_values,
)
from ..cells.linear import impulse_response, lru_lambda, ring_init
from ..cells.nongated import DeepIndRNN, LeakyRNN, indrnn_bound
from ..core.tasks import AddingProblem
from ..models.registry import make_model
from .claims import elementwise_gating, forget_activations, random_lstm
from .probe import rnn_jacobian_norms

REACH = 1e-3  # "reach": how many steps back the gradient stays above this fraction
# Chapter 15's explorer: a sequence of STEPS ordinary tokens, with a "reset" token at RESET_AT.
STEPS = 60
RESET_AT = 30
MEMORY_KEYS = ("h2", "dh2", "norm_dh2", "exp_norm_dh2", "gate_dh2")  # chapter 14's expectations


def reach_steps(norms: np.ndarray, floor: float = REACH) -> int:
    """Steps back before the relative gradient first drops below ``floor`` (all: len)."""
    below = np.flatnonzero(np.asarray(norms) < floor)
    return int(below[0]) if below.size else len(norms)


# -- chapter 1: the product of factors ----------------------------------------------------
@functools.lru_cache(maxsize=64)
def scalar_factors(w: float, steps: int = 40, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The factors dh_t/dh_{t-1} of a one-unit RNN h_t = tanh(w h_{t-1} + x_t) (x_t ~ N(0, 1),
    fixed by ``seed``): (linear RNN's factors, tanh RNN's factors), t = 1..steps."""
    x = np.random.default_rng(seed).normal(size=steps)
    h, tanh_factors = 0.0, []
    for t in range(steps):
        h = math.tanh(w * h + x[t])
        tanh_factors.append(w * (1 - h * h))
    return np.full(steps, w), np.array(tanh_factors)


# -- chapter 2: the singular values of W_hh -------------------------------------------------
def singular_value_norms(
    sigma_1: float,
    sigma_2: float,
    input_scale: float = 1.0,
    n: int = 2,
    steps: int = 60,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """||dh_t/dh_0||_2, t = 1..steps, of a linear and of a tanh RNN (keys ``"linear"``,
    ``"tanh"``) whose n x n recurrent matrix has singular values spread evenly from sigma_1 to
    sigma_2 (random singular vectors, fixed by ``seed``)."""
    n = int(round(n))  # a slider hands over floats
    g = torch.Generator().manual_seed(seed)
    w = with_singular_values(np.linspace(sigma_1, sigma_2, n), generator=g)
    return {
        kind: rnn_jacobian_norms(
            w, steps, nonlinearity=kind, input_scale=input_scale, seed=seed
        ).numpy()
        for kind in ("linear", "tanh")
    }


# -- chapter 4: the GRU's update gate -----------------------------------------------------
@functools.lru_cache(maxsize=64)
def gru_gradient_reach(
    update_bias: float, steps: int = 60, hidden: int = 32, seed: int = 0
) -> np.ndarray:
    """||dL/dh_{T-k}|| / ||dL/dh_T||, k = 0..steps-1, for a random GRU (PyTorch's default
    weights, update-gate bias b_z) on random inputs, L a random projection of h_T."""
    torch.manual_seed(seed)
    gru = nn.GRU(hidden, hidden, batch_first=True).double()
    with torch.no_grad():
        set_update_bias_(gru, update_bias)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(16, steps, hidden, generator=g, dtype=torch.float64)
    cell = nn.GRUCell(hidden, hidden).double()
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in gru.state_dict().items()})
    h = torch.zeros(16, hidden, dtype=torch.float64, requires_grad=True)
    states = []
    for t in range(steps):
        states.append(h)  # h_t enters step t + 1; the gradient reaches it through every step after
        h = cell(x[:, t], h)
    states = states[1:] + [h]
    loss = (h @ torch.randn(hidden, generator=g, dtype=torch.float64)).sum()
    grads = torch.autograd.grad(loss, states)
    norms = torch.stack([gr.norm(dim=-1).mean() for gr in grads]).numpy()[::-1]
    return norms / norms[0]


# -- chapter 6: the start ------------------------------------------------------------------
def _loss_gradient_profile(module: nn.RNNBase, steps: int, seed: int) -> np.ndarray:
    """||dL/dh_{T-k}|| / ||dL/dh_T||, k = 0..steps-1, for a fused one-layer ``module`` (float64)
    replayed on random N(0, 1) inputs, batch 16, L a random projection of h_T: the same
    quantity for every cell, so the curves of two cells can be compared."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, 16, module.input_size, generator=g, dtype=torch.float64)
    hs = replay(module, x)[-1].h
    loss = (hs[-1] @ torch.randn(module.hidden_size, generator=g, dtype=torch.float64)).sum()
    grads = torch.autograd.grad(loss, hs)
    norms = torch.stack([gr.norm(dim=-1).mean() for gr in grads]).numpy()[::-1]
    return norms / norms[0]


@functools.lru_cache(maxsize=64)
def rnn_start_reach(sigma: float, steps: int = 60, hidden: int = 32, seed: int = 0) -> np.ndarray:
    """||dL/dh_{T-k}|| / ||dL/dh_T|| of a tanh RNN started with every singular value of W_hh
    at ``sigma`` (PyTorch's input weights), on random inputs (``_loss_gradient_profile``)."""
    torch.manual_seed(seed)
    rnn = nn.RNN(hidden, hidden).double()
    with torch.no_grad():
        set_recurrent_singular_values_(rnn, sigma, generator=torch.Generator().manual_seed(seed))
    return _loss_gradient_profile(rnn, steps, seed)


@functools.lru_cache(maxsize=16)
def lstm_start_reach(forget_bias: float, steps: int = 60, hidden: int = 32, seed: int = 0):
    """||dL/dh_{T-k}|| / ||dL/dh_T|| of an LSTM at PyTorch's start but for its forget bias
    b_f, on random inputs: the same quantity and size as ``rnn_start_reach``."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(hidden, hidden).double()
    with torch.no_grad():
        set_forget_bias_(lstm, forget_bias)
    return _loss_gradient_profile(lstm, steps, seed)


# -- chapter 7: clipping -------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def exploding_gradient_norms(batches: int = 40, sigma: float = 2.0, seed: int = 0) -> np.ndarray:
    """||g|| of the adding problem's loss gradient (T = 50) for a tanh RNN started with every
    recurrent singular value at ``sigma`` (an exploding start), one batch of 32 at a time."""
    torch.manual_seed(seed)
    task = AddingProblem(50)
    model = make_model("rnn", task, hidden_size=32)
    set_recurrent_singular_values_(model.rnn, sigma, generator=torch.Generator().manual_seed(seed))
    g = torch.Generator().manual_seed(seed)
    norms = []
    for _ in range(batches):
        x, y = task.sample(32, g)
        model.zero_grad()
        task.loss(model(x), y).backward()
        norms.append(
            math.sqrt(sum(p.grad.double().pow(2).sum().item() for p in model.parameters()))
        )
    return np.array(norms)


# -- chapter 9: the cue's distance ---------------------------------------------------------
@functools.lru_cache(maxsize=8)
def input_gradient_profile(cell: str, length: int = 80, hidden: int = 32, seed: int = 0):
    """||dL/dx_t|| / ||dL/dx_T|| for t = 1..length of an untrained one-layer cell (LSTM with
    forget bias 1), L a random projection of the last state, averaged over a batch of 16."""
    torch.manual_seed(seed)
    module = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](4, hidden, batch_first=True)
    if cell == "lstm":
        with torch.no_grad():
            set_forget_bias_(module, 1.0)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(16, length, 4, generator=g).requires_grad_(True)
    out, _ = module(x)
    (out[:, -1] @ torch.randn(hidden, generator=g)).sum().backward()
    norms = x.grad.double().norm(dim=-1).mean(0).numpy()  # float64: the ratio must not underflow
    return norms / norms[-1]


# -- chapter 10: a gradient carried back through the forget gates -------------------------
def forget_gating(
    forget_bias: float, steps: int = 30, hidden: int = 32, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A random gradient g carried back k = 1..steps steps through the forget gates of a
    random LSTM (forget bias b_f) on a random sequence: (||g_k|| / ||g||, cos(g_k, g))."""
    lstm = random_lstm(hidden, seed=seed)
    set_forget_bias_(lstm, forget_bias)
    x = torch.randn(1, steps, hidden, generator=torch.Generator().manual_seed(seed))
    ratio, cosine = elementwise_gating(forget_activations(lstm, x.double())[0], seed=seed)
    return ratio.numpy(), cosine.numpy()


# -- chapters 11 and 12: leaky units and the non-gated recurrences -------------------------
def leaky_gradient_reach(
    leak: float, scale: float, steps: int = 60, hidden: int = 16, batch: int = 32, seed: int = 0
) -> torch.Tensor:
    """||dL/dh_{T-k}|| / ||dL/dh_T|| for k = 0..steps-1 of a random leaky tanh RNN whose
    recurrent matrix has every singular value equal to ``scale``; L = sum of <v, h_T>."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    cell = LeakyRNN(1, hidden, leak=leak).double()
    with torch.no_grad():
        cell.weight_hh_l0.copy_(scaled_orthogonal(hidden, scale, generator=g))
        cell.leak.fill_(leak)  # exactly alpha in float64 (not alpha rounded to float32)
    x = torch.randn(batch, steps, 1, generator=g, dtype=torch.float64)
    h = x.new_zeros(batch, hidden)
    hs = []
    for x_t in x.unbind(1):
        h = cell.step(x_t, h)
        hs.append(h)
    v = torch.randn(hidden, generator=g, dtype=torch.float64)
    grads = torch.autograd.grad((hs[-1] @ v).sum(), hs)
    norms = torch.stack([gr.norm(dim=-1).mean() for gr in grads]).flip(0)  # k = 0, 1, ...
    return (norms / norms[0]).detach()


def leaky_reach_bounds(leak: float, scale: float, steps: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """The closed forms beside ``leaky_gradient_reach``, k = 0..steps-1: alpha^k (no recurrent
    weights) and the bound (alpha + (1 - alpha) s)^k, in torch's default dtype."""
    lags = torch.arange(steps)
    return (leak**lags).numpy(), ((leak + (1 - leak) * scale) ** lags).numpy()


def jacobian_shrink_norms(
    input_scale: float = 1.0, steps: int = 100, hidden: int = 32
) -> tuple[dict[str, np.ndarray], float]:
    """||dh_t/dh_0||_2, t = 1..steps, for an orthogonal recurrent matrix with tanh, with ReLU
    and with no nonlinearity, for the identity with ReLU (IRNN) and for IndRNN's diagonal at
    its bound u = 2^(1/steps): keyed ``"orthogonal tanh"``, ``"orthogonal relu"``,
    ``"identity relu"``, ``"indrnn relu"``, ``"orthogonal linear"``; and that u."""
    q = scaled_orthogonal(hidden, 1.0, generator=torch.Generator().manual_seed(0))
    eye = torch.eye(hidden, dtype=torch.float64)
    u = indrnn_bound(steps, 2.0)
    matrices = {
        "orthogonal tanh": (q, "tanh"),
        "orthogonal relu": (q, "relu"),
        "identity relu": (eye, "relu"),
        "indrnn relu": (u * eye, "relu"),
        "orthogonal linear": (q, "linear"),
    }
    norms = {
        key: rnn_jacobian_norms(w, steps, nonlinearity=nl, input_scale=input_scale).numpy()
        for key, (w, nl) in matrices.items()
    }
    return norms, u


def deep_reach(
    cell: str,
    layers: int,
    steps: int,
    *,
    hidden_size: int = 32,
    batch: int = 16,
    gamma: float = 2.0,
    epsilon: float = 0.01,
    seed: int = 0,
) -> Tensor:
    """Reach through depth and time of a random stack of ``layers`` one-layer recurrences on
    ``steps`` steps of U(0, 1) input: ``||dL/dx_t||`` over t (every path, through every
    layer and step), divided by its value at the last step, for L = a fixed random read-out
    of the top layer's last state. Float64, denormals flushed (a vanished gradient is 0).

    ``cell`` is ``"indrnn"`` (ReLU, every u drawn from the band [epsilon^(1/T),
    gamma^(1/T)] that keeps each unit's gain over T steps between epsilon and gamma, Li et
    al., 2018) or ``"rnn"`` (tanh, ``nn.RNN``'s default start)."""
    if cell not in ("indrnn", "rnn"):
        raise ValueError(f"cell must be 'indrnn' or 'rnn', got {cell!r}")
    if not isinstance(layers, int) or layers < 1 or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"layers and steps must be ints >= 1, got {layers!r}, {steps!r}")
    torch.manual_seed(seed)
    low, high = epsilon ** (1 / steps), indrnn_bound(steps, gamma)
    if cell == "indrnn":
        stack = DeepIndRNN(1, hidden_size, layers, bound=high)
        with torch.no_grad():
            for layer in stack.layers:
                layer.weight_hh_l0.uniform_(low, high)
    else:
        stack = nn.RNN(1, hidden_size, num_layers=layers, batch_first=True)
    stack = stack.double()
    x = torch.rand(batch, steps, 1, dtype=torch.float64, requires_grad=True)
    readout = torch.randn(hidden_size, dtype=torch.float64)
    flush = torch.set_flush_denormal(True)  # a vanished gradient: denormals are only slow
    try:
        h, _ = stack(x)  # (batch, steps, hidden): the top layer's states
        (grad,) = torch.autograd.grad((h[:, -1] @ readout).sum(), x)
    finally:
        if flush:
            torch.set_flush_denormal(False)
    norms = grad.norm(dim=(0, 2))  # (T,)
    return (norms / norms[-1]).detach()


# -- chapter 13: the LRU's eigenvalues -------------------------------------------------------
def eigenvalue_response(modulus: float, phase_over_pi: float, lags: int) -> np.ndarray:
    """h_k = lambda^k, k = 0..lags-1, for lambda = modulus * exp(i pi phase_over_pi): the
    impulse response of one LRU unit and its gradient factor dh_{t+k}/dh_t (complex128)."""
    return impulse_response(modulus, math.pi * phase_over_pi, lags).numpy()


def ring_eigenvalues(
    rings: dict[str, tuple[float, float, float]], n: int = 400, seed: int = 0
) -> dict[str, np.ndarray]:
    """``n`` eigenvalues drawn by ``ring_init`` for each named ring ``(r_min, r_max,
    max_phase)``, each ring from the same ``seed`` (complex64)."""
    drawn = {}
    for name, (r_min, r_max, max_phase) in rings.items():
        g = torch.Generator().manual_seed(seed)
        drawn[name] = lru_lambda(*ring_init(n, r_min, r_max, max_phase, generator=g)).numpy()
    return drawn


# -- chapter 14: the curse of memory's expectations, evaluated ----------------------------
# ``funcs`` is ``rnngrad.derive.memory.memory_functions()``: the caller passes SymPy's
# functions in, since this layer does not import ``rnngrad.derive``.
def memory_sensitivity(
    funcs: dict, memory_log10: float, rho: float
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, float]]:
    """Every expectation in ``funcs`` (``MEMORY_KEYS``) against the memory 1/(1 - lambda) on a
    log grid from 10^0.05 to 10^3.5, for input correlation ``rho``, and its value at
    lambda = 1 - 10^-memory_log10: (memory grid, curves, values there)."""
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")
    if not memory_log10 > 0:
        raise ValueError(f"memory_log10 must be > 0, got {memory_log10!r}")
    memory = np.logspace(0.05, 3.5, 200)
    lam = 1 - 1 / memory
    lam_now = 1 - 10.0**-memory_log10
    curves = {key: funcs[key](lam, rho) for key in MEMORY_KEYS}
    at = {key: funcs[key](lam_now, rho) for key in MEMORY_KEYS}
    return memory, curves, at


def memory_lines(
    funcs: dict, checks: dict[float, list[tuple[float, dict[str, float]]]]
) -> dict[float, tuple[np.ndarray, dict[str, np.ndarray]]]:
    """E[h^2] and E[(dh/dlambda)^2] from ``funcs`` on 100 values of lambda spanning each
    rho's simulated lambdas (``checks[rho]`` lists (lambda, simulated)): rho -> (lambda,
    {"h2": ..., "dh2": ...})."""
    lines = {}
    for rho, rows in checks.items():
        lam_line = np.linspace(min(r[0] for r in rows), max(r[0] for r in rows), 100)
        lines[rho] = (lam_line, {key: funcs[key](lam_line, rho) for key in ("h2", "dh2")})
    return lines


# -- chapter 15: one selective unit ---------------------------------------------------------
def selective_deltas(hold_log10: float, reset_log10: float) -> np.ndarray:
    """Delta_t along the explorer's sequence of ``STEPS`` tokens: 10^hold_log10 on every token
    but the one at ``RESET_AT``, where it is 10^reset_log10."""
    delta = np.full(STEPS, 10.0**hold_log10)
    delta[RESET_AT] = 10.0**reset_log10
    return delta


def selective_decay(hold_log10: float, reset_log10: float, a: float = -1.0) -> np.ndarray:
    """The gradient factor dh_T/dh_t = exp(A * sum_{s=t+1}^{T} Delta_s), t = 0..T-1, of one
    selective unit with A = ``a`` < 0 on a sequence of ``STEPS`` tokens: Delta = 10^hold_log10
    on every token but the one at ``RESET_AT``, where Delta = 10^reset_log10."""
    if not a < 0:
        raise ValueError(f"A must be negative, got {a!r}")
    delta = selective_deltas(hold_log10, reset_log10)
    after = np.concatenate([np.cumsum(delta[::-1])[::-1][1:], [0.0]])  # sum over s > t
    return np.exp(a * after)
