"""Studies of many runs: every cell x every setting x every seed, as ``RunSpec``s for the one
runner, and the summaries the chapters draw from the runs they return.

A chapter states *what* to vary; ``grid`` (cells x settings x seeds), ``grid_variants`` (named
cell configurations) and ``train_lru_runs`` turn that into specs, and
``rnngrad.training.runner.run`` trains them (``training.students`` trains chapter 14's
one-unit students in one vectorised loop instead). Each keeps the trained models and their
histories, so the chapter can tabulate, plot and probe the results afterwards.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Hashable, Iterable

from ..core.tasks import Task
from ..models.starts import Start
from . import runner
from .spec import Run, RunSpec, StartFn
from .verdict import Verdict, compare


def lstm_forget_bias(value: float) -> Start:
    """A start for ``grid``: every LSTM's forget-gate bias set to ``value`` (chapter 3); other
    cells are left as built (``Start("forget_bias", value)``)."""
    return Start("forget_bias", value)


def full_sweep() -> bool:
    """True when the reader asked for the bigger sweeps (environment ``RNNGRAD_FULL=1``),
    meant for a GPU; the book's own build always runs the small ones."""
    return os.environ.get("RNNGRAD_FULL", "0").lower() in ("1", "true", "yes")


def _train_options(train_kwargs: dict) -> tuple[dict, dict]:
    """Split the runner's keywords (``workers``, ``backend``, ``progress``) from ``train``'s."""
    keys = ("workers", "backend", "progress")
    return {k: train_kwargs.pop(k) for k in keys if k in train_kwargs}, train_kwargs


def grid(
    cells: Iterable[str],
    tasks: dict[Hashable, Task],
    *,
    steps: int,
    seeds: Iterable[int] = (0,),
    hidden_size: int = 32,
    init: StartFn | None = None,
    nonlinearity: str = "tanh",
    setting_kwargs: dict[Hashable, dict] | None = None,
    **train_kwargs,
) -> list[Run]:
    """Train ``make_model(cell, task)`` for every cell, every ``setting -> task`` and seed.

    The model is built under ``torch.manual_seed(seed)``, handed to ``init`` (if any), then
    trained with ``rnngrad.train(..., seed=seed, **train_kwargs)``: one ``RunSpec`` each, run
    by ``rnngrad.training.runner.run`` (``workers``, ``backend`` and ``progress`` go to it).

    ``setting_kwargs`` maps a setting to extra ``train`` keywords for its runs only (for a
    setting that is a training option, e.g. ``{None: {"clip": None}, 1.0: {"clip": 1.0}}``),
    so one call, and one pool of workers, trains them all.
    """
    cells, seeds = list(cells), list(seeds)
    if not cells or not tasks or not seeds:
        raise ValueError("grid needs at least one cell, one task and one seed")
    options, train_kwargs = _train_options(dict(train_kwargs))
    extra = setting_kwargs or {}
    model = {"hidden_size": hidden_size, "nonlinearity": nonlinearity}
    specs = [
        RunSpec(
            cell,
            task,
            steps,
            seed,
            setting,
            model,
            {**train_kwargs, **extra.get(setting, {})},
            init,
        )
        for cell in cells
        for setting, task in tasks.items()
        for seed in seeds
    ]
    return runner.run(specs, **options)


def grid_variants(
    variants: dict[str, dict],
    task: Task,
    *,
    steps: int,
    seeds: Iterable[int] = (0,),
    hidden_size: int = 16,
    **train_kwargs,
) -> list[Run]:
    """``grid`` over named cell configurations: ``variants`` maps a label (the runs'
    ``setting``) to ``make_model``'s keywords, e.g. ``{"leaky 0.9": {"cell": "leaky", "leak":
    0.9}}``; the key ``"truncate": k`` trains with BPTT(k). Each model is built under
    ``torch.manual_seed(seed)`` and trained by ``rnngrad.train(..., seed=seed)``."""
    seeds = list(seeds)
    if not variants or not seeds:
        raise ValueError("grid_variants needs at least one variant and one seed")
    options, train_kwargs = _train_options(dict(train_kwargs))
    specs = []
    for label, variant in variants.items():
        variant = dict(variant)
        if "cell" not in variant:
            raise ValueError(f"variant {label!r} names no cell")
        cell, truncate = variant.pop("cell"), variant.pop("truncate", None)
        train = {**train_kwargs, "truncate": truncate} if truncate is not None else train_kwargs
        model = {"hidden_size": hidden_size, **variant}
        specs += [RunSpec(cell, task, steps, seed, label, model, train) for seed in seeds]
    return runner.run(specs, **options)


def train_lru_runs(
    specs: dict, task: Task, *, steps: int, seeds: Iterable[int] = (0,), **train_kwargs
) -> dict:
    """Train ``make_model("lru", task, **spec, seed=seed)`` for every ``name -> spec`` (its
    ``hidden_size`` is the state size, 32 by default) and seed. Returns ``{name: [(model,
    history), ...]}`` in seed order."""
    seeds = list(seeds)
    if not specs or not seeds:
        raise ValueError("train_lru_runs needs at least one spec and one seed")
    variants = {name: {"cell": "lru", "hidden_size": 32, **spec} for name, spec in specs.items()}
    runs = grid_variants(variants, task, steps=steps, seeds=seeds, **train_kwargs)
    return {name: [(r.model, r.history) for r in select(runs, setting=name)] for name in specs}


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
    """One outcome per matching run, for ``rnngrad.training.verdict``: the step that reached the
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
