"""Skips cannot hide in CI: under CI=true a skipped test, or a missing prerequisite, fails
the run, and every run prints how many tests it skipped."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, slow_timeout

SUITE = """
import pytest
from conftest import need, need_module

def test_passes():
    assert True

def test_skips():
    pytest.skip("nothing to see")

def test_needs_something_missing():
    need(False, "a tool that is not installed")

def test_needs_a_missing_module():
    need_module("surely_not_an_installed_module_name")

@pytest.mark.xfail(reason="expected", strict=True)
def test_expected_failure():
    assert False
"""


def _run(tmp_path, ci: str | None, source: str = SUITE):
    shutil.copy(ROOT / "tests" / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_sample.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=slow_timeout(30),
    )


def test_locally_missing_things_skip_and_the_count_is_printed(tmp_path):
    """Catches: a conftest that never reports its skips (the count line is missing)."""
    result = _run(tmp_path, ci=None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "skipped tests: 3" in result.stdout


@pytest.mark.parametrize("ci", ["true", "TRUE", "1"])
def test_under_ci_missing_things_fail(tmp_path, ci):
    """Catches: `importorskip` or `need` that skip under CI, and a run that exits 0 with
    skips under CI."""
    result = _run(tmp_path, ci=ci)
    assert result.returncode == 1, result.stdout
    assert "missing under CI: a tool that is not installed" in result.stdout
    assert "surely_not_an_installed_module_name cannot be imported" in result.stdout
    # The plain pytest.skip is left a skip, counted, and the count fails the run.
    assert "skipped tests: 1" in result.stdout
    assert "CI=true: a skipped test is a failure here" in result.stdout


def test_under_ci_a_clean_run_passes(tmp_path):
    """Catches: a hook that fails every CI run, or counts an xfail as a skip."""
    clean = SUITE.split("def test_skips")[0] + (
        '@pytest.mark.xfail(reason="expected", strict=True)\n'
        "def test_expected_failure():\n    assert False\n"
    )
    result = _run(tmp_path, ci="true", source=clean)
    assert result.returncode == 0, result.stdout
    assert "skipped tests: 0" in result.stdout


def test_under_ci_a_plain_skip_alone_fails_the_run(tmp_path):
    """Catches: a count that is printed but does not set the exit status."""
    only_skip = 'import pytest\n\ndef test_a():\n    pass\n\ndef test_b():\n    pytest.skip("x")\n'
    assert _run(tmp_path, ci=None, source=only_skip).returncode == 0
    result = _run(tmp_path, ci="true", source=only_skip)
    assert result.returncode == 1 and "skipped tests: 1" in result.stdout


def test_a_module_skipped_at_import_counts(tmp_path):
    source = 'import pytest\npytest.importorskip("surely_not_installed")\n'
    assert "skipped tests: 1" in _run(tmp_path, ci=None, source=source).stdout
    result = _run(tmp_path, ci="true", source=source)
    assert result.returncode == 1 and "skipped tests: 1" in result.stdout


def test_ci_script_sets_ci_and_runs_the_readme_command():
    script = (ROOT / ".ci" / "run").read_text()
    assert "export CI=true" in script
    assert script.index("export CI=true") < script.index("make test")
    readme = (ROOT / "README.md").read_text()
    assert "make test" in readme
