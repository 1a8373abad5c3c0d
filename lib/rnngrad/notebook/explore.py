"""Slider explorers that work in a kernel, in the static HTML book and in the PDF.

A chapter calls ``explore(figure_fn, caption=..., sigma=(0.5, 1.5, 0.05))`` once. The object it
returns carries three renderings of the same matplotlib figure, and the notebook front end
(or the book's MIME priorities, per builder) picks one:

* ``application/vnd.jupyter.widget-view+json``: live ipywidgets sliders redrawing an image
  (JupyterLab, Notebook, Colab with its ipywidgets 7.7, Binder with ipywidgets 8);
* ``text/html``: the figure drawn as SVG over the whole slider grid and switched by a few
  lines of self-contained JavaScript (the HTML book, no kernel needed). Vector frames are
  crisp on any screen; the parts the frames share (axes, ticks, labels) are stored once;
* ``image/png``: one still figure at the default values (the PDF).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import html
import io
import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from matplotlib.figure import Figure

MAX_FRAMES = 256  # frames per explorer in the HTML book
MAX_FRAME_BYTES = 1_000_000  # what one explorer's frames may add to its page
STILL_DPI = 150  # the PDF's still and the live widget's image
MIN_FONT_PT = 10  # no text in an explorer's frames is smaller (before the page's scaling)
FRAME_WIDTH_IN = 5.6  # frames are drawn this wide at most, and shown up to DISPLAY_PX_PER_PT
DISPLAY_PX_PER_PT = 1.5  # so 10 pt text shows at 15 CSS px and a 0.7x subscript at 10.5
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


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


@contextlib.contextmanager
def _shared_mathtext_cache() -> Iterator[None]:
    """Matplotlib parses every TeX label again for each new renderer (its cache is keyed on
    the renderer's parser); over a grid of frames that is most of the time. While frames are
    drawn, share one cache between parsers of the same kind; put matplotlib back after."""
    from matplotlib.mathtext import MathTextParser

    original = MathTextParser.__dict__.get("_parse_cached")
    inner = getattr(original, "__wrapped__", None)
    if inner is None:  # another matplotlib: draw without the shortcut
        yield
        return
    parsers: dict[str, MathTextParser] = {}

    @functools.lru_cache(4096)
    def shared(kind, *args):
        return inner(parsers[kind], *args)

    def parse_cached(self, *args):
        parsers.setdefault(self._output_type, self)
        return shared(self._output_type, *args)

    MathTextParser._parse_cached = parse_cached
    try:
        yield
    finally:
        MathTextParser._parse_cached = original


_NUMBER = re.compile(r"-?\d+\.\d{2,}")


def render_svg(fig: Figure) -> tuple[str, str]:
    """A figure as SVG with real text: ``(viewBox, body)``, the body one element per line,
    coordinates rounded to 0.1 pt, ids and metadata that differ between frames dropped."""
    import matplotlib as mpl

    buf = io.StringIO()
    rc = {"svg.fonttype": "none", "svg.hashsalt": "rnngrad", "svg.id": None}
    with mpl.rc_context({k: v for k, v in rc.items() if k in mpl.rcParams}):
        fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None})
    svg = buf.getvalue()
    view_box = re.search(r'viewBox="([^"]+)"', svg).group(1)
    body = svg[svg.index(">", svg.index("<svg")) + 1 : svg.rindex("</svg>")]
    body = re.sub(r"<metadata>.*?</metadata>", "", body, flags=re.S)
    used = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', body))
    body = re.sub(r' id="([^"]*)"', lambda m: m.group() if m.group(1) in used else "", body)
    body = re.sub(r"font-family: [^;\"]*", "font-family: 'DejaVu Sans', sans-serif", body)
    body = re.sub(r' transform="rotate\(-0 [^)]*\)"', "", body)
    body = _NUMBER.sub(lambda m: f"{float(m.group()):.1f}", body)
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    return view_box, "\n".join(lines)


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
    ):
        if not callable(figure_fn):
            raise TypeError(f"figure_fn must be callable, got {type(figure_fn).__name__}")
        if not sliders:
            raise ValueError("an explorer needs at least one slider")
        self.figure_fn, self.sliders, self.caption = figure_fn, sliders, caption
        self.frames = int(np.prod([len(s.values) for s in sliders]))
        if self.frames > max_frames:
            sizes = " x ".join(str(len(s.values)) for s in sliders)
            raise ValueError(
                f"the slider grid has {sizes} = {self.frames} frames; at most "
                f"{max_frames} are pre-rendered for the HTML book: use coarser steps"
            )

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

    def figure_svg(self, **values) -> tuple[str, str]:
        fig = self.figure(**values)
        _minimum_text(fig)
        svg = render_svg(fig)
        import matplotlib.pyplot as plt

        plt.close(fig)
        return svg

    def alt_text(self, indices: list[int]) -> str:
        """The image's text alternative: the caption and every slider's current value."""
        values = ", ".join(
            f"{s.title} = {s.format(s.values[i])}"
            for s, i in zip(self.sliders, indices, strict=True)
        )
        return f"{self.caption or 'Explorer figure'}; {values}"

    # -- the three renderings -------------------------------------------------------------
    def still(self) -> bytes:
        """The PDF's figure: the default values."""
        return self.figure_png()

    def frame_data(self) -> dict:
        """Every grid point's SVG, as a pool of distinct lines and, per frame, runs of pool
        indices (``[start, count, start, count, ...]``); frames in row-major order of the
        sliders (the last slider varies fastest)."""
        pool: dict[str, int] = {}
        frames, view_boxes = [], set()
        with _shared_mathtext_cache():
            for combo in itertools.product(*[s.values for s in self.sliders]):
                view_box, body = self.figure_svg(
                    **dict(zip(self.defaults, map(float, combo), strict=True))
                )
                view_boxes.add(view_box)
                ids = [pool.setdefault(line, len(pool)) for line in body.split("\n")]
                frames.append(_runs(ids))
        if len(view_boxes) != 1:
            raise ValueError(f"the figure's size changes between frames: {sorted(view_boxes)}")
        return {"viewBox": view_boxes.pop(), "pool": list(pool), "frames": frames}

    def static_html(self) -> str:
        """SVG frames over the whole grid, switched by range inputs; no external script."""
        data = self.frame_data()
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        if len(payload.encode()) > MAX_FRAME_BYTES:
            raise ValueError(
                f"the explorer's frames take {len(payload.encode()):,} bytes (at most "
                f"{MAX_FRAME_BYTES:,}): use coarser steps or a simpler figure"
            )
        uid = "rg" + hashlib.sha1(payload.encode()).hexdigest()[:8]
        payload = payload.replace('id=\\"', f'id=\\"{uid}').replace("url(#", f"url(#{uid}")
        payload = payload.replace('href=\\"#', f'href=\\"#{uid}').replace("</", "<\\/")
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
        width = float(data["viewBox"].split()[2]) * DISPLAY_PX_PER_PT
        return (
            f'<figure class="rnngrad-explorer" data-frames="{len(data["frames"])}">'
            f'<div class="rnngrad-controls">{controls}</div>'
            f'<div class="rnngrad-frame" style="max-width:{width:.0f}px">'
            f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="{data["viewBox"]}" '
            f'aria-label="{html.escape(self.alt_text(start))}"></svg></div>'
            f'<script type="application/json" class="rnngrad-frames">{payload}</script>'
            f'<script type="application/json" class="rnngrad-meta">{json.dumps(meta)}</script>'
            f"<script>{_SWITCHER}</script></figure>"
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
            "text/html": self.static_html(),
        }
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


def _runs(ids: list[int]) -> list[int]:
    """[3, 4, 5, 9, 10] -> [3, 3, 9, 2]: (start, count) of each ascending run."""
    out: list[int] = []
    for i in ids:
        if out and out[-2] + out[-1] == i:
            out[-1] += 1
        else:
            out += [i, 1]
    return out


def flat_index(indices: list[int], sizes: list[int]) -> int:
    """Row-major position of a grid point (the last slider varies fastest)."""
    flat = 0
    for i, n in zip(indices, sizes, strict=True):
        flat = flat * n + i
    return flat


# The page-side switcher: reads every range input of its own <figure>, draws the frame at the
# flat index (row-major over the sliders), writes each value into its <output> and the
# image's text alternative.
_SWITCHER = """(function () {
  var fig = document.currentScript.parentElement;
  var data = JSON.parse(fig.querySelector("script.rnngrad-frames").textContent);
  var meta = JSON.parse(fig.querySelector("script.rnngrad-meta").textContent);
  var inputs = fig.querySelectorAll("input"), outputs = fig.querySelectorAll("output");
  var svg = fig.querySelector("svg");
  function show() {
    var flat = 0, said = [];
    for (var k = 0; k < inputs.length; k++) {
      var i = +inputs[k].value, label = meta.labels[k][i];
      flat = flat * meta.labels[k].length + i;
      outputs[k].textContent = label;
      inputs[k].setAttribute("aria-valuetext", label);
      said.push(meta.names[k] + " = " + label);
    }
    var runs = data.frames[flat], parts = [];
    for (var r = 0; r < runs.length; r += 2)
      for (var j = runs[r]; j < runs[r] + runs[r + 1]; j++) parts.push(data.pool[j]);
    svg.innerHTML = parts.join("\\n");
    svg.setAttribute("aria-label", meta.caption + "; " + said.join(", "));
    fig.dataset.frame = flat;
  }
  for (var k = 0; k < inputs.length; k++) inputs[k].addEventListener("input", show);
  show();
})();"""


def explore(
    figure_fn: Callable[..., Figure], *, caption: str = "", max_frames: int = MAX_FRAMES, **sliders
) -> Explorer:
    """An explorer of ``figure_fn(**values)`` over sliders given as keyword arguments:
    ``name=(start, stop, step[, default[, label]])`` or ``name=Slider(...)``.

    ``caption`` starts the image's alt text (the current values follow) and is the live
    widget's caption. In the book, give the cell a numbered caption (cell metadata
    ``mystnb.figure.caption``): the HTML page shows it under the sliders and the PDF under
    the still image."""
    return Explorer(figure_fn, [_as_slider(k, v) for k, v in sliders.items()], caption, max_frames)
