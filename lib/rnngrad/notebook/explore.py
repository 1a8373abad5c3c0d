"""Slider explorers that work in a kernel, in the static HTML book and in the PDF.

A chapter calls ``explore(frame, caption=..., sigma=(0.5, 1.5, 0.05))`` once, where ``frame``
is a ``rnngrad.notebook.frames.Drawn``: a measurement with its matplotlib figure and its chart
(``rnngrad.figures.chart.Chart``). The object ``explore`` returns carries three renderings,
and the notebook front end (or the book's MIME priorities, per builder) picks one:

* ``application/vnd.jupyter.widget-view+json``: live ipywidgets sliders redrawing the
  matplotlib figure (JupyterLab, Notebook, Colab with its ipywidgets 7.7, Binder with 8);
* ``text/html``: the chart's *data* at every slider position (the grid of all sliders), drawn
  in the browser by uPlot and ``book/_assets/rnngrad-explorer.js`` (the HTML book, no kernel);
* ``image/png``: the matplotlib figure at the default values (the PDF).

Why data and uPlot, not pictures. The book used to pre-render a matplotlib SVG per slider
position: about a quarter of a second and tens of kB each, so sliders had 2-4 positions. A
position's data is a measurement (milliseconds; most are cached closed forms or one probe
of a random model) and a few hundred numbers, sent as float32 (base64) with every value that
does not change between positions stored once, so a slider can have 25-70 positions and a
two- or three-slider explorer hundreds. Of the charting libraries that work offline from a
folder, uPlot (MIT, 51 kB minified, one file, no dependencies) draws a frame in about a
millisecond on canvas, has log axes, dashes and draw hooks for rules and marks; Vega-Lite
with vega-embed (~800 kB) and plotly.js-dist-min (~3.5 MB) would outweigh every chapter's
text, and both re-parse a specification per change. Canvas is not read by screen readers:
the chart carries the text alternative (caption and slider values, updated on every move) as
its ``aria-label``, the sliders are native range inputs (keyboard, ``aria-valuetext``), and
titles and legends are HTML.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import io
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from matplotlib.figure import Figure

MAX_FRAMES = 2048  # slider positions (grid points) per explorer in the HTML book
MAX_FRAME_BYTES = 1_000_000  # what one explorer's data may add to its page
STILL_DPI = 150  # the PDF's still and the live widget's image
MIN_FONT_PT = 10  # no text in an explorer's still is smaller (before the page's scaling)
FRAME_WIDTH_IN = 5.6  # stills are drawn this wide at most
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SCRIPT = "rnngrad-explorer.js"  # book/_assets: draws the charts (with uPlot.iife.min.js)


@dataclass(frozen=True)
class Slider:
    """A slider over ``start, start + step, ..., stop`` (both ends included)."""

    name: str
    start: float
    stop: float
    step: float
    default: float | None = None
    label: str | None = None

    def __post_init__(self) -> None:
        if not all(np.isfinite([self.start, self.stop, self.step])):
            raise ValueError(f"slider {self.name!r}: start, stop and step must be finite")
        if self.start > self.stop:
            raise ValueError(f"slider {self.name!r}: start ({self.start}) > stop ({self.stop})")
        if self.step <= 0:
            raise ValueError(f"slider {self.name!r}: step must be > 0, got {self.step}")
        if self.default is not None and not self.start <= self.default <= self.stop:
            raise ValueError(
                f"slider {self.name!r}: default {self.default} is outside "
                f"[{self.start}, {self.stop}]"
            )

    @property
    def values(self) -> np.ndarray:
        n = int(round((self.stop - self.start) / self.step)) + 1
        return np.round(self.start + self.step * np.arange(n), 10)

    @property
    def default_index(self) -> int:
        target = self.default if self.default is not None else self.values[len(self.values) // 2]
        return int(np.abs(self.values - target).argmin())

    @property
    def decimals(self) -> int:
        """As many decimals as the step has (0.25 -> 2, 0.5 -> 1, 2 -> 0)."""
        return max(0, -Decimal(str(self.step)).normalize().as_tuple().exponent)

    @property
    def title(self) -> str:
        return self.label or self.name

    def format(self, value: float) -> str:
        return f"{value:.{self.decimals}f}"


def _as_slider(name: str, spec) -> Slider:
    if isinstance(spec, Slider):
        return spec
    if not isinstance(spec, (tuple, list)) or len(spec) not in (3, 4, 5):
        raise TypeError(
            f"slider {name!r} must be (start, stop, step[, default[, label]]) "
            f"or a Slider, got {spec!r}"
        )
    return Slider(name, *spec)


def render_png(fig: Figure, dpi: int = STILL_DPI) -> bytes:
    """A figure as PNG bytes (white background, readable in dark mode)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    return buf.getvalue()


def _minimum_text(fig: Figure) -> None:
    """Frames are drawn at most FRAME_WIDTH_IN wide (the same aspect) with no text under
    MIN_FONT_PT, so their text is large when the page shows them at the column's width."""
    from matplotlib.text import Text

    width, height = fig.get_size_inches()
    if width > FRAME_WIDTH_IN:
        fig.set_size_inches(FRAME_WIDTH_IN, height * FRAME_WIDTH_IN / width)
    for text in fig.findobj(Text):
        if text.get_text() and text.get_fontsize() < MIN_FONT_PT:
            text.set_fontsize(MIN_FONT_PT)


class Explorer:
    """The object ``explore`` returns; displaying it shows the best rendering available."""

    def __init__(
        self,
        figure_fn: Callable[..., Figure],
        sliders: list[Slider],
        caption: str = "",
        max_frames: int = MAX_FRAMES,
        chart_fn: Callable | None = None,
    ):
        if not callable(figure_fn):
            raise TypeError(f"figure_fn must be callable, got {type(figure_fn).__name__}")
        if not sliders:
            raise ValueError("an explorer needs at least one slider")
        self.figure_fn, self.sliders, self.caption = figure_fn, sliders, caption
        self.chart_fn = chart_fn if chart_fn is not None else chart_of(figure_fn)
        self.frames = int(np.prod([len(s.values) for s in sliders]))
        if self.frames > max_frames:
            sizes = " x ".join(str(len(s.values)) for s in sliders)
            raise ValueError(
                f"the slider grid has {sizes} = {self.frames} positions; at most "
                f"{max_frames} are computed for the HTML book: use coarser steps"
            )
        self._still: bytes | None = None

    @property
    def defaults(self) -> dict[str, float]:
        return {s.name: float(s.values[s.default_index]) for s in self.sliders}

    def figure(self, **values) -> Figure:
        fig = self.figure_fn(**{**self.defaults, **values})
        if not isinstance(fig, Figure):
            raise TypeError(f"figure_fn must return a matplotlib Figure, got {type(fig).__name__}")
        return fig

    def figure_png(self, dpi: int = STILL_DPI, **values) -> bytes:
        fig = self.figure(**values)
        _minimum_text(fig)
        png = render_png(fig, dpi)
        import matplotlib.pyplot as plt

        plt.close(fig)  # harmless for figures made without pyplot; stops pile-up for the rest
        return png

    def chart(self, **values) -> dict:
        """The browser's chart at ``values`` (the defaults for the rest), as plain data."""
        if self.chart_fn is None:
            raise TypeError("this explorer's figure function has no chart for the browser")
        chart = self.chart_fn(**{**self.defaults, **values})
        return chart.to_dict() if hasattr(chart, "to_dict") else chart

    def alt_text(self, indices: list[int]) -> str:
        """The image's text alternative: the caption and every slider's current value."""
        values = ", ".join(
            f"{s.title} = {s.format(s.values[i])}"
            for s, i in zip(self.sliders, indices, strict=True)
        )
        return f"{self.caption or 'Explorer figure'}; {values}"

    def grid(self) -> Iterator[dict[str, float]]:
        """Every slider position, row-major (the last slider varies fastest)."""
        for combo in itertools.product(*[s.values for s in self.sliders]):
            yield dict(zip(self.defaults, map(float, combo), strict=True))

    # -- the three renderings -------------------------------------------------------------
    def still(self) -> bytes:
        """The PDF's figure: the default values (drawn once, shared with the live widget)."""
        if self._still is None:
            self._still = self.figure_png()
        return self._still

    def frame_data(self) -> dict:
        """Every grid point's chart, encoded (``encode_frames``): frames in row-major order of
        the sliders (the last slider varies fastest)."""
        return encode_frames([self.chart(**values) for values in self.grid()])

    def static_html(self) -> str:
        """Range inputs over the chart data of the whole grid; the book's script draws them."""
        data = self.frame_data()
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        size = len(payload.encode())
        if size > MAX_FRAME_BYTES:
            raise ValueError(
                f"the explorer's data take {size:,} bytes (at most {MAX_FRAME_BYTES:,}): "
                "use coarser steps or fewer points"
            )
        uid = "rg" + hashlib.sha1(payload.encode()).hexdigest()[:8]
        start = [s.default_index for s in self.sliders]
        controls = "".join(
            f'<label class="rnngrad-slider"><span>{html.escape(s.title)}</span>'
            f'<input type="range" min="0" max="{len(s.values) - 1}" step="1" '
            f'value="{i}" aria-label="{html.escape(s.title)}" '
            f'aria-valuetext="{s.format(s.values[i])}">'
            f"<output>{s.format(s.values[i])}</output></label>"
            for s, i in zip(self.sliders, start, strict=True)
        )
        meta = {
            "labels": [[s.format(v) for v in s.values] for s in self.sliders],
            "names": [s.title for s in self.sliders],
            "caption": self.caption or "Explorer figure",
        }
        return (
            f'<figure class="rnngrad-explorer" id="{uid}" data-frames="{len(data["frames"])}">'
            f'<div class="rnngrad-controls">{controls}</div>'
            f'<div class="rnngrad-chart" role="img" '
            f'aria-label="{html.escape(self.alt_text(start))}"></div>'
            f'<script type="application/json" class="rnngrad-data">{_safe(payload)}</script>'
            f'<script type="application/json" class="rnngrad-meta">{_safe(json.dumps(meta))}'
            "</script>"
            f"<script>{_START}</script></figure>"
        )

    def widget(self):
        """Live ipywidgets (7.7 as in Colab, or 8): one slider per parameter and an image
        redrawn on release."""
        import ipywidgets as w

        image = w.Image(value=self.still(), format="png", layout=w.Layout(max_width="100%"))
        sliders = [
            w.FloatSlider(
                value=float(s.values[s.default_index]),
                min=s.start,
                max=s.stop,
                step=s.step,
                description=s.title,
                readout_format=f".{s.decimals}f",
                continuous_update=False,
                style={"description_width": "initial"},
            )
            for s in self.sliders
        ]

        def redraw(_change=None) -> None:
            image.value = self.figure_png(
                **{s.name: sl.value for s, sl in zip(self.sliders, sliders, strict=True)}
            )

        for sl in sliders:
            sl.observe(redraw, names="value")
        caption = [w.HTML(f"<em>{html.escape(self.caption)}</em>")] if self.caption else []
        return w.VBox([*sliders, image, *caption])

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        bundle = {
            "text/plain": f"Explorer over {', '.join(s.name for s in self.sliders)}",
            "image/png": base64.b64encode(self.still()).decode(),
        }
        if self.chart_fn is not None:
            bundle["text/html"] = self.static_html()
        try:
            bundle.update(widget_view(self.widget()))
        except ImportError:  # no ipywidgets: the HTML and the still image remain
            pass
        return bundle


def widget_view(widget) -> dict:
    """The MIME entry a front end renders a live widget from. ipywidgets 8 has
    ``_repr_mimebundle_``; 7.x (Colab's) displays through ``_ipython_display_`` instead, so
    build the same entry from the widget's model id."""
    if hasattr(widget, "_repr_mimebundle_"):
        data = widget._repr_mimebundle_() or {}
        if WIDGET_VIEW in data:
            return {WIDGET_VIEW: data[WIDGET_VIEW]}
    return {WIDGET_VIEW: {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}}


def _safe(payload: str) -> str:
    """JSON that cannot close the <script> it sits in."""
    return payload.replace("</", "<\\/")


def chart_of(figure_fn) -> Callable | None:
    """The chart function that goes with a figure function: a ``Drawn``'s ``chart`` (also
    through ``functools.partial``), or None (no chart: the HTML book shows no explorer)."""
    if isinstance(figure_fn, functools.partial):
        inner = chart_of(figure_fn.func)
        if inner is None:
            return None
        return functools.partial(inner, *figure_fn.args, **figure_fn.keywords)
    chart = getattr(figure_fn, "chart", None)
    return chart if callable(chart) else None


def _leaves(tree, path=()) -> Iterator[tuple[tuple, object]]:
    """(path, leaf) of a chart's data: arrays, strings, numbers, booleans and None."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            yield from _leaves(value, (*path, i))
    else:
        yield path, tree


def encode_array(values) -> dict:
    """A numeric array for the page: float32, little-endian, base64 (NaN kept: a gap)."""
    raw = np.asarray(values, dtype="<f4").tobytes()
    return {"f32": base64.b64encode(raw).decode()}


def decode_array(encoded: dict) -> np.ndarray:
    """``encode_array``'s inverse (what the page's script does)."""
    return np.frombuffer(base64.b64decode(encoded["f32"]), dtype="<f4").astype(float)


def _encoded(leaf):
    if isinstance(leaf, np.ndarray):
        return encode_array(leaf)
    if isinstance(leaf, (np.floating, np.integer)):
        leaf = leaf.item()
    if isinstance(leaf, float) and not np.isfinite(leaf):
        return None
    return leaf


def encode_frames(charts: list[dict]) -> dict:
    """Charts of the same structure as one template and what changes between them.

    Returns ``{"template", "pool", "frames"}``: the template is the first chart with every
    value that differs between charts replaced by ``{"$": slot}``; ``pool`` lists the distinct
    values (arrays as ``encode_array``); ``frames[f][slot]`` is the pool index of chart f's
    value in that slot. A chart whose structure differs (a line more, a key less) is refused:
    the page draws every frame into the same axes."""
    if not charts:
        raise ValueError("no charts to encode")
    columns = [list(_leaves(c)) for c in charts]
    paths = [p for p, _ in columns[0]]
    for f, column in enumerate(columns[1:], 1):
        if [p for p, _ in column] != paths:
            changed = sorted({str(p) for p, _ in column} ^ {str(p) for p in paths})[:4]
            raise ValueError(f"chart {f} differs in structure from chart 0: {changed}")
    values = [[json.dumps(_encoded(v), sort_keys=True) for _, v in column] for column in columns]
    varying = [i for i in range(len(paths)) if len({row[i] for row in values}) > 1]
    pool: dict[str, int] = {}
    frames = [[pool.setdefault(row[i], len(pool)) for i in varying] for row in values]
    template = charts[0]
    slot_of = {paths[i]: k for k, i in enumerate(varying)}

    def build(tree, path=()):
        if path in slot_of:
            return {"$": slot_of[path]}
        if isinstance(tree, dict):
            return {k: build(v, (*path, k)) for k, v in tree.items()}
        if isinstance(tree, (list, tuple)):
            return [build(v, (*path, i)) for i, v in enumerate(tree)]
        return _encoded(tree)

    return {
        "template": build(template),
        "pool": [json.loads(v) for v in pool],
        "frames": frames,
    }


def decode_frame(data: dict, flat: int) -> dict:
    """Chart ``flat`` rebuilt from ``encode_frames``'s output, arrays decoded (as the page's
    script does; for tests)."""
    row = data["frames"][flat]

    def build(node):
        if isinstance(node, dict):
            if set(node) == {"$"}:
                return build(data["pool"][row[node["$"]]])
            if set(node) == {"f32"}:
                return decode_array(node)
            return {k: build(v) for k, v in node.items()}
        if isinstance(node, list):
            return [build(v) for v in node]
        return node

    return build(data["template"])


def flat_index(indices: list[int], sizes: list[int]) -> int:
    """Row-major position of a grid point (the last slider varies fastest)."""
    flat = 0
    for i, n in zip(indices, sizes, strict=True):
        flat = flat * n + i
    return flat


# The page-side start: the book's script draws every explorer once the page has loaded; an
# explorer shown later (a notebook front end that has the script) is drawn at once.
_START = (
    "window.rnngradExplorer && window.rnngradExplorer.init(document.currentScript.parentElement);"
)


def explore(
    figure_fn: Callable[..., Figure],
    *,
    caption: str = "",
    max_frames: int = MAX_FRAMES,
    chart_fn: Callable | None = None,
    **sliders,
) -> Explorer:
    """An explorer of ``figure_fn(**values)`` over sliders given as keyword arguments:
    ``name=(start, stop, step[, default[, label]])`` or ``name=Slider(...)``.

    The HTML book draws ``chart_fn(**values)`` (a ``rnngrad.figures.chart.Chart``), by default
    ``figure_fn.chart`` (every ``rnngrad.frames`` function has one); without a chart the
    explorer has no HTML rendering (the still and the live widget remain).

    ``caption`` starts the image's alt text (the current values follow) and is the live
    widget's caption. In the book, give the cell a numbered caption (cell metadata
    ``mystnb.figure.caption``): the HTML page shows it under the sliders and the PDF under
    the still image."""
    specs = [_as_slider(k, v) for k, v in sliders.items()]
    return Explorer(figure_fn, specs, caption, max_frames, chart_fn)
