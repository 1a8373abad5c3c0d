"""The built book in a real browser (headless Chromium): what a reader would see."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from conftest import HTML, chapter_notebooks

pytestmark = pytest.mark.browser

PAGES = ["intro.html", "bibliography.html"] + [
    f"chapters/{nb.stem}.html" for nb in chapter_notebooks()
]
# Console noise of Jupyter Book 1 pages that is not ours to fix (see the README):
ALLOWED_CONSOLE = [
    r"THEBE_JS_URL",  # sphinx-thebe declares a constant twice
    r"reading 'Queue'",  # the widget manager calls MathJax 2's API; the book uses MathJax 3
    r"Got invalid theme mode",  # pydata-sphinx-theme, on a fresh profile with no saved mode
    r"favicon\.ico",
]
SHOTS = HTML.parent / "screenshots"


def _visit(browser, url: str):
    page = browser.new_page()
    errors, failed, foreign = [], [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.on(
        "response",
        lambda r: (
            r.status >= 400
            and not r.url.endswith("favicon.ico")
            and failed.append(f"{r.status} {r.url}")
        ),
    )
    page.on(
        "request",
        lambda r: (
            urlparse(r.url).hostname not in ("127.0.0.1", None)
            and not r.url.startswith("data:")
            and foreign.append(r.url)
        ),
    )
    page.goto(url, wait_until="networkidle")
    page.wait_for_timeout(300)
    # A 404 shows up twice: as a response (checked above) and as console noise.
    errors = [
        e
        for e in errors
        if not any(re.search(p, e) for p in [*ALLOWED_CONSOLE, "Failed to load resource"])
    ]
    return page, errors, failed, foreign


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_offline(browser, site_url, path):
    page, errors, failed, foreign = _visit(browser, f"{site_url}/{path}")
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / (path.replace("/", "_") + ".png")), full_page=True)
    assert not foreign, f"requests to other hosts: {foreign}"
    assert not failed, f"failed requests: {failed}"
    assert not errors, f"console errors: {errors}"
    # Every image on the page has loaded (naturalWidth > 0).
    broken = page.eval_on_selector_all(
        "img",
        "imgs => imgs.filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80))",
    )
    assert not broken, f"images that did not load: {broken}"
    if page.locator(".math").count():
        assert page.locator("mjx-container").count() >= page.locator(".math").count() > 0
        assert "\\[" not in page.inner_text("main"), "raw TeX left on the page"
    page.close()


def test_chapters_have_figures(browser, site_url):
    for nb in chapter_notebooks():
        page, *_ = _visit(browser, f"{site_url}/chapters/{nb.stem}.html")
        assert page.locator(".cell_output img").count() >= 1
        page.close()


def _explorer_pages():
    return [
        f"chapters/{nb.stem}.html"
        for nb in chapter_notebooks()
        if "rnngrad.explore(" in nb.read_text()
    ]


@pytest.mark.parametrize("path", _explorer_pages())
def test_explorer_sliders_switch_frames(browser, site_url, path):
    page, errors, _, _ = _visit(browser, f"{site_url}/{path}")
    explorers = page.locator("figure.rnngrad-explorer")
    assert explorers.count() >= 1
    for k in range(explorers.count()):
        fig = explorers.nth(k)
        fig.scroll_into_view_if_needed()
        img, slider, readout = (
            fig.locator("img"),
            fig.locator("input[type=range]").first,
            fig.locator("output").first,
        )
        src0, text0 = img.get_attribute("src"), readout.inner_text()
        # Keyboard: focus the slider and press an arrow key.
        slider.focus()
        key = "ArrowLeft" if slider.input_value() == slider.get_attribute("max") else "ArrowRight"
        page.keyboard.press(key)
        assert img.get_attribute("src") != src0, (
            "the keyboard moved the slider but the frame did not change"
        )
        assert readout.inner_text() != text0
        # Pointer: click near the left end of the track (the first value).
        box = slider.bounding_box()
        page.mouse.click(box["x"] + 3, box["y"] + box["height"] / 2)
        assert slider.input_value() == "0"
        labels = fig.evaluate("f => f.querySelector('output').textContent")
        assert labels == readout.inner_text()
        page.screenshot(path=str(SHOTS / f"explorer_{k}_{path.replace('/', '_')}.png"))
    assert not errors
    page.close()
