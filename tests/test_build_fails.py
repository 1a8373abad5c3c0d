"""A chapter that raises must fail the build: the book's own build flags on a tiny book."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.book


def _makefile_build_flags() -> list[str]:
    for line in (ROOT / "Makefile").read_text().splitlines():
        if "$(JB) build --all" in line:
            return line.split("build", 1)[1].split()[:-1]  # the flags, without the book folder
    raise AssertionError("the Makefile has no `$(JB) build --all ...` line")


def test_a_raising_notebook_fails_the_build(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    (book / "_config.yml").write_text("title: t\nexecute:\n  execute_notebooks: force\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: broken\n")
    (book / "intro.md").write_text("# Intro\n")
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": ["raise RuntimeError('this chapter is broken')"],
        "id": "c0",
    }
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Broken"], "id": "m0"},
            cell,
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (book / "broken.ipynb").write_text(json.dumps(notebook))
    jb = Path(sys.executable).with_name("jupyter-book")
    assert jb.exists() or shutil.which("jupyter-book")
    result = subprocess.run(
        [str(jb), "build", *_makefile_build_flags(), str(book)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode != 0, "the build succeeded although a chapter raised"
    assert "broken" in result.stdout + result.stderr
