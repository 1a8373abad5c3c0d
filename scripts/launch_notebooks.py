"""The notebooks that the book's Colab and Binder buttons open: each page, readable outside the book.

    python scripts/launch_notebooks.py [--executed book/_build/jupyter_execute] [--out launch]
    python scripts/launch_notebooks.py --check      # exit 1 when one no longer matches its page

A page's source notebook is MyST: in Colab its prose shows ``{glue:text}`` placeholders, raw
roles and directive fences. For every notebook page of the book (``_toc.yml``) this writes
``launch/<page>.ipynb`` (``launch/chapters/03_lstm.ipynb``), the same cells with

* every glued number written in, as the book's build computed it (read from the build's
  executed notebooks and ``*.glue.json``); a note at the top says so, and the code cells
  recompute them;
* the chapter plan's reading time written in, counted from the page's words, formulas, shown
  code and figures by the book's own rule (``book/_ext/chapter_plan.py``:
  :func:`reading_counts`, :func:`reading_minutes`), so it is the same on every machine; the run
  time, a timing of the build, stays a link to the book's page;
* citations as author-year links to the bibliography, ``{term}``/``{doc}``/``{ref}`` and links
  to other pages as links to the HTML book, admonitions as blockquotes, dropdowns (the
  exercises' solutions) folded in ``<details>`` (all by ``myst_markdown``), and each figure's
  caption under its cell;
* ``remove-cell`` cells dropped, except the set-up cell (the first code cell, which installs
  ``rnngrad``) and any cell that defines a name a kept cell uses (chapter 10's ``decide``):
  the notebook must still run from top to bottom;
* an exercise's hidden cell (between its starter and its check; it computes the book's answer,
  which the check reads) kept as a Colab form, titled ``Solution: run this cell before the
  check`` and shown folded (``cellView: form``), so it neither spoils the answer nor looks
  optional; the check's first comment says to run it first.

Links point to the HTML book at ``html.baseurl`` of ``_config.yml`` when it is set, otherwise
at the GitHub Pages address of ``repository.url`` (``https://OWNER.github.io/REPO/``).

Why committed, not published elsewhere: Colab opens a notebook from a GitHub repository and
Binder builds one from a repository's ``binder/`` folder, so the notebooks must sit in a
repository at a ref that also carries ``binder/``. QuantEcon and d2l push generated notebooks to
separate repositories from CI; this book has no publishing CI, so the notebooks live in this
repository under ``launch/``, at the same commit as the chapters they come from, and
``make book`` rewrites them after each build. Each one records the glued values it used
(``metadata.launch.glue``), so ``--check`` (and ``tests/delivery/test_launch_notebooks.py``)
regenerates it from its page *with those values* and compares: a changed page is stale; a
build on another machine, whose timings differ, is not.
"""

from __future__ import annotations

import argparse
import ast
import codecs
import dataclasses
import functools
import json
import posixpath
import re
import sys
from pathlib import Path

import latexcodec  # noqa: F401  (registers the "ulatex" codec)
import nbformat
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
import chapter_plan  # noqa: E402
import myst_markdown  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BOOK = "book"
OUT = "launch"
RECORD = "application/papermill.record/"


# -- the book: its configuration, pages, bibliography and labels --------------------------
@functools.cache
def config(root: Path = ROOT) -> dict:
    return yaml.safe_load((root / BOOK / "_config.yml").read_text())


def book_url(root: Path = ROOT) -> str:
    """The published HTML book: ``html.baseurl``, else GitHub Pages of ``repository.url``."""
    conf = config(root)
    base = (conf.get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    owner, repo = conf["repository"]["url"].rstrip("/").split("/")[-2:]
    return f"https://{owner}.github.io/{repo}/"


def notebook_pages(root: Path = ROOT) -> list[str]:
    """The docnames (``chapters/03_lstm``) of the book's notebook pages, in _toc.yml order."""
    toc = (root / BOOK / "_toc.yml").read_text()
    files = re.findall(r"file:\s*([\w/.-]+)", toc)
    return [
        f.removesuffix(".ipynb")
        for f in files
        if (root / BOOK / f"{f.removesuffix('.ipynb')}.ipynb").exists()
    ]


def _latex(text: str) -> str:
    return codecs.decode(text, "ulatex").replace("{", "").replace("}", "")


@functools.cache
def bibliography(root: Path = ROOT) -> dict[str, tuple[str, str]]:
    """key -> (author-year label without the year, year, title) from references.bib."""
    from pybtex.database import parse_file

    entries = {}
    for key, entry in parse_file(str(root / BOOK / "references.bib")).entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [_latex(" ".join(p.prelast_names + p.last_names)) for p in people]
        if not names:
            who = _latex(entry.fields.get("organization", entry.fields.get("title", key)))
        elif len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} and {names[1]}"
        else:
            who = f"{names[0]} et al."
        entries[key] = (
            who,
            entry.fields.get("year", "n.d."),
            _latex(entry.fields.get("title", "")),
        )
    return entries


def _title(path: Path) -> str:
    """A page's title: its first ``# `` heading."""
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    else:
        text = path.read_text()
    m = re.search(r"^# (.+)$", text, re.M)
    return m.group(1).strip() if m else path.stem


@functools.cache
def labels(root: Path = ROOT) -> dict[str, tuple[str, str]]:
    """label -> (docname, title) for every ``(label)=`` target and named figure in the book."""
    found = {}
    for path in sorted((root / BOOK).rglob("*")):
        if "_build" in path.parts or path.suffix not in (".ipynb", ".md"):
            continue
        doc = path.relative_to(root / BOOK).with_suffix("").as_posix()
        if path.suffix == ".ipynb":
            cells = nbformat.read(path, as_version=4).cells
            text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
            for c in cells:
                fig = c.metadata.get("mystnb", {}).get("figure", {})
                if fig.get("name"):
                    found[fig["name"]] = (doc, "Figure")
        else:
            text = path.read_text()
        for m in re.finditer(r"^\(([^()\s]+)\)=[ \t]*\n+(?:#+ (.+))?", text, re.M):
            found[m.group(1)] = (doc, (m.group(2) or m.group(1)).strip())
        for m in re.finditer(r"^:name:[ \t]*(\S+)", text, re.M):
            found[m.group(1)] = (doc, m.group(1))
    return found


class Page:
    """One page, as :mod:`myst_markdown` sees the book; records the glued values it used."""

    def __init__(self, root: Path, docname: str, glued: dict[str, dict[str, dict]]):
        self.root, self.docname, self.glued = root, docname, glued
        self.base = book_url(root)
        self.used: dict[str, dict[str, dict]] = {}

    def _doc(self, target: str) -> str:
        """A path relative to this page -> a docname."""
        if not target:
            return self.docname
        return posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), target))

    def glue(self, doc: str | None, key: str) -> dict:
        docname = self._doc(doc.removesuffix(".ipynb")) if doc else self.docname
        try:
            data = self.glued[docname][key]
        except KeyError:
            raise myst_markdown.MystError(
                f"{self.docname}: no glued value {key!r} from {docname} (build the book first)"
            ) from None
        kept = {m: v for m, v in data.items() if m.startswith("text/")}
        kept.update({m: "" for m in data if m.startswith("image/")})
        self.used.setdefault(docname, {})[key] = kept
        return data

    def cite(self, keys: list[str], textual: bool) -> str:
        url = f"{self.base}bibliography.html"
        bib, parts = bibliography(self.root), []
        for key in keys:
            if key not in bib:
                raise myst_markdown.MystError(f"{self.docname}: {key!r} is not in references.bib")
            who, year, title = bib[key]
            tip = title.replace('"', "'")
            parts.append(
                f'[{who}]({url} "{tip}") ({year})' if textual else f'[{who}, {year}]({url} "{tip}")'
            )
        return "; ".join(parts) if textual else f"({'; '.join(parts)})"

    def page_url(self, target: str, anchor: str = "") -> str:
        return f"{self.base}{self._doc(target)}.html" + (f"#{anchor}" if anchor else "")

    def term_url(self, term: str) -> str:
        from sphinx.util.nodes import _make_id  # Sphinx's glossary ids keep the term's case

        return f"{self.base}glossary.html#{_make_id('term-' + term)}"

    def label(self, label: str) -> tuple[str, str]:
        if label not in labels(self.root):
            raise myst_markdown.MystError(f"{self.docname}: no target {label!r} in the book")
        doc, title = labels(self.root)[label]
        return f"{self.base}{doc}.html#{label}", title

    def title(self, target: str) -> str:
        doc = self._doc(target)
        for suffix in (".ipynb", ".md"):
            if (self.root / BOOK / f"{doc}{suffix}").exists():
                return _title(self.root / BOOK / f"{doc}{suffix}")
        raise myst_markdown.MystError(f"{self.docname}: no page {target!r}")


# -- glued values from the build -----------------------------------------------------------
def read_glue(executed: Path, docnames: list[str]) -> dict[str, dict[str, dict]]:
    """docname -> key -> mime bundle of every value the build glued, from the executed
    notebooks' glue outputs and myst-nb's ``<page>.glue.json`` (written even when the page's
    outputs came from the execution cache and the executed copy has none)."""
    glued: dict[str, dict[str, dict]] = {}
    for doc in docnames:
        values = glued.setdefault(doc, {})
        ipynb, saved = executed / f"{doc}.ipynb", executed / f"{doc}.glue.json"
        outputs = []
        if ipynb.exists():
            for cell in nbformat.read(ipynb, as_version=4).cells:
                outputs += cell.get("outputs", [])
        if saved.exists():
            outputs += json.loads(saved.read_text()).values()
        for out in outputs:
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = {k.removeprefix(RECORD): v for k, v in out.get("data", {}).items()}
    return glued


# -- one launch notebook -------------------------------------------------------------------
def _names(source: str) -> tuple[set[str], set[str]]:
    """(names a cell binds, names it reads without binding them first)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython syntax (%magic): treat as binding and reading nothing
        return set(), set()
    bound, read = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (bound if isinstance(node.ctx, ast.Store) else read).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return bound, read - bound


def kept_code_cells(cells: list) -> set[int]:
    """Indices of the code cells a launch notebook keeps: untagged ones, the set-up cell
    (the first code cell), and every ``remove-cell`` cell whose names a kept cell reads."""
    code = [i for i, c in enumerate(cells) if c.cell_type == "code"]
    keep = {i for i in code if "remove-cell" not in _tags(cells[i])} | set(code[:1])
    names = {i: _names(cells[i].source) for i in code}
    while True:
        needed = set()
        for i in keep:
            for name in names[i][1]:
                binders = [j for j in code if j < i and name in names[j][0]]
                if binders and binders[-1] not in keep:
                    needed.add(binders[-1])
        if not needed:
            return keep
        keep |= needed


def _tags(cell) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


# An exercise's hidden cell, as a Colab form: the title shows, the code stays folded.
SOLUTION_TITLE = "# @title Solution: run this cell before the check (it computes the book's answer)"
CHECK_LINE = re.compile(r"^# Check your answer to exercise ([\w.]+):.*$", re.M)


def exercise_roles(cells: list) -> dict[int, str]:
    """``{index: "solution" | "check"}`` for the cells of each code exercise: the hidden
    (``remove-cell``) code cells after a starter (tag ``exercise``) and before its check (tag
    ``exercise-check``), and the check itself."""
    roles, inside = {}, False
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        tags = _tags(cell)
        if "exercise" in tags:
            inside = True
        elif "exercise-check" in tags:
            roles[i], inside = "check", False
        elif inside and "remove-cell" in tags:
            roles[i] = "solution"
    return roles


def as_solution_form(source: str) -> str:
    """An exercise's hidden cell with the form title on its first line."""
    return f"{SOLUTION_TITLE}\n{source}"


def check_told_to_run_solution(source: str) -> str:
    """The check cell, its first comment saying to run the solution cell first."""
    match = CHECK_LINE.search(source)
    number = match.group(1) if match else "above"
    line = (
        f"# Check your answer to exercise {number}: run the exercise's cell with the knob it names, "
        'then the cell titled "Solution: run this cell before the check" (folded, between them), '
        "then this one."
    )
    return CHECK_LINE.sub(line, source, count=1) if match else f"{line}\n{source}"


# -- the reading time ----------------------------------------------------------------------
def markdown_counts(text: str) -> chapter_plan.ReadingCounts:
    """What a reader reads in one Markdown cell, counted by the book's rule: the cell parsed
    into a docutils tree (MyST's parser, ``$`` math on) and handed to ``reading_counts``."""
    from docutils.core import publish_doctree
    from myst_parser.parsers.docutils_ import Parser

    settings = {"myst_enable_extensions": ["dollarmath"], "report_level": 5, "halt_level": 5,
                "warning_stream": False}  # fmt: skip
    return chapter_plan.reading_counts(
        publish_doctree(text, parser=Parser(), settings_overrides=settings)
    )


def reading_minutes(source: nbformat.NotebookNode, cells: list) -> int:
    """The page's reading time in minutes, by ``chapter_plan.reading_minutes``: the words and
    formulas of the launch notebook's Markdown (its own note left out), the lines of code the
    page shows (not its ``remove-cell`` or ``remove-input`` cells) and its captioned figures.
    It counts what is written in the notebook, so it is the same on every machine; the tables
    and plots that the cells print are not counted."""
    total = chapter_plan.ReadingCounts()
    for cell in cells:
        if cell.cell_type == "markdown" and cell.get("id") != "launch-note":
            counts = markdown_counts(cell.source)
            total = dataclasses.replace(
                total,
                words=total.words + counts.words,
                inline_math_words=total.inline_math_words + counts.inline_math_words,
                display_equations=total.display_equations + counts.display_equations,
            )
    for cell in source.cells:
        if cell.cell_type != "code" or {"remove-cell", "remove-input"} & set(_tags(cell)):
            continue
        shown = [line for line in cell.source.splitlines() if line.strip()]
        total = dataclasses.replace(
            total,
            code_lines=total.code_lines + len(shown),
            figures=total.figures + bool(cell.metadata.get("mystnb", {}).get("figure")),
        )
    return chapter_plan.reading_minutes(total)


def note(page: Page, title: str) -> str:
    return (
        f"*This is the runnable copy of **{title}**, a page of "
        f"[Gradients Through Time]({page.base}) ([read it in the book]({page.page_url('')})). "
        "The numbers in the text are those of the book's build; the code cells recompute "
        "them, so a re-run may differ, timings most of all. A CPU runtime is enough: the "
        "models are small and train one at a time (the book's page "
        f"[for instructors]({page.base}instructors.html) gives the measured cost of a step).*"
    )


def launch_notebook(root: Path, docname: str, glued: dict) -> nbformat.NotebookNode:
    """The launch notebook of one page (``chapters/03_lstm``), from its source and ``glued``."""
    source = nbformat.read(root / BOOK / f"{docname}.ipynb", as_version=4)
    page = Page(root, docname, glued)
    repo_url = config(root)["repository"]["url"].rstrip("/")
    keep = kept_code_cells(source.cells)
    roles = exercise_roles(source.cells)
    cells = [
        nbformat.v4.new_markdown_cell(
            note(page, _title(root / BOOK / f"{docname}.ipynb")), id="launch-note"
        )
    ]
    for i, cell in enumerate(source.cells):
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(
                myst_markdown.convert(page, cell.source), id=cell.id
            )
            new.metadata = cell.metadata
            cells.append(new)
        elif cell.cell_type == "code" and i in keep:
            # The set-up cell's template names the repository as {url} (rnngrad's SETUP_CELL).
            code = cell.source.replace("{url}", repo_url)
            metadata = dict(cell.metadata)
            if roles.get(i) == "solution":
                code, metadata["cellView"] = as_solution_form(code), "form"
            elif roles.get(i) == "check":
                code = check_told_to_run_solution(code)
            new = nbformat.v4.new_code_cell(code, id=cell.id)
            new.metadata = metadata
            cells.append(new)
            caption = cell.metadata.get("mystnb", {}).get("figure", {}).get("caption")
            if caption:
                text = myst_markdown.convert(page, caption)
                cells.append(
                    nbformat.v4.new_markdown_cell(f"**Figure.** {text}", id=f"{cell.id}-caption")
                )
        elif cell.cell_type == "raw":
            cells.append(cell)
    if any(myst_markdown.READING_TIME in c.source for c in cells):
        minutes = f"about {reading_minutes(source, cells)} min"
        for c in cells:
            c.source = c.source.replace(myst_markdown.READING_TIME, minutes)
    nb = nbformat.v4.new_notebook(cells=cells, metadata=dict(source.metadata))
    nb.metadata["launch"] = {"source": f"{BOOK}/{docname}.ipynb", "glue": page.used}
    nb.nbformat, nb.nbformat_minor = source.nbformat, source.nbformat_minor
    return nb


def write(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def stale(root: Path = ROOT, out: str = OUT) -> list[str]:
    """Why each committed launch notebook no longer matches its page (empty: all match).
    Each is regenerated from its page with the glued values it recorded, so numbers that
    differ between builds (timings) never make it stale; a changed page does."""
    problems = []
    for doc in notebook_pages(root):
        path = root / out / f"{doc}.ipynb"
        if not path.exists():
            problems.append(f"{path.relative_to(root)} is missing")
            continue
        committed = path.read_text()
        recorded = json.loads(committed)["metadata"].get("launch", {}).get("glue", {})
        try:
            fresh = write(launch_notebook(root, doc, recorded))
        except myst_markdown.MystError as error:
            problems.append(f"{path.relative_to(root)} is stale: {error}")
            continue
        if fresh != committed:
            old, new = json.loads(committed)["cells"], json.loads(fresh)["cells"]
            where = next(
                (i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b),
                min(len(old), len(new)),
            )
            problems.append(
                f"{path.relative_to(root)} is stale from cell {where} (run {Path(__file__).name})"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executed", type=Path, default=ROOT / BOOK / "_build" / "jupyter_execute")
    parser.add_argument("--out", default=OUT, help="folder under the repository root")
    parser.add_argument(
        "--check", action="store_true", help="report stale notebooks, write nothing"
    )
    args = parser.parse_args(argv)
    if args.check:
        problems = stale(ROOT, args.out)
        print("\n".join(problems) or "every launch notebook matches its page")
        return 1 if problems else 0
    if not args.executed.is_dir():
        parser.error(
            f"{args.executed} is not a folder of executed notebooks (build the book first)"
        )
    docs = notebook_pages()
    glued = read_glue(args.executed, docs)
    for doc in docs:
        path = ROOT / args.out / f"{doc}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(write(launch_notebook(ROOT, doc, glued)))
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
