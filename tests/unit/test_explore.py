"""The explorer API: slider specs, the three renderings, and the live widget."""

import base64
import html
import itertools
import json
import re
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from rnngrad import Slider, explore
from rnngrad.figures.chart import Chart, Line, Panel
from rnngrad.notebook.explore import MAX_FRAMES, decode_frame, encode_frames
from rnngrad.notebook.frames import Drawn

STATIC = Path(__file__).resolve().parents[2] / "book"


def _tiny_data(a: float, b: float = 0.0) -> tuple:
    return np.array([b, a]), a


def _tiny_mpl(y, a) -> Figure:
    fig = Figure(figsize=(2, 1.5))
    ax = fig.subplots()
    ax.plot([0, 1], y)
    ax.set_ylim(-2, 2)
    return fig


def _tiny_chart(y, a) -> Chart:
    return Chart(
        [Panel(np.array([0.0, 1.0]), "x", "y", (-2, 2), lines=[Line(y, "#1f77b4", f"a={a}")])]
    )


tiny_figure = Drawn(_tiny_data, _tiny_mpl, _tiny_chart)


def test_slider_values_and_default():
    s = Slider("a", 0.5, 1.5, 0.25, default=1.0)
    assert s.values.tolist() == [0.5, 0.75, 1.0, 1.25, 1.5]
    assert s.default_index == 2 and s.format(1.0) == "1.00"
    assert Slider("b", 1, 3, 1).default_index == 1  # the middle when no default is given


# The chapters' own slider specs (chapters 2, 3 and 10), none of whose steps is exactly
# representable in binary except the integer one.
# Catches: np.arange(start, stop, step) (drops the end point or adds one past it for 0.2),
# values left unrounded (0.6 + 0.2 = 0.8000000000000002), decimals taken from the values
# or fixed at two, and a default snapped to the wrong grid point.
CHAPTER_SLIDERS = [
    (
        (0.7, 1.7, 0.1, 1.2, "σ₁"),
        [round(0.7 + 0.1 * k, 1) for k in range(11)],
        [f"{0.7 + 0.1 * k:.1f}" for k in range(11)],
        5,
    ),
    ((0.6, 1.4, 0.2, 1.2, "σ₁"), [0.6, 0.8, 1.0, 1.2, 1.4], ["0.6", "0.8", "1.0", "1.2", "1.4"], 3),
    ((0.2, 1.0, 0.4, 0.6, "σ₂"), [0.2, 0.6, 1.0], ["0.2", "0.6", "1.0"], 1),
    ((0.5, 3.0, 1.25, 0.5, "input scale"), [0.5, 1.75, 3.0], ["0.50", "1.75", "3.00"], 0),
    ((2, 16, 14, 2, "matrix size n"), [2, 16], ["2", "16"], 0),
    ((-2.0, 5.0, 0.5, 1.0, "forget bias b_f"), [-2 + 0.5 * k for k in range(15)], None, 6),
    ((-2.0, 6.0, 0.5, 0.0, "forget bias b_f"), [-2 + 0.5 * k for k in range(17)], None, 4),
]


@pytest.mark.parametrize("spec, values, labels, default_index", CHAPTER_SLIDERS)
def test_chapter_slider_specs(spec, values, labels, default_index):
    s = Slider("x", *spec)
    assert s.values.tolist() == values  # count, both end points, exact decimal values
    assert s.values[0] == spec[0] and s.values[-1] == spec[1]
    assert s.default_index == default_index and s.values[default_index] == spec[3]
    assert s.label == spec[4]
    if labels is not None:
        assert [s.format(v) for v in s.values] == labels
    else:
        assert [s.format(v) for v in s.values] == [f"{v:.1f}" for v in values]


def test_chapter_two_explorer_grid_and_readouts():
    """The four-slider explorer of chapter 2: 5 x 3 x 3 x 2 frames, each slider labelled
    and its readout showing the default in the slider's own decimals."""
    ex = explore(
        tiny_four,
        sigma_1=(0.6, 1.4, 0.2, 1.2, "σ₁"),
        sigma_2=(0.2, 1.0, 0.4, 0.6, "σ₂"),
        input_scale=(0.5, 3.0, 1.25, 0.5, "input scale"),
        n=(2, 16, 14, 2, "matrix size n"),
    )
    assert ex.frames == 90
    assert ex.defaults == {"sigma_1": 1.2, "sigma_2": 0.6, "input_scale": 0.5, "n": 2.0}
    assert [s.title for s in ex.sliders] == ["σ₁", "σ₂", "input scale", "matrix size n"]
    assert [s.default_index for s in ex.sliders] == [3, 1, 0, 0]
    assert [s.format(v) for s, v in zip(ex.sliders, ex.defaults.values(), strict=True)] == [
        "1.2",
        "0.6",
        "0.50",
        "2",
    ]
    assert ex.alt_text([3, 1, 0, 0]).endswith(
        "σ₁ = 1.2, σ₂ = 0.6, input scale = 0.50, matrix size n = 2"
    )


def tiny_four(sigma_1, sigma_2, input_scale, n):
    return tiny_figure(sigma_1 - sigma_2, input_scale / n)


tiny_four.chart = lambda sigma_1, sigma_2, input_scale, n: tiny_figure.chart(
    sigma_1 - sigma_2, input_scale / n
)


def test_frame_limit_is_inclusive():
    """Catches: `>=` for `>` (an explorer with exactly the limit refused) or a limit not
    enforced on the product of the sliders."""
    assert explore(tiny_figure, a=(1, MAX_FRAMES, 1)).frames == MAX_FRAMES
    with pytest.raises(ValueError, match=f"{MAX_FRAMES + 1} positions"):
        explore(tiny_figure, a=(1, MAX_FRAMES + 1, 1))
    assert explore(tiny_figure, max_frames=6, a=(0, 1, 0.5), b=(0, 1, 1)).frames == 6
    with pytest.raises(ValueError, match="3 x 2 = 6 positions"):
        explore(tiny_figure, max_frames=5, a=(0, 1, 0.5), b=(0, 1, 1))


@pytest.mark.parametrize(
    "spec, message",
    [
        ((1.0, 0.0, 0.1), "start .* > stop"),
        ((0.0, 1.0, 0.0), "step must be > 0"),
        ((0.0, 1.0, -0.1), "step must be > 0"),
        ((0.0, 1.0, 0.1, 5.0), "default 5.0 is outside"),
        ((0.0, float("inf"), 0.1), "must be finite"),
    ],
)
def test_bad_slider_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        explore(tiny_figure, a=spec)


def test_too_many_frames_and_other_misuse():
    with pytest.raises(ValueError, match="positions"):
        explore(tiny_figure, a=(0, 1, 0.001), b=(0, 1, 0.01))
    with pytest.raises(TypeError, match="start, stop, step"):
        explore(tiny_figure, a=0.5)
    with pytest.raises(ValueError, match="at least one slider"):
        explore(tiny_figure)
    with pytest.raises(TypeError, match="callable"):
        explore("not a function", a=(0, 1, 0.5))
    bad = explore(lambda a: None, a=(0, 1, 0.5))
    with pytest.raises(TypeError, match="matplotlib Figure"):
        bad.still()


def _page_data(page: str) -> tuple[dict, dict]:
    """The chart data and the readout labels the page carries (its two JSON scripts)."""
    data = re.search(r'<script type="application/json" class="rnngrad-data">(.*?)</script>', page)
    meta = re.search(r'<script type="application/json" class="rnngrad-meta">(.*?)</script>', page)
    unescape = lambda m: json.loads(m.group(1).replace("<\\/", "</"))  # noqa: E731
    return unescape(data), unescape(meta)


def _same_chart(got: dict, want: dict) -> None:
    """Equal charts, arrays to float32 precision (as the page receives them)."""
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_allclose(got[key], value.astype(np.float32), rtol=0, atol=0)
        elif isinstance(value, dict):
            _same_chart(got[key], value)
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            assert len(got[key]) == len(value)
            for g, w in zip(got[key], value, strict=True):
                _same_chart(g, w)
        else:
            assert got[key] == value, key


# A 3 x 2 x 2 grid: no two orders of the slider axes give the same flat index everywhere
# (a 5 x 3 grid at the defaults (2, 1) does: 2 * 3 + 1 = 7 = 1 * 5 + 2).
GRID = {"a": (-1, 1, 1, 0), "b": (0, 1, 1, 1), "c": (0.5, 1.5, 1.0, 0.5)}


def _three_data(a, b, c):
    return (np.array([a, b, c]), f"{a} {b} {c}")


def _three_chart(y, title):
    panel = Panel(np.array([0.0, 0.5, 1.0]), "x", "y", (-2, 2), lines=[Line(y, "#d62728", "abc")])
    return Chart([panel], title)


def _three_figure(y, title):
    fig = _tiny_mpl(y[:2], 0)
    fig.axes[0].plot([0, 0.5, 1], y)
    return fig


three = Drawn(_three_data, _three_figure, _three_chart)


def _grid_points(ex):
    """(indices, values, row-major flat index) of every grid point."""
    sizes = [len(s.values) for s in ex.sliders]
    for idx in itertools.product(*[range(n) for n in sizes]):
        values = {s.name: float(s.values[i]) for s, i in zip(ex.sliders, idx, strict=True)}
        flat = 0
        for i, n in zip(idx, sizes, strict=True):
            flat = flat * n + i  # row-major: the last slider varies fastest
        yield list(idx), values, flat


def test_static_html_has_one_chart_per_grid_point_and_no_external_script():
    ex = explore(tiny_figure, a=(-1, 1, 0.5, 0.0), b=(0, 1, 0.5))
    page = ex.static_html()
    data, meta = _page_data(page)
    assert len(data["frames"]) == ex.frames == 15
    charts = [decode_frame(data, f) for f in range(15)]
    assert len({json.dumps(c["panels"][0]["lines"][0]["y"].tolist()) for c in charts}) == 15
    assert page.count('type="range"') == 2 and ' src="' not in page and "<script>" in page
    assert meta["labels"] == [["-1.0", "-0.5", "0.0", "0.5", "1.0"], ["0.0", "0.5", "1.0"]]
    # The controls start at the defaults (a = 0.0, b = 0.5), and say so to a screen reader.
    assert re.findall(r'<input[^>]* value="(\d+)"', page) == ["2", "1"]
    assert re.findall(r"<output>([^<]*)</output>", page) == ["0.0", "0.5"]
    assert html.escape(ex.alt_text([2, 1])) in page
    assert 'role="img"' in page


def test_every_embedded_chart_is_the_chart_at_its_grid_point():
    """Catches: charts computed in column-major order (or any order but the page's row-major
    flat index), values shared between frames that differ, arrays rounded below float32."""
    ex = explore(three, **GRID)
    data, meta = _page_data(ex.static_html())
    assert len(data["frames"]) == ex.frames == 12
    assert meta["labels"] == [[s.format(v) for v in s.values] for s in ex.sliders]
    for _, values, flat in _grid_points(ex):
        _same_chart(decode_frame(data, flat), ex.chart(**values))


def test_encode_frames_stores_what_does_not_change_once():
    """What is the same in every chart sits in the template; only what changes has a slot,
    also a value that first changes in the last chart.
    Catches: an encoder that pools every value (the page grows with the grid for nothing), or
    one that keeps a changing value in the template (looking at the first charts only, every
    later frame would show the first one's value)."""
    charts = [_three_chart(np.array([a, 0.0, 1.0]), "same").to_dict() for a in (0.0, 0.0, 2.0)]
    data = encode_frames(charts)
    assert len(data["frames"][0]) == 1  # one slot: the array that changes
    assert data["template"]["title"] == "same"
    assert len(data["pool"]) == 2
    for f, chart in enumerate(charts):
        _same_chart(decode_frame(data, f), chart)


def test_encode_frames_refuses_charts_of_different_structure():
    one = _three_chart(np.zeros(3), "t").to_dict()
    two = _three_chart(np.zeros(3), "t")
    two.panels[0].lines.append(Line(np.ones(3), "#000000"))
    with pytest.raises(ValueError, match="differs in structure"):
        encode_frames([one, two.to_dict()])


def test_chart_validates_its_data():
    with pytest.raises(ValueError, match="points"):
        Chart(
            [Panel(np.arange(3), "x", "y", (0, 1), lines=[Line(np.ones(2), "#000000")])]
        ).to_dict()
    with pytest.raises(ValueError, match="log axis"):
        Panel(np.arange(3), "x", "y", (0, 1), ylog=True).to_dict()
    log = Panel(np.arange(3), "x", "y", (1e-3, 1), ylog=True,
                lines=[Line(np.array([1.0, 0.0, -1.0]), "#000000")]).to_dict()  # fmt: skip
    assert np.isnan(log["lines"][0]["y"][1:]).all()  # no log of 0 or less: gaps


def standalone_page(fragment: str, theme: str = "light") -> str:
    """An explorer's HTML in a page with the book's scripts and styles inlined."""
    static = assets = STATIC / "_assets"
    css = (static / "uPlot.min.css").read_text() + (assets / "explorer.css").read_text()
    js = "".join(
        f"<script>{(static / name).read_text()}</script>"
        for name in ("uPlot.iife.min.js", "rnngrad-explorer.js")
    )
    return (
        f'<html lang="en" data-theme="{theme}"><head><title>explorer</title><style>{css}</style>'
        f"{js}</head><body><main>{fragment}</main></body></html>"
    )


READ_DRAWN = """(args) => {
  const [idx] = args;
  const fig = document.querySelector("figure.rnngrad-explorer");
  const inputs = fig.querySelectorAll("input");
  idx.forEach((v, k) => {
    if (v === null) return;
    inputs[k].value = String(v);
    inputs[k].dispatchEvent(new Event("input"));
  });
  return {
    data: fig.rnngrad.plots.map((u) => u.data),
    out: [...fig.querySelectorAll("output")].map((o) => o.textContent),
    alt: fig.querySelector(".rnngrad-chart").getAttribute("aria-label"),
    title: fig.querySelector(".rnngrad-title").textContent,
  };
}"""


def _drawn_equals(drawn: list, chart: dict) -> None:
    """What uPlot holds (x, then one array per line, null for a gap) is the chart's data."""
    for plot, panel in zip(drawn, chart["panels"], strict=True):
        np.testing.assert_allclose(plot[0], panel["x"].astype(np.float32), rtol=1e-7)
        for got, line in zip(plot[1:], panel["lines"], strict=True):
            got = np.array([np.nan if v is None else v for v in got], dtype=float)
            np.testing.assert_allclose(got, line["y"].astype(np.float32), rtol=1e-7)


@pytest.mark.browser
def test_page_draws_the_chart_of_every_slider_combination(browser):
    """The book's script in Chromium: the page opens on the defaults' chart; move every
    slider, and uPlot holds the chart data of that exact combination, each readout shows its
    value and the text alternative names them.
    Catches: a script that listens to the first slider only, or indexes column-major."""
    ex = explore(three, **GRID)
    page = browser.new_page()
    try:
        page.set_content(standalone_page(ex.static_html()))
        shown = page.evaluate(READ_DRAWN, [[None] * 3])
        _drawn_equals(shown["data"], ex.chart())
        for idx, values, _ in _grid_points(ex):
            shown = page.evaluate(READ_DRAWN, [idx])
            _drawn_equals(shown["data"], ex.chart(**values))
            assert shown["title"] == ex.chart(**values)["title"]
            assert shown["out"] == [
                s.format(s.values[i]) for s, i in zip(ex.sliders, idx, strict=True)
            ]
            assert shown["alt"] == ex.alt_text(idx)
    finally:
        page.close()


def test_mimebundle_carries_all_three_renderings():
    bundle = explore(tiny_figure, a=(0, 1, 0.5))._repr_mimebundle_()
    assert {
        "text/html",
        "image/png",
        "text/plain",
        "application/vnd.jupyter.widget-view+json",
    } <= set(bundle)
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert "interactive(" not in bundle["text/plain"]


def test_live_widget_redraws_on_change():
    """The widget starts at the default (a = 1.0, the last value, not the slider's first)
    and redraws the figure at the value the slider moves to.
    Catches: a widget that starts at ``values[0]``, or redraws at the old value."""
    ex = explore(tiny_figure, a=(0, 1, 0.5, 1.0))
    box = ex.widget()
    slider, image = box.children[0], box.children[1]
    assert slider.value == 1.0 and image.value == ex.figure_png(a=1.0)
    slider.value = 0.5
    assert image.value == ex.figure_png(a=0.5) != ex.figure_png(a=1.0)


def test_still_is_drawn_at_the_defaults_not_the_first_values():
    """The PDF's still is the figure at every slider's default: an explicit default (a = 1.0,
    the last value) and the middle value where none is given (b = 0.0 of -1, 0, 1).
    Catches: a still drawn at ``values[0]`` (a = 0.0, b = -1.0), or at any other grid point."""
    calls = []

    def recording(a, b):
        calls.append({"a": a, "b": b})
        return tiny_figure(a, b)

    ex = explore(recording, a=(0.0, 1.0, 0.5, 1.0), b=(-1.0, 1.0, 1.0))
    png = ex.still()
    assert calls == [{"a": 1.0, "b": 0.0}]
    # The same picture as the figure drawn directly at those values, and not the first one's.
    assert png == ex.figure_png(a=1.0, b=0.0) != ex.figure_png(a=0.0, b=-1.0)


def test_mimebundle_png_is_the_still_at_the_defaults():
    """The PDF reads the bundle's image/png: it is the figure at the defaults.
    Catches: a bundle whose still (or live widget's first image) is drawn at ``values[0]``."""
    ex = explore(tiny_figure, a=(0.0, 1.0, 0.5, 1.0))
    bundle = ex._repr_mimebundle_()
    png = base64.b64decode(bundle["image/png"])
    assert png == ex.figure_png(a=1.0) != ex.figure_png(a=0.0)
    assert ex.widget().children[1].value == png
