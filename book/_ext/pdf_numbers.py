"""The PDF numbers chapters and parts as the pages do.

**Chapters.** The "Start here" pages (the short answer, the instructors' page) are unnumbered
chapters in the PDF, so that its chapter 1 is the book's chapter 1 and "chapter 3" in the
text names the chapter the PDF calls 3. LaTeX numbers a ``\\chapter`` only while
``secnumdepth`` is at least 0: each page listed in ``pdf_unnumbered_docs`` opens by setting it
to -1 and ends by restoring it (raw LaTeX, which the HTML builder ignores), so the chapter
counter does not move across them.

**Parts.** The table of contents' captions become LaTeX parts, which LaTeX numbers itself: a
caption "Part I: Why plain RNNs forget" came out as "Part II" above "Part I: Why ...", since
"Start here" had taken number I. In the PDF a caption "Part <N>: <title>" becomes a part
titled <title> whose counter is set to N, so LaTeX prints "Part N" once and the text's "Parts
I and II" name the PDF's; a caption without that prefix ("Start here", "Summary", "Back
matter") becomes an unnumbered part (``secnumdepth`` -2 while its heading is written).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

SAVE = r"\edef\gttsecnumdepth{\arabic{secnumdepth}}\setcounter{secnumdepth}{-1}"
RESTORE = r"\setcounter{secnumdepth}{\gttsecnumdepth}"
PART_SAVE = r"\edef\gttpartsecnumdepth{\arabic{secnumdepth}}\setcounter{secnumdepth}{-2}"
PART_RESTORE = r"\setcounter{secnumdepth}{\gttpartsecnumdepth}"
NUMBERED = re.compile(r"Part ([IVXLC]+): (.+)", re.S)
ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def unnumber(app, doctree) -> None:
    if app.env.docname in app.config.pdf_unnumbered_docs:
        doctree.insert(0, nodes.raw("", SAVE, format="latex"))
        doctree.append(nodes.raw("", RESTORE, format="latex"))


def _roman(numeral: str) -> int:
    values = [ROMAN[c] for c in numeral]
    return sum(-v if v < w else v for v, w in zip(values, [*values[1:], 0], strict=True))


def _parts(document: nodes.document):
    """The part headings sphinx-jupyterbook-latex made of the captions: a section, titled
    with the caption, alone in a ``start_of_file`` named after the caption."""
    for start in list(document.findall(addnodes.start_of_file)):
        for section in start.children:
            if (
                isinstance(section, nodes.section)
                and section.get("docname") == start.get("docname")
                and section.children
                and isinstance(section[0], nodes.title)
                and section[0].astext() == start.get("docname")
            ):
                yield start, section


def number_parts(document: nodes.document) -> None:
    """Title each "Part <N>: <title>" part <title> with LaTeX's part counter at N, and make
    every other part unnumbered."""
    for start, section in list(_parts(document)):  # collected first: the loop inserts nodes
        title = section[0]
        match = NUMBERED.fullmatch(title.astext())
        at = start.index(section)
        if match:
            title.children = [nodes.Text(match.group(2))]
            counter = rf"\setcounter{{part}}{{{_roman(match.group(1)) - 1}}}"
            start.insert(at, nodes.raw("", counter, format="latex"))
        else:
            start.insert(at, nodes.raw("", PART_SAVE, format="latex"))
            section.insert(1, nodes.raw("", PART_RESTORE, format="latex"))


class PartNumbers(SphinxPostTransform):
    """After sphinx-jupyterbook-latex has made the parts (its post-transform runs at 700)."""

    default_priority = 800
    builders = ("latex",)

    def run(self, **kwargs) -> None:
        number_parts(self.document)


def setup(app):
    app.add_config_value("pdf_unnumbered_docs", [], "env")
    app.connect("doctree-read", unnumber)
    app.add_post_transform(PartNumbers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
