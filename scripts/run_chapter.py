"""Run a chapter's code cells as one plain Python script (no Jupyter needed), e.g. to time a
chapter on a GPU machine: ``python scripts/run_chapter.py book/chapters/01_*.ipynb``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def chapter_source(path: Path) -> str:
    cells = json.loads(path.read_text())["cells"]
    return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def main(paths: list[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    for name in paths:
        start = time.perf_counter()
        code = compile(chapter_source(Path(name)), name, "exec")
        exec(code, {"__name__": "__main__"})
        print(f"{name}: {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
