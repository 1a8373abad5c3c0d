"""The curse of memory (rnngrad.derive.memory, measure.memory, core.teacher, models.student): SymPy's expectations against the published closed
forms, against Monte-Carlo simulation with autograd, the teacher-student task and student,
and clear errors for bad arguments."""

import math

import matplotlib
import numpy as np
import pytest
import sympy as sp
import torch

import rnngrad
from rnngrad import figures, frames
from rnngrad.core.teacher import TeacherTask, ar1_inputs
from rnngrad.derive.memory import memory_expressions, memory_functions
from rnngrad.measure.memory import simulate_memory
from rnngrad.models.student import OneUnitStudent

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def e():
    return memory_expressions()


def test_sympy_reproduces_the_published_closed_forms(e):
    """Zucchet & Orvieto (2024): white noise 1/(1-l^2) and (1+l^2)/(1-l^2)^3; their code's
    correlated forms (figures/1D-case.ipynb) for any rho."""
    lam, rho = e.lam, e.rho
    h2 = (1 + rho * lam) / (1 - lam * rho) / (1 - lam**2)
    dh2 = ((1 + lam**2) * (1 - lam**2 * rho**2) + 2 * (1 - lam**2) * lam * rho) / (
        (1 - lam**2) ** 3 * (1 - lam * rho) ** 2
    )
    assert sp.simplify(e.h2 - h2) == 0
    assert sp.simplify(e.dh2 - dh2) == 0
    assert sp.simplify(e.h2.subs(rho, 0) - 1 / (1 - lam**2)) == 0
    assert sp.simplify(e.dh2.subs(rho, 0) - (1 + lam**2) / (1 - lam**2) ** 3) == 0


def test_normalisation_and_reparametrisation_tame_the_sensitivity(e):
    lam, rho = e.lam, e.rho
    # gamma alone: still diverges, but as (1 - l^2)^-2 instead of ^-3 (white noise)
    assert sp.simplify(e.norm_dh2.subs(rho, 0) - 1 / (1 - lam**2) ** 2) == 0
    # gamma and lam = exp(-exp(nu)): bounded, (1 + rho) / (4 (1 - rho)) as lam -> 1
    for r in (0, sp.Rational(1, 2), -sp.Rational(1, 3)):
        limit = sp.limit(e.exp_norm_dh2.subs(rho, r), lam, 1, "-")
        assert sp.simplify(limit - (1 + r) / (4 * (1 - r))) == 0


@pytest.mark.parametrize("lam, rho", [(0.5, 0.0), (0.9, 0.0), (0.9, 0.5), (0.8, -0.4)])
def test_simulation_with_autograd_matches_sympy(lam, rho):
    funcs = memory_functions()
    sim = simulate_memory(lam, rho, batch=40_000, generator=torch.Generator().manual_seed(0))
    assert sim["h2"] == pytest.approx(funcs["h2"](lam, rho), rel=0.04)
    assert sim["dh2"] == pytest.approx(funcs["dh2"](lam, rho), rel=0.06)


def test_normalised_sensitivities_against_autograd(e):
    """d(gamma h)/dlam and d(gamma h)/dnu by autograd, per sequence, against SymPy."""
    funcs = memory_functions()
    lam, rho, batch = 0.9, 0.3, 40_000
    x = ar1_inputs(batch, 300, rho, generator=torch.Generator().manual_seed(1))
    nu = torch.full(
        (batch, 1, 1), math.log(-math.log(lam)), dtype=torch.float64, requires_grad=True
    )
    lam_t = torch.exp(-torch.exp(nu))
    lam_t.retain_grad()
    h = rnngrad.core.scan.linear_scan(lam_t, x)[:, -1, 0]
    (torch.sqrt(1 - lam_t[:, 0, 0] ** 2) * h).sum().backward()
    assert lam_t.grad.pow(2).mean().item() == pytest.approx(funcs["norm_dh2"](lam, rho), rel=0.06)
    assert nu.grad.pow(2).mean().item() == pytest.approx(funcs["exp_norm_dh2"](lam, rho), rel=0.06)


def test_ar1_inputs_have_unit_variance_and_the_asked_correlation():
    x = ar1_inputs(4000, 50, 0.7, generator=torch.Generator().manual_seed(0))[..., 0]
    assert x.var().item() == pytest.approx(1.0, abs=0.03)
    corr = (x[:, 1:] * x[:, :-1]).mean().item()
    assert corr == pytest.approx(0.7, abs=0.03)


def test_teacher_targets_have_unit_variance():
    task = TeacherTask(0.9, T=200)
    _, y = task.sample(2000, torch.Generator().manual_seed(0))
    assert y[:, -1].var().item() == pytest.approx(task.baseline, rel=0.08)


def test_student_at_the_teacher_has_zero_loss():
    task = TeacherTask(0.95, T=100, rho=0.3)
    x, y = task.sample(16, torch.Generator().manual_seed(0))
    for parametrisation in ("normalised", "exp-normalised"):
        student = OneUnitStudent(parametrisation, lam0=0.95)
        assert task.loss(student(x), y).item() < 1e-10
    raw = OneUnitStudent("raw", lam0=0.95)
    with torch.no_grad():
        raw.c.fill_(math.sqrt(1 - 0.95**2))
    assert task.loss(raw(x), y).item() < 1e-10


def test_sgd_with_a_large_step_on_raw_lambda_diverges_cleanly():
    """The same student, teacher, seed and batches: a small SGD step learns (the held-out MSE
    falls to under 0.75 of the baseline, 0.47 measured), a step of 10 blows up within a few
    steps and the loop stops there, before any evaluation, with finite parameters.
    Catches: a student that does not learn at all (the old check, "diverged or no better
    than the baseline", passed for it), a divergence that is not reported as one, and a
    non-finite step applied to the parameters."""
    task = TeacherTask(0.99, T=100)

    def run(lr):
        student = OneUnitStudent("raw")
        history = rnngrad.train(
            student, task, 50, batch_size=8, lr=lr, optimizer="sgd", eval_every=10,
            device="cpu", progress=False, seed=0,
        )  # fmt: skip
        return student, history

    _, small = run(0.03)
    assert small.stopped.reason == "budget" and len(small.eval_metric) == 5
    assert small.eval_metric[-1] < small.eval_metric[0]
    assert small.final_metric < 0.75 * task.baseline
    student, large = run(10.0)
    assert large.diverged and large.stopped.step <= 5 and large.eval_metric == []
    assert all(torch.isfinite(p).all() for p in student.parameters())


def test_sensitivity_figure_plots_the_published_closed_forms():
    """The explorer's curves against the memory m = 1/(1 - lambda) are Zucchet & Orvieto's
    (2024) closed forms written out here (E[h^2] and E[(dh/dlambda)^2], correlated inputs),
    and the marked point sits at lambda = 1 - 10^-memory_log10.
    Catches: curves plotted against lambda instead of the memory, rho ignored, labels
    swapped between curves, the marker at the wrong lambda."""
    rho, memory_log10 = 0.5, 2.0
    (ax,) = frames.sensitivity_frame(memory_log10, rho).axes
    curves = [line for line in ax.lines if len(line.get_xdata()) > 1]
    by_label = {line.get_label(): line for line in curves}
    h2, dh2 = by_label[r"$E[h^2]$"], by_label[r"$E[(\partial h/\partial\lambda)^2]$"]
    memory = np.asarray(h2.get_xdata())
    lam = 1 - 1 / memory
    want_h2 = (1 + rho * lam) / (1 - lam * rho) / (1 - lam**2)
    want_dh2 = ((1 + lam**2) * (1 - lam**2 * rho**2) + 2 * (1 - lam**2) * lam * rho) / (
        (1 - lam**2) ** 3 * (1 - lam * rho) ** 2
    )
    np.testing.assert_allclose(h2.get_ydata(), want_h2, rtol=1e-9)
    np.testing.assert_allclose(dh2.get_ydata(), want_dh2, rtol=1e-9)
    points = [line for line in ax.lines if len(line.get_xdata()) == 1]
    lam_now = 1 - 10.0**-memory_log10
    assert all(p.get_xdata()[0] == pytest.approx(10.0**memory_log10) for p in points)
    marked = sorted(p.get_ydata()[0] for p in points)
    want = (1 + rho * lam_now) / (1 - lam_now * rho) / (1 - lam_now**2)
    assert any(v == pytest.approx(want, rel=1e-9) for v in marked)


def test_lr_sweep_figure_plots_medians_ranges_and_divergences():
    """Per learning rate: the median over seeds with its range as error bars, and a cross
    at 10 x baseline where any seed diverged (NaN). Catches: a mean for the median, NaN
    counted as a value, diverged runs not marked."""
    finals = {"a": [[0.5, 0.4, 0.1], [float("nan"), 0.1, 0.3]]}
    (ax,) = figures.linear.lr_sweep_figure([1e-3, 1e-2], finals, 1.0).axes
    data = ax.containers[0].lines[0]  # the errorbar's data line
    np.testing.assert_allclose(data.get_ydata(), [0.4, 0.2])  # medians, NaN left out
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    assert [list(c.get_ydata()) for c in crosses] == [[10.0]]  # only the diverged rate
    segments = ax.containers[0].lines[2][0].get_segments()  # the vertical error bars
    np.testing.assert_allclose([s[:, 1] for s in segments], [[0.1, 0.5], [0.1, 0.3]])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: simulate_memory(1.0), "lam must be"),
        (lambda: simulate_memory(0.5, rho=1.0), "rho must be"),
        (lambda: ar1_inputs(0, 10), "positive ints"),
        (lambda: ar1_inputs(2, 10, rho=-1.0), "rho must be"),
        (lambda: TeacherTask(0.9, T=1), "T must be"),
        (lambda: TeacherTask(1.2), "lam must be"),
        (lambda: OneUnitStudent("log"), "parametrisation"),
        (lambda: OneUnitStudent("raw", lam0=1.0), "lam0"),
        (lambda: frames.sensitivity_frame(0.0, 0.0), "memory_log10"),
        (lambda: frames.sensitivity_frame(1.0, 1.0), "rho must be"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
