"""The results archive: one record per training run of a study, in ``results/<study>.csv``.

A record holds what the run was (its spec's hash, cell, start, setting, learning rate, seed,
budget, hidden size and parameter count), what it did (final and best held-out metric, the
step it reached its target, whether it diverged, its held-out curve down-sampled to at most
``CURVE_POINTS`` points) and where and when it ran (device, torch version, commit, seconds,
date). CSV, so pandas reads it (``read(study)``) and a diff shows what a re-run changed.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import hashlib
import inspect
import json
import math
import os
import platform
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from ..models.registry import make_model
from ..training.loop import History, train
from ..training.spec import RunSpec

CURVE_POINTS = 50
COLUMNS = (
    "study", "spec_hash", "cell", "start", "setting", "lr", "seed", "steps", "hidden_size",
    "params", "final_metric", "best_metric", "solved_at", "steps_run", "diverged", "curve",
    "seconds", "device", "torch", "commit", "created",
)  # fmt: skip
# What a run gets when its spec leaves them out: the defaults of train and make_model.
_DEFAULT_LR = inspect.signature(train).parameters["lr"].default
_DEFAULT_HIDDEN = inspect.signature(make_model).parameters["hidden_size"].default
# Options that say where a run executes, not what it computes: left out of the spec's hash.
_PLACE = ("device", "progress")


def results_dir() -> Path:
    """``$RNNGRAD_RESULTS``, else the repository's ``results/`` beside ``lib/``."""
    if os.environ.get("RNNGRAD_RESULTS"):
        return Path(os.environ["RNNGRAD_RESULTS"])
    return Path(__file__).resolve().parents[3] / "results"


def describe_spec(spec: RunSpec) -> dict:
    """Everything that determines a run's numbers, as plain JSON-able values."""
    task = spec.task
    fields = dataclasses.asdict(task) if dataclasses.is_dataclass(task) else dict(vars(task))
    return {
        "cell": spec.cell,
        "task": {"class": type(task).__name__, **{k: fields[k] for k in sorted(fields)}},
        "steps": spec.steps,
        "seed": spec.seed,
        "setting": spec.setting,
        "model": dict(sorted(spec.model.items())),
        "train": {k: v for k, v in sorted(spec.train.items()) if k not in _PLACE},
        "start": repr(spec.start),
    }


def spec_hash(spec: RunSpec) -> str:
    """A short, stable hash of ``describe_spec``: the same spec, the same hash, anywhere."""
    text = json.dumps(describe_spec(spec), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@functools.cache
def commit() -> str:
    """The repository's commit (``+`` when its library has uncommitted changes), or ''. Read
    once per process (``archive.run_study`` reads it before its first run), so every record names
    the code the process loaded, not a commit made while it ran."""
    try:
        head = _git("rev-parse", "--short=12", "HEAD")
        dirty = _git("status", "--porcelain", "lib")
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("+" if dirty and head else "")  # fmt: skip


def _git(*args: str) -> str:
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
    return done.stdout.strip()


def device_name(device: torch.device | str = "cpu") -> str:
    """'cpu (Intel Xeon ...)' or 'cuda (NVIDIA H100 ...)': the machine a record ran on."""
    device = torch.device(device)
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"cpu ({platform.processor() or platform.machine()})"


def curve(history: History, points: int = CURVE_POINTS) -> list[list[float]]:
    """The held-out curve [[step, metric], ...] thinned to at most ``points`` points (the last
    evaluation always kept)."""
    pairs = list(zip(history.eval_step, history.eval_metric, strict=True))
    if len(pairs) > points:
        stride = math.ceil(len(pairs) / points)
        pairs = pairs[::stride][: points - 1] + [pairs[-1]]
    return [[s, round(m, 6)] for s, m in pairs]


def make_record(study: str, spec: RunSpec, model: nn.Module, history: History) -> dict:
    """The archive's record of one finished run."""
    higher = spec.task.higher_is_better
    metrics = [m for m in history.eval_metric if math.isfinite(m)]
    best = (max(metrics) if higher else min(metrics)) if metrics else math.nan
    return {
        "study": study,
        "spec_hash": spec_hash(spec),
        "cell": spec.cell,
        "start": getattr(
            spec.start, "label", "default" if spec.start is None else repr(spec.start)
        ),
        "setting": spec.setting,
        "lr": spec.train.get("lr", _DEFAULT_LR),
        "seed": spec.seed,
        "steps": spec.steps,
        "hidden_size": spec.model.get("hidden_size", _DEFAULT_HIDDEN),
        "params": sum(p.numel() for p in model.parameters()),
        "final_metric": math.nan if history.diverged else history.final_metric,
        "best_metric": best,
        "solved_at": history.solved_at if history.solved_at is not None else "",
        "steps_run": history.steps,
        "diverged": history.diverged,
        "curve": json.dumps(curve(history)),
        "seconds": round(history.seconds, 2),
        "device": device_name(spec.train.get("device", "cpu")),
        "torch": torch.__version__,
        "commit": commit(),
        "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def read(study: str, directory: Path | None = None) -> pd.DataFrame:
    """Every record of ``study`` (an empty frame with the archive's columns when the study has
    not run yet). Raises ``FileNotFoundError`` when the archive itself is missing (a library
    installed without its repository), rather than showing every study as not run."""
    directory = directory or results_dir()
    if not directory.is_dir():
        raise FileNotFoundError(
            f"the results archive is not at {directory}: the chapters read the studies archived in "
            "the repository's results/. Install the library from a clone of the repository (as the "
            "chapters' first cell does), or set RNNGRAD_RESULTS to that folder."
        )
    path = directory / f"{study}.csv"
    if not path.exists():
        return pd.DataFrame(columns=list(COLUMNS))
    frame = pd.read_csv(path, keep_default_na=True)
    frame["solved_at"] = pd.to_numeric(frame["solved_at"], errors="coerce")
    return frame


def append(record: dict, directory: Path | None = None) -> Path:
    """Add one record to its study's file (written at once: an interrupted study keeps every
    run that finished)."""
    directory = directory or results_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{record['study']}.csv"
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(record)
    return path
