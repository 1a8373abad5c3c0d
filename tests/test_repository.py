"""Repository hygiene: notebooks committed clean, one repository URL everywhere."""

import json
import re
import subprocess

import yaml

from conftest import BOOK, ROOT, chapter_notebooks

CONFIG = yaml.safe_load((BOOK / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
OWNER_REPO = REPO_URL.removeprefix("https://github.com/")


def _tracked_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True)
    return [ROOT / p for p in out.stdout.split()] or chapter_notebooks()


def test_notebooks_are_committed_without_outputs():
    for path in _tracked_notebooks():
        nb = json.loads(path.read_text())
        dirty = [
            i
            for i, c in enumerate(nb["cells"])
            if c["cell_type"] == "code"
            and (c.get("outputs") or c.get("execution_count") is not None)
        ]
        assert not dirty, f"{path.name}: cells {dirty} carry outputs; the build executes them"


def test_every_chapter_is_in_the_toc():
    toc = (BOOK / "_toc.yml").read_text()
    for nb in chapter_notebooks():
        assert f"chapters/{nb.stem}" in toc, f"{nb.name} is not in _toc.yml"


def test_chapters_install_rnngrad_from_the_configured_repository():
    for nb_path in chapter_notebooks():
        nb = json.loads(nb_path.read_text())
        first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
        source = "".join(first_code["source"])
        urls = re.findall(r"git\+(https://[^\s\"']+)", source)
        assert urls == [REPO_URL], f"{nb_path.name}: install URL {urls} != {REPO_URL}"
        assert "pick_device" in source and "print(" in source  # the device is printed
        assert nb["metadata"].get("accelerator") == "GPU", "Colab should offer a GPU runtime"


def test_readme_and_binder_use_the_configured_repository():
    readme = (ROOT / "README.md").read_text()
    github = set(re.findall(r"github\.com/([\w.-]+/[\w.-]+)", readme))
    binder = set(re.findall(r"mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", readme))
    colab = set(re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", readme))
    assert github | binder | colab, "the README links to the repository, Binder and Colab"
    for found in (github, binder, colab):
        assert found <= {OWNER_REPO}, f"README names {found}, _config.yml says {OWNER_REPO}"
    assert (
        "-e ." in (ROOT / "binder" / "requirements.txt").read_text()
        or "rnngrad" in (ROOT / "binder" / "requirements.txt").read_text()
    )


def test_reader_requirements_are_ranges_not_pins():
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        assert "==" not in line, f"requirements.txt pins {line!r}; readers need ranges"
    binder = (ROOT / "binder" / "requirements.txt").read_text()
    assert "download.pytorch.org/whl/cpu" in binder, "Binder should install CPU-only torch"


FIGURE_ENDINGS = ("fig", "rnngrad.plots.", "rnngrad.sweep_plots.", "rnngrad.explore(")


def test_every_figure_cell_has_a_caption():
    """A cell that ends by showing a figure carries a caption for the book (and the PDF)."""
    for path in chapter_notebooks():
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] != "code":
                continue
            lines = "".join(cell["source"]).strip().splitlines()
            # The statement that starts the cell's last expression.
            last = next((ln for ln in reversed(lines) if ln and not ln.startswith((" ", ")"))), "")
            if last.startswith(FIGURE_ENDINGS) and not last.startswith("fig,"):
                caption = cell["metadata"].get("mystnb", {}).get("figure", {}).get("caption")
                assert caption, f"{path.name} cell {i} shows a figure without a caption"
