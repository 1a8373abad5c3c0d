"""The PDF numbers chapters as the pages do: the "Start here" pages (the short answer, the
instructors' page) are unnumbered chapters in the PDF, so that its chapter 1 is the book's
chapter 1 and "chapter 3" in the text names the chapter the PDF calls 3.

LaTeX numbers a ``\\chapter`` only while ``secnumdepth`` is at least 0: each page listed in
``pdf_unnumbered_docs`` opens by setting it to -1 and ends by restoring it (raw LaTeX, which
the HTML builder ignores), so the chapter counter does not move across them.
"""

from docutils import nodes

SAVE = r"\edef\gttsecnumdepth{\arabic{secnumdepth}}\setcounter{secnumdepth}{-1}"
RESTORE = r"\setcounter{secnumdepth}{\gttsecnumdepth}"


def unnumber(app, doctree) -> None:
    if app.env.docname in app.config.pdf_unnumbered_docs:
        doctree.insert(0, nodes.raw("", SAVE, format="latex"))
        doctree.append(nodes.raw("", RESTORE, format="latex"))


def setup(app):
    app.add_config_value("pdf_unnumbered_docs", [], "env")
    app.connect("doctree-read", unnumber)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
