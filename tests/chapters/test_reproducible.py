"""Two executions, the same numbers: a cheap chapter executed twice from scratch glues
identical values (timings aside).

Catches: an unseeded draw anywhere in the chapter or the library it calls (a model built
without its seed, a batch drawn from the global generator, a dict iterated in hash order):
the book's numbers would change from build to build."""

import json
import os

import nbformat
import pytest

from conftest import BOOK, slow_timeout

CHAPTER = BOOK / "chapters" / "01_recurrence_and_bptt.ipynb"
TIMINGS = ("_ms", "_seconds", "_time")


def _glued(tmp_path, run: int) -> dict[str, str]:
    from nbclient import NotebookClient

    nb = nbformat.read(CHAPTER, as_version=4)
    folder = tmp_path / str(run)
    folder.mkdir()
    env = {"TQDM_DISABLE": "1", "PYTHONHASHSEED": "0", "MPLBACKEND": "agg"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        NotebookClient(nb, timeout=int(slow_timeout(120)), kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()  # fmt: skip
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name and not name.endswith(TIMINGS):
                values[name] = json.dumps(out["data"], sort_keys=True)
    return values


@pytest.mark.book
def test_a_chapter_executed_twice_glues_the_same_values(tmp_path):
    first, second = _glued(tmp_path, 1), _glued(tmp_path, 2)
    assert first, "the chapter glued nothing"
    assert sorted(first) == sorted(second), "the two executions glued different names"
    differ = sorted(k for k in first if first[k] != second.get(k))
    assert not differ, f"values that changed between two executions: {differ}"
