"""Shared fixtures. Tests that need a built book, Chromium, Playwright, TeX or JupyterLab skip
locally with a reason when it is missing, and fail under CI (CI=true), where a silent skip
would hide a gap. The run ends by printing how many tests were skipped; under CI any skip
makes the run fail (``.ci/run`` sets CI=true itself)."""

from __future__ import annotations

import functools
import http.server
import importlib
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
HTML = BOOK / "_build" / "html"
PDF = BOOK / "_build" / "latex" / "book.pdf"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


# Subprocess and kernel time limits are sized for the slowest machine the suite runs on: two
# cores, both busy (a training study, the rest of the suite). Each limit names what the job
# takes on an idle machine; SLOW_MACHINE multiplies it. A limit is a guard against a hang,
# never a performance assertion, so it errs long.
SLOW_MACHINE = 5


def slow_timeout(idle_seconds: float) -> float:
    """The time limit for a job that takes about ``idle_seconds`` on an idle machine."""
    return idle_seconds * SLOW_MACHINE


def under_ci() -> bool:
    """CI=true (GitHub Actions, GitLab and ``.ci/run`` set it): nothing may be skipped."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def need(condition: bool, why: str) -> None:
    """Skip (locally) or fail (CI) when a prerequisite is missing."""
    if condition:
        return
    if under_ci():
        pytest.fail(f"missing under CI: {why}")
    pytest.skip(why)


def need_module(name: str, why: str = ""):
    """``pytest.importorskip`` that fails instead of skipping under CI."""
    try:
        return importlib.import_module(name)
    except ImportError as error:
        need(False, f"{name} cannot be imported ({error}){': ' + why if why else ''}")


def adam_replay(model, task, steps: int, batch: int, lr: float) -> list[float]:
    """rnngrad.train's loop written out, for a test to compare with: Adam at ``lr`` on
    ``steps`` batches of ``batch`` drawn from a generator seeded 0 (the run's seed); the
    losses, step by step. ``model`` is trained in place."""
    import torch

    opt, data, losses = torch.optim.Adam(model.parameters(), lr=lr), torch.Generator(), []
    data.manual_seed(0)
    for _ in range(steps):
        x, y = task.sample(batch, data)
        loss = task.loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def chapter_notebooks() -> list[Path]:
    return sorted((BOOK / "chapters").glob("*.ipynb"))


def executed_notebooks() -> dict:
    """The newest executed copy of every chapter, from the build's execution cache (the same
    outputs the HTML and PDF builders render). Not from _build/jupyter_execute: a rebuild that
    takes every chapter from the cache writes those copies without outputs."""
    from jupyter_cache import get_cache

    cache = get_cache(BOOK / "_build" / ".jupyter_cache")
    newest = {}
    for record in sorted(cache.list_cache_records(), key=lambda r: r.created):
        newest[Path(record.uri).resolve()] = record.pk
    return {path: cache.get_cache_bundle(pk).nb for path, pk in newest.items()}


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
    sync_api = need_module("playwright.sync_api", "pip install playwright")
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


# -- skips are counted, and under CI they fail the run ---------------------------------------
_SKIPPED: list[str] = []


def pytest_runtest_logreport(report) -> None:
    # An expected failure (xfail) is reported as skipped with `wasxfail`; it is not a skip.
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append(report.nodeid)


def pytest_collectreport(report) -> None:
    if report.skipped:  # a whole module skipped at import (importorskip at the top)
        _SKIPPED.append(report.nodeid)


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(f"skipped tests: {len(_SKIPPED)}")
    if _SKIPPED and under_ci():
        terminalreporter.write_line(
            "CI=true: a skipped test is a failure here (install what it needs): "
            + ", ".join(_SKIPPED),
            red=True,
        )


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session) -> None:
    if _SKIPPED and under_ci() and session.exitstatus in (0, 5):  # ok, or nothing ran
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def sphinx_build(src: Path, out: Path, builder: str = "html") -> subprocess.CompletedProcess:
    """Build the Sphinx project ``src`` into ``out`` with this interpreter's Sphinx and
    ``builder``; fails the test, with Sphinx's errors, when the build does."""
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", builder, str(src), str(out)],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr
    return build
