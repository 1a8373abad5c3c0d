"""A chapter's explorer as a Colab reader runs it: a fresh environment with Colab's versions of
the preinstalled packages (ipywidgets 7.7.1 and, for the next image, the latest 8.x), the
library installed by the chapter's own first cell (from this checkout instead of GitHub),
and the notebook executed outside the repository.

The virtual environment is built once per set of versions under build/colab-venv/ (a few
minutes the first time, seconds after); only the library is installed afresh each run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, chapter_notebooks, need, slow_timeout

REPOSITORY = "https://github.com/gradients-through-time/gradients-through-time"
# What Colab preinstalls (the packages the book needs), and the kernel machinery nbclient uses.
COLAB = {
    "torch": "2.13.0",  # the CPU wheel that installs offline here; Colab's is a CUDA build
    "numpy": "2.0.2",
    "matplotlib": "3.10.0",
    "sympy": "1.14.0",  # what torch 2.13 requires (Colab pairs its torch with its sympy)
    "tqdm": "4.67.1",
    "pillow": "11.1.0",
}
KERNEL = ["ipykernel", "nbclient", "nbformat"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
CHAPTER = "09_applications"  # a chapter whose explorer is cheap to draw


def _venv(ipywidgets: str) -> Path:
    key = "-".join(f"{k}{v}" for k, v in {**COLAB, "ipywidgets": ipywidgets}.items())
    venv = ROOT / "build" / "colab-venv" / key
    python = venv / "bin" / "python"
    if (venv / ".ready").exists():
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    # No --system-site-packages: nothing from this machine's Python leaks in.
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = [f"{k}=={v}" for k, v in COLAB.items()] + [f"ipywidgets=={ipywidgets}", *KERNEL]
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", *pins],
        capture_output=True,
        text=True,
    )
    need(done.returncode == 0, f"cannot build the Colab environment: {done.stderr[-1500:]}")
    (venv / ".ready").write_text(json.dumps(pins))
    return venv


def _small_notebook(tmp: Path) -> Path:
    """The chapter's first cell (installing from this checkout), its imports cell and its
    first explorer."""
    (chapter,) = [nb for nb in chapter_notebooks() if nb.stem == CHAPTER]
    nb = json.loads(chapter.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    first, imports = code[0], code[1]
    explorer = next(c for c in code if "rnngrad.explore(" in "".join(c["source"]))
    assert "".join(imports["source"]).lstrip().startswith(("import", "from")), "no imports cell"
    source = "".join(first["source"])
    assert f'"{REPOSITORY}"' in source, "the first cell no longer clones the repository"
    # Cloned from this checkout's commits instead (offline), results archive included.
    first = {**first, "source": source.replace(f'"{REPOSITORY}"', f'"{ROOT.as_uri()}"')}
    for cell in (first, imports, explorer):
        cell["outputs"], cell["execution_count"] = [], None
    nb["cells"] = [first, imports, explorer]
    path = tmp / f"{CHAPTER}_colab.ipynb"
    path.write_text(json.dumps(nb))
    return path


_RUN = """
import json, sys, nbformat, nbclient
nb = nbformat.read(sys.argv[1], as_version=4)
nbclient.NotebookClient(nb, timeout=int(sys.argv[3]), kernel_name="python3",
                        resources={"metadata": {"path": sys.argv[2]}}).execute()
nbformat.write(nb, sys.argv[1])
"""


@pytest.mark.parametrize("ipywidgets", ["7.7.1", "8.1.9"])
def test_explorer_renders_in_colab_versions(tmp_path, ipywidgets):
    venv = _venv(ipywidgets)
    python = str(venv / "bin" / "python")
    # The library is installed by the chapter's first cell every run, as in a fresh Colab.
    subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", "rnngrad"], check=False)
    notebook = _small_notebook(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(TQDM_DISABLE="1", MPLBACKEND="agg", PATH=f"{venv / 'bin'}:{env['PATH']}")
    run = subprocess.run(
        [python, "-c", _RUN, str(notebook), str(tmp_path), str(int(slow_timeout(120)))],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=slow_timeout(300),
    )
    assert run.returncode == 0, f"a cell raised:\n{run.stderr[-3000:]}"
    cells = json.loads(notebook.read_text())["cells"]
    errors = [o for c in cells for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, errors
    views = [
        o["data"][WIDGET_VIEW] for o in cells[-1]["outputs"] if WIDGET_VIEW in o.get("data", {})
    ]
    assert views and views[0]["model_id"], "the explorer produced no live widget"
    assert views[0]["version_major"] == 2
    # Installed from this checkout, with Colab's packages left as they were (no upgrade).
    versions = subprocess.run(
        [
            python,
            "-c",
            "import importlib.metadata as m, json; print(json.dumps({p: m.version(p) for p in "
            "['rnngrad', 'ipywidgets', 'torch', 'numpy', 'matplotlib', 'sympy', 'tqdm', 'pillow']}))",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    found = json.loads(versions.stdout)
    assert found["ipywidgets"] == ipywidgets
    for package, version in COLAB.items():
        assert found[package].split("+")[0] == version, f"{package} was changed: {found[package]}"
