"""Mean-field chi, the latch dilemma, spectra and the growing sequence (chapter 2).
Each test names the wrong implementation it catches."""

import math

import pytest
import torch

from rnngrad.core.growing import GrowingSequence
from rnngrad.measure import latch, meanfield
from rnngrad.measure.growing import gradient_norm


@pytest.mark.parametrize(
    "sigma_w, s", [(0.5, 1.0), (2.0, 0.1), (4.0, 1.0), (1.5, 3.0), (8.0, 1.0), (8.0, 3.0)]
)
def test_chi_predicts_the_measured_growth(sigma_w, s):
    """Catches chi computed with E[phi'] squared instead of E[phi'^2], or q* without the
    inputs' variance. The mean field is exact only for infinitely many units: with 256 units
    deep in saturation (sigma_w = 8) only a few units are active at a step and the measured
    rate falls up to ~0.2 below it; elsewhere the two agree to 0.1 per step."""
    predicted = meanfield.predicted_rate(sigma_w, s)
    measured = meanfield.measured_rate(sigma_w, s, n=256, steps=100)
    assert predicted == pytest.approx(measured, abs=0.1 if sigma_w < 8 else 0.3)
    assert (predicted > 0) == (measured > 0)


def test_chi_grows_with_the_weights_and_falls_with_the_inputs():
    """Saturation by large weights does not cancel the growth; large inputs can."""
    assert meanfield.chi(8.0, 1.0) > meanfield.chi(4.0, 1.0) > 1
    assert meanfield.chi(1.5, 3.0) < 1 < meanfield.chi(1.5, 0.1)
    assert meanfield.chi(2.0, 5.0, "relu") == pytest.approx(2.0)
    assert meanfield.chi(0.7, 0.0, "linear") == pytest.approx(0.49)


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
