"""A figure as data, for the browser: what an explorer's chart draws in the HTML book.

An explorer's matplotlib figure (the kernel's live image, the PDF's still) is drawn from the
same measured arrays as its *chart*, a plain description of the figure (panels of lines,
reference rules, marks and bands, with axis labels, scales and limits) that the book's page
draws with uPlot (``book/_assets/rnngrad-explorer.js``). A chart holds no pixels: the page
receives every slider position's chart as numbers (a few kB each) instead of a picture, so a
slider can have dozens of positions at the cost of a measurement each.

Text is plain Unicode (σ, ∂, ‖, subscripts), not TeX: the browser's canvas does not typeset.
Colours and line styles are the book's (``style.COLORS``), so chart and figure look alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .style import COLORS

Dash = tuple[float, ...] | None
DASHED, DOTTED, DASH_DOT = (6.0, 4.0), (2.0, 3.0), (6.0, 3.0, 2.0, 3.0)


@dataclass
class Line:
    """A curve over the panel's x; NaN leaves a gap. ``label`` None: not in the legend."""

    y: np.ndarray
    color: str
    label: str | None = None
    width: float = 2.0
    dash: Dash = None
    marker: float = 0.0  # dot radius in px; 0: none
    stroke: bool = True  # False: dots only


@dataclass
class Rule:
    """A horizontal (``axis="y"``) or vertical (``axis="x"``) line across the panel at
    ``value``; NaN: not drawn in this frame."""

    value: float
    axis: str = "y"
    color: str = COLORS["bound"]
    label: str | None = None
    width: float = 1.0
    dash: Dash = DASHED


@dataclass
class Mark:
    """One dot at (x, y); NaN: not drawn in this frame."""

    x: float
    y: float
    color: str
    label: str | None = None
    size: float = 4.0


@dataclass
class Band:
    """A horizontal band from ``lo`` to ``hi`` (shading, e.g. 'vanished')."""

    lo: float
    hi: float
    color: str
    alpha: float = 0.07


@dataclass
class Panel:
    """One set of axes: ``x`` shared by its lines."""

    x: np.ndarray
    xlabel: str
    ylabel: str
    ylim: tuple[float, float]
    lines: list[Line] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    bands: list[Band] = field(default_factory=list)
    ylog: bool = False
    xlog: bool = False
    xlim: tuple[float, float] | None = None
    yticks: list[float] | None = None
    title: str = ""
    legend_title: str = ""

    def to_dict(self) -> dict:
        x = np.asarray(self.x, dtype=float)
        lo, hi = self.ylim
        if self.ylog and not 0 < lo < hi:
            raise ValueError(f"a log axis needs 0 < ylim[0] < ylim[1], got {self.ylim}")
        lines = []
        for line in self.lines:
            y = np.asarray(line.y, dtype=float)
            if y.shape != x.shape:
                raise ValueError(f"line {line.label!r} has {y.shape} points, x has {x.shape}")
            if self.ylog:  # no log of 0 or less: a gap, as matplotlib leaves one
                y = np.where(y > 0, y, np.nan)
            lines.append({**_style(line), "y": y})
        xlim = self.xlim or (float(x.min()), float(x.max()))
        return {
            "x": x,
            "xlabel": self.xlabel,
            "ylabel": self.ylabel,
            "title": self.title,
            "legendTitle": self.legend_title,
            "ylog": self.ylog,
            "xlog": self.xlog,
            "xlim": [float(v) for v in xlim],
            "ylim": [float(lo), float(hi)],
            "yticks": [float(v) for v in self.yticks] if self.yticks is not None else None,
            "lines": lines,
            "rules": [_style(r) | {"value": _num(r.value), "axis": r.axis} for r in self.rules],
            "marks": [
                {
                    "x": _num(m.x),
                    "y": _num(m.y),
                    "color": m.color,
                    "label": m.label or "",
                    "size": m.size,
                }
                for m in self.marks
            ],  # fmt: skip
            "bands": [
                {"lo": b.lo, "hi": b.hi, "color": b.color, "alpha": b.alpha} for b in self.bands
            ],
        }


@dataclass
class Chart:
    """A figure for the browser: a title over one or more panels side by side."""

    panels: list[Panel]
    title: str = ""

    def to_dict(self) -> dict:
        if not self.panels:
            raise ValueError("a chart needs at least one panel")
        return {"title": self.title, "panels": [p.to_dict() for p in self.panels]}


def _style(item) -> dict:
    out = {
        "color": item.color,
        "label": item.label or "",
        "width": item.width,
        "dash": list(item.dash) if item.dash else None,
    }
    if isinstance(item, Line):
        out |= {"marker": item.marker, "stroke": item.stroke}
    return out


def _num(value) -> float | None:
    """A scalar for the page: None where NaN (not drawn)."""
    value = float(value)
    return None if np.isnan(value) else value


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def power_of_ten(exponent: int) -> str:
    """'10⁻⁶' for -6: how the charts (like the figures' log axes) write a power of ten."""
    return "10" + str(int(exponent)).translate(_SUPERSCRIPT)
