"""Layer 7, the top: what the chapters call around the science.

* ``explore``  slider explorers: live in a kernel, frames in the static HTML, a still in the PDF
* ``frames``   each explorer's frame: a measurement (``rnngrad.measure``) drawn by its figure
* ``helpers``  glue, tables, the chapters' set-up cell and ``show_source``

May import: every layer.
"""

from . import explore, frames, helpers
from .explore import Explorer, Slider
from .helpers import difference, glue, glue_all, setup, show_source, table

__all__ = [
    "Explorer",
    "Slider",
    "difference",
    "explore",
    "frames",
    "glue",
    "glue_all",
    "helpers",
    "setup",
    "show_source",
    "table",
]
