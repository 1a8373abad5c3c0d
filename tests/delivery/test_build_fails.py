"""A chapter that raises must fail the build: the Makefile's build flags and the book's own
``execute:`` settings, on a tiny book, with a control build that must succeed.

Catches: a build command without ``-W``/``--keep-going`` (a failing notebook prints "build
succeeded", exit 0), ``allow_errors: true`` or ``execute_notebooks: off`` in the book's
settings, and flags that fail *every* build (the control build passes; the failure names
the broken chapter's own error, not a word every Sphinx log contains)."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import BOOK, ROOT, slow_timeout

pytestmark = pytest.mark.book

ERROR = "ChapterSevenBroke: the tensor had 3 dimensions, wanted 4"
CONTROL_OUTPUT = "control chapter output 1764"


def _makefile_build_flags() -> list[str]:
    for line in (ROOT / "Makefile").read_text().splitlines():
        if "$(JB) build --all" in line:
            return line.split("build", 1)[1].split()[:-1]  # the flags, without the book folder
    raise AssertionError("the Makefile has no `$(JB) build --all ...` line")


def _execute_settings() -> dict:
    """The book's real ``execute:`` block (cache, timeout, allow_errors, ...)."""
    return yaml.safe_load((BOOK / "_config.yml").read_text())["execute"]


def _notebook(source: str) -> dict:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A chapter"], "id": "m0"},
        {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": [source],
            "id": "c0",
        },
    ]
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def _build(tmp_path: Path, chapters: dict[str, str]) -> tuple[subprocess.CompletedProcess, Path]:
    book = tmp_path / "book"
    book.mkdir(parents=True)
    config = {"title": "t", "execute": _execute_settings()}
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    toc = "format: jb-book\nroot: intro\nchapters:\n" + "".join(
        f"  - file: {name}\n" for name in chapters
    )
    (book / "_toc.yml").write_text(toc)
    (book / "intro.md").write_text("# Intro\n")
    for name, source in chapters.items():
        (book / f"{name}.ipynb").write_text(json.dumps(_notebook(source)))
    jb = Path(sys.executable).with_name("jupyter-book")
    assert jb.exists() or shutil.which("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", *_makefile_build_flags(), str(book)],
        capture_output=True,
        text=True,
        timeout=slow_timeout(120),
    )
    return result, book


def test_the_book_executes_and_refuses_errors():
    settings = _execute_settings()
    assert settings.get("execute_notebooks") in ("cache", "force", "auto")
    assert settings.get("allow_errors", False) is False
    assert {"--all", "-W", "--keep-going"} <= set(_makefile_build_flags())


def test_a_raising_notebook_fails_the_build_and_a_control_does_not(tmp_path):
    control, control_book = _build(tmp_path / "control", {"fine": f"print({CONTROL_OUTPUT!r})"})
    assert control.returncode == 0, control.stdout[-3000:] + control.stderr[-3000:]
    page = (control_book / "_build" / "html" / "fine.html").read_text()
    assert CONTROL_OUTPUT in page, "the control chapter was not executed"

    raising = (
        "class ChapterSevenBroke(Exception):\n    pass\n\n"
        f"raise ChapterSevenBroke({ERROR.split(': ', 1)[1]!r})"
    )
    result, book = _build(
        tmp_path / "broken", {"fine": f"print({CONTROL_OUTPUT!r})", "broken": raising}
    )
    assert result.returncode != 0, "the build succeeded although a chapter raised"
    log = result.stdout + result.stderr
    # myst-nb names the notebook and writes its traceback to a report the log points to.
    reports = book / "_build" / "html" / "reports"
    for report in reports.glob("*.log") if reports.is_dir() else []:
        log += report.read_text()
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)  # the traceback's colours
    assert ERROR in log, "the failure does not show the chapter's own error"
    assert "broken" in result.stdout + result.stderr
