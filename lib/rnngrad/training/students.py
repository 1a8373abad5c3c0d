"""Many one-unit students trained at once: every (variant, learning rate, seed) of the curse of
memory's teacher-student sweep in one vectorised loop, with each student's lambda logged at
every step.

Each student is the ``OneUnitStudent`` of ``rnngrad.models.student`` (same parameters, same
lambda and gain) trained by its own optimiser on its seed's batches (``teacher_batches``): the
loss is the *sum* of the students' own mean squared errors, so each parameter's gradient is
its own student's, and SGD and Adam act element by element. A student whose loss or gradient
turns non-finite stops there, as ``rnngrad.train`` stops a run: its parameters are kept from
before the failed step and its final metric is NaN. A variant with ``project=True`` trains
lambda directly and is projected onto [0, ``LAM_MAX``] after every step (projected gradient
descent), so it can never reach 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import torch
from torch import Tensor

from ..core.scan import linear_scan
from ..core.teacher import TeacherTask
from ..models.student import LAM_MAX, PARAMETRISATIONS, student_gain, student_lam
from .loop import OPTIMIZERS


@dataclass(frozen=True)
class StudentVariant:
    """One kind of student: how lambda is parametrised, the optimiser, and whether a directly
    trained lambda is projected below 1 after every step."""

    parametrisation: str
    optimizer: str = "adam"
    project: bool = False

    def __post_init__(self) -> None:
        if self.parametrisation not in PARAMETRISATIONS:
            raise ValueError(
                f"parametrisation must be one of {PARAMETRISATIONS}, got {self.parametrisation!r}"
            )
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"optimizer must be 'adam' or 'sgd', got {self.optimizer!r}")
        if self.project and self.parametrisation == "exp-normalised":
            raise ValueError("exp-normalised keeps lambda below 1 already: project must be False")


@dataclass
class StudentSweep:
    """What the sweep returns; per-student lists are indexed [variant][learning rate][seed].

    * ``finals``: final held-out MSE, NaN for a student that diverged;
    * ``lams``: lambda after every step, a tensor (steps + 1, learning rates, seeds) per
      variant (row 0 is the start; a diverged student's lambda stays where it stopped);
    * ``eval_steps`` and ``evals``: the held-out MSE every ``eval_every`` steps, a tensor
      (evaluations, learning rates, seeds) per variant (NaN once diverged);
    * ``diverged_at``: the step at which a student stopped, None if it did not.
    """

    lrs: list[float]
    seeds: list[int]
    finals: dict[str, list[list[float]]]
    lams: dict[str, Tensor]
    eval_steps: list[int]
    evals: dict[str, Tensor]
    diverged_at: dict[str, list[list[int | None]]]

    def solved_at(self, name: str, target: float) -> list[list[int | None]]:
        """The first evaluation step at which each student's held-out MSE was at most
        ``target`` (None: never), [learning rate][seed]."""
        reached = self.evals[name] <= target  # NaN compares False
        steps = torch.tensor(self.eval_steps)
        return [
            [int(steps[reached[:, i, j]][0]) if reached[:, i, j].any() else None
             for j in range(len(self.seeds))]
            for i in range(len(self.lrs))
        ]  # fmt: skip


def teacher_batches(task: TeacherTask, seed: int, steps: int, batch_size: int):
    """A seed's training batches, drawn at once: (x, y) of shapes (steps, B, T, 1), (steps,
    B, T)."""
    x, y = task.sample(steps * batch_size, torch.Generator().manual_seed(seed))
    return x.reshape(steps, batch_size, *x.shape[1:]), y.reshape(steps, batch_size, *y.shape[1:])


def held_out_batch(task: TeacherTask, seed: int, size: int):
    """A seed's held-out batch (the generator ``rnngrad.train`` uses for it)."""
    return task.sample(size, torch.Generator().manual_seed(seed + 10_000))


def _check(variants, lrs, seeds, steps, eval_every, lam0):
    variants = {
        k: v if isinstance(v, StudentVariant) else StudentVariant(*v) for k, v in variants.items()
    }
    lrs, seeds = [float(lr) for lr in lrs], list(seeds)
    if not variants or not lrs or not seeds:
        raise ValueError("train_students needs at least one variant, learning rate and seed")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    if not isinstance(eval_every, int) or eval_every < 1:
        raise ValueError(f"eval_every must be a positive int, got {eval_every!r}")
    if not all(lr > 0 for lr in lrs):
        raise ValueError(f"learning rates must be positive, got {lrs!r}")
    if not 0 < lam0 < 1:
        raise ValueError(f"lam0 must be in (0, 1), got {lam0!r}")
    return variants, lrs, seeds


def train_students(
    variants: Mapping[str, StudentVariant | tuple],
    task: TeacherTask,
    *,
    lrs: Iterable[float],
    seeds: Iterable[int],
    steps: int,
    batch_size: int = 16,
    eval_every: int = 50,
    eval_batch: int = 128,
    lam0: float = 0.5,
) -> StudentSweep:
    """Train one ``OneUnitStudent`` per variant, learning rate and seed on ``task`` for
    ``steps`` steps (no clipping, no early stop), evaluating each on its seed's held-out batch
    every ``eval_every`` steps and at the end. A variant may be given as
    ``(parametrisation, optimizer[, project])``."""
    variants, lrs, seeds = _check(variants, lrs, seeds, steps, eval_every, lam0)
    names = list(variants)
    V, L, S = len(names), len(lrs), len(seeds)

    # One leaf tensor (variants, seeds) per learning rate for theta and for c; one optimiser
    # per kind, a parameter group per learning rate. Rows of the other kind get no gradient.
    start = torch.tensor(
        [math.log(-math.log(lam0)) if variants[n].parametrisation == "exp-normalised" else lam0
         for n in names]
    )[:, None].expand(V, S)  # fmt: skip
    theta = [start.clone().requires_grad_(True) for _ in lrs]
    c = [torch.ones(V, S, requires_grad=True) for _ in lrs]
    opts = {}
    for kind in {v.optimizer for v in variants.values()}:
        groups = [{"params": [theta[i], c[i]], "lr": lr} for i, lr in enumerate(lrs)]
        opts[kind] = OPTIMIZERS[kind](groups, lr=lrs[0])
    mine = {kind: torch.tensor([variants[n].optimizer == kind for n in names]) for kind in opts}
    projected = torch.tensor([variants[n].project for n in names])

    def lams_of(th: Tensor) -> Tensor:  # th: (L, V, S) -> lambda (V, L, S)
        return torch.stack(
            [student_lam(th[:, k], variants[n].parametrisation) for k, n in enumerate(names)]
        )

    def predict(th: Tensor, cc: Tensor, x: Tensor) -> Tensor:
        """(V, L, S, B, T) predictions; th, cc (L, V, S); x (S, B, T, 1)."""
        lam = lams_of(th)
        h = linear_scan(lam[..., None, None, None], x.expand(V, L, *x.shape))[..., 0]
        gain = torch.stack(
            [torch.ones(L, S) * student_gain(lam[k], variants[n].parametrisation)
             for k, n in enumerate(names)]
        )  # fmt: skip
        return (cc.transpose(0, 1) * gain)[..., None, None] * h

    def mse_of(pred: Tensor, y: Tensor) -> Tensor:
        return (pred - y).pow(2).mean(dim=(-2, -1))  # (V, L, S)

    batches = [teacher_batches(task, s, steps, batch_size) for s in seeds]
    xs = torch.stack([b[0] for b in batches], 1)  # (steps, S, B, T, 1)
    ys = torch.stack([b[1] for b in batches], 1)
    held = [held_out_batch(task, s, eval_batch) for s in seeds]
    x_held, y_held = torch.stack([h[0] for h in held]), torch.stack([h[1] for h in held])

    alive = torch.ones(V, L, S, dtype=torch.bool)
    stopped = torch.zeros(V, L, S, dtype=torch.long)
    lams = torch.empty(steps + 1, V, L, S)
    eval_steps, evals = [], []

    def evaluate() -> Tensor:
        with torch.no_grad():
            m = mse_of(predict(torch.stack(theta), torch.stack(c), x_held), y_held)
            return torch.where(alive & m.isfinite(), m, torch.nan)

    with torch.no_grad():
        lams[0] = lams_of(torch.stack(theta))
    for step in range(1, steps + 1):
        for opt in opts.values():
            opt.zero_grad(set_to_none=False)
        th, cc = torch.stack(theta), torch.stack(c)
        mse = mse_of(predict(th, cc, xs[step - 1]), ys[step - 1])
        mse.sum().backward()
        with torch.no_grad():
            g_th = torch.stack([t.grad for t in theta]).transpose(0, 1)  # (V, L, S)
            g_c = torch.stack([w.grad for w in c]).transpose(0, 1)
            finite = mse.isfinite() & g_th.isfinite() & g_c.isfinite()
            stopped[alive & ~finite] = step
            alive &= finite
            grads = [
                (t.grad.nan_to_num(0.0), w.grad.nan_to_num(0.0))
                for t, w in zip(theta, c, strict=True)
            ]
            for kind, opt in opts.items():
                keep = (alive & mine[kind][:, None, None]).transpose(0, 1)  # (L, V, S)
                now = [(t.clone(), w.clone()) for t, w in zip(theta, c, strict=True)]
                for i in range(L):  # a stopped student, or one of another kind: no gradient ...
                    theta[i].grad.copy_(grads[i][0] * keep[i])
                    c[i].grad.copy_(grads[i][1] * keep[i])
                opt.step()
                for i in range(L):  # ... and no momentum either
                    theta[i].copy_(torch.where(keep[i], theta[i], now[i][0]))
                    c[i].copy_(torch.where(keep[i], c[i], now[i][1]))
            for i in range(L):
                bounded = theta[i].clamp(0.0, LAM_MAX)
                theta[i].copy_(torch.where(projected[:, None], bounded, theta[i]))
            lams[step] = lams_of(torch.stack(theta))
        if step % eval_every == 0 or step == steps:
            eval_steps.append(step)
            evals.append(evaluate())

    evals = torch.stack(evals)  # (evaluations, V, L, S)
    stop = stopped.tolist()
    return StudentSweep(
        lrs=lrs,
        seeds=seeds,
        finals={n: evals[-1, k].tolist() for k, n in enumerate(names)},
        lams={n: lams[:, k] for k, n in enumerate(names)},
        eval_steps=eval_steps,
        evals={n: evals[:, k] for k, n in enumerate(names)},
        diverged_at={n: [[s or None for s in row] for row in stop[k]] for k, n in enumerate(names)},
    )


__all__ = [
    "LAM_MAX",
    "StudentSweep",
    "StudentVariant",
    "held_out_batch",
    "teacher_batches",
    "train_students",
]
