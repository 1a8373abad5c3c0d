"""The library's layers hold (pyproject.toml's import contracts) and the check can fail: an
import planted one layer up, or SymPy imported outside ``rnngrad.derive``, breaks it.

Catches: a contract that no longer names the layers (it would pass anything), and a lint
step that does not run it."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, slow_timeout

LINT = Path(sys.executable).with_name("lint-imports")


def _lint(lib: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(lib), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [str(LINT)], cwd=cwd, env=env, capture_output=True, text=True, timeout=slow_timeout(60)
    )


@pytest.fixture()
def copy(tmp_path):
    shutil.copytree(ROOT / "lib", tmp_path / "lib")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_hold_today(copy):
    result = _lint(copy / "lib", copy)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module, line, broken",
    [
        ("cells/init.py", "from ..measure.probe import Trace  # noqa: F401", "layers"),
        ("figures/style.py", "from ..notebook import helpers  # noqa: F401", "layers"),
        ("measure/reach.py", "import sympy  # noqa: F401", "SymPy"),
    ],
)
def test_a_planted_wrong_arrow_fails(copy, module, line, broken):
    path = copy / "lib" / "rnngrad" / module
    text = path.read_text()
    marker = "from __future__ import annotations\n"
    path.write_text(text.replace(marker, marker + line + "\n", 1))
    result = _lint(copy / "lib", copy)
    assert result.returncode != 0
    assert "Broken contracts" in result.stdout and broken in result.stdout


def test_make_lint_runs_the_contracts():
    makefile = (ROOT / "Makefile").read_text()
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "lint-imports" in lint
