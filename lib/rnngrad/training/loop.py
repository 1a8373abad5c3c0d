"""One training loop for every experiment in the book."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

import torch
from tqdm.auto import tqdm

from ..core.device import pick_device, progress_enabled, seed_everything
from ..core.scale import scaled_steps
from ..core.tasks import Task
from ..models.sequence import SequenceModel
from ..models.truncate import truncate as truncated

OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop}


StopReason = Literal["budget", "target", "non-finite loss", "non-finite gradient"]


@dataclass(frozen=True)
class Stop:
    """Why and where a run ended. ``budget``: it used every step it was given without
    reaching a target (or had none); ``target``: the held-out metric reached the target;
    ``non-finite loss`` / ``non-finite gradient``: the run blew up and stopped before the
    update (the parameters stay finite)."""

    reason: StopReason
    step: int

    def __str__(self) -> str:
        if self.reason == "budget":
            return f"budget spent ({self.step} steps)"
        if self.reason == "target":
            return f"target reached at step {self.step}"
        return f"{self.reason} at step {self.step}"


@dataclass
class History:
    """What happened, step by step. ``grad_norm`` is measured *before* clipping."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_metric: list[float] = field(default_factory=list)
    stopped: Stop = Stop("budget", 0)
    seconds: float = 0.0

    @property
    def steps(self) -> int:
        return len(self.loss)

    @property
    def diverged(self) -> bool:
        return self.stopped.reason.startswith("non-finite")

    @property
    def solved_at(self) -> int | None:
        """The step at which the run reached its target, or None."""
        return self.stopped.step if self.stopped.reason == "target" else None

    @property
    def final_metric(self) -> float:
        return self.eval_metric[-1] if self.eval_metric else math.nan


def train(
    model: SequenceModel,
    task: Task,
    steps: int,
    *,
    batch_size: int = 64,
    lr: float = 2e-3,
    optimizer: str = "adam",
    clip: float | None = None,
    eval_every: int = 100,
    eval_batch: int = 512,
    target: float | None = None,
    seed: int = 0,
    device: torch.device | str | None = None,
    progress: bool = True,
    truncate: int | None = None,
) -> History:
    """Train ``model`` on fresh batches of ``task`` and return its ``History``.

    * ``clip``: rescale the gradient to this norm when it is larger (none by default).
    * ``target``: stop once the held-out metric reaches it (lower, or higher for accuracy).
    * A non-finite loss or gradient ends the run cleanly; ``History.stopped`` says where.
    * ``truncate``: backpropagate through at most this many steps (truncated BPTT, by
      ``rnngrad.models.Truncated``); predictions and evaluation are unchanged.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    steps = scaled_steps(steps)  # RNNGRAD_SCALE: fewer steps for a class (core/scale.py)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; expected one of {sorted(OPTIMIZERS)}")
    if clip is not None and not clip > 0:
        raise ValueError(f"clip must be a positive number or None, got {clip!r}")
    if not lr > 0:
        raise ValueError(f"lr must be positive, got {lr!r}")
    device = torch.device(device) if device is not None else pick_device()
    data = seed_everything(seed)
    held_out = task.held_out(eval_batch, torch.Generator().manual_seed(seed + 10_000))
    held_out = [t.to(device) for t in held_out]
    model.to(device)
    forward = truncated(model, truncate)  # the model itself when truncate is None
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    history = History()
    start = time.perf_counter()
    bar = tqdm(
        range(1, steps + 1),
        desc=f"{model.cell} on {task.name}",
        mininterval=0.5,
        leave=False,
        disable=not progress_enabled(progress),
    )
    for step in bar:
        x, y = (t.to(device, non_blocking=True) for t in task.sample(batch_size, data))
        loss = task.loss(forward(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        # clip_grad_norm_ returns the norm before clipping; inf max_norm measures only.
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip or math.inf)
        history.loss.append(loss.item())
        history.grad_norm.append(norm.item())
        if not (math.isfinite(history.loss[-1]) and math.isfinite(history.grad_norm[-1])):
            what = "loss" if not math.isfinite(history.loss[-1]) else "gradient"
            history.stopped = Stop(f"non-finite {what}", step)
            break
        opt.step()
        if step % eval_every == 0 or step == steps:
            metric = evaluate(model, task, held_out)
            history.eval_step.append(step)
            history.eval_metric.append(metric)
            bar.set_postfix({task.metric_name: f"{metric:.4g}"})
            if target is not None and (
                metric >= target if task.higher_is_better else metric <= target
            ):
                history.stopped = Stop("target", step)
                break
    else:
        history.stopped = Stop("budget", steps)
    history.seconds = time.perf_counter() - start
    return history


@torch.no_grad()
def evaluate(model: SequenceModel, task: Task, batch: list[torch.Tensor]) -> float:
    model.eval()
    x, y = batch
    metric = task.metric(model(x), y)
    model.train()
    return metric
