"""One experiment type: a training run described completely by a ``RunSpec``, and what it made.

A spec names the task, the cell and its start, the learning rate and the rest of the training
options, the seed, the number of steps and the stop rule (``train["target"]``: stop once the
held-out metric reaches it). ``execute(spec)`` builds the model under the seed and trains it
with the one training loop, on one CPU thread, so a spec gives the same numbers wherever it
runs: in this process, in a worker process, or on a Dask or Ray worker (``rnngrad.training.runner``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field

import torch
from torch import nn

from ..core.device import one_thread
from ..core.tasks import Task
from ..models.registry import CELLS, cell_names, make_model
from .loop import History, train

# start(model, setting, seed) changes a freshly built model before training (a start that
# make_model's keywords do not cover, e.g. prescribed singular values). A study's starts are
# ``rnngrad.models.Start`` values, which hash and pickle; a chapter may pass any function.
StartFn = Callable[[nn.Module, Hashable, int], None]


@dataclass(frozen=True)
class RunSpec:
    """One training run.

    * ``cell``: a name in ``rnngrad.models.CELLS``; ``model``: ``make_model``'s keywords
      (``hidden_size``, ``num_layers``, ``forget_bias``, the cell's own options);
    * ``start``: an optional ``start(model, setting, seed)`` applied after building;
    * ``train``: ``rnngrad.train``'s keywords (``lr``, ``optimizer``, ``clip``, ``batch_size``,
      ``eval_every``, ``target`` (the stop rule), ``truncate``, ...);
    * ``setting``: the value the study varies (a length, a bias, a label), kept with the run.
    """

    cell: str
    task: Task
    steps: int
    seed: int = 0
    setting: Hashable = None
    model: Mapping = field(default_factory=dict)
    train: Mapping = field(default_factory=dict)
    start: StartFn | None = None

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; expected one of {cell_names()}")
        if not isinstance(self.steps, int) or isinstance(self.steps, bool) or self.steps < 1:
            raise ValueError(f"steps must be a positive int, got {self.steps!r}")
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise ValueError(f"seed must be an int, got {self.seed!r}")
        for reserved in ("seed", "progress"):
            if reserved in self.train:
                raise ValueError(f"{reserved!r} is set by the spec, not by its train options")

    def build(self) -> nn.Module:
        """The model this run starts from (the same seed gives the same weights)."""
        model = make_model(self.cell, self.task, seed=self.seed, **self.model)
        if self.start is not None:
            self.start(model, self.setting, self.seed)
        return model


@dataclass
class Run:
    """One trained model and what happened to it."""

    spec: RunSpec
    model: nn.Module
    history: History

    @property
    def cell(self) -> str:
        return self.spec.cell

    @property
    def setting(self) -> Hashable:
        return self.spec.setting

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def task(self) -> Task:
        return self.spec.task

    @property
    def metric(self) -> float:
        """The held-out metric at the end of training; NaN for a run that diverged (its
        last evaluation, before the blow-up, is not a result)."""
        return math.nan if self.history.diverged else self.history.final_metric

    @property
    def solved_at(self) -> int | None:
        """The step at which the run reached its target, or None."""
        return self.history.solved_at


def execute(spec: RunSpec) -> tuple[nn.Module, History]:
    """Build and train ``spec``'s model on one thread (the same arithmetic in any process)."""
    with one_thread():
        model = spec.build()
        history = train(model, spec.task, spec.steps, seed=spec.seed, progress=False, **spec.train)
    return model, history


def execute_remote(spec: RunSpec) -> tuple[dict, History]:
    """``execute`` for a worker: the trained weights travel back as NumPy arrays (plain bytes,
    no shared-memory handles) and the caller rebuilds the model around them."""
    model, history = execute(spec)
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}, history


def rebuild(spec: RunSpec, weights: dict) -> nn.Module:
    """The model ``execute_remote`` trained: built as ``spec`` builds it, then given its weights."""
    model = spec.build()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})
    return model
