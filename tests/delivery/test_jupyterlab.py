"""The live explorer in a real client: JupyterLab on 127.0.0.1, driven by headless Chromium."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import chapter_notebooks, slow_timeout

pytestmark = pytest.mark.browser
TOKEN = "gradients-through-time-test"
SHOTS = Path(__file__).resolve().parents[2] / "book" / "_build" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    # A chapter's first cell, its imports cell and its first explorer (the whole chapter
    # would train models).
    chapter = next(nb for nb in chapter_notebooks() if nb.name.startswith("09_"))
    nb = json.loads(chapter.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    explorer = next(c for c in code if "rnngrad.explore(" in "".join(c["source"]))
    nb["cells"] = [code[0], code[1], explorer]
    (root / chapter.name).write_text(json.dumps(nb))
    port = _free_port()
    log = (root / "lab.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            f"--IdentityProvider.token={TOKEN}",
            f"--ServerApp.root_dir={root}",
            "--allow-root",
            "--LabApp.news_url=None",
            "--LabApp.extension_manager=readonly",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "TQDM_DISABLE": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + slow_timeout(60)
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=1)
            break
        except OSError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start: " + Path(log.name).read_text()[-2000:])
    yield url, chapter.name
    server.terminate()
    server.wait(timeout=30)


def test_live_slider_redraws_the_figure(browser, lab):
    url, name = lab
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page()
    page.goto(f"{url}/lab/tree/{name}?token={TOKEN}", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-Notebook", timeout=slow_timeout(60) * 1000)
    page.wait_for_selector(
        ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=slow_timeout(60) * 1000
    )
    # JupyterLab sometimes asks which kernel to start; the notebook's own (python3) is preselected.
    select = page.get_by_role("button", name="Select", exact=True)
    for _ in range(20):
        if select.is_visible():
            select.click()
            break
        page.wait_for_timeout(250)
    page.get_by_role("menuitem", name="Run", exact=True).click(timeout=slow_timeout(30) * 1000)
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    # The first explorer: a widget box holding sliders and the image they redraw.
    box = page.locator(".widget-vbox", has=page.locator(".widget-slider")).first
    try:
        box.wait_for(state="attached", timeout=slow_timeout(240) * 1000)
    except Exception:
        page.screenshot(path=str(SHOTS / "jupyterlab_failure.png"))
        raise
    box.scroll_into_view_if_needed()
    image = box.locator("img").first
    image.wait_for(timeout=slow_timeout(60) * 1000)
    before = image.get_attribute("src")
    readout = box.locator(".widget-readout").first
    value_before = readout.inner_text()
    box.locator(".noUi-handle").first.focus()
    page.keyboard.press("ArrowLeft")
    # The kernel redraws; the image's blob URL changes. Wait for that change, not a sleep.
    try:
        page.wait_for_function(
            "([img, before]) => img.getAttribute('src') !== before",
            arg=[image.element_handle(), before],
            timeout=slow_timeout(60) * 1000,
        )
    except Exception:
        page.screenshot(path=str(SHOTS / "jupyterlab_failure.png"))
        raise
    assert image.get_attribute("src") != before, "moving the slider did not redraw the figure"
    assert readout.inner_text() != value_before
    page.screenshot(path=str(SHOTS / "jupyterlab_explorer.png"))
    page.close()
