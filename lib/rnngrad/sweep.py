"""Many training runs at once: every cell type x every setting x every seed.

A chapter states *what* to vary; ``grid`` trains one fresh model per combination with the
one training loop and keeps each model and its history, so the chapter can tabulate,
plot and probe the results afterwards.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from .init import set_forget_bias_
from .model import SequenceModel, make_model
from .tasks import Task
from .train import History, train

# init(model, setting, seed) changes a freshly built model before training.
Init = Callable[[SequenceModel, Hashable, int], None]


@dataclass
class Run:
    """One trained model and what happened to it."""

    cell: str
    setting: Hashable  # the value swept: a length, a bias, a threshold...
    seed: int
    task: Task
    model: SequenceModel
    history: History

    @property
    def metric(self) -> float:
        """The held-out metric at the end of training; NaN for a run that diverged (its
        last evaluation, before the blow-up, is not a result)."""
        return math.nan if self.history.diverged else self.history.final_metric

    @property
    def solved_at(self) -> int | None:
        """The step at which the run reached its target, or None."""
        stopped = self.history.stopped
        return int(stopped.rsplit(" ", 1)[1]) if stopped.startswith("target") else None


def lstm_forget_bias(value: float) -> Init:
    """An ``init`` for ``grid``: set every LSTM's forget-gate bias to ``value`` (chapter 3);
    RNNs and GRUs are left as built."""

    def init(model: SequenceModel, setting: Hashable, seed: int) -> None:
        if model.cell == "lstm":
            set_forget_bias_(model.rnn, value)

    return init


def full_sweep() -> bool:
    """True when the reader asked for the bigger sweeps (environment ``RNNGRAD_FULL=1``),
    meant for a GPU; the book's own build always runs the small ones."""
    return os.environ.get("RNNGRAD_FULL", "0").lower() in ("1", "true", "yes")


def grid(
    cells: Iterable[str],
    tasks: dict[Hashable, Task],
    *,
    steps: int,
    seeds: Iterable[int] = (0,),
    hidden_size: int = 32,
    init: Init | None = None,
    nonlinearity: str = "tanh",
    progress: bool = True,
    **train_kwargs,
) -> list[Run]:
    """Train ``make_model(cell, task)`` for every cell, every ``setting -> task`` and seed.

    The model is built under ``torch.manual_seed(seed)``, then handed to ``init`` (if any),
    then trained with ``rnngrad.train(..., seed=seed, **train_kwargs)``. One progress bar
    counts the runs.
    """
    cells, seeds = list(cells), list(seeds)
    if not cells or not tasks or not seeds:
        raise ValueError("grid needs at least one cell, one task and one seed")
    combos = [(c, s, t, seed) for c in cells for s, t in tasks.items() for seed in seeds]
    quiet = not progress or os.environ.get("TQDM_DISABLE", "0").lower() not in ("", "0", "false")
    runs = []
    for cell, setting, task, seed in tqdm(combos, desc="runs", disable=quiet, leave=False):
        torch.manual_seed(seed)
        model = make_model(cell, task, hidden_size=hidden_size, nonlinearity=nonlinearity)
        if init is not None:
            init(model, setting, seed)
        history = train(model, task, steps, seed=seed, progress=False, **train_kwargs)
        runs.append(Run(cell, setting, seed, task, model, history))
    return runs


def select(runs: Iterable[Run], **match) -> list[Run]:
    """The runs whose attributes equal ``match``, e.g. ``select(runs, cell="lstm")``."""
    return [r for r in runs if all(getattr(r, k) == v for k, v in match.items())]


def median(values: Iterable[float]) -> float:
    """The median, ignoring NaN (a diverged run has no metric); NaN when nothing is left."""
    kept = sorted(v for v in values if not math.isnan(v))
    if not kept:
        return math.nan
    mid = len(kept) // 2
    return kept[mid] if len(kept) % 2 else (kept[mid - 1] + kept[mid]) / 2
