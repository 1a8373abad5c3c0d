"""Mean-field chi, the latch dilemma, spectra and the growing sequence (chapter 2).
Each test names the wrong implementation it catches."""

import math

import mpmath as mp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from rnngrad.core.growing import GrowingSequence
from rnngrad.measure import latch, meanfield
from rnngrad.measure.growing import gradient_norm

# Chapter 2's table: every weight scale and input scale it predicts a rate for.
CHAPTER_GRID = [(w, s) for w in (0.5, 1.0, 2.0, 4.0, 8.0) for s in (0.1, 1.0, 3.0)]


def _reference(sigma_w: float, s: float) -> tuple[float, float]:
    """q* and chi computed independently of the library: mpmath's adaptive quadrature of the
    Gaussian expectations in a = sqrt(q) z (cut where tanh bends and where the Gaussian's tails
    fall), and the fixed point found by bracketing the root of sigma_w^2 E[tanh^2] + s^2 - q
    between s^2 and s^2 + sigma_w^2 instead of iterating the map."""
    with mp.workdps(15):

        def mean(f, q):
            sd = mp.sqrt(q)
            cuts = sorted({-mp.inf, -12 * sd, -4, -1, 0, 1, 4, 12 * sd, mp.inf})
            return mp.quad(lambda a: f(a) * mp.npdf(a, 0, sd), cuts)

        def gap(q):
            return sigma_w**2 * mean(lambda a: mp.tanh(a) ** 2, q) + s**2 - q

        q = mp.findroot(gap, (s**2, s**2 + sigma_w**2), solver="anderson")
        return float(q), float(sigma_w**2 * mean(lambda a: mp.sech(a) ** 4, q))


@pytest.mark.parametrize("sigma_w, s", CHAPTER_GRID)
def test_chi_matches_an_independent_quadrature(sigma_w, s):
    """Catches a Gaussian expectation too coarse for the narrow slope of saturated units: the
    201-node Gauss-Hermite rule gave chi(8, 1) = 5.83 (rate +0.88) where the integral is 4.444
    (q* = 58.36, rate +0.746), and chi(4, 3) 3 % too high. Also catches a fixed point that has
    not converged. Tolerance 1e-6, far above both methods' errors (about 1e-13 here)."""
    q_ref, chi_ref = _reference(sigma_w, s)
    assert meanfield.fixed_point_variance(sigma_w, s) == pytest.approx(q_ref, rel=1e-6)
    assert meanfield.chi(sigma_w, s) == pytest.approx(chi_ref, rel=1e-6)
    assert meanfield.predicted_rate(sigma_w, s) == pytest.approx(0.5 * math.log(chi_ref), abs=1e-6)


def _dense_grid_chi(sigma_w: float, s: float) -> float:
    """chi by brute force: a uniform grid of 2,000,001 points in z on [-12, 12] (spacing
    1.2e-5, some 7,000 points across the narrowest sech^4(sqrt(q) z) of the chapter's grid),
    the fixed point by bisection on q."""
    z = np.linspace(-12.0, 12.0, 2_000_001)
    weight = np.exp(-0.5 * z**2) * (z[1] - z[0]) / math.sqrt(2 * math.pi)
    low, high = s**2, s**2 + sigma_w**2  # sigma_w^2 E[tanh^2] + s^2 - q changes sign in here
    for _ in range(60):
        q = 0.5 * (low + high)
        if sigma_w**2 * np.sum(weight * np.tanh(math.sqrt(q) * z) ** 2) + s**2 > q:
            low = q
        else:
            high = q
    return sigma_w**2 * float(np.sum(weight / np.cosh(math.sqrt(0.5 * (low + high)) * z) ** 4))


@pytest.mark.parametrize("sigma_w, s", CHAPTER_GRID)
def test_chi_matches_a_dense_grid(sigma_w, s):
    """The same check against the crudest independent method, a dense grid in z, to 1e-3.
    Catches the 201-node Gauss-Hermite rule (31 % off at sigma_w = 8, s = 1; 3 % at 4, 3)."""
    assert meanfield.chi(sigma_w, s) == pytest.approx(_dense_grid_chi(sigma_w, s), rel=1e-3)


def test_the_reference_at_the_referees_point():
    """Catches a reference that drifts with the library: the values checked by hand with a
    dense grid in z (q* = 58.36, chi = 4.444 at sigma_w = 8, s = 1)."""
    q_ref, chi_ref = _reference(8.0, 1.0)
    assert q_ref == pytest.approx(58.36, abs=0.01)
    assert chi_ref == pytest.approx(4.444, abs=0.001)


@pytest.mark.parametrize(
    "sigma_w, s", [(0.5, 1.0), (2.0, 0.1), (4.0, 1.0), (1.5, 3.0), (8.0, 1.0), (8.0, 3.0)]
)
def test_chi_predicts_the_measured_growth(sigma_w, s):
    """Catches chi computed with E[phi'] squared instead of E[phi'^2], or q* without the
    inputs' variance. The mean field is exact only for infinitely many units; one network of
    256 units over 100 steps measures within 0.05 per step of it on chapter 2's grid (at
    sigma_w = 8 about 0.04 below it). 0.1 leaves room for another machine's rounding; the old
    quadrature's +0.88 at sigma_w = 8 (measured +0.71) fails it."""
    predicted = meanfield.predicted_rate(sigma_w, s)
    measured = meanfield.measured_rate(sigma_w, s, n=256, steps=100)
    assert predicted == pytest.approx(measured, abs=0.1)
    assert (predicted > 0) == (measured > 0)


def test_chi_grows_with_the_weights_and_falls_with_the_inputs():
    """Saturation by large weights does not cancel the growth; large inputs can. Catches a
    chi that falls with sigma_w (E[phi'^2] falling faster than 1 / sigma_w)."""
    assert meanfield.chi(8.0, 1.0) > meanfield.chi(4.0, 1.0) > 1
    assert meanfield.chi(1.5, 3.0) < 1 < meanfield.chi(1.5, 0.1)
    assert meanfield.chi(2.0, 5.0, "relu") == pytest.approx(2.0)
    assert meanfield.chi(0.7, 0.0, "linear") == pytest.approx(0.49)


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(q=st.floats(min_value=1e-4, max_value=400.0))
def test_the_gaussian_mean_of_known_integrands(q):
    """E[cos a] = exp(-q / 2) and E[a^2] = q for a ~ N(0, q), at every scale of q the grid
    adapts to. Catches a density with the wrong normalisation (sd / sqrt(2 pi), sqrt(3 pi)),
    width (a * sd) or sign in the exponent, a grid spanning a fixed number of points instead
    of ``tails`` standard deviations, or a step that is not min(scale, sd) / per_step."""
    assert meanfield._gaussian_mean(np.cos, q) == pytest.approx(math.exp(-q / 2), abs=1e-12)
    assert meanfield._gaussian_mean(np.square, q) == pytest.approx(q, rel=1e-12)


def test_a_zero_variance_is_a_point_mass_at_zero():
    """No recurrent weights and no inputs: every pre-activation is 0, so q* = 0 and the
    expectation is the integrand's value at 0. Catches a grid built for q = 0 (a step of 0:
    division by zero) and the point mass read at the wrong index."""
    assert meanfield._gaussian_mean(np.cos, 0.0) == 1.0
    assert meanfield.fixed_point_variance(0.0, 0.0) == 0.0
    assert meanfield.chi(0.0, 0.0) == 0.0


@settings(max_examples=30, deadline=None, database=None, derandomize=True)
@given(sigma_w=st.floats(min_value=0.0, max_value=1.3), s=st.floats(min_value=0.1, max_value=3.0))
def test_relu_and_linear_fixed_points_are_exact(sigma_w, s):
    """E[relu(a)^2] = q / 2 and E[a^2] = q, so the recursion's fixed points are
    s^2 / (1 - sigma_w^2 / 2) and s^2 / (1 - sigma_w^2) (the latter below sigma_w = 1), and
    chi is sigma_w^2 / 2 and sigma_w^2 whatever q* is. Catches the relu moment q * 2 or q / 3,
    the inputs' variance subtracted or taken as 2 s, a fixed point taken at a start value, and a
    chi off the exact slope (sigma_w * 2 / 2 agrees with sigma_w^2 / 2 only at sigma_w = 2)."""
    relu = meanfield.fixed_point_variance(sigma_w, s, "relu")
    assert relu == pytest.approx(s**2 / (1 - sigma_w**2 / 2), rel=1e-9)
    assert meanfield.chi(sigma_w, s, "relu") == pytest.approx(sigma_w**2 / 2, abs=1e-15)
    assert meanfield.chi(sigma_w, s, "linear") == pytest.approx(sigma_w**2, abs=1e-15)
    if sigma_w < 0.95:
        linear = meanfield.fixed_point_variance(sigma_w, s, "linear")
        assert linear == pytest.approx(s**2 / (1 - sigma_w**2), rel=1e-9)


@pytest.mark.parametrize("q", [0.01, 1.0, 58.0])
def test_relu_and_linear_moments_are_the_exact_ones(q):
    """E[relu(a)^2] = q / 2 and E[relu'(a)^2] = 1 / 2 (half the units pass), E[a^2] = q and
    E[1] = 1, as ``_moments`` promises, not a quadrature's approximation. Catches relu sent
    to the trapezoid rule, which misses half the point mass at the kink (E[relu'^2] below
    1/2 by step / 2 times the density at 0), and wrong slope moments (1.5, 2.0) that chi's
    own shortcuts for relu and linear would hide from every other test."""
    assert meanfield._moments(q, "relu") == (q / 2, 0.5)
    assert meanfield._moments(q, "linear") == (q, 1.0)


def test_a_variance_without_a_fixed_point_is_infinite():
    """relu at sigma_w^2 / 2 >= 1 and a linear network at sigma_w > 1 double (or multiply)
    the variance each step: q* is infinite, also from a small input. Catches a divergence test
    that needs both a non-finite and a huge variance (it returns 2^500 instead), and a start
    below zero (s^2 - 1) from which the doubling runs to minus infinity."""
    assert meanfield.fixed_point_variance(2.0, 0.1, "relu") == math.inf
    assert meanfield.fixed_point_variance(1.5, 1.0, "linear") == math.inf


def test_predicted_rates_of_relu_and_linear_networks():
    """(1/2) log chi with each nonlinearity's own chi. Catches a rate that ignores its
    ``nonlinearity`` (the tanh rate for every network)."""
    assert meanfield.predicted_rate(2.0, 1.0, "relu") == pytest.approx(0.5 * math.log(2.0))
    assert meanfield.predicted_rate(0.5, 1.0, "linear") == pytest.approx(math.log(0.5))


def test_an_unknown_nonlinearity_names_the_known_ones():
    """Catches an error without its message, or one that fails on listing the names."""
    for f in (meanfield.chi, meanfield.fixed_point_variance, meanfield.predicted_rate):
        with pytest.raises(ValueError, match=r"one of \['linear', 'relu', 'tanh'\], got 'sigmoid'"):
            f(1.0, 1.0, "sigmoid")


def test_latch_keeps_the_bit_only_where_the_gradient_vanishes():
    """Bengio et al. 1994: a robust latch (w large) has a vanishing gradient. Catches a
    gradient accumulated with the slope at the *previous* state or without the noise."""
    weak, strong = latch.latch_run(0.9), latch.latch_run(5.0)
    assert weak["kept"] < 0.7 and strong["kept"] > 0.99
    assert strong["gradient"] < 1e-20 < weak["gradient"]


def test_gelfand_and_departure_from_normality():
    """Catches ||W^k|| computed as ||W||^k (no gap between sigma_max and rho)."""
    g = torch.Generator().manual_seed(0)
    w = torch.randn(16, 16, generator=g, dtype=torch.float64)
    w *= 0.9 / torch.linalg.matrix_norm(w, 2)
    summary = latch.spectrum_summary(w)
    assert summary["rho"] < 0.7 * summary["sigma_max"]
    rates = latch.gelfand(w, [1, 200])
    assert rates[0] == pytest.approx(summary["sigma_max"])
    assert rates[1] == pytest.approx(summary["rho"], rel=0.05)
    normal = torch.diag(torch.tensor([0.9, -0.5], dtype=torch.float64))
    assert latch.spectrum_summary(normal)["departure"] == pytest.approx(0.0, abs=1e-7)
    jordan = torch.tensor([[0.5, 1.0], [0.0, 0.5]], dtype=torch.float64)
    assert latch.spectrum_summary(jordan)["departure"] > 0.5


def test_growing_sequence_gradient_grows_with_length_unless_normalised():
    """Catches a normalisation that scales the inputs but not the targets."""
    norms = {}
    for normalise in (False, True):
        for T in (25, 200):
            task = GrowingSequence(T=T, normalise=normalise)
            x, y = task.sample(16, torch.Generator().manual_seed(0))
            assert x.shape == (16, T, 1) and y.shape == (16, T)
            torch.testing.assert_close(x[:, 1:, 0], y[:, :-1])
            torch.manual_seed(0)
            model = __import__("rnngrad").make_model("rnn", task, 16, nonlinearity="relu", seed=0)
            norms[normalise, T] = gradient_norm(model, task, x, y)["grad"]
    print({k: f"{v:.3g}" for k, v in norms.items()})
    assert norms[False, 200] > 20 * norms[False, 25]
    assert norms[True, 200] < 3 * norms[True, 25]
    assert math.isfinite(GrowingSequence(T=10, normalise=True).baseline)
