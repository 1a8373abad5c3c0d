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


def test_every_chapter_starts_with_the_one_setup_cell():
    """The first code cell of every chapter is rnngrad.notebook.helpers.SETUP_CELL word for word:
    it installs from the configured repository only when the library is missing, and calls
    rnngrad.setup(), which prints the device. Hidden on the HTML page (remove-cell), shown in
    Colab. Catches a chapter left with an old or edited copy of the set-up."""
    from rnngrad.notebook.helpers import SETUP_CELL

    expected = SETUP_CELL.replace("{url}", REPO_URL)
    assert re.findall(r"\"(https://[^\s\"']+)\"", expected) == [REPO_URL]
    for nb_path in chapter_notebooks():
        nb = json.loads(nb_path.read_text())
        first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
        assert "".join(first_code["source"]) == expected, f"{nb_path.name}: first cell differs"
        assert "remove-cell" in first_code["metadata"].get("tags", []), nb_path.name
        assert "accelerator" not in nb["metadata"], f"{nb_path.name}: a CPU runtime is enough"
        assert "gpuType" not in nb["metadata"].get("colab", {}), nb_path.name


def test_colab_is_asked_for_no_gpu():
    """The book's live runs are small recurrent models run one at a time: a CPU is enough
    (measured on the instructors' page). Catches: a chapter or launch notebook whose metadata still asks Colab for a GPU runtime
    (``accelerator: GPU``, ``colab.gpuType``), which Colab then tries to start."""
    pages = [*chapter_notebooks(), *sorted((ROOT / "launch").rglob("*.ipynb"))]
    asking = [
        p.relative_to(ROOT).as_posix()
        for p in pages
        if "accelerator" in (meta := json.loads(p.read_text())["metadata"])
        or "gpuType" in meta.get("colab", {})
    ]
    assert not asking, f"these notebooks ask Colab for a GPU: {asking}"


def test_readme_and_binder_use_the_configured_repository():
    """Each kind of link (repository, Binder, Colab) is present and names the one configured
    repository. Catches: a README that lost its Binder or Colab link (the union of the three
    would still be non-empty), and a link to a fork or an old name."""
    readme = (ROOT / "README.md").read_text()
    github = set(re.findall(r"github\.com/([\w.-]+/[\w.-]+)", readme))
    binder = set(re.findall(r"mybinder\.org/v2/gh/([\w.-]+/[\w.-]+)/", readme))
    colab = set(re.findall(r"colab\.research\.google\.com/github/([\w.-]+/[\w.-]+)/", readme))
    for kind, found in (("repository", github), ("Binder", binder), ("Colab", colab)):
        assert found == {OWNER_REPO}, f"README {kind} links name {found}, not {OWNER_REPO}"
    branch = CONFIG["repository"].get("branch", "main")
    for path in re.findall(
        rf"colab\.research\.google\.com/github/{OWNER_REPO}/blob/{branch}/([\w./-]+\.ipynb)", readme
    ):
        assert (ROOT / path).exists(), f"the README's Colab link opens {path}, which does not exist"
    assert re.search(rf"mybinder\.org/v2/gh/{OWNER_REPO}/{branch}\b", readme)
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


FIGURE_ENDINGS = (
    "fig",
    "figures.",
    "frames.",
    "rnngrad.figures.",
    "rnngrad.frames.",
    "rnngrad.explore(",
)


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


MAX_CELL_LINES = 30  # a cell the reader sees
MAX_HIDDEN_LINES = 60  # a removed cell (the page and the launch notebooks drop it): its glue


def test_chapter_code_cells_are_short():
    """A chapter cell does one thing (issue: code a student reads): a cell the reader sees has
    at most 30 lines, so a cell that trains, tabulates, plots and glues at once is split; a
    removed cell, which only computes the words and numbers the prose pastes and which neither
    the page nor the launch notebook shows, at most 60. Catches a long cell of either kind."""

    def limit(cell):
        return (
            MAX_HIDDEN_LINES
            if "remove-cell" in cell["metadata"].get("tags", [])
            else MAX_CELL_LINES
        )

    long = [
        f"{path.name} cell {i} ({n} lines)"
        for path in chapter_notebooks()
        for i, cell in enumerate(json.loads(path.read_text())["cells"])
        if cell["cell_type"] == "code"
        and (n := len("".join(cell["source"]).strip().splitlines())) > limit(cell)
    ]
    assert not long, "split these cells: " + ", ".join(long)


def test_a_difference_reads_as_prose():
    """Catches "0e+00" on the page (a zero written in scientific notation) and a negative or
    NaN error passing silently into the prose."""
    import pytest

    import rnngrad

    assert rnngrad.difference(0.0) == "exactly 0"
    assert rnngrad.difference(3.2e-7) == "3e-07"
    assert rnngrad.difference(3.26e-7, digits=1) == "3.3e-07"
    for bad in (-1e-9, float("nan")):
        with pytest.raises(ValueError):
            rnngrad.difference(bad)


def _discarded_tables(source: str) -> list[int]:
    """Lines of ``rnngrad.table(...)`` calls whose result is dropped: a bare expression that is
    not the cell's last top-level statement (inside an ``if``, ``for`` or ``else`` branch, or
    followed by more code), which a notebook never displays."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: not a chapter's table cell
        return []
    last = tree.body[-1] if tree.body else None
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and node is not last and isinstance(node.value, ast.Call):
            func = node.value.func
            if (
                isinstance(func, ast.Attribute)
                and func.attr == "table"
                and getattr(func.value, "id", "") == "rnngrad"
            ):
                lines.append(node.lineno)
    return lines


def test_every_table_a_chapter_makes_is_shown():
    """Catches a table built inside a branch (``else: rnngrad.table(...)``) or before the cell's
    last line: the notebook discards it, and the page shows the verdicts without their table
    (chapter 5's copy and agreement tables were missing so)."""
    assert _discarded_tables("if x:\n    print(1)\nelse:\n    rnngrad.table(rows, head)\n") == [4]
    assert _discarded_tables("rows = 1\nrnngrad.table(rows, head)\n") == []
    for path in _tracked_notebooks():
        nb = json.loads(path.read_text())
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] == "code":
                lost = _discarded_tables("".join(cell["source"]))
                assert not lost, (
                    f"{path.name}, cell {i}: rnngrad.table on line {lost} is never shown"
                )


TEST_PATH = re.compile(r"\btests/[\w./-]*?\w\.py\b")


def _named_test_paths(text: str) -> set[str]:
    """The ``tests/...py`` paths a page names (in its prose or its code)."""
    return set(TEST_PATH.findall(text))


def test_every_test_file_the_book_names_exists():
    """A chapter or page that cites a test file (``tests/unit/test_nongated.py`` checks it)
    must name one that exists. Catches a path left behind when the tests moved into
    ``tests/unit/`` (chapter 11 cited ``tests/test_nongated.py``, chapter 15
    ``tests/test_recall_tasks.py``): the reader looks for a file that is not there."""
    assert _named_test_paths("see `tests/test_nongated.py` and tests/unit/test_x.py.") == {
        "tests/test_nongated.py",
        "tests/unit/test_x.py",
    }
    pages = [(p, p.read_text()) for p in sorted(BOOK.glob("*.md"))]
    pages += [(p, p.read_text()) for p in chapter_notebooks()]
    missing = [
        f"{path.relative_to(ROOT)} names {name}"
        for path, text in pages
        for name in sorted(_named_test_paths(text))
        if not (ROOT / name).is_file()
    ]
    assert not missing, "no such test file: " + "; ".join(missing)
