"""Which cells of a chapter cost what, in reference-step units: the chapter is executed once
(in a fresh kernel, from the chapter's folder, as the build does) with each cell's start and
end recorded, and the unit is timed in the same run, before and after (their mean divides).

``book_cost.py`` says which chapters are over budget; this says where inside one the time
goes, so that the cells worth moving to the archive (``make experiments``) are the ones that
cost the most. Kernel start and imports are their own row.

    python cell_cost.py ../book/chapters/12_nongated_recurrences.ipynb
    python cell_cost.py ../book/chapters/02_vanishing_and_exploding.ipynb --top 5
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from book_cost import reference_step_seconds
from nbclient import NotebookClient


def _seconds(cell) -> float | None:
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None  # not executed (a skipped cell, markdown)
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def cell_seconds(path: Path, timeout: int = 1800) -> tuple[float, list[tuple[int, float, str]]]:
    """(wall seconds of the whole execution, [(cell index, seconds, first line)] per executed
    code cell)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=True,
        resources={"metadata": {"path": str(path.parent)}},
    )  # fmt: skip
    start = time.perf_counter()
    client.execute()
    wall = time.perf_counter() - start
    rows = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and (s := _seconds(cell)) is not None:
            first = next((line for line in cell.source.splitlines() if line.strip()), "")
            rows.append((i, s, first[:60]))
    return wall, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--top", type=int, default=10, help="how many of the costliest cells")
    args = parser.parse_args()
    if not args.notebook.exists():
        parser.error(f"no notebook at {args.notebook}")
    before = reference_step_seconds()
    wall, rows = cell_seconds(args.notebook.resolve())
    unit = (before + reference_step_seconds()) / 2
    cells = sum(s for _, s, _ in rows)
    print(f"{args.notebook.stem}: {wall:.1f} s ({wall / unit:,.0f} units at {unit * 1000:.1f} ms)")
    print(f"{'cell':>5} {'seconds':>8} {'units':>7}  first line")
    print(f"{'-':>5} {wall - cells:8.1f} {(wall - cells) / unit:7.0f}  (kernel start and overhead)")
    for i, s, first in sorted(rows, key=lambda r: -r[1])[: args.top]:
        print(f"{i:5d} {s:8.1f} {s / unit:7.0f}  {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
