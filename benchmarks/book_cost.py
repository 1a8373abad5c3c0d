"""What each chapter costs to execute, in reference-step units, and whether the book fits its
budget.

A *unit* is one Adam step of ``nn.LSTM`` (hidden 64, batch 64, T = 100, the thread count the
book uses). Chapter times come from the build's execution cache
(``book/_build/.jupyter_cache``, where myst-nb records each notebook's execution seconds), or
from ``--seconds NAME=SECONDS`` for a chapter timed on its own. Dividing one by the other
makes the numbers comparable across machines that differ ~3x in speed.

Absolute times also swing within one machine (the same chapter by up to ~40 % between
builds), so the unit is timed in the *same run* as the chapters: ``make book`` calls
``book_cost.py --record`` right after it executes them, which appends the unit with its time
to ``book/_build/reference_steps.json``. Each chapter is divided by the first unit recorded
after its execution; a chapter with none (or ``--seconds``) by a unit timed now. The report
also prints the unit timed now, for comparison.

Budget: every chapter at most 3,000 units, the whole (cold) book at most 15,000.

    python book_cost.py                      # from the last build
    python book_cost.py --record             # time a unit and keep it (make book does this)
    python book_cost.py --seconds 05_benchmarks=95.2
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

import torch
from common import best_seconds

import rnngrad

CHAPTER_BUDGET, BOOK_BUDGET = 3_000, 15_000  # the project's budget: a chapter, the cold book
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "book" / "_build" / ".jupyter_cache" / "global.db"
UNITS = ROOT / "book" / "_build" / "reference_steps.json"


def reference_step_seconds() -> float:
    """Seconds for one Adam step of the reference LSTM, with the book's threads."""
    rnngrad.set_threads()
    task = rnngrad.AddingProblem(100)
    torch.manual_seed(0)
    model = rnngrad.make_model("lstm", task, hidden_size=64).cpu()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(0)

    def step() -> None:
        x, y = task.sample(64, g)
        loss = task.loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

    return best_seconds(step, repeats=5, number=10)


def cached_runs(cache: Path = CACHE) -> dict[str, tuple[float, datetime]]:
    """(execution seconds, when it was recorded, UTC) of each notebook's newest record in the
    build's cache."""
    if not cache.exists():
        return {}
    con = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT uri, data, created FROM nbcache ORDER BY created").fetchall()
    finally:
        con.close()
    runs = {}
    for uri, data, created in rows:  # later records replace earlier ones
        value = json.loads(data or "{}").get("execution_seconds")
        if value is not None:
            runs[Path(uri).stem] = (float(value), datetime.fromisoformat(created))
    return runs


def cached_seconds(cache: Path = CACHE) -> dict[str, float]:
    """Execution seconds of each notebook's newest record in the build's cache."""
    return {name: seconds for name, (seconds, _) in cached_runs(cache).items()}


def record_unit(seconds: float, path: Path = UNITS, keep: int = 50) -> None:
    """Append a unit timed now (UTC, like the cache's records) to ``path``."""
    units = recorded_units(path)[-(keep - 1) :]
    units.append((datetime.now(UTC).replace(tzinfo=None), seconds))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([{"at": t.isoformat(), "seconds": u} for t, u in units], indent=1))


def recorded_units(path: Path = UNITS) -> list[tuple[datetime, float]]:
    """The units ``record_unit`` kept, oldest first."""
    if not path.exists():
        return []
    return sorted(
        (datetime.fromisoformat(r["at"]), r["seconds"]) for r in json.loads(path.read_text())
    )


def unit_after(when: datetime, units: list[tuple[datetime, float]]) -> float | None:
    """The first unit recorded at or after ``when`` (the same build's), or None."""
    return next((u for t, u in units if t >= when), None)


def report(
    seconds: dict[str, float], unit: float | dict[str, float], now: float | None = None
) -> tuple[list[str], bool]:
    """Lines of the table, and whether everything is within budget. ``unit`` is one unit's
    seconds, or each chapter's own (timed in the run that executed it); ``now`` a unit timed
    now, printed for comparison."""
    units_of = unit if isinstance(unit, dict) else dict.fromkeys(seconds, unit)
    spread = sorted(set(units_of.values()))
    lines = [f"reference step: {spread[0] * 1000:.1f} ms (1 unit)"]
    if len(spread) > 1:
        lines[0] = (
            f"reference step: {spread[0] * 1000:.1f} to {spread[-1] * 1000:.1f} ms "
            "(1 unit, timed in the build that executed each chapter)"
        )
    if now is not None:
        lines.append(f"reference step timed now: {now * 1000:.1f} ms")
    lines += ["", f"{'chapter':32} {'seconds':>8} {'ms/unit':>8} {'units':>8}"]
    total, ok = 0.0, True
    for name in sorted(seconds):
        units = seconds[name] / units_of[name]
        total += units
        flag = "  OVER BUDGET" if units > CHAPTER_BUDGET else ""
        ok &= not flag
        ms = units_of[name] * 1000
        lines.append(f"{name:32} {seconds[name]:8.1f} {ms:8.1f} {units:8.0f}{flag}")
    flag = "  OVER BUDGET" if total > BOOK_BUDGET else ""
    ok &= not flag
    lines.append(f"{'book':32} {sum(seconds.values()):8.1f} {'':8} {total:8.0f}{flag}")
    lines.append(f"(budget: {CHAPTER_BUDGET:,} units a chapter, {BOOK_BUDGET:,} the book)")
    return lines, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", nargs="*", default=[], metavar="NAME=SECONDS")
    parser.add_argument("--strict", action="store_true", help="exit 1 when over budget")
    parser.add_argument("--record", action="store_true", help="time a unit and keep it")
    args = parser.parse_args()
    now = reference_step_seconds()
    if args.record:
        record_unit(now)
        print(f"reference step: {now * 1000:.1f} ms, kept in {UNITS.relative_to(ROOT)}")
        return 0
    runs, units = cached_runs(), recorded_units()
    seconds = {name: s for name, (s, _) in runs.items()}
    unit = {name: unit_after(when, units) or now for name, (_, when) in runs.items()}
    for item in args.seconds:
        name, value = item.split("=")
        seconds[Path(name).stem] = float(value)
        unit[Path(name).stem] = now
    if not seconds:
        print("no execution times: build the book first (make book), or pass --seconds")
        return 1 if args.strict else 0
    lines, ok = report(seconds, unit, now)
    print("\n".join(lines))
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
