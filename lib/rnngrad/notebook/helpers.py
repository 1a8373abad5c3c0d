"""Small helpers for the chapters, which must also run outside the book (Colab, Binder)."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import torch
from IPython.display import Markdown

from .._version import __version__
from ..core.device import describe, pick_device, set_threads
from ..figures.style import use_book_style


def glue(name: str, value: Any, display: bool = False) -> None:
    """Hand ``value`` to the book's text through myst-nb's ``glue`` when it is installed (the
    book build); elsewhere (Colab) just show it when asked."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


def glue_all(values: Mapping[str, Any]) -> None:
    """``glue`` every ``name -> value`` of ``values``, in order: one call gathers a section's
    numbers for the prose, after the cells that computed them."""
    for name, value in values.items():
        glue(name, value)


def difference(value: float, digits: int = 0) -> str:
    """A measured difference as the prose states it: ``"exactly 0"`` when the two agree to
    the last bit, otherwise scientific notation (``3e-07``) with ``digits`` decimals."""
    value = float(value)
    if value != value or value < 0:  # NaN or negative: not a difference
        raise ValueError(f"a difference is a non-negative number, got {value!r}")
    return "exactly 0" if value == 0 else f"{value:.{digits}e}"


def show_source(*functions: Callable) -> Markdown:
    """The library's own source of ``functions``, as a highlighted code block: a chapter shows
    the code it runs (and the tests check), never a copy of it."""
    blocks = [inspect.getsource(fn).rstrip() for fn in functions]
    return Markdown("```python\n" + "\n\n\n".join(blocks) + "\n```")


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> Markdown:
    """A Markdown table (shown by a notebook, and typeset by the book in HTML and PDF). A ``|``
    inside a header or a cell (``|x - y|``) is escaped, so it does not end the cell."""

    def cell(value: Any) -> str:
        return re.sub(r"(?<!\\)\|", r"\\|", str(value))  # an escaped one stays as it is

    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row {row!r} has {len(row)} cells, expected {len(headers)}")
        lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    return Markdown("\n".join(lines))


def setup(threads: int | None = None) -> torch.device:
    """What every chapter's first cell calls: pick the device (``pick_device``), set the
    thread count (``set_threads``) and the figure style, print where the chapter runs, and
    return the device."""
    device = pick_device()
    set_threads(threads)
    use_book_style()
    print(f"rnngrad {__version__} running on {describe(device)}")
    return device


# Every chapter's first code cell, word for word (tests/delivery/test_repository.py checks it). It
# installs the library only when it is missing (Colab), so nothing that a reader's environment
# already has is upgraded under a running kernel. It clones the repository rather than
# installing the package from git: the chapters read the archived studies in its ``results/``,
# which a package does not carry (``experiments.results_dir`` finds them beside ``lib/``).
SETUP_CELL = """\
import importlib.util, os, subprocess, sys  # noqa: E401, I001
if importlib.util.find_spec("rnngrad") is None:  # Colab: fetch the book's library and results
    subprocess.run(["git", "clone", "-q", "--depth", "1", "{url}", "gtt"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-e", "gtt"], check=True)
    sys.path.insert(0, os.path.abspath("gtt/lib"))  # a restarted kernel finds it installed
import rnngrad  # noqa: E402, I001
device = rnngrad.setup()  # device, threads and figure style; prints where the chapter runs"""
