"""The explorer API: slider specs, the three renderings, and the live widget."""

import base64
import html
import itertools
import json
import re

import pytest
from matplotlib.figure import Figure

from rnngrad import Slider, explore
from rnngrad.notebook.explore import MAX_FRAMES


def tiny_figure(a: float, b: float = 0.0) -> Figure:
    fig = Figure(figsize=(2, 1.5))
    ax = fig.subplots()
    ax.plot([0, 1], [b, a])
    ax.set_ylim(-2, 2)
    return fig


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


def test_frame_limit_is_inclusive():
    """Catches: `>=` for `>` (an explorer with exactly the limit refused) or a limit not
    enforced on the product of the sliders."""
    assert explore(tiny_figure, a=(1, MAX_FRAMES, 1)).frames == MAX_FRAMES
    with pytest.raises(ValueError, match=f"{MAX_FRAMES + 1} frames"):
        explore(tiny_figure, a=(1, MAX_FRAMES + 1, 1))
    assert explore(tiny_figure, max_frames=6, a=(0, 1, 0.5), b=(0, 1, 1)).frames == 6
    with pytest.raises(ValueError, match="3 x 2 = 6 frames"):
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
    with pytest.raises(ValueError, match="frames"):
        explore(tiny_figure, a=(0, 1, 0.01), b=(0, 1, 0.01))
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
    """The frames and the readout labels the page carries (its two JSON scripts)."""
    frames = re.search(
        r'<script type="application/json" class="rnngrad-frames">(.*?)</script>', page
    )
    meta = re.search(r'<script type="application/json" class="rnngrad-meta">(.*?)</script>', page)
    return json.loads(frames.group(1)), json.loads(meta.group(1))


def _decoded_frames(data: dict) -> list[str]:
    """Each frame's SVG body, rebuilt from the shared pool as the page's script does, with
    the page's id prefix taken out."""
    out = []
    for runs in data["frames"]:
        lines = [
            data["pool"][j]
            for r in range(0, len(runs), 2)
            for j in range(runs[r], runs[r] + runs[r + 1])
        ]
        out.append("\n".join(lines))
    uid = re.search(r'id="(rg[0-9a-f]{8})', "\n".join(data["pool"]))
    return [f.replace(uid.group(1), "") for f in out] if uid else out


# A 3 x 2 x 2 grid: no two orders of the slider axes give the same flat index everywhere
# (a 5 x 3 grid at the defaults (2, 1) does: 2 * 3 + 1 = 7 = 1 * 5 + 2).
GRID = {"a": (-1, 1, 1, 0), "b": (0, 1, 1, 1), "c": (0.5, 1.5, 1.0, 0.5)}


def three(a, b, c):
    """A figure that differs at every grid point: the three values drawn as a line."""
    fig = tiny_figure(0.0)
    fig.axes[0].plot([0, 0.5, 1], [a, b, c])
    return fig


def _grid_points(ex):
    """(indices, values, row-major flat index) of every grid point."""
    sizes = [len(s.values) for s in ex.sliders]
    for idx in itertools.product(*[range(n) for n in sizes]):
        values = {s.name: float(s.values[i]) for s, i in zip(ex.sliders, idx, strict=True)}
        flat = 0
        for i, n in zip(idx, sizes, strict=True):
            flat = flat * n + i  # row-major: the last slider varies fastest
        yield list(idx), values, flat


def test_static_html_has_one_frame_per_grid_point_and_no_external_script():
    ex = explore(tiny_figure, a=(-1, 1, 0.5, 0.0), b=(0, 1, 0.5))
    page = ex.static_html()
    data, meta = _page_data(page)
    assert len(data["frames"]) == ex.frames == 15
    assert len(set(_decoded_frames(data))) == 15
    assert page.count('type="range"') == 2 and ' src="http' not in page and "<script>" in page
    assert meta["labels"] == [["-1.0", "-0.5", "0.0", "0.5", "1.0"], ["0.0", "0.5", "1.0"]]
    # The controls start at the defaults (a = 0.0, b = 0.5), and say so to a screen reader.
    assert re.findall(r'<input[^>]* value="(\d+)"', page) == ["2", "1"]
    assert re.findall(r"<output>([^<]*)</output>", page) == ["0.0", "0.5"]
    assert html.escape(ex.alt_text([2, 1])) in page


def test_every_embedded_frame_is_the_figure_at_its_grid_point():
    """Catches: frames rendered in column-major order (or any order but the switcher's
    row-major flat index), and frames that share the wrong lines of the pool."""
    ex = explore(three, **GRID)
    data, meta = _page_data(ex.static_html())
    frames = _decoded_frames(data)
    assert len(frames) == ex.frames == 12 and len(set(frames)) == 12
    assert meta["labels"] == [[s.format(v) for v in s.values] for s in ex.sliders]
    for _, values, flat in _grid_points(ex):
        assert frames[flat] == ex.figure_svg(**values)[1], f"frame {flat} is not {values}"


@pytest.mark.browser
def test_switcher_shows_the_frame_of_every_slider_combination(browser):
    """The page's own script in Chromium: the page opens on the defaults' frame; move every
    slider, and the picture is the frame of that exact combination, each readout shows its
    value and the text alternative names them.
    Catches: a switcher that listens to the first slider only, or indexes column-major."""
    ex = explore(three, **GRID)
    data, meta = _page_data(ex.static_html())
    frames = _decoded_frames(data)
    uid = re.search(r'id="(rg[0-9a-f]{8})', "\n".join(data["pool"]))
    page = browser.new_page()
    try:
        page.set_content(f"<html><body>{ex.static_html()}</body></html>")
        read = """(args) => {
          const [idx, expected, uid] = args;
          const fig = document.querySelector("figure.rnngrad-explorer");
          const inputs = fig.querySelectorAll("input");
          idx.forEach((v, k) => {
            if (v === null) return;
            inputs[k].value = String(v);
            inputs[k].dispatchEvent(new Event("input"));
          });
          const svg = fig.querySelector("svg");
          const ref = document.createElementNS("http://www.w3.org/2000/svg", "svg");
          ref.innerHTML = uid ? expected.split('id="').join('id="' + uid)
              .split("url(#").join("url(#" + uid).split('href="#').join('href="#' + uid)
            : expected;
          return {
            same: svg.innerHTML === ref.innerHTML,
            out: [...fig.querySelectorAll("output")].map((o) => o.textContent),
            alt: svg.getAttribute("aria-label"),
          };
        }"""
        uid = uid.group(1) if uid else ""
        defaults = [s.default_index for s in ex.sliders]
        start_flat = next(f for i, _, f in _grid_points(ex) if i == defaults)
        shown = page.evaluate(read, [[None] * 3, frames[start_flat], uid])
        assert shown["same"], "the page does not open on the defaults' frame"
        for idx, values, flat in _grid_points(ex):
            shown = page.evaluate(read, [idx, frames[flat], uid])
            assert shown["same"], f"wrong frame shown at {values}"
            assert shown["out"] == [meta["labels"][k][i] for k, i in enumerate(idx)]
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
