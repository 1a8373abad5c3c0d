"""What an instructor plans with: each chapter's plan (objectives, prerequisites, two times
filled by ``book/_ext/chapter_plan.py``), its "What to remember", the instructors' paths, and
the figures' download names (``book/_ext/figure_names.py``).

The tests on the built book are in ``test_book_html.py``; these need no build."""

import re
import sys

import nbformat
import pytest
from docutils import nodes
from docutils.utils import new_document

from conftest import BOOK, chapter_notebooks, sphinx_build

sys.path.insert(0, str(BOOK / "_ext"))
import chapter_plan  # noqa: E402

PLAN = re.compile(
    r"\A:::\{chapter-plan\}\n(?P<options>(?::[\w-]+:.*\n)*)\n(?P<body>.*)\n:::\Z", re.S
)


def _plan(nb_path):
    """(prerequisites, objectives) from a chapter's plan cell, the cell after its title."""
    cells = nbformat.read(nb_path, as_version=4).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# "), nb_path.name
    m = PLAN.match(cells[1].source) if cells[1].cell_type == "markdown" else None
    assert m, f"{nb_path.name}: the cell after the title is not a chapter-plan directive"
    prereq = re.search(r"^:prerequisites:(.*)$", m.group("options"), re.M)
    objectives = re.findall(r"^- (.+)", m.group("body"), re.M)
    return (prereq.group(1).split() if prereq else []), objectives


def test_every_chapter_opens_with_its_plan_and_ends_with_what_to_remember():
    """Every chapter's second cell is its plan: 3-5 objectives and prerequisites that are
    earlier chapters of the book; it has a "What to remember" box (chapter 6's stands before
    its closing explorer, the others' at the end). Catches: a chapter without a plan (or with the plan lower
    down, after the set-up), a prerequisite that names a later chapter or a page that does not
    exist (the map would send students forward), and a chapter without "What to remember"
    (chapters 5 and 7 had none)."""
    stems = [p.stem for p in chapter_notebooks()]
    for path in chapter_notebooks():
        prereqs, objectives = _plan(path)
        assert 3 <= len(objectives) <= 5, f"{path.name}: {len(objectives)} objectives"
        for target in prereqs:
            assert target in stems, f"{path.name}: prerequisite {target!r} is not a chapter"
            assert stems.index(target) < stems.index(path.stem), f"{path.name} needs {target}"
        cells = nbformat.read(path, as_version=4).cells
        remember = [c for c in cells if c.source.startswith(":::{admonition} What to remember")]
        assert len(remember) == 1 and remember[0].cell_type == "markdown", path.name


def _reading_paths() -> dict[str, list[str]]:
    """Every path the book advises, as chapter stems in reading order: the instructors' three
    paths and the intro's student path (its chapters linked with ``{doc}``)."""
    text = "\n".join(
        c.source for c in nbformat.read(BOOK / "instructors.ipynb", as_version=4).cells
    )
    paths = {
        f"Path {n}": re.findall(r"\{doc\}`chapters/(\w+)`", line)
        for n, line in re.findall(r"^- Path (\d): (.+)$", text, re.M)
    }
    intro = (BOOK / "intro.md").read_text()
    student = re.search(r"\*\*As a student:\*\*(.*?)\*\*As a researcher", intro, re.S)
    assert student, "the intro gives no student's path"
    paths["the intro's student path"] = re.findall(r"<chapters/(\w+)>`", student.group(1))
    return paths


def test_every_reading_path_keeps_every_chapter_after_its_prerequisites():
    """Each path on the instructors' page and the intro's student path list chapters in an
    order a class can follow. Catches: a path that schedules a chapter before one it needs
    (chapter 10 before chapter 5, when claim 9 needed chapter 5's verdict rule), a path that
    skips a prerequisite altogether (Path 1 ending with chapter 18, which needs chapter 5),
    and the intro sending students from chapter 4 to a chapter that needs more."""
    needs = {p.stem: _plan(p)[0] for p in chapter_notebooks()}
    paths = _reading_paths()
    assert len(paths) == 4 and all(paths.values()), paths
    for name, order in paths.items():
        for i, stem in enumerate(order):
            missing = [n for n in needs[stem] if n not in order[:i]]
            assert not missing, f"{name}: {stem} comes before {missing}"


def test_a_paths_times_add_up_its_own_chapters():
    """Each instructors' path states its reading and run time with the roles of
    ``chapter_plan``, over exactly the chapters the path lists. Catches: a time typed by hand,
    and a path edited without its times (a total over chapters it no longer lists)."""
    text = "\n".join(
        c.source for c in nbformat.read(BOOK / "instructors.ipynb", as_version=4).cells
    )
    paths = {k: v for k, v in _reading_paths().items() if k.startswith("Path")}
    blocks = re.findall(r"^- (Path \d): .+\n\n  (.+)$", text, re.M)
    assert [name for name, _ in blocks] == list(paths), blocks
    for name, block in blocks:
        roles = dict(re.findall(r"\{(reading-time|run-time)\}`([^`]+)`", block))
        assert set(roles) == {"reading-time", "run-time"}, block
        for role, pages in roles.items():
            stems = [page.removeprefix("chapters/") for page in pages.split()]
            assert stems == paths[name], f"{name}: {role} over {stems}"
    assert not re.search(r"\d+ min", text), "a reading time typed by hand"


def test_a_chapter_sends_the_reader_on_only_to_what_they_can_read():
    """A chapter's "Where to go next" names chapters whose prerequisites the reader has met
    (this chapter or earlier ones). Catches chapter 4 sending students to chapter 10 while
    chapter 10 listed chapter 5 as a prerequisite."""
    needs = {p.stem: _plan(p)[0] for p in chapter_notebooks()}
    stems = list(needs)
    for path in chapter_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "markdown" or "Where to go next" not in cell.source:
                continue
            student = re.search(
                r"student's path, go next to\s*\[[^\]]*\]\((\w+)\.ipynb\)", cell.source
            )
            if student:
                target = student.group(1)
                ahead = [n for n in needs[target] if stems.index(n) > stems.index(path.stem)]
                assert not ahead, f"{path.stem} sends students to {target}, which needs {ahead}"


def _document(*children):
    doc = new_document("test")
    doc += list(children)
    return doc


def _cell(code: str, output: str) -> nodes.container:
    """A myst-nb code cell: its source, shown; its printed output."""
    cell = nodes.container(classes=["cell"])
    cell += nodes.container("", nodes.literal_block(text=code), classes=["cell_input"])
    cell += nodes.container("", nodes.literal_block(text=output), classes=["cell_output"])
    return cell


def test_reading_time_counts_what_a_reader_reads():
    """On a small page: prose words, an inline formula by the length of its TeX, a display
    equation, the lines of a code cell's source, a figure (its caption read as words). Catches:
    counting a cell's printed output as code to read, counting an explorer's raw HTML as
    words, a formula counted as its TeX's characters or as nothing, and minutes rounded down
    (a page of 1.5 minutes is not a 1-minute read)."""
    figure = nodes.figure("", nodes.image(uri="x.png"), nodes.caption(text="two words"))
    doc = _document(
        nodes.paragraph("", "word " * 240, nodes.math(text=r"\sigma_{\max}(W)")),  # 16 chars
        nodes.math_block(text="y = 1"),
        _cell("a = 1\n\nb = 2\nprint(a + b)", "3\n" * 50),
        nodes.raw(text="<div>" + "frame " * 1000 + "</div>", format="html"),
        figure,
    )
    counts = chapter_plan.reading_counts(doc)
    assert counts == chapter_plan.ReadingCounts(
        words=242, inline_math_words=3, display_equations=1, code_lines=3, figures=1
    )
    # (242 + 3) words at 200 a minute = 73.5 s, + 20 + 3 * 3 + 12 = 114.5 s: 2 minutes
    assert chapter_plan.reading_minutes(counts) == 2
    assert chapter_plan.reading_minutes(chapter_plan.ReadingCounts(words=200)) == 1
    assert chapter_plan.reading_minutes(chapter_plan.ReadingCounts(words=201)) == 2
    assert chapter_plan.format_runtime(63.5) == "1 min 4 s"
    assert chapter_plan.format_runtime(56.2) == "56 s"


def test_a_small_book_shows_both_times_and_names_its_figures(tmp_path):
    """A two-page Sphinx build with myst-nb executing the pages and the book's two
    extensions. Catches: a run time read from where this myst-nb version does not keep it
    (``env.nb_execution_data``: every page would say "not recorded"), a placeholder left
    unfilled, a prerequisite not linked, and a figure whose download link points at a file the
    build did not write or saves it under the hash."""
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True)
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(BOOK / '_ext')!r})\n"
        "extensions = ['myst_nb', 'chapter_plan', 'figure_names']\n"
        "nb_execution_mode = 'force'\nmyst_enable_extensions = ['dollarmath', 'colon_fence']\n"
    )
    (src / "index.md").write_text(
        "# Home\n\n```{toctree}\nchapters/01_a\nchapters/02_b\n```\n\n:::{chapter-map}\n:::\n"
    )

    def notebook(*cells):
        nb = nbformat.v4.new_notebook(cells=list(cells))
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        return nb

    md = nbformat.v4.new_markdown_cell
    plot = nbformat.v4.new_code_cell(
        "import time\nimport matplotlib.pyplot as plt\ntime.sleep(1.2)\n"
        "fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()"
    )
    plot.metadata["mystnb"] = {"figure": {"name": "fig-a-line", "caption": "A line."}}
    plan = ":::{chapter-plan}\n%s\nAfter this chapter you can\n\n- %s\n:::"
    nbformat.write(
        notebook(md("# Chapter A\n\nSome words."), md(plan % ("", "plot a line.")), plot),
        src / "chapters" / "01_a.ipynb",
    )
    nbformat.write(
        notebook(
            md("# Chapter B"),
            md(plan % (":prerequisites: 01_a\n", "read.")),
            nbformat.v4.new_code_cell("print(1)"),
        ),
        src / "chapters" / "02_b.ipynb",
    )
    out = tmp_path / "out"
    sphinx_build(src, out)
    a, b = ((out / "chapters" / f"{n}.html").read_text() for n in ("01_a", "02_b"))
    for page in (a, b):
        times = re.search(
            r"Reading time: </strong>about (\d+) min\. <strong>Run time: "
            r"</strong>(\d+) s to execute",
            page,
        )
        assert times, "a page without both times"
    assert int(re.search(r"Run time: </strong>(\d+) s", a).group(1)) >= 1  # it slept 1.2 s
    assert re.search(r'Prerequisites: </strong><a [^>]*href="01_a.html"', b)
    link = re.search(
        r'<a href="([^"]+)" download="fig-a-line.png" title="saved as fig-a-line.png">Download this figure',
        a,
    )
    assert link and (out / "chapters" / link.group(1)).resolve().is_file()
    assert "Chapter B" in (out / "index.html").read_text().split("chapter-map")[1]


def test_the_time_roles_count_as_the_plans_do(tmp_path):
    """A three-page Sphinx build: two chapters with plans, one of them gluing 300 words; a page
    that pastes them from the other page and states its own reading time; a home page with the
    chapter map, a path's total and the short page's time. Catches: a path total typed by
    hand or summed differently from the plans it adds up (the map, the plans and the role
    must agree), a page counted without the glued text it pastes from another page (its own
    role and another page's role would disagree), and a run-time role left unfilled."""
    src = tmp_path / "src"
    (src / "chapters").mkdir(parents=True)
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(BOOK / '_ext')!r})\n"
        "extensions = ['myst_nb', 'chapter_plan']\n"
        "nb_execution_mode = 'force'\nmyst_enable_extensions = ['dollarmath', 'colon_fence']\n"
    )
    (src / "index.md").write_text(
        "# Home\n\n```{toctree}\nshort\nchapters/01_a\nchapters/02_b\n```\n\n"
        ":::{chapter-map}\n:::\n\n"
        "Path: {reading-time}`chapters/01_a chapters/02_b`; run {run-time}`chapters/01_a "
        "chapters/02_b`.\n\nShort page: {reading-time}`short`.\n"
    )
    (src / "short.md").write_text(
        "# Short\n\nReading time {reading-time}`short`. "
        + "word " * 150
        + "\n\n{glue:text}`chapters/01_a.ipynb::long:s`\n"
    )

    def notebook(*cells):
        nb = nbformat.v4.new_notebook(cells=list(cells))
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        return nb

    md = nbformat.v4.new_markdown_cell
    plan = ":::{chapter-plan}\n%s\nAfter this chapter you can\n\n- %s\n:::"
    glue = nbformat.v4.new_code_cell(
        "from myst_nb import glue\nglue('long', ' '.join(['glued'] * 300), display=False)"
    )
    nbformat.write(
        notebook(md("# Chapter A\n\n" + "text " * 500), md(plan % ("", "read.")), glue),
        src / "chapters" / "01_a.ipynb",
    )
    nbformat.write(
        notebook(
            md("# Chapter B\n\n" + "text " * 250), md(plan % (":prerequisites: 01_a\n", "read."))
        ),
        src / "chapters" / "02_b.ipynb",
    )
    out = tmp_path / "out"
    build = sphinx_build(src, out)
    # Sphinx's own warnings (the kernel's log lines are not the build's)
    assert not re.findall(r"(?:WARNING|ERROR|SEVERE): .*", build.stderr.replace("| ", "")), (
        build.stderr
    )

    def text(page):
        return " ".join(re.sub(r"<[^>]+>", " ", (out / page).read_text()).split())

    plans = [
        int(re.search(r"Reading time: about (\d+) min", text(f"chapters/{n}.html")).group(1))
        for n in ("01_a", "02_b")
    ]
    assert plans == [3, 2]  # 500 + 2 words; 250 + 2 words, rounded up
    home, short = text("index.html"), text("short.html")
    assert f"Path: about {sum(plans)} min; run " in home
    assert re.search(r"run \d+ s to \d+ s a chapter, \d+ s in all\.", home), home
    # the map: each chapter's reading and run time, and a row for them all
    assert re.search(r"Chapter A none Chapter B 3 min \d+ s Chapter B Chapter A none 2 min", home)
    assert re.search(rf"Every chapter {sum(plans)} min \d+ s", home), home
    # the short page: 1 + 2 + 150 + 300 glued words (the role itself adds none): 3 minutes
    assert "Reading time about 3 min." in short
    assert "Short page: about 3 min." in home


@pytest.mark.parametrize(
    "options, expected",
    [
        ("", "**Prerequisites:** none."),
        (
            ":prerequisites: 01_a 02_b\n",
            "**Prerequisites:** [Title](U/01_a.html); [Title](U/02_b.html).",
        ),
    ],
)
def test_the_plan_converts_for_colab(options, expected):
    """In a launch notebook the plan is a quote with its prerequisites as links and its
    objectives as written. Catches: the directive left raw (Colab would show the fence), or
    its option line copied into the text."""
    sys.path.insert(0, str(BOOK.parent / "scripts"))
    import myst_markdown
    from test_launch_notebooks import FakeBook

    out = myst_markdown.convert(FakeBook(), f":::{{chapter-plan}}\n{options}\nYou can\n\n- a.\n:::")
    assert out.startswith("> **Plan of the chapter**") and expected in out
    assert "> - a." in out and ":prerequisites:" not in out and ":::" not in out
