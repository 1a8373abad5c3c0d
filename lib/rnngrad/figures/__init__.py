"""Layer 6 (beside ``experiments``, independent of it): the book's figures. Every function here draws data it is given; none measures or
trains (``rnngrad.notebook.frames`` pairs a measurement with its figure for the explorers).

Naming rule: a module per subject (``gated``, ``nongated``, ``linear``, ``selective``,
``matrix`` cells; ``runs`` of many trainings; ``diagrams`` drawn by hand; ``style``; ``chart``, a
figure as data for the browser, and ``charts``, the explorers' figures as charts), and every
function that
returns a figure ends in ``_figure``, except the ``runs`` helpers that draw onto given axes.

May import: every layer below (for constants and types); matplotlib.
"""

from . import chart, charts, diagrams, gated, linear, matrix, nongated, runs, selective, style
from .style import COLORS, new_figure

__all__ = [
    "COLORS",
    "chart",
    "charts",
    "diagrams",
    "gated",
    "linear",
    "matrix",
    "new_figure",
    "nongated",
    "runs",
    "selective",
    "style",
]
