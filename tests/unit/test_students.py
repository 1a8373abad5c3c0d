"""The vectorised teacher-student sweep (rnngrad.training.students): each student trained in the
sweep is the run ``rnngrad.train`` would make alone, a projected lambda never reaches 1, a
diverged student neither moves nor disturbs the others, and the normalised student's dead
region past lambda = 1."""

import math

import pytest
import torch

from rnngrad import figures
from rnngrad.core.teacher import TeacherTask
from rnngrad.models.student import LAM_MAX, OneUnitStudent
from rnngrad.training.loop import OPTIMIZERS
from rnngrad.training.students import (
    StudentSweep,
    StudentVariant,
    held_out_batch,
    teacher_batches,
    train_students,
)

TASK = TeacherTask(0.99, T=60)


def alone(parametrisation, optimizer, lr, seed, steps, task=TASK, project=False):
    """One OneUnitStudent trained by itself, a plain loop over the same batches with its own
    optimiser (as ``rnngrad.train`` does it): (final lambda, final held-out MSE)."""
    student = OneUnitStudent(parametrisation)
    opt = OPTIMIZERS[optimizer](student.parameters(), lr=lr)
    xs, ys = teacher_batches(task, seed, steps, 4)
    for x, y in zip(xs, ys, strict=True):
        loss = task.loss(student(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if project:
            with torch.no_grad():
                student.theta.clamp_(0.0, LAM_MAX)
    x, y = held_out_batch(task, seed, 32)
    with torch.no_grad():
        return student.lam.item(), task.loss(student(x), y).item()


def test_each_student_in_the_sweep_is_its_run_alone():
    """Every kind in one sweep, as the chapter runs them. Catches: a loss averaged over the
    students (SGD's steps shrink by their number), seeds sharing one batch stream, learning
    rates swapped between students, one optimiser's step undoing another's rows, a projection
    on the wrong rows, a wrong start."""
    kinds = {"raw sgd": ("raw", "sgd", True), "norm adam": ("normalised", "adam", True),
             "exp adam": ("exp-normalised", "adam", False), "free": ("normalised", "adam", False)}  # fmt: skip
    lrs, seeds, steps = [1e-3, 3e-2], [0, 3], 12
    sweep = train_students(kinds, TASK, lrs=lrs, seeds=seeds, steps=steps, batch_size=4,
                           eval_every=5, eval_batch=32)  # fmt: skip
    for name, (parametrisation, optimizer, project) in kinds.items():
        for i, lr in enumerate(lrs):
            for j, seed in enumerate(seeds):
                lam, mse = alone(parametrisation, optimizer, lr, seed, steps, project=project)
                assert sweep.lams[name][-1, i, j].item() == pytest.approx(lam, rel=1e-5, abs=1e-7)
                assert sweep.finals[name][i][j] == pytest.approx(mse, rel=1e-4)
    assert sweep.eval_steps == [5, 10, 12]


def test_a_projected_lambda_stays_below_one_and_an_unprojected_one_does_not():
    """Catches: the projection left out, or applied before the step (the logged lambda would
    then exceed LAM_MAX after the last step)."""
    variants = {"kept": ("normalised", "adam", True), "free": ("normalised", "adam", False)}
    sweep = train_students(variants, TASK, lrs=[0.3], seeds=[0], steps=20, batch_size=4,
                           eval_batch=32)  # fmt: skip
    assert sweep.lams["kept"].max().item() <= LAM_MAX
    assert sweep.lams["free"].max().item() > 1.0
    assert math.isfinite(sweep.finals["kept"][0][0])


def test_a_diverged_student_stops_and_leaves_the_others_alone():
    """An unprotected normalised student at a large rate steps past 1 and its state overflows
    over T = 300. Catches a stopped student still moved by Adam's momentum (its lambda would
    drift after the stop); the student beside it must still be its run alone."""
    task = TeacherTask(0.99, T=300)
    sweep = train_students({"n": ("normalised", "adam")}, task, lrs=[0.3, 1e-2], seeds=[1],
                           steps=20, batch_size=4, eval_batch=32)  # fmt: skip
    stop = sweep.diverged_at["n"][0][0]
    assert stop is not None and math.isnan(sweep.finals["n"][0][0])
    frozen = sweep.lams["n"][stop - 1 :, 0, 0]
    assert torch.all(frozen == frozen[0])
    lam, mse = alone("normalised", "adam", 1e-2, 1, 20, task=task)
    assert sweep.lams["n"][-1, 1, 0].item() == pytest.approx(lam, rel=1e-5)
    assert sweep.finals["n"][1][0] == pytest.approx(mse, rel=1e-4)


def test_the_normalised_student_has_no_gradient_past_one():
    """The referee's measurement: at lambda = 1.02 the gain sqrt(max(1 - lambda^2, 0)) is 0, so
    the loss is the baseline's and both gradients are exactly 0 (an absorbing region).
    Catches: a gain written sqrt(|1 - lambda^2|), which would let the student back."""
    student = OneUnitStudent("normalised", lam0=0.5)
    with torch.no_grad():
        student.theta.fill_(1.02)
    x, y = TASK.sample(64, torch.Generator().manual_seed(0))
    TASK.loss(student(x), y).backward()
    assert student.theta.grad.item() == 0.0 and student.c.grad.item() == 0.0


def test_solved_at_is_the_first_evaluation_at_or_below_the_target():
    """Catches: the last evaluation instead of the first, a strict inequality, NaN counted."""
    evals = torch.tensor([[[0.5, 0.02]], [[0.01, float("nan")]], [[0.001, 0.0]]])  # (3, 1, 2)
    sweep = StudentSweep([0.1], [0, 1], {}, {}, [10, 20, 30], {"a": evals}, {})
    assert sweep.solved_at("a", 0.01) == [[20, 30]]
    assert sweep.solved_at("a", 1e-4) == [[None, 30]]


def test_the_lambda_figure_draws_one_panel_per_learning_rate():
    lams = {"a": torch.rand(11, 2, 3), "b": torch.rand(11, 2, 3)}
    assert len(figures.linear.lam_trace_figure([0.1, 0.01], lams, 0.99).axes) == 2
    with pytest.raises(ValueError, match="at most"):
        figures.linear.lam_trace_figure([0.1], {str(k): torch.rand(3, 1, 1) for k in range(6)}, 0.9)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: StudentVariant("log"), "parametrisation"),
        (lambda: StudentVariant("raw", "rmsprop"), "optimizer"),
        (lambda: StudentVariant("exp-normalised", "adam", True), "project must be False"),
        (lambda: train_students({}, TASK, lrs=[0.1], seeds=[0], steps=1), "at least one"),
        (
            lambda: train_students({"a": ("raw", "sgd")}, TASK, lrs=[0.1], seeds=[0], steps=0),
            "steps",
        ),
        (
            lambda: train_students({"a": ("raw", "sgd")}, TASK, lrs=[-1], seeds=[0], steps=1),
            "positive",
        ),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
