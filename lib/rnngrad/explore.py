"""Slider explorers that work in a kernel, in the static HTML book and in the PDF.

A chapter calls ``explore(figure_fn, caption=..., sigma=(0.5, 1.5, 0.05))`` once. The object it
returns carries three renderings of the same matplotlib figure, and the notebook front end
(or the book's MIME priorities, per builder) picks one:

* ``application/vnd.jupyter.widget-view+json``: live ipywidgets sliders redrawing an image
  (JupyterLab, Notebook, Colab, Binder);
* ``text/html``: the figure pre-rendered over the slider grid, switched by a few lines of
  self-contained JavaScript (the HTML book, no kernel needed);
* ``image/png``: one still figure at the default values (the PDF).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from matplotlib.figure import Figure

MAX_FRAMES = 120  # pre-rendered frames per explorer: keeps a page well under 3 MB
STILL_DPI, FRAME_DPI = 110, 72
FRAME_COLORS = 64  # frames are palette PNGs: line plots need few colours


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


def render_png(fig: Figure, dpi: int, colors: int | None = None) -> bytes:
    """A figure as PNG bytes (white background, readable in dark mode); optionally a palette
    PNG with ``colors`` colours, a third of the size for line plots."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    if colors is None:
        return buf.getvalue()
    from PIL import Image

    buf.seek(0)
    out = io.BytesIO()
    Image.open(buf).convert("RGB").quantize(colors=colors).save(out, format="png", optimize=True)
    return out.getvalue()


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

    def figure_png(self, dpi: int = STILL_DPI, colors: int | None = None, **values) -> bytes:
        fig = self.figure_fn(**{**self.defaults, **values})
        if not isinstance(fig, Figure):
            raise TypeError(f"figure_fn must return a matplotlib Figure, got {type(fig).__name__}")
        png = render_png(fig, dpi, colors)
        import matplotlib.pyplot as plt

        plt.close(fig)  # harmless for figures made without pyplot; stops pile-up for the rest
        return png

    # -- the three renderings -------------------------------------------------------------
    def still(self) -> bytes:
        """The PDF's figure: the default values."""
        return self.figure_png()

    def static_html(self) -> str:
        """Frames over the whole grid, switched by range inputs; no external script."""
        grid = itertools.product(*[s.values for s in self.sliders])
        frames = []
        for combo in grid:
            png = self.figure_png(
                FRAME_DPI, FRAME_COLORS, **dict(zip(self.defaults, map(float, combo), strict=True))
            )
            frames.append("data:image/png;base64," + base64.b64encode(png).decode())
        controls = "".join(
            f'<label class="rnngrad-slider">{html.escape(s.label or s.name)} '
            f'<input type="range" min="0" max="{len(s.values) - 1}" step="1" '
            f'value="{s.default_index}" aria-label="{html.escape(s.label or s.name)}"> '
            f"<output>{s.format(s.values[s.default_index])}</output></label>"
            for s in self.sliders
        )
        labels = [[s.format(v) for v in s.values] for s in self.sliders]
        start = frames[_flat_index([s.default_index for s in self.sliders], self.sliders)]
        return (
            f'<figure class="rnngrad-explorer" data-frames="{len(frames)}">'
            f'<div class="rnngrad-controls">{controls}</div>'
            f'<img src="{start}" alt="{html.escape(self.caption or "explorer figure")}" style="max-width:100%">'
            f"<script>{_SWITCHER % (json.dumps(frames), json.dumps(labels))}</script></figure>"
        )

    def widget(self):
        """Live ipywidgets: one slider per parameter and an image redrawn on release."""
        import ipywidgets as w

        image = w.Image(value=self.still(), format="png", layout=w.Layout(max_width="100%"))
        sliders = [
            w.FloatSlider(
                value=float(s.values[s.default_index]),
                min=s.start,
                max=s.stop,
                step=s.step,
                description=s.label or s.name,
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
            bundle.update(
                {k: v for k, v in self.widget()._repr_mimebundle_().items() if k != "text/plain"}
            )
        except ImportError:  # no ipywidgets: the HTML and the still image remain
            pass
        return bundle


def _flat_index(indices: list[int], sliders: list[Slider]) -> int:
    flat = 0
    for i, s in zip(indices, sliders, strict=True):
        flat = flat * len(s.values) + i
    return flat


# The page-side switcher: reads every range input of its own <figure>, shows the frame at
# the flat index (row-major over the sliders) and writes each value into its <output>.
_SWITCHER = """(function () {
  var fig = document.currentScript.parentElement, frames = %s, labels = %s;
  var inputs = fig.querySelectorAll("input"), outputs = fig.querySelectorAll("output");
  var img = fig.querySelector("img");
  function show() {
    var flat = 0;
    for (var k = 0; k < inputs.length; k++) {
      var i = +inputs[k].value;
      flat = flat * labels[k].length + i;
      outputs[k].textContent = labels[k][i];
    }
    img.src = frames[flat];
  }
  for (var k = 0; k < inputs.length; k++) inputs[k].addEventListener("input", show);
})();"""


def explore(
    figure_fn: Callable[..., Figure], *, caption: str = "", max_frames: int = MAX_FRAMES, **sliders
) -> Explorer:
    """An explorer of ``figure_fn(**values)`` over sliders given as keyword arguments:
    ``name=(start, stop, step[, default[, label]])`` or ``name=Slider(...)``.

    ``caption`` is the image's alt text and the live widget's caption. In the book, give the
    cell a numbered caption (cell metadata ``mystnb.figure.caption``): the HTML page shows it
    under the sliders and the PDF under the still image."""
    return Explorer(figure_fn, [_as_slider(k, v) for k, v in sliders.items()], caption, max_frames)
