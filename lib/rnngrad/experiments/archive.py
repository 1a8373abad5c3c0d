"""Run studies into the archive and check the archive against the studies.

* ``specs(study, part)``: the declared runs of a study's ``pilot`` or ``main`` part (the main
  part's learning rates come from the pilot's records by ``choose_lrs``).
* ``status(study)``: per part, how many runs are declared, stored, still to run, and *stale*
  (stored under a spec the study no longer declares: the study changed since they ran).
* ``run_study(study, ...)``: run what is missing (resumable: a stored run is never run again;
  an interrupted run starts over), on the one runner, storing each record as it finishes.
* ``reproduce(study)``: re-run the study's CI sample and compare it with the stored records.
* ``provenance(frame)``: the line under an archived figure or table: where, when, what commit
  and how much run time its runs took.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch

from ..training import runner
from ..training.spec import RunSpec, execute
from .store import append, commit, make_record, read, results_dir, spec_hash
from .studies import STUDIES, Study, choose_lrs

PARTS = ("pilot", "main")


def study_named(name: str) -> Study:
    if name not in STUDIES:
        raise ValueError(f"unknown study {name!r}; expected one of {sorted(STUDIES)}")
    return STUDIES[name]


def file_of(study: Study, part: str) -> str:
    if part not in PARTS:
        raise ValueError(f"part must be one of {PARTS}, got {part!r}")
    return study.pilot_name if part == "pilot" else study.name


def specs(study: Study, part: str, directory: Path | None = None) -> list[RunSpec]:
    """The runs ``part`` of ``study`` declares (the main part needs a complete pilot)."""
    if part == "pilot":
        return study.pilot_specs(read(study.pilot_name, directory))
    file_of(study, part)
    return study.main_specs(choose_lrs(study, read(study.pilot_name, directory)))


@dataclass
class Status:
    part: str
    declared: int
    stored: int
    missing: int
    stale: int

    @property
    def complete(self) -> bool:
        return self.missing == 0 and self.stale == 0


def status(study: Study, directory: Path | None = None) -> list[Status]:
    """Per part: declared, stored, missing and stale runs (the main part counts as all
    missing while its pilot is incomplete)."""
    out = []
    for part in PARTS:
        stored = read(file_of(study, part), directory)
        hashes = set(stored["spec_hash"])
        try:
            declared = {spec_hash(s) for s in specs(study, part, directory)}
        except ValueError:  # the pilot has not chosen every learning rate yet
            n = len(study.arms) * len(study.settings) * len(study.seeds)
            out.append(Status(part, n, len(hashes), n, 0))
            continue
        out.append(
            Status(part, len(declared), len(hashes & declared), len(declared - hashes),
                   len(hashes - declared))
        )  # fmt: skip
    return out


def prune_stale(study: Study, directory: Path | None = None) -> int:
    """Remove the stored records of ``study`` that none of its declared specs has any more
    (e.g. after its pilot chose another learning rate); returns how many. A part whose specs
    cannot be declared yet (the main part while its pilot is incomplete) is left alone."""
    gone = 0
    for part in PARTS:
        try:
            declared = {spec_hash(s) for s in specs(study, part, directory)}
        except ValueError:
            continue
        frame = read(file_of(study, part), directory)
        keep = frame["spec_hash"].isin(declared)
        if not keep.all():
            path = (directory or results_dir()) / f"{file_of(study, part)}.csv"
            raw = pd.read_csv(path, dtype=str, keep_default_na=False)  # rewrite rows verbatim
            raw[raw["spec_hash"].isin(declared)].to_csv(path, index=False, lineterminator="\r\n")
            gone += int((~keep).sum())
    return gone


def run_study(
    study: Study,
    part: str,
    *,
    start: int = 0,
    stop: int | None = None,
    workers: int | None = None,
    backend: str = "auto",
    directory: Path | None = None,
    progress: bool = True,
) -> int:
    """Run the declared runs of ``part`` not yet stored (those in ``[start:stop]`` of the
    missing list) and store each as it finishes. Returns how many ran."""
    commit()  # the code this process loaded, named before anything can change it
    stored = set(read(file_of(study, part), directory)["spec_hash"])
    todo = [s for s in specs(study, part, directory) if spec_hash(s) not in stored][start:stop]
    if not todo:
        return 0
    name = file_of(study, part)
    for run in runner.stream(todo, backend=backend, workers=workers, progress=progress,
                             desc=f"{name}"):  # fmt: skip
        append(make_record(name, run.spec, run.model, run.history), directory)
    return len(todo)


@dataclass
class Reproduction:
    spec_hash: str
    label: str
    exact: bool  # same torch version and device type: the numbers must be identical
    stored: dict
    again: dict
    every: int = 100  # the run's evaluation interval: the resolution of its step at the target

    @property
    def agrees(self) -> bool:
        stored, again = self.stored, self.again
        if self.exact:
            keys = ("final_metric", "solved_at", "steps_run", "diverged")
            same = all(_same(stored[k], again[k]) for k in keys)
            return same and json.loads(stored["curve"]) == json.loads(again["curve"])
        solved = [not _missing(r["solved_at"]) for r in (stored, again)]
        if solved[0] != solved[1] or bool(stored["diverged"]) != bool(again["diverged"]):
            return False
        if solved[0] and abs(float(stored["solved_at"]) - float(again["solved_at"])) > self.every:
            return False  # the verdicts compare this step: at most one evaluation apart
        return math.isclose(stored["final_metric"], again["final_metric"], rel_tol=0.1)


TOLERANCE = (
    "identical final metric, step at the target, steps run, divergence and curve when the torch "
    "version and device type match the record's; otherwise the same outcome (reached the target "
    "or not, diverged or not), the step at the target within one evaluation interval, and a "
    "final metric within 10 %"
)


def _missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _same(a, b) -> bool:
    if _missing(a) or _missing(b):  # a stored NaN is a record's empty field ("never")
        return _missing(a) and _missing(b)
    return str(a) == str(b) if isinstance(a, (bool, str)) or isinstance(b, (bool, str)) else a == b


def _sample(study: Study, directory: Path | None) -> list[tuple[str, RunSpec, str]]:
    """The runs ``reproduce`` re-runs, as (file, spec, label): the study's ``reproduce`` list
    from the main runs, and one pilot run (the first sample arm at the learning rate the pilot
    chose for it, on the first pilot seed), so the runs that chose the learning rates are
    checked too. While the main part is not stored, only the pilot's run."""
    lrs = choose_lrs(study, read(study.pilot_name, directory))
    first = study.arms[study.reproduce[0][0]]
    lr = lrs.get(first.label, study.lrs[0])
    seed = study.pilot_seeds[0]
    out = [(study.pilot_name, study.pilot_spec(first, seed, lr),
            f"pilot: {first.label}, lr {lr:g}, seed {seed}")]  # fmt: skip
    if read(study.name, directory).empty:
        return out
    for arm_index, setting, seed in study.reproduce:
        arm = study.arms[arm_index]
        spec = study.main_spec(arm, setting, seed, lrs[arm.label])
        out.append((study.name, spec, f"{arm.label}, {setting}, seed {seed}"))
    return out


def reproduce(study: Study, directory: Path | None = None) -> list[Reproduction]:
    """Re-run the study's CI sample (``_sample``), each run for its full budget on this
    machine's CPU, and compare it with its stored record."""
    out = []
    for name, spec, label in _sample(study, directory):
        by_hash = {row["spec_hash"]: row for row in read(name, directory).to_dict("records")}
        h = spec_hash(spec)
        if h not in by_hash:
            raise ValueError(f"{name}: the sample run {label} is not stored")
        model, history = execute(spec)
        again = make_record(name, spec, model, history)
        record = by_hash[h]
        exact = record["torch"] == torch.__version__ and str(record["device"]).split()[0] == "cpu"
        every = spec.train.get("eval_every", 100)
        out.append(Reproduction(h, label, exact, record, again, every))
    return out


def provenance(frame: pd.DataFrame) -> str:
    """'N runs, cpu (x86_64), 2026-12-07 to 2026-12-08, commit abc123, 3.2 hours of run time'
    (minutes below an hour and a half, so that short studies do not read '0.0 hours')."""
    if frame.empty:
        return "no runs stored yet"
    days = sorted(str(c)[:10] for c in frame["created"])
    when = days[0] if days[0] == days[-1] else f"{days[0]} to {days[-1]}"
    commits = sorted(set(map(str, frame["commit"])))
    devices = sorted(set(map(str, frame["device"])))
    seconds = frame["seconds"].sum()
    minutes = max(round(seconds / 60), 1)
    took = (f"{seconds / 3600:.1f} hours" if seconds >= 5400
            else f"{minutes} minute{'s' if minutes > 1 else ''}")  # fmt: skip
    return (f"{len(frame)} runs on {', '.join(devices)}, {when}, commit "
            f"{', '.join(commits)}, torch {', '.join(sorted(set(map(str, frame['torch']))))}, "
            f"{took} of run time")  # fmt: skip
