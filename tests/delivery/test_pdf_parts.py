"""The PDF's parts, as LaTeX gets them: numbered once, as the pages number them."""

import re
import sys

from conftest import BOOK, sphinx_build

sys.path.insert(0, str(BOOK / "_ext"))
import pdf_numbers  # noqa: E402


def test_roman_numerals():
    assert [pdf_numbers._roman(n) for n in ("I", "II", "IV", "VI", "IX", "XIV")] == [
        1,
        2,
        4,
        6,
        9,
        14,
    ]


def test_a_small_book_numbers_its_parts_once(tmp_path):
    """A Sphinx LaTeX build (no TeX run) of a book shaped like this one: an unnumbered "Start
    here" part, then captions "Part I: ..." and "Part II: ...", then "Back matter". Catches:
    the captions' own "Part I" printed under LaTeX's "Part II" (the PDF's contents read
    "II Part I: Why plain RNNs forget"), and "Start here" or "Back matter" taking a number."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(BOOK / '_ext')!r})\n"
        "extensions = ['myst_parser', 'sphinx_jupyterbook_latex', 'pdf_numbers']\n"
        "jblatex_captions_to_parts = True\n"
        "latex_documents = [('index', 'book.tex', 'Book', 'A', 'manual')]\n"
    )
    parts = [
        ("Start here", "a"),
        ("Part I: Why plain RNNs forget", "b"),
        ("Part II: How gates keep gradients alive", "c"),
        ("Back matter", "d"),
    ]
    toctrees = "".join(
        f"```{{toctree}}\n:caption: {caption}\n\n{page}\n```\n\n" for caption, page in parts
    )
    (src / "index.md").write_text("# Home\n\n" + toctrees)
    for _, page in parts:
        (src / f"{page}.md").write_text(f"# Page {page}\n\nWords.\n")
    out = tmp_path / "out"
    sphinx_build(src, out, "latex")
    tex = (out / "book.tex").read_text()
    heads = re.findall(r"\\part\{([^}]*)\}", tex)
    assert heads == [
        "Start here",
        "Why plain RNNs forget",
        "How gates keep gradients alive",
        "Back matter",
    ], heads
    before = {h: tex[: tex.index(rf"\part{{{h}}}")].rsplit(r"\part{", 1)[-1] for h in heads}
    assert r"\setcounter{part}{0}" in before["Why plain RNNs forget"]
    assert r"\setcounter{part}{1}" in before["How gates keep gradients alive"]
    for unnumbered in ("Start here", "Back matter"):
        assert r"\setcounter{secnumdepth}{-2}" in before[unnumbered], unnumbered
        after = tex[tex.index(rf"\part{{{unnumbered}}}") :][:400]
        assert pdf_numbers.PART_RESTORE in after, after
