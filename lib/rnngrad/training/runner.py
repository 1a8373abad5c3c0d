"""One runner for many training runs, on joblib: worker processes on this machine, or a Dask
or Ray cluster by naming its backend.

``run(specs)`` executes every ``RunSpec`` and returns the ``Run``s in the order given;
``stream(specs)`` yields each ``Run`` as soon as it finishes (what a long, resumable study
needs: ``rnngrad.experiments`` stores each record at once). Each run trains on one CPU thread
(``rnngrad.training.spec.execute``), so its numbers do not depend on where it ran:
``backend="serial"`` (this process), ``"processes"`` (joblib's worker processes, one per core
by default), ``"dask"`` (the ``dask.distributed.Client`` the caller has created, e.g. on a
``LocalCluster`` or a cluster's scheduler) and ``"ray"`` (a running Ray instance) all give the
same numbers. On small recurrent models two one-thread processes do more work than one
two-thread process (measured in ``benchmarks/``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

import torch
from joblib import Parallel, delayed, parallel_config
from tqdm.auto import tqdm

from ..core.device import pick_device, progress_enabled
from ..core.scale import scale_as, step_scale
from .spec import Run, RunSpec, execute, execute_remote, rebuild

BACKENDS = ("auto", "serial", "processes", "dask", "ray")


def default_workers(device=None) -> int:
    """One worker per core on the CPU; one (this process) on a GPU, which the runs share."""
    device = torch.device(device) if device is not None else pick_device()
    return 1 if device.type != "cpu" else os.cpu_count() or 1


def run(
    specs: Sequence[RunSpec],
    *,
    backend: str = "auto",
    workers: int | None = None,
    progress: bool = True,
) -> list[Run]:
    """Execute every spec and return its ``Run`` (trained model and history), in order.

    ``backend="auto"`` runs in this process when one worker is asked for (or a GPU is in
    use), else in joblib's worker processes. ``workers`` defaults to one per core on the CPU.
    """
    specs = list(specs)
    runs = dict(stream(specs, backend=backend, workers=workers, progress=progress, indexed=True))
    return [runs[i] for i in range(len(specs))]


def stream(
    specs: Sequence[RunSpec],
    *,
    backend: str = "auto",
    workers: int | None = None,
    progress: bool = True,
    desc: str = "runs",
    indexed: bool = False,
) -> Iterator[Run] | Iterator[tuple[int, Run]]:
    """Yield each spec's ``Run`` as it finishes (in any order; ``indexed`` yields ``(position
    in specs, Run)``). A progress bar counts the runs done and estimates the time left."""
    specs = list(specs)
    if not specs:
        raise ValueError("run needs at least one RunSpec")
    if not all(isinstance(s, RunSpec) for s in specs):
        raise TypeError("run takes RunSpec objects")
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {BACKENDS}")
    if workers is not None and (not isinstance(workers, int) or workers < 1):
        raise ValueError(f"workers must be a positive int or None, got {workers!r}")
    if workers is None:
        workers = default_workers(specs[0].train.get("device"))
    workers = max(1, min(workers, len(specs)))
    if backend == "auto":
        backend = "serial" if workers == 1 else "processes"
    bar = tqdm(total=len(specs), desc=desc, disable=not progress_enabled(progress), leave=False)
    try:
        for i, run_ in _runs(specs, backend, workers):
            bar.update()
            yield (i, run_) if indexed else run_
    finally:
        bar.close()


def _runs(specs: list[RunSpec], backend: str, workers: int) -> Iterator[tuple[int, Run]]:
    if backend == "serial":
        for i, spec in enumerate(specs):
            yield i, Run(spec, *execute(spec))
        return
    if backend == "ray":
        try:
            from ray.util.joblib import register_ray
        except ImportError as err:
            raise ImportError("backend='ray' needs Ray: pip install 'ray[default]'") from err
        register_ray()
    if backend == "dask":
        try:
            import distributed  # noqa: F401  (joblib's Dask backend lives in distributed)
        except ImportError as err:
            raise ImportError("backend='dask' needs dask.distributed and a Client") from err
    engine = {"processes": "loky", "dask": "dask", "ray": "ray"}[backend]
    n_jobs = workers if backend == "processes" else -1
    # each run sets its own one thread (execute); loky also caps its workers' BLAS pools
    limits = {"inner_max_num_threads": 1} if engine == "loky" else {}
    with parallel_config(backend=engine, n_jobs=n_jobs, **limits):
        share = step_scale()  # the parent's class-scale switch, not the worker's stale copy
        tasks = (delayed(_indexed)(i, spec, share) for i, spec in enumerate(specs))
        for i, weights, history in Parallel(return_as="generator_unordered")(tasks):
            yield i, Run(specs[i], rebuild(specs[i], weights), history)


def _indexed(i: int, spec: RunSpec, share: float = 1.0):
    with scale_as(share):
        return (i, *execute_remote(spec))
