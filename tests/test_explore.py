"""The explorer API: slider specs, the three renderings, and the live widget."""

import base64
import re

import pytest
from matplotlib.figure import Figure

from rnngrad import Slider, explore


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


def test_static_html_has_one_frame_per_grid_point_and_no_external_script():
    ex = explore(tiny_figure, a=(-1, 1, 0.5, 0.0), b=(0, 1, 0.5))
    page = ex.static_html()
    frames = re.findall(r"data:image/png;base64,[A-Za-z0-9+/=]+", page)
    assert len(set(frames)) == 15 and ex.frames == 15
    assert page.count('type="range"') == 2 and "<script>" in page and ' src="http' not in page
    # The starting frame is the one at the defaults (a = 0.0, b = 0.5).
    start = re.search(r'<img src="([^"]+)"', page).group(1)
    assert base64.b64decode(start.split(",")[1]) == ex.figure_png(72, 64, a=0.0, b=0.5)


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
    ex = explore(tiny_figure, a=(0, 1, 0.5, 0.0))
    box = ex.widget()
    slider, image = box.children[0], box.children[1]
    before = image.value
    slider.value = 1.0
    assert image.value != before
    assert image.value == ex.figure_png(a=1.0)
