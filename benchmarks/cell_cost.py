"""Which cells of a chapter cost what, in reference-step units: the chapter is executed once
(in a fresh kernel, from the chapter's folder, as the build does) with each cell's start and
end recorded, and the unit is timed in the same run, before and after (their mean divides).

``book_cost.py`` says which chapters are over budget; this says where inside one the time
goes, so that the cells worth moving to the archive (``make experiments``) are the ones that
cost the most. Kernel start and imports are their own row.

    python cell_cost.py ../book/chapters/12_nongated_recurrences.ipynb
    python cell_cost.py ../book/chapters/02_vanishing_and_exploding.ipynb --top 5
    python cell_cost.py --floor    # the fixed cost of any chapter: its set-up cell alone
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
from book_cost import ROOT, reference_step_seconds
from nbclient import NotebookClient

CHAPTERS = ROOT / "book" / "chapters"


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


def setup_only(folder: Path) -> Path:
    """A notebook in ``folder`` holding only the set-up cell the first chapter opens with (the
    library's import and ``rnngrad.setup()``), which every chapter runs before its own work."""
    first = sorted(CHAPTERS.glob("*.ipynb"))[0]
    cells = nbformat.read(first, as_version=4).cells
    setup = next(c for c in cells if c.cell_type == "code" and "rnngrad.setup()" in c.source)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(setup.source)]
    path = folder / "setup_only.ipynb"
    nbformat.write(nb, path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path, nargs="?")
    parser.add_argument("--top", type=int, default=10, help="how many of the costliest cells")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="time the set-up cell alone: every chapter's fixed cost",
    )
    args = parser.parse_args()
    if args.floor == (args.notebook is not None):
        parser.error("give a notebook, or --floor")
    if args.floor:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            return _report(setup_only(Path(folder)), args.top)
    if not args.notebook.exists():
        parser.error(f"no notebook at {args.notebook}")
    return _report(args.notebook, args.top)


def _report(notebook: Path, top: int) -> int:
    before = reference_step_seconds()
    wall, rows = cell_seconds(notebook.resolve())
    unit = (before + reference_step_seconds()) / 2
    cells = sum(s for _, s, _ in rows)
    print(f"{notebook.stem}: {wall:.1f} s ({wall / unit:,.0f} units at {unit * 1000:.1f} ms)")
    print(f"{'cell':>5} {'seconds':>8} {'units':>7}  first line")
    print(f"{'-':>5} {wall - cells:8.1f} {(wall - cells) / unit:7.0f}  (kernel start and overhead)")
    for i, s, first in sorted(rows, key=lambda r: -r[1])[:top]:
        print(f"{i:5d} {s:8.1f} {s / unit:7.0f}  {first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
