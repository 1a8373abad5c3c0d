"""Shared fixtures. Tests that need a built book, Chromium or TeX skip locally with a reason
when it is missing, and fail under CI (CI=true), where a silent skip would hide a gap."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
HTML = BOOK / "_build" / "html"
PDF = BOOK / "_build" / "latex" / "book.pdf"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def need(condition: bool, why: str) -> None:
    """Skip (locally) or fail (CI) when a prerequisite is missing."""
    if condition:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"missing under CI: {why}")
    pytest.skip(why)


def chapter_notebooks() -> list[Path]:
    return sorted((BOOK / "chapters").glob("*.ipynb"))


@pytest.fixture(scope="session")
def html_dir() -> Path:
    need((HTML / "index.html").exists(), "the HTML book is not built (run `make book`)")
    return HTML


@pytest.fixture(scope="session")
def pdf_path() -> Path:
    need(PDF.exists(), "the PDF is not built (run `make pdf`)")
    need(shutil.which("pdftotext") is not None, "poppler-utils is not installed")
    return PDF


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="session")
def site_url(html_dir: Path):
    """The built site served from 127.0.0.1 on a free port."""
    handler = functools.partial(_QuietHandler, directory=str(html_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser(tmp_path_factory):
    """Headless Debian Chromium driven by Playwright, with a fresh profile."""
    need(Path(CHROMIUM).exists(), "Chromium is not installed (make sysdeps-browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()
