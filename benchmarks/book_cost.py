"""What each chapter costs to execute, in reference-step units, and whether the book fits its
budget.

A *unit* is one Adam step of ``nn.LSTM`` (hidden 64, batch 64, T = 100, the thread count the
book uses), timed here, in this run. Chapter times come from the last build's execution
cache (``book/_build/.jupyter_cache``, where myst-nb records each notebook's execution
seconds), or from ``--seconds NAME=SECONDS`` for a chapter timed on its own. Dividing one by
the other makes the numbers comparable across machines that differ ~3x in speed.

Budget: every chapter at most 4,000 units, the whole book at most 30,000.

    python book_cost.py                      # from the last build
    python book_cost.py --seconds 05_benchmarks=95.2
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

import torch
from common import best_seconds

import rnngrad

CHAPTER_BUDGET, BOOK_BUDGET = 4_000, 30_000
ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "book" / "_build" / ".jupyter_cache" / "global.db"


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


def cached_seconds(cache: Path = CACHE) -> dict[str, float]:
    """Execution seconds of each notebook's newest record in the build's cache."""
    if not cache.exists():
        return {}
    con = sqlite3.connect(f"file:{cache}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT uri, data, created FROM nbcache ORDER BY created").fetchall()
    finally:
        con.close()
    seconds = {}
    for uri, data, _ in rows:  # later records replace earlier ones
        value = json.loads(data or "{}").get("execution_seconds")
        if value is not None:
            seconds[Path(uri).stem] = float(value)
    return seconds


def report(seconds: dict[str, float], unit: float) -> tuple[list[str], bool]:
    """Lines of the table, and whether everything is within budget."""
    lines = [f"reference step: {unit * 1000:.1f} ms (1 unit)", ""]
    lines.append(f"{'chapter':32} {'seconds':>8} {'units':>8}")
    total, ok = 0.0, True
    for name in sorted(seconds):
        units = seconds[name] / unit
        total += units
        flag = "  OVER BUDGET" if units > CHAPTER_BUDGET else ""
        ok &= not flag
        lines.append(f"{name:32} {seconds[name]:8.1f} {units:8.0f}{flag}")
    flag = "  OVER BUDGET" if total > BOOK_BUDGET else ""
    ok &= not flag
    lines.append(f"{'book':32} {sum(seconds.values()):8.1f} {total:8.0f}{flag}")
    lines.append(f"(budget: {CHAPTER_BUDGET:,} units a chapter, {BOOK_BUDGET:,} the book)")
    return lines, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", nargs="*", default=[], metavar="NAME=SECONDS")
    parser.add_argument("--strict", action="store_true", help="exit 1 when over budget")
    args = parser.parse_args()
    seconds = cached_seconds()
    for item in args.seconds:
        name, value = item.split("=")
        seconds[Path(name).stem] = float(value)
    if not seconds:
        print("no execution times: build the book first (make book), or pass --seconds")
        return 1 if args.strict else 0
    lines, ok = report(seconds, reference_step_seconds())
    print("\n".join(lines))
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
