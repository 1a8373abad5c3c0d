"""The launch notebooks (launch/, written by scripts/launch_notebooks.py): what the Colab and
Binder buttons open. Each must read like the book (no raw MyST), run from top to bottom, and
match its page."""

import posixpath
import re
import shutil
import sys

import nbformat
import pytest
import yaml

from conftest import BOOK, ROOT, chapter_notebooks, sphinx_build

sys.path.insert(0, str(ROOT / "scripts"))
import launch_notebooks as ln  # noqa: E402
import myst_markdown  # noqa: E402

PAGES = ln.notebook_pages(ROOT)
REPO_URL = yaml.safe_load((BOOK / "_config.yml").read_text())["repository"]["url"].rstrip("/")
RAW = ("{glue", "{cite", "{term", "{ref", "{numref", "{doc", "```{", ":::{")
GLUE_ROLE = re.compile(r"\{glue:text\}`([^`]+)`")


def _launch(doc: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / ln.OUT / f"{doc}.ipynb", as_version=4)


def _source(doc: str) -> nbformat.NotebookNode:
    return nbformat.read(BOOK / f"{doc}.ipynb", as_version=4)


def test_every_page_has_a_valid_launch_notebook():
    """Every chapter (and notebook page) has one, it validates, and it carries no outputs.
    Catches: a new chapter without a launch notebook (its Colab button would open a 404)."""
    assert {f"chapters/{nb.stem}" for nb in chapter_notebooks()} <= set(PAGES)
    for doc in PAGES:
        nb = _launch(doc)
        nbformat.validate(nb)
        assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), doc


def test_no_raw_myst_is_left():
    """Catches: a role left raw because it wraps a line, or sits inside an admonition whose
    body is copied unconverted."""
    for doc in PAGES:
        for i, cell in enumerate(_launch(doc).cells):
            if cell.cell_type == "markdown":
                raw = [r for r in RAW if r in cell.source]
                assert not raw, f"{doc} cell {i} still has {raw}"


def test_the_setup_cell_comes_first():
    """The first code cell is the set-up cell, with the configured repository (it installs
    rnngrad in Colab). Catches: the set-up cell dropped with the other remove-cell cells, and
    a page whose set-up cell still reads {url} (the template's placeholder)."""
    from rnngrad.notebook.helpers import SETUP_CELL

    for doc in PAGES:
        first = next(c for c in _launch(doc).cells if c.cell_type == "code")
        assert first.source == SETUP_CELL.replace("{url}", REPO_URL), doc


def test_every_glued_value_is_written_in():
    """Every ``{glue:text}`` of a page's cell is recorded, and its value, formatted as the book
    formats it, stands in the same cell of the launch notebook. Catches: a value left out or
    written unformatted ('0.149' with its quotes, or 0.14912 for ``:.3f``), and a cross-page
    value looked up in the wrong page."""
    from myst_nb.core.variables import format_plain_text

    for doc in PAGES:
        launch = {c.id: c for c in _launch(doc).cells}
        recorded = _launch(doc).metadata["launch"]["glue"]
        for cell in _source(doc).cells:
            if cell.cell_type != "markdown":
                continue
            for content in GLUE_ROLE.findall(cell.source):
                key, fmt = content.rsplit(":", 1) if ":" in content else (content, "s")
                page, _, key = key.rpartition("::")
                # another page's key is relative to this page's folder (the instructors' page
                # pastes chapters/03_lstm.ipynb::..., a chapter 05_benchmarks.ipynb::...)
                page = (
                    posixpath.normpath(
                        posixpath.join(posixpath.dirname(doc), page.removesuffix(".ipynb"))
                    )
                    if page
                    else doc
                )
                assert key in recorded.get(page, {}), f"{doc}: {key} not recorded"
                value = format_plain_text(recorded[page][key]["text/plain"], fmt)
                text = launch[cell.id].source  # in a blockquote a line's trailing space goes
                assert all(line.strip() in text for line in value.splitlines()), (
                    f"{doc}: {key} = {value!r}"
                )


PLAN_TIMES = re.compile(
    r"\*\*Reading time:\*\* about (\d+) min\. \*\*Run time:\*\* measured by the book's build, "
    r"on \[the book's page\]\(([^)]+)\); it differs from machine to machine\."
)


def test_the_plan_states_the_reading_time_and_links_the_run_time():
    """Each chapter's plan writes in its reading time, counted from the notebook as the book
    counts a page (``chapter_plan.reading_minutes``), and links the run time, a timing of the
    build, to the book's page. Catches: a plan that sends the Colab reader to the book's page
    for both times, a reading time left as its placeholder or typed by hand (it would not
    follow the text), and a run time written in (another machine's build would make the
    notebook stale)."""
    for doc in (p for p in PAGES if p.startswith("chapters/")):
        cells = _launch(doc).cells
        plan = next((c for c in cells if "**Plan of the chapter**" in c.source), None)
        assert plan is not None, f"{doc}: no chapter plan"
        assert myst_markdown.READING_TIME not in plan.source, f"{doc}: reading time not filled"
        m = PLAN_TIMES.search(" ".join(plan.source.replace(">", " ").split()))
        assert m, f"{doc}: the plan does not state the reading time and link the run time"
        assert int(m.group(1)) == ln.reading_minutes(_source(doc), cells), doc
        assert m.group(2) == ln.Page(ROOT, doc, {}).page_url(""), doc


def test_reading_time_counts_what_the_page_shows():
    """The reading time of a small notebook, by the book's rates: 400 words (2 min) and 20
    shown lines of code at 3 s (1 min) make 3 min; a removed cell and the launch note are not
    read. Catches: counting the hidden cells or the note, and not counting the code."""
    md = nbformat.v4.new_markdown_cell("word " * 400, id="m")
    shown = nbformat.v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(20)))
    hidden = nbformat.v4.new_code_cell("\n".join(f"y{i} = {i}" for i in range(200)))
    hidden.metadata["tags"] = ["remove-cell"]
    note = nbformat.v4.new_markdown_cell("word " * 1000, id="launch-note")
    source = nbformat.v4.new_notebook(cells=[md, shown, hidden])
    assert ln.markdown_counts("Two words and $x^2 + y^2$.").inline_math_words == 2
    assert ln.reading_minutes(source, [note, md]) == 3


def test_solutions_are_folded():
    """Every dropdown (the exercises' solutions) is a ``<details>`` block holding its whole
    body. Catches: solutions shown unfolded beside the questions, as a blockquote."""
    dropdown = re.compile(r"^:::\{admonition\} (.+)\n:class: dropdown\n(.+?)\n:::$", re.S | re.M)
    found = 0
    for doc in PAGES:
        launch = {c.id: c for c in _launch(doc).cells}
        for cell in _source(doc).cells:
            for title, body in dropdown.findall(cell.source):
                found += 1
                text = launch[cell.id].source
                folded = re.search(
                    rf"<details>\n<summary>{re.escape(title)}</summary>\n(.+?)</details>",
                    text,
                    re.S,
                )
                assert folded, f"{doc}: {title!r} is not folded"
                last = body.strip().splitlines()[-1].strip()
                if "`" not in last and "](" not in last:  # no role, no link: unchanged
                    assert last in folded.group(1), f"{doc}: {title!r} left part of its body out"
    assert found >= 10, "the chapters' solutions were not found"


def test_every_kept_cell_can_run():
    """A name a launch notebook's code reads, where its page binds it, is bound by a cell the
    launch notebook kept. Catches: dropping every remove-cell cell (chapter 10's hidden
    ``decide``, which its visible cells call, would raise NameError in Colab)."""
    for doc in PAGES:
        bound = set()
        for cell in _source(doc).cells:
            if cell.cell_type == "code":
                bound |= ln._names(cell.source)[0]
        kept = set()
        for i, cell in enumerate(c for c in _launch(doc).cells if c.cell_type == "code"):
            binds, reads = ln._names(cell.source)
            missing = (reads & bound) - kept
            assert not missing, (
                f"{doc} code cell {i} reads {sorted(missing)}, bound only in dropped cells"
            )
            kept |= binds


def test_exercise_solution_cells_are_folded_forms():
    """An exercise's hidden cell (it computes the book's answer, which the check reads) is a
    Colab form: titled "Solution: run this cell before the check" on its first line, with
    ``cellView: form``, and the check's first comment says to run it first. Catches: the hidden
    cell kept as plain code between the starter and the check, where it shows the answer and
    looks optional (a student who runs the starter, then the check, gets a NameError)."""
    forms = 0
    for doc in PAGES:
        cells = _launch(doc).cells
        for i, role in ln.exercise_roles(cells).items():
            cell = cells[i]
            if role == "solution":
                forms += 1
                assert cell.source.splitlines()[0] == ln.SOLUTION_TITLE, (
                    f"{doc} cell {i}: no form title"
                )
                assert cell.metadata.get("cellView") == "form", f"{doc} cell {i}: not folded"
            else:
                first = cell.source.splitlines()[0]
                assert first.startswith("# Check your answer") and "Solution" in first, (
                    f"{doc} cell {i}: the check does not say to run the solution cell first"
                )
    assert forms >= 16, f"only {forms} exercise solution cells found"


def test_a_hidden_exercise_cell_without_its_form_is_caught():
    """The roles the test above reads: a starter, its hidden cell and its check. Catches: a
    role finder that misses the hidden cell (the test above would then check nothing)."""
    starter = nbformat.v4.new_code_cell("x = 1  # the knob\nanswer = x")
    starter.metadata["tags"] = ["exercise"]
    hidden = nbformat.v4.new_code_cell("ch0_ex1 = 2")
    hidden.metadata["tags"] = ["remove-cell"]
    check = nbformat.v4.new_code_cell(
        "# Check your answer to exercise 0.1: ...\nassert answer == ch0_ex1"
    )
    check.metadata["tags"] = ["exercise-check", "skip-execution"]
    other = nbformat.v4.new_code_cell("y = 3")
    other.metadata["tags"] = ["remove-cell"]
    cells = [other, starter, hidden, check, other]
    assert ln.exercise_roles(cells) == {2: "solution", 3: "check"}
    assert ln.as_solution_form(hidden.source).splitlines()[0] == ln.SOLUTION_TITLE
    told = ln.check_told_to_run_solution(check.source)
    assert told.splitlines()[0].startswith("# Check your answer to exercise 0.1:")
    assert "Solution" in told.splitlines()[0] and told.endswith("assert answer == ch0_ex1")


def test_launch_notebooks_match_their_pages():
    """Catches: a chapter edited (prose, code, a new glued value) without
    `python scripts/launch_notebooks.py` (or `make book`) writing its launch notebook again."""
    problems = ln.stale(ROOT)
    assert not problems, "\n".join(problems)


def _copy_book(tmp_path):
    """The page sources and the launch notebooks, in a scratch repository."""
    (tmp_path / "book").mkdir()
    for name in ("_config.yml", "_toc.yml", "references.bib", "glossary.md", "studies.ipynb"):
        shutil.copy(BOOK / name, tmp_path / "book" / name)
    shutil.copytree(BOOK / "chapters", tmp_path / "book" / "chapters")
    shutil.copytree(ROOT / ln.OUT, tmp_path / ln.OUT)


def test_stale_tells_a_changed_page_from_another_machine(tmp_path):
    """Another build's numbers (a timing) leave a launch notebook current; an edited sentence
    makes it stale. Catches: a check that compares only cell counts or code (misses a prose
    edit), and one that compares the glued numbers with a fresh build (fails on every machine
    whose timings differ)."""
    _copy_book(tmp_path)
    doc = "chapters/04_gru"
    glued = _launch(doc).metadata["launch"]["glue"]
    key = next(k for k in glued[doc] if k.endswith("_ms"))  # a timing, in milliseconds
    glued[doc][key]["text/plain"] = "'123.4'"
    (tmp_path / ln.OUT / f"{doc}.ipynb").write_text(
        ln.write(ln.launch_notebook(tmp_path, doc, glued))
    )
    assert "123.4" in (tmp_path / ln.OUT / f"{doc}.ipynb").read_text()
    assert ln.stale(tmp_path) == [], "a different timing made the notebook stale"

    chapter = tmp_path / "book" / f"{doc}.ipynb"
    nb = nbformat.read(chapter, as_version=4)
    cell = next(c for c in nb.cells[3:] if c.cell_type == "markdown")
    cell.source = cell.source.replace(" the ", " a ", 1)
    nbformat.write(nb, chapter)
    problems = ln.stale(tmp_path)
    assert len(problems) == 1 and "04_gru" in problems[0], problems


class FakeBook:
    """A page that knows two glued values, one citation and one label."""

    glued = {
        None: {"x": {"text/plain": "0.14912"}},
        "other.ipynb": {"y": {"text/plain": "'6e-17'"}},
    }

    def glue(self, doc, key):
        return self.glued[doc][key]

    def cite(self, keys, textual):
        return "(" + "; ".join(f"[{k}, 1997](B)" for k in keys) + ")"

    def page_url(self, target, anchor=""):
        return f"U/{target}.html" + (f"#{anchor}" if anchor else "")

    def term_url(self, term):
        return f"G#{term}"

    def label(self, label):
        return f"U/x.html#{label}", "A section"

    def title(self, target):
        return "Title"


@pytest.mark.parametrize(
    "myst, expected",
    [
        ("{glue:text}`x:.3f` and {glue:text}`other.ipynb::y:s`", "0.149 and 6e-17"),
        ("a {cite}`a,b` b", "a ([a, 1997](B); [b, 1997](B)) b"),
        ("the {term}`memory\ntime`", "the [memory time](G#memory time)"),
        (
            "see {ref}`there <sec>` and {doc}`03_lstm`",
            "see [there](U/x.html#sec) and [Title](U/03_lstm.html)",
        ),
        ("{math}`a^2` and `{cite}` in code", "$a^2$ and `{cite}` in code"),
        (
            "[ch](../studies.ipynb#rules) [web](https://x.org/a.md)",
            "[ch](U/../studies.html#rules) [web](https://x.org/a.md)",
        ),
        (":::{note}\nSay {glue:text}`x:.1f`.\n:::", "> **Note**\n>\n> Say 0.1."),
        (
            "::::{dropdown} Hint\n:::{tip}\nin\n:::\n::::",
            "<details>\n<summary>Hint</summary>\n\n> **Tip**\n>\n> in\n\n</details>",
        ),
        ("```{math}\nx\n```", "$$\nx\n$$"),
        ("```python\n{cite}`k`\n```", "```python\n{cite}`k`\n```"),
    ],
)
def test_myst_is_written_as_markdown(myst, expected):
    """Each construct, including those no chapter uses yet. Catches: a format spec ignored,
    a role that wraps a line left raw, nested fences closed at the inner fence, roles
    rewritten inside code."""
    assert myst_markdown.convert(FakeBook(), myst) == expected


def test_unknown_myst_is_an_error():
    """Catches: an unsupported role or directive copied raw into a launch notebook."""
    for myst in ("{eval}`x`", ":::{tab-set}\nx\n:::"):
        with pytest.raises(myst_markdown.MystError):
            myst_markdown.convert(FakeBook(), myst)


def test_citations_are_author_year():
    """Author-year text linked to the bibliography page, the title as the link's tooltip.
    Catches: LaTeX accents or braces left in names and titles, every author listed instead
    of "et al.", and a two-author paper cut to "et al."."""
    page = ln.Page(ROOT, "chapters/03_lstm", {})
    bib = f"{ln.book_url(ROOT)}bibliography.html"
    assert page.cite(["hochreiter1997lstm"], textual=False) == (
        f'([Hochreiter and Schmidhuber, 1997]({bib} "Long Short-Term Memory"))'
    )
    assert "[Lezcano-Casado and Martínez-Rubio, 2019]" in page.cite(["lezcano2019cheap"], False)
    assert f'[Beck et al., 2024]({bib} "xLSTM: Extended' in page.cite(["beck2024xlstm"], False)


def test_launch_buttons_open_the_launch_notebooks(tmp_path):
    """A one-page Sphinx build with the book's theme and book/_ext/launch_links.py: the Colab
    and Binder buttons name launch/<page>.ipynb. Catches: the extension running before the
    theme adds its buttons (priority), or rewriting the download button's source link."""
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True)
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(BOOK / '_ext')!r})\n"
        "extensions = ['myst_nb', 'launch_links']\nhtml_theme = 'sphinx_book_theme'\n"
        "nb_execution_mode = 'off'\nlaunch_notebooks_dir = 'launch'\n"
        "html_theme_options = {'repository_url': 'https://github.com/o/r', 'path_to_docs': 'book',"
        " 'repository_branch': 'main', 'use_download_button': True, 'launch_buttons': {"
        "'colab_url': 'https://colab.research.google.com', 'binderhub_url': 'https://mybinder.org',"
        " 'notebook_interface': 'jupyterlab'}}\n"
    )
    (src / "index.md").write_text("# Home\n\n```{toctree}\nchapters/01_x\n```\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# One")])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, src / "chapters" / "01_x.ipynb")
    sphinx_build(src, tmp_path / "out")
    page = (tmp_path / "out" / "chapters" / "01_x.html").read_text()
    assert (
        "https://colab.research.google.com/github/o/r/blob/main/launch/chapters/01_x.ipynb" in page
    )
    assert "https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/launch/chapters/01_x.ipynb" in page
    assert "book/chapters/01_x.ipynb" not in page
    assert "_sources/chapters/01_x.ipynb" in page


def test_make_book_writes_them_after_the_html():
    """Catches: the Makefile's book rule building the HTML without writing the launch
    notebooks again, or writing them before the build made the values they read."""
    rule = re.search(
        r"^book/_build/\.book-stamp:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M
    )
    recipe = rule.group(1)
    assert "launch_notebooks.py" in recipe
    assert recipe.index("$(JB) build") < recipe.index("launch_notebooks.py")
