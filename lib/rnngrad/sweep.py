"""Many training runs at once: every cell type x every setting x every seed.

A chapter states *what* to vary; ``grid`` trains one fresh model per combination with the
one training loop and keeps each model and its history, so the chapter can tabulate,
plot and probe the results afterwards.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import os
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import torch
from tqdm.auto import tqdm

from .device import one_thread, pick_device, progress_enabled
from .init import set_forget_bias_
from .model import SequenceModel, make_model
from .tasks import Task
from .train import History, train
from .verdict import Verdict, compare

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
        return self.history.solved_at


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
    workers: int | None = None,
    setting_kwargs: dict[Hashable, dict] | None = None,
    **train_kwargs,
) -> list[Run]:
    """Train ``make_model(cell, task)`` for every cell, every ``setting -> task`` and seed.

    The model is built under ``torch.manual_seed(seed)``, then handed to ``init`` (if any),
    then trained with ``rnngrad.train(..., seed=seed, **train_kwargs)``. One progress bar
    counts the runs.

    Every run trains with one CPU thread, so its result does not depend on how the runs are
    shared out: ``workers`` processes (default: one per core on the CPU, none on a GPU)
    train runs side by side, and give the same numbers as ``workers=1`` (in this process).
    On small recurrent models two one-thread processes do more work than one two-thread
    process.

    ``setting_kwargs`` maps a setting to extra ``train`` keywords for its runs only (for a
    setting that is a training option, e.g. ``{None: {"clip": None}, 1.0: {"clip": 1.0}}``),
    so one call, and one pool of workers, trains them all.
    """
    cells, seeds = list(cells), list(seeds)
    if not cells or not tasks or not seeds:
        raise ValueError("grid needs at least one cell, one task and one seed")
    combos = [(c, s, t, seed) for c in cells for s, t in tasks.items() for seed in seeds]
    job = _Job(steps, hidden_size, init, nonlinearity, train_kwargs, setting_kwargs or {})
    if workers is None:
        workers = _default_workers(train_kwargs.get("device"))
    workers = max(1, min(workers, len(combos)))
    bar = tqdm(total=len(combos), desc="runs", disable=not progress_enabled(progress), leave=False)
    if workers == 1:
        results = []
        for combo in combos:
            results.append(job.run(combo))
            bar.update()
    else:
        results = _in_workers(job, combos, workers, bar)
    bar.close()
    return [
        Run(cell, setting, seed, task, model, history)
        for (cell, setting, task, seed), (model, history) in zip(combos, results, strict=True)
    ]


@dataclass
class _Job:
    """What every run of one ``grid`` call shares."""

    steps: int
    hidden_size: int
    init: Init | None
    nonlinearity: str
    train_kwargs: dict
    setting_kwargs: dict = field(default_factory=dict)

    def build(self, cell: str, setting: Hashable, task: Task, seed: int) -> SequenceModel:
        torch.manual_seed(seed)
        model = make_model(cell, task, hidden_size=self.hidden_size, nonlinearity=self.nonlinearity)
        if self.init is not None:
            self.init(model, setting, seed)
        return model

    def run(self, combo: tuple) -> tuple[SequenceModel, History]:
        cell, setting, task, seed = combo
        with one_thread():  # the same arithmetic in this process and in a worker
            model = self.build(cell, setting, task, seed)
            kwargs = {**self.train_kwargs, **self.setting_kwargs.get(setting, {})}
            history = train(model, task, self.steps, seed=seed, progress=False, **kwargs)
        return model, history


def _default_workers(device) -> int:
    device = torch.device(device) if device is not None else pick_device()
    if device.type != "cpu" or "fork" not in mp.get_all_start_methods():
        return 1
    return os.cpu_count() or 1


# The job and its runs, inherited by forked workers (closures defined in a notebook cannot
# be pickled, so a worker is told only which run to train).
_PENDING: tuple[_Job, list] | None = None


def _work(index: int) -> tuple[dict, History]:
    job, combos = _PENDING
    model, history = job.run(combos[index])
    # NumPy arrays travel through the pipe as plain bytes (no shared-memory handles).
    return {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}, history


def _in_workers(job: _Job, combos: list, workers: int, bar) -> list:
    global _PENDING
    _PENDING = (job, combos)
    # Every optimizer's constructor imports torch._dynamo, about 1.7 s. Import it here, once,
    # so that the forked workers inherit it instead of each importing it on every call.
    import torch._dynamo  # noqa: F401

    try:
        with mp.get_context("fork").Pool(workers) as pool:
            results = []
            for index, (state, history) in enumerate(pool.imap(_work, range(len(combos)))):
                model = job.build(*combos[index])  # the same architecture, then its weights
                model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
                results.append((model, history))
                bar.update()
    finally:
        _PENDING = None
    return results


class _NoBar:
    def update(self) -> None:
        pass


def run_jobs(job, combos: list, *, workers: int | None = None, device=None) -> list:
    """``job.run(combo)`` for every combo, in order: in ``workers`` forked processes (default:
    one per core on the CPU, none on a GPU) or in this process. A job has
    ``run(combo) -> (model, history)`` and ``build(*combo) -> model``: a worker sends back the
    weights, and this process rebuilds the model and loads them (``grid`` and the Part V
    sweeps share this)."""
    if workers is None:
        workers = _default_workers(device)
    workers = max(1, min(workers, len(combos)))
    if workers == 1:
        return [job.run(combo) for combo in combos]
    return _in_workers(job, combos, workers, _NoBar())


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


# Summaries the chapters need again and again. ``match`` selects runs as ``select`` does.


def median_metric(runs: Iterable[Run], **match) -> float:
    """The median final metric of the matching runs (diverged runs ignored)."""
    return median(r.metric for r in select(runs, **match))


def solved_count(runs: Iterable[Run], **match) -> tuple[int, int]:
    """(runs that reached their target, matching runs)."""
    mine = select(runs, **match)
    return sum(r.solved_at is not None for r in mine), len(mine)


def outcomes(runs: Iterable[Run], by: str = "solved_at", **match) -> list[float | None]:
    """One outcome per matching run, for ``rnngrad.verdict``: the step that reached the
    target (None: not reached) or the final metric (NaN: diverged)."""
    if by not in ("solved_at", "metric"):
        raise ValueError(f"by must be 'solved_at' or 'metric', got {by!r}")
    return [getattr(r, by) for r in select(runs, **match)]


def compare_runs(
    runs: Iterable[Run], a: dict, b: dict, by: str = "solved_at", names=None, **kwargs
) -> Verdict:
    """``verdict.compare`` of the runs matching ``a`` against those matching ``b``, by the
    step that solved the task (fewer is better; unsolved is worst) or by the final metric."""
    runs = list(runs)
    group_a, group_b = select(runs, **a), select(runs, **b)
    if not group_a or not group_b:
        raise ValueError(f"no runs match {a if not group_a else b}")
    higher = by == "metric" and group_a[0].task.higher_is_better
    names = names or (_describe(a), _describe(b))
    return compare(
        outcomes(group_a, by), outcomes(group_b, by), higher_is_better=higher, names=names, **kwargs
    )


def _describe(match: dict) -> str:
    return ", ".join(str(v).upper() if k == "cell" else str(v) for k, v in match.items())


def longest_beaten(runs: Iterable[Run], good: Callable[[Run], bool], **match) -> Hashable | None:
    """The largest setting at which *every* matching run is ``good`` (e.g. beat its
    baseline), or None when no setting tried was."""
    mine = select(runs, **match)
    settings = sorted({r.setting for r in mine})
    ok = [s for s in settings if all(good(r) for r in select(mine, setting=s))]
    return max(ok, default=None)


def beats_baseline(run: Run, accuracy: float = 0.75) -> bool:
    """The book's "clearly beat the baseline": at most half the baseline's loss, or at least
    ``accuracy`` for a classification task. A diverged run beats nothing."""
    if math.isnan(run.metric):
        return False
    if run.task.higher_is_better:
        return run.metric >= accuracy
    return run.metric <= run.task.baseline / 2
