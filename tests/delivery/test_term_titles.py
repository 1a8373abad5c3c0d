"""Hover text on the glossary's words (book/_ext/term_titles.py)."""

import re
import sys

from conftest import BOOK, sphinx_build

sys.path.insert(0, str(BOOK / "_ext"))
import term_titles  # noqa: E402


def test_hover_text_is_the_definitions_start():
    """Catches hover text that is the whole entry, or a first sentence too short to say
    anything ("Two related uses.")."""
    assert term_titles.hover_text(
        "The ratio of the gradient at the first step to the last. More."
    ) == ("The ratio of the gradient at the first step to the last.")
    two = term_titles.hover_text("Two related uses. (1) A run's step budget: the most steps.")
    assert two.startswith("Two related uses. (1) A run's step budget")
    assert len(term_titles.hover_text("word " * 200)) <= term_titles.LONGEST


def test_a_small_book_shows_each_terms_definition_on_hover(tmp_path):
    """A Sphinx HTML build with a glossary on one page and the term used on another. Catches:
    term links without a ``title`` (the reader must click away to learn the word), a title
    taken from another entry, and other links given one."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(BOOK / '_ext')!r})\nextensions = ['term_titles']\n"
    )
    (src / "index.rst").write_text("Home\n====\n\n.. toctree::\n\n   page\n   glossary\n")
    (src / "page.rst").write_text(
        "Page\n====\n\nThe :term:`reach` and the :term:`latch <latch dilemma>`; :doc:`glossary`.\n"
    )
    (src / "glossary.rst").write_text(
        "Glossary\n========\n\n.. glossary::\n\n"
        "   latch dilemma\n      Storing a bit robustly makes the gradient vanish. More words.\n\n"
        "   reach\n      The ratio of the gradient at the first step to that at the last. More.\n"
    )
    out = tmp_path / "out"
    sphinx_build(src, out)
    page = (out / "page.html").read_text()
    titles = dict(
        re.findall(
            r'<a class="reference internal" href="glossary.html#term-([^"]+)" title="([^"]*)"', page
        )
    )
    assert titles == {
        "reach": "The ratio of the gradient at the first step to that at the last.",
        "latch-dilemma": "Storing a bit robustly makes the gradient vanish.",
    }, page
    assert re.search(r'href="glossary.html"(?! title)', page), "a plain link got a title"
