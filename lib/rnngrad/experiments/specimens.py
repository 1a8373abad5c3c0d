"""Specimens: a few archived runs kept whole (trained weights and history), so a chapter can
probe what a trained network does without training it again inside the build.

A study names its specimens (``Study.specimens``: arm label, setting, seed and, for a run
cut short, its steps); ``make experiments`` (``scripts/experiments.py --specimens``) re-runs
each, checks its held-out curve against the study's archived record, and saves it under
``results/specimens/<spec hash>.pt`` with its provenance. ``kept(spec)`` gives the model and
history back; a specimen not saved yet is trained on the spot (the same arithmetic, slower).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import torch
from torch import nn

from rnngrad.core.scale import step_scale
from rnngrad.training.loop import History, Stop
from rnngrad.training.spec import RunSpec, execute

from .store import commit, device_name, read, results_dir, spec_hash
from .studies import Study


def specs(study: Study, lrs: dict[str, float]) -> list[RunSpec]:
    """The study's specimens as runs, at the learning rates ``lrs`` chose for their arms."""
    out = []
    for label, setting, seed, steps in study.specimens:
        spec = _archived(study, label, setting, seed, lrs)
        out.append(dataclasses.replace(spec, steps=steps) if steps else spec)
    return out


def _archived(study: Study, label: str, setting, seed: int, lrs: dict[str, float]) -> RunSpec:
    """The study's main run of arm ``label`` at ``setting`` and ``seed``: the run a specimen
    keeps (or, cut short, the run it is checked against)."""
    arm = next((a for a in study.arms if a.label == label), None)
    if arm is None:
        raise ValueError(f"{study.name} has no arm {label!r} for a specimen")
    return study.main_spec(arm, setting, seed=seed, lr=lrs[label])


def path(spec: RunSpec, directory: Path | None = None) -> Path:
    return (directory or results_dir()) / "specimens" / f"{spec_hash(spec)}.pt"


def save(spec: RunSpec, model: nn.Module, history: History, directory: Path | None = None) -> Path:
    """Keep a trained run: its weights, its history and where it was made."""
    target = path(spec, directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.save(
        {
            "spec_hash": spec_hash(spec),
            "state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
            "loss": list(history.loss),
            "grad_norm": list(history.grad_norm),
            "eval_step": list(history.eval_step),
            "eval_metric": list(history.eval_metric),
            "stopped": [history.stopped.reason, history.stopped.step],
            "seconds": history.seconds,
            "provenance": json.dumps(
                {"commit": commit(), "torch": torch.__version__, "device": device_name()}
            ),
        },
        target,
    )
    return target


def kept(spec: RunSpec, directory: Path | None = None) -> tuple[nn.Module, History]:
    """The trained model and history of ``spec``: the saved specimen, or a run trained now
    when none is saved or the class-scale switch shortens runs (``execute``: the same
    arithmetic)."""
    source = path(spec, directory)
    if not source.exists() or step_scale() != 1:  # a class-scale session trains its own, shorter
        return execute(spec)
    stored = torch.load(source, weights_only=True)
    if stored["spec_hash"] != spec_hash(spec):
        raise ValueError(f"{source.name} holds another run than the one asked for")
    model = spec.build()
    model.load_state_dict(stored["state"])
    history = History(
        loss=stored["loss"],
        grad_norm=stored["grad_norm"],
        eval_step=stored["eval_step"],
        eval_metric=stored["eval_metric"],
        stopped=Stop(*stored["stopped"]),
        seconds=stored["seconds"],
    )
    return model, history


def agrees(history: History, record: pd.Series | None) -> bool | None:
    """Whether a specimen's last held-out metric equals its study record's at the same step
    (None when the archive holds no record of the full run, or not that step)."""
    if record is None:
        return None
    curve = dict(map(tuple, json.loads(record["curve"])))
    last = history.eval_step[-1]
    if last not in curve:
        return None
    return abs(curve[last] - round(history.eval_metric[-1], 6)) < 1e-6


def make(study: Study, lrs: dict[str, float], directory: Path | None = None) -> list[str]:
    """Re-run and save every specimen of ``study`` not saved yet; each must agree with its
    archived record (a specimen cut short is checked at its last step). Returns a line per
    specimen."""
    records = read(study.name, directory)
    lines = []
    for spec, (label, setting, seed, _) in zip(specs(study, lrs), study.specimens, strict=True):
        if path(spec, directory).exists():
            lines.append(f"{label}, {setting}, seed {seed}: kept already")
            continue
        model, history = execute(spec)
        full = _archived(study, label, setting, seed, lrs)
        match = records[records["spec_hash"].eq(spec_hash(full))]
        ok = agrees(history, match.iloc[0] if len(match) else None)
        if ok is False:
            raise RuntimeError(
                f"{label}, {setting}, seed {seed}: the re-run differs from its record"
            )
        save(spec, model, history, directory)
        lines.append(
            f"{label}, {setting}, seed {seed}: saved"
            + ("" if ok else " (no archived record to check it against)")
        )
    return lines
