"""The Makefile's library stamp: a change to lib/rnngrad executes the chapters again.

The book executes with ``execute_notebooks: cache``, whose key is each notebook's code; a
change to the library alone would leave every cached output stale. The stamp target empties
the cache when any library file is newer than the stamp. Run on a copy of the Makefile in a
scratch folder (only the stamp target, no build).

Catches: a stamp that depends on the folder (its time does not change when a file in it is
edited), one that lists some modules only (a new module is missed), a recipe that empties
another folder than the cache Jupyter Book reads, and a ``book`` target that skips the stamp.
"""

import os
import shutil
import subprocess

import pytest
import yaml

from conftest import BOOK, ROOT, slow_timeout

STAMP = "book/_build/.lib-stamp"


def _make(folder, *targets):
    return subprocess.run(
        ["make", "--no-print-directory", "-f", "Makefile", *targets],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=slow_timeout(15),
    )


@pytest.fixture
def scratch(tmp_path):
    need_make = shutil.which("make")
    assert need_make, "make is not installed"
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    lib = tmp_path / "lib" / "rnngrad"
    lib.mkdir(parents=True)
    for name in ("__init__.py", "cells.py", "probe.py"):
        (lib / name).write_text("# a module\n")
        os.utime(lib / name, (1_000_000, 1_000_000))
    return tmp_path


def _cache(folder):
    cache = folder / "book" / "_build" / ".jupyter_cache"
    return cache


def _fill_cache(folder):
    cache = _cache(folder)
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "global.db").write_text("executed outputs")


def _set_time(path, t):
    os.utime(path, (t, t))


def test_cache_is_emptied_when_the_library_changes(scratch):
    _fill_cache(scratch)
    assert _make(scratch, STAMP).returncode == 0  # no stamp yet: cache emptied, stamp made
    assert not _cache(scratch).exists() and (scratch / STAMP).exists()
    _set_time(scratch / STAMP, 2_000_000)

    _fill_cache(scratch)  # the build fills it again
    assert _make(scratch, STAMP).returncode == 0
    assert _cache(scratch).exists(), "nothing changed, yet the cache was emptied"

    _set_time(scratch / "lib" / "rnngrad" / "probe.py", 3_000_000)  # a library edit
    assert _make(scratch, STAMP).returncode == 0
    assert not _cache(scratch).exists(), "a library edit left the cached chapters in place"


def test_a_new_library_module_also_counts(scratch):
    _make(scratch, STAMP)
    _set_time(scratch / STAMP, 2_000_000)
    _fill_cache(scratch)
    new = scratch / "lib" / "rnngrad" / "meanfield.py"
    new.write_text("# new\n")
    _set_time(new, 3_000_000)
    _set_time(new.parent, 1_000_000)  # the folder's own time says nothing changed
    assert _make(scratch, STAMP).returncode == 0
    assert not _cache(scratch).exists(), "a new module did not empty the cache"


def test_an_edit_inside_a_sub_package_counts(scratch):
    """The library is in layers (lib/rnngrad/core/, measure/, ...). Catches a stamp that
    globs only lib/rnngrad/*.py, which misses every module of a layer."""
    layer = scratch / "lib" / "rnngrad" / "measure"
    layer.mkdir()
    (layer / "probe.py").write_text("# a module of a layer\n")
    _set_time(layer / "probe.py", 1_000_000)
    _make(scratch, STAMP)
    _set_time(scratch / STAMP, 2_000_000)
    _fill_cache(scratch)
    _set_time(layer / "probe.py", 3_000_000)  # an edit one folder down
    assert _make(scratch, STAMP).returncode == 0
    assert not _cache(scratch).exists(), "an edit inside a layer left the cached chapters"


def test_book_target_runs_the_stamp_and_the_cache_is_the_one_jupyter_book_reads():
    makefile = (ROOT / "Makefile").read_text()
    book_rule = next(line for line in makefile.splitlines() if line.startswith("book:"))
    assert STAMP in book_rule, "`make book` does not depend on the library stamp"
    execute = yaml.safe_load((BOOK / "_config.yml").read_text())["execute"]
    assert execute["execute_notebooks"] == "cache"
    # Jupyter Book 1 keeps the cache in _build/.jupyter_cache unless execute.cache names one.
    cache = execute.get("cache") or "_build/.jupyter_cache"
    assert f"rm -rf book/{cache.strip('/')}" in makefile
