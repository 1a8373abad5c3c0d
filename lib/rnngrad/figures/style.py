"""The book's figure style: colours, rcParams and a blank figure to draw on.

Figures are built on ``matplotlib.figure.Figure`` directly (not pyplot), so drawing one never
leaves a stray figure behind in a notebook; every figure has a white background, which
stays readable when the book is in dark mode.
"""

from __future__ import annotations

import math

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, NullFormatter

COLORS = {
    "rnn": "#d62728",
    "lstm": "#1f77b4",
    "gru": "#2ca02c",
    "bound": "#7f7f7f",
    "linear": "#9467bd",
    "tanh": "#d62728",
}
VANISH, EXPLODE = 1e-6, 1e6

STYLE = {
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "font.size": 10,
    "legend.frameon": False,
    "figure.dpi": 110,
}


def use_book_style() -> None:
    """Apply the book's style to every later figure; in a notebook kernel also switch on the
    inline display of figures, so a chapter can end a cell with ``fig``."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if getattr(shell, "kernel", None) is not None:  # a Jupyter kernel, not a plain script
        shell.run_line_magic("matplotlib", "inline")
    mpl.rcParams.update(STYLE)


def new_figure(width: float = 6.4, height: float = 3.6, ncols: int = 1) -> tuple[Figure, list]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols, squeeze=False)[0].tolist()
    return fig, axes


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_of_ten(value: float, _pos=None) -> str:
    """'10⁻⁶' for 1e-6 (Unicode superscripts), '' between the powers of ten."""
    if not value > 0:
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return "10" + str(round(exponent)).translate(_SUPERSCRIPT)


def plain_log_ticks(ax) -> None:
    """Label a log-scaled y axis 10⁻⁶, 10⁰, ... in plain text rather than mathtext: an
    explorer draws dozens of frames, and parsing the tick labels as mathtext was half the
    time of each."""
    ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
    ax.yaxis.set_minor_formatter(NullFormatter())
