"""Each explorer's frame: a measurement from ``rnngrad.measure`` drawn by its figure in
``rnngrad.figures``. A frame function takes the slider values (its parameter names are the
sliders') and returns a matplotlib Figure.

``<name>_frame`` draws with ``rnngrad.figures.<module>.<name>_figure``, and keeps the
signature that figure had when it also measured. The two frames of chapter 14 need SymPy's
functions (``rnngrad.derive.memory``); they import them when called, so importing this module
does not import SymPy (``rnngrad.derive`` is loaded on first use, like ``rnngrad.experiments``)."""

from __future__ import annotations

from matplotlib.figure import Figure

from ..figures import gated as gated_figures
from ..figures import linear as linear_figures
from ..figures import matrix as matrix_figures
from ..figures import nongated as nongated_figures
from ..figures import selective as selective_figures
from ..figures.linear import LAGS
from ..measure import matrix as matrix_measures
from ..measure import reach
from ..measure.claims import forget_gate_decay


# -- Parts I-IV: the plain, LSTM and GRU cells ---------------------------------------------
def product_of_factors_frame(w: float, steps: int = 40) -> Figure:
    """Chapter 1: each step's factor of a one-unit RNN with recurrent weight w, and their
    running product."""
    linear, tanh = reach.scalar_factors(round(w, 6), steps)
    return gated_figures.product_of_factors_figure(linear, tanh, w)


def singular_value_frame(
    sigma_1: float,
    sigma_2: float,
    input_scale: float = 1.0,
    n: int = 2,
    steps: int = 60,
    seed: int = 0,
) -> Figure:
    """Chapter 2: ||dh_t/dh_0|| of a linear and a tanh RNN whose recurrent singular values are
    spread from sigma_1 to sigma_2."""
    n = int(round(n))  # a slider hands over floats
    norms = reach.singular_value_norms(sigma_1, sigma_2, input_scale, n, steps, seed)
    return gated_figures.singular_value_figure(norms, sigma_1, sigma_2, input_scale, n)


def forget_bias_frame(forget_bias: float, steps: int = 60, seed: int = 0) -> Figure:
    """Chapters 2 and 3: the cell-state gradient's decay by forget bias, closed form and
    measured."""
    closed, measured = forget_gate_decay(forget_bias, steps, seed=seed)
    return gated_figures.forget_bias_figure(closed, measured, forget_bias)


def gru_update_gate_frame(update_bias: float, steps: int = 60) -> Figure:
    """Chapter 4: how far back a random GRU's gradient reaches, by update-gate bias."""
    measured = reach.gru_gradient_reach(round(update_bias, 6), steps)
    return gated_figures.gru_update_gate_figure(measured, update_bias)


def initialisation_frame(sigma: float, forget_bias: float, steps: int = 60) -> Figure:
    """Chapter 6: how far back the gradient reaches at the start, in a tanh RNN (singular
    values sigma) and an LSTM (forget bias b_f)."""
    rnn = reach.rnn_start_reach(round(sigma, 6), steps)
    lstm = reach.lstm_start_reach(round(forget_bias, 6), steps)
    return gated_figures.initialisation_figure(rnn, lstm, sigma, forget_bias)


def clipping_frame(log10_threshold: float) -> Figure:
    """Chapter 7: norm clipping at 10^log10_threshold on the gradients of an exploding start."""
    return gated_figures.clipping_figure(reach.exploding_gradient_norms(), log10_threshold)


def cue_distance_frame(distance: float, length: int = 80) -> Figure:
    """Chapter 9: the gradient that reaches a cue ``distance`` steps before the answer."""
    profiles = {cell: reach.input_gradient_profile(cell, length) for cell in ("rnn", "lstm", "gru")}
    return gated_figures.cue_distance_figure(profiles, distance)


def gating_frame(forget_bias: float, steps: int = 30, hidden: int = 32, seed: int = 0) -> Figure:
    """Chapter 10: a random gradient carried back through a random LSTM's forget gates."""
    ratio, cosine = reach.forget_gating(forget_bias, steps, hidden, seed)
    return gated_figures.gating_figure(ratio, cosine, forget_bias)


# -- Part V: the non-gated recurrences -----------------------------------------------------
def leaky_reach_frame(leak: float = 0.8, scale: float = 1.0, steps: int = 60) -> Figure:
    """Chapter 11: the gradient's reach in a random leaky RNN, with alpha^k and its bound."""
    measured = reach.leaky_gradient_reach(leak, scale, steps).numpy()
    no_weights, bound = reach.leaky_reach_bounds(leak, scale, steps)
    return nongated_figures.leaky_reach_figure(measured, no_weights, bound, leak, scale)


def jacobian_shrink_frame(input_scale: float = 1.0, steps: int = 100, hidden: int = 32) -> Figure:
    """Chapter 12: ||dh_t/dh_0|| of orthogonal, identity and IndRNN recurrences, with and
    without a nonlinearity."""
    norms, u = reach.jacobian_shrink_norms(input_scale, steps, hidden)
    return nongated_figures.jacobian_shrink_figure(norms, input_scale, u)


# -- Part VI: linear recurrences and selective gates ---------------------------------------
def ring_frame(rings: dict[str, tuple[float, float, float]], n: int = 400, seed: int = 0) -> Figure:
    """Chapter 13: the eigenvalues ``ring_init`` draws for each named ring."""
    return linear_figures.ring_figure(reach.ring_eigenvalues(rings, n, seed))


def eigenvalue_frame(modulus: float, phase_over_pi: float, lags: int = LAGS) -> Figure:
    """Chapter 13: one LRU eigenvalue's impulse response and the gradient it lets through."""
    h = reach.eigenvalue_response(modulus, phase_over_pi, lags)
    return linear_figures.eigenvalue_figure(h, modulus, phase_over_pi)


def sensitivity_frame(memory_log10: float, rho: float) -> Figure:
    """Chapter 14: the curse of memory's expectations against the memory 1/(1 - lambda)."""
    from ..derive.memory import memory_functions  # the lazy import: SymPy is slow to load

    memory, curves, at = reach.memory_sensitivity(memory_functions(), memory_log10, rho)
    return linear_figures.sensitivity_figure(memory, curves, at, memory_log10, rho)


def simulation_frame(checks: dict[float, list[tuple[float, dict[str, float]]]]) -> Figure:
    """Chapter 14: SymPy's E[h^2] and E[(dh/dlambda)^2] against Monte-Carlo estimates."""
    from ..derive.memory import memory_functions  # the lazy import: SymPy is slow to load

    lines = reach.memory_lines(memory_functions(), checks)
    return linear_figures.simulation_figure(checks, lines)


def delta_frame(hold_log10: float, reset_log10: float) -> Figure:
    """Chapter 15: one selective unit's retention along the sequence and the gradient that
    crosses the reset token."""
    delta = reach.selective_deltas(hold_log10, reset_log10)
    factor = reach.selective_decay(hold_log10, reset_log10)
    return selective_figures.delta_figure(delta, factor, hold_log10, reset_log10)


# -- Part VI: matrix memories and the eigenvalue range --------------------------------------
def reflection_frame(beta: float, angle: float, steps: int = 40) -> Figure:
    """Chapters 16 and 17: the delta rule's transition I - beta k k^T for a key at ``angle``
    degrees, and the gradient (1, 0) carried back through it."""
    reach_ = matrix_measures.reflection_reach(round(beta, 6), round(angle, 6), steps)
    return matrix_figures.reflection_figure(reach_, beta, angle)


def one_unit_parity_frame(toggle: float, keep: float) -> Figure:
    """Chapter 17: one linear unit h_t = a(x_t) h_{t-1} + x_t on a bit string, by its two
    eigenvalues a(1) and a(0): does it track the parity, and what reaches the first step?"""
    run = matrix_measures.one_unit_parity(round(toggle, 6), round(keep, 6))
    return matrix_figures.one_unit_parity_figure(run, toggle, keep)
