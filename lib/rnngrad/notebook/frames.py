"""Each explorer's frame: a measurement from ``rnngrad.measure`` drawn two ways, as a
matplotlib figure (``rnngrad.figures.<module>.<name>_figure``: the kernel's live image and
the PDF's still) and as a chart for the browser (``rnngrad.figures.charts.<name>_chart``: the
HTML book). A frame is a ``Drawn``: calling it with the slider values (its parameter names
are the sliders') returns the figure, ``.chart(...)`` the chart of the same measurement, and
``.data(...)`` the measurement itself, the arguments both drawings take.

``<name>_frame`` keeps the signature its figure had when it also measured. The two frames of
chapter 14 need SymPy's functions (``rnngrad.derive.memory``); they import them when called,
so importing this module does not import SymPy (``rnngrad.derive`` is loaded on first use,
like ``rnngrad.experiments``)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch
from matplotlib.figure import Figure

from ..cells.init import with_singular_values
from ..figures import charts
from ..figures import gated as gated_figures
from ..figures import linear as linear_figures
from ..figures import matrix as matrix_figures
from ..figures import nongated as nongated_figures
from ..figures import selective as selective_figures
from ..figures.chart import Chart
from ..figures.linear import LAGS
from ..measure import matrix as matrix_measures
from ..measure import reach
from ..measure.claims import forget_gate_decay
from ..measure.probe import rnn_jacobian_norms


class Drawn:
    """A measurement (``data``: slider values -> the drawings' positional arguments) with its
    figure and its chart. Calling it draws the figure; it carries ``data``'s name, docstring
    and signature, so ``inspect`` and ``functools.partial`` see the slider parameters."""

    def __init__(
        self,
        data: Callable[..., tuple],
        figure: Callable[..., Figure],
        chart: Callable[..., Chart] | None = None,
    ):
        self.data, self._figure, self._chart = data, figure, chart
        functools.update_wrapper(self, data)

    def __call__(self, *args, **kwargs) -> Figure:
        return self._figure(*self.data(*args, **kwargs))

    def chart(self, *args, **kwargs) -> Chart:
        if self._chart is None:
            raise TypeError(f"{self.__name__} has no chart for the browser")
        return self._chart(*self.data(*args, **kwargs))

    def __repr__(self) -> str:
        return f"<explorer frame {self.__name__}>"


def drawn(figure: Callable[..., Figure], chart: Callable[..., Chart] | None = None):
    """Decorator: the measurement below, drawn by ``figure`` and ``chart``."""
    return lambda data: Drawn(data, figure, chart)


# -- Parts I-IV: the plain, LSTM and GRU cells ---------------------------------------------
@drawn(gated_figures.product_of_factors_figure, charts.product_of_factors_chart)
def product_of_factors_frame(w: float, steps: int = 40) -> tuple:
    """Chapter 1: each step's factor of a one-unit RNN with recurrent weight w, and their
    running product."""
    linear, tanh = reach.scalar_factors(round(w, 6), steps)
    return linear, tanh, w


@drawn(gated_figures.singular_value_figure, charts.singular_value_chart)
def singular_value_frame(
    sigma_1: float,
    sigma_2: float,
    input_scale: float = 1.0,
    n: int = 2,
    steps: int = 60,
    seed: int = 0,
) -> tuple:
    """Chapter 2: ||dh_t/dh_0|| of a linear and a tanh RNN whose recurrent singular values are
    spread from sigma_1 to sigma_2."""
    n = int(round(n))  # a slider hands over floats
    # As reach.singular_value_norms, with the linear RNN's norms (which no input reaches)
    # measured once per matrix rather than once per input scale: half an explorer grid's cost.
    norms = {
        "linear": _linear_norms(sigma_1, sigma_2, n, steps, seed),
        "tanh": rnn_jacobian_norms(
            _recurrent(sigma_1, sigma_2, n, seed), steps, input_scale=input_scale, seed=seed
        ).numpy(),
    }
    return norms, sigma_1, sigma_2, input_scale, n


def _recurrent(sigma_1: float, sigma_2: float, n: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    return with_singular_values(np.linspace(sigma_1, sigma_2, n), generator=g)


@functools.lru_cache(maxsize=512)
def _linear_norms(sigma_1: float, sigma_2: float, n: int, steps: int, seed: int):
    w = _recurrent(sigma_1, sigma_2, n, seed)
    return rnn_jacobian_norms(w, steps, nonlinearity="linear", seed=seed).numpy()


@drawn(gated_figures.forget_bias_figure, charts.forget_bias_chart)
def forget_bias_frame(forget_bias: float, steps: int = 60, seed: int = 0) -> tuple:
    """Chapters 2 and 3: the cell-state gradient's decay by forget bias, closed form and
    measured."""
    closed, measured = forget_gate_decay(forget_bias, steps, seed=seed)
    return closed, measured, forget_bias


@drawn(gated_figures.gru_update_gate_figure, charts.gru_update_gate_chart)
def gru_update_gate_frame(update_bias: float, steps: int = 60) -> tuple:
    """Chapter 4: how far back a random GRU's gradient reaches, by update-gate bias."""
    return reach.gru_gradient_reach(round(update_bias, 6), steps), update_bias


@drawn(gated_figures.initialisation_figure, charts.initialisation_chart)
def initialisation_frame(sigma: float, forget_bias: float, steps: int = 60) -> tuple:
    """Chapter 6: how far back the gradient reaches at the start, in a tanh RNN (singular
    values sigma) and an LSTM (forget bias b_f)."""
    rnn = reach.rnn_start_reach(round(sigma, 6), steps)
    lstm = reach.lstm_start_reach(round(forget_bias, 6), steps)
    return rnn, lstm, sigma, forget_bias


@drawn(gated_figures.clipping_figure, charts.clipping_chart)
def clipping_frame(log10_threshold: float) -> tuple:
    """Chapter 7: norm clipping at 10^log10_threshold on the gradients of an exploding start."""
    return reach.exploding_gradient_norms(), log10_threshold


@drawn(gated_figures.cue_distance_figure, charts.cue_distance_chart)
def cue_distance_frame(distance: float, length: int = 80) -> tuple:
    """Chapter 9: the gradient that reaches a cue ``distance`` steps before the answer."""
    profiles = {cell: reach.input_gradient_profile(cell, length) for cell in ("rnn", "lstm", "gru")}
    return profiles, distance


@drawn(gated_figures.gating_figure, charts.gating_chart)
def gating_frame(forget_bias: float, steps: int = 30, hidden: int = 32, seed: int = 0) -> tuple:
    """Chapter 10: a random gradient carried back through a random LSTM's forget gates."""
    ratio, cosine = reach.forget_gating(forget_bias, steps, hidden, seed)
    return ratio, cosine, forget_bias


# -- Part V: the non-gated recurrences -----------------------------------------------------
@drawn(nongated_figures.leaky_reach_figure, charts.leaky_reach_chart)
def leaky_reach_frame(leak: float = 0.8, scale: float = 1.0, steps: int = 60) -> tuple:
    """Chapter 11: the gradient's reach in a random leaky RNN, with alpha^k and its bound."""
    measured = reach.leaky_gradient_reach(leak, scale, steps).numpy()
    no_weights, bound = reach.leaky_reach_bounds(leak, scale, steps)
    return measured, no_weights, bound, leak, scale


@drawn(nongated_figures.jacobian_shrink_figure, charts.jacobian_shrink_chart)
def jacobian_shrink_frame(input_scale: float = 1.0, steps: int = 100, hidden: int = 32) -> tuple:
    """Chapter 12: ||dh_t/dh_0|| of orthogonal, identity and IndRNN recurrences, with and
    without a nonlinearity."""
    norms, u = reach.jacobian_shrink_norms(input_scale, steps, hidden)
    return norms, input_scale, u


# -- Part VI: linear recurrences and selective gates ---------------------------------------
@drawn(linear_figures.ring_figure)
def ring_frame(rings: dict[str, tuple[float, float, float]], n: int = 400, seed: int = 0) -> tuple:
    """Chapter 13: the eigenvalues ``ring_init`` draws for each named ring."""
    return (reach.ring_eigenvalues(rings, n, seed),)


@drawn(linear_figures.eigenvalue_figure, charts.eigenvalue_chart)
def eigenvalue_frame(modulus: float, phase_over_pi: float, lags: int = LAGS) -> tuple:
    """Chapter 13: one LRU eigenvalue's impulse response and the gradient it lets through."""
    return reach.eigenvalue_response(modulus, phase_over_pi, lags), modulus, phase_over_pi


@drawn(linear_figures.sensitivity_figure, charts.sensitivity_chart)
def sensitivity_frame(memory_log10: float, rho: float) -> tuple:
    """Chapter 14: the curse of memory's expectations against the memory 1/(1 - lambda)."""
    from ..derive.memory import memory_functions  # the lazy import: SymPy is slow to load

    memory, curves, at = reach.memory_sensitivity(memory_functions(), memory_log10, rho)
    return memory, curves, at, memory_log10, rho


@drawn(linear_figures.simulation_figure)
def simulation_frame(checks: dict[float, list[tuple[float, dict[str, float]]]]) -> tuple:
    """Chapter 14: SymPy's E[h^2] and E[(dh/dlambda)^2] against Monte-Carlo estimates."""
    from ..derive.memory import memory_functions  # the lazy import: SymPy is slow to load

    return checks, reach.memory_lines(memory_functions(), checks)


@drawn(selective_figures.delta_figure, charts.delta_chart)
def delta_frame(hold_log10: float, reset_log10: float) -> tuple:
    """Chapter 15: one selective unit's retention along the sequence and the gradient that
    crosses the reset token."""
    delta = reach.selective_deltas(hold_log10, reset_log10)
    factor = reach.selective_decay(hold_log10, reset_log10)
    return delta, factor, hold_log10, reset_log10


# -- Part VI (chapters 16 and 17): matrix memories and the eigenvalue range ----------------
@drawn(matrix_figures.reflection_figure, matrix_figures.reflection_chart)
def reflection_frame(beta: float, angle: float, steps: int = 40) -> tuple:
    """Chapter 16: the delta rule's transition I - beta k k^T for a key at ``angle`` degrees,
    and the gradient (1, 0) carried back through it."""
    return matrix_measures.reflection_reach(round(beta, 6), round(angle, 6), steps), beta, angle


@drawn(matrix_figures.one_unit_parity_figure, matrix_figures.one_unit_parity_chart)
def one_unit_parity_frame(toggle: float, keep: float) -> tuple:
    """Chapter 17: one linear unit h_t = a(x_t) h_{t-1} + x_t on a bit string, by its two
    eigenvalues a(1) and a(0): does it track the parity, and what reaches the first step?"""
    return matrix_measures.one_unit_parity(round(toggle, 6), round(keep, 6)), toggle, keep
