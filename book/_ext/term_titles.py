"""Hover text for the glossary's words: every link a ``{term}`` role makes gets a ``title``
attribute holding the start of the term's definition, so the browser shows it when the
pointer rests on the word and the reader need not leave the page.

Offline and small: the definitions are read from the glossary's own doctree (Sphinx's
standard domain records which page and anchor each term has); the HTML writer turns a
reference's ``reftitle`` into ``title``. Other builders ignore it.
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
LONGEST = 300  # characters of hover text


def hover_text(definition: str) -> str:
    """The definition's first sentence, or first sentences until there are 40 characters
    ("Two related uses." alone says nothing), cut at ``LONGEST`` characters."""
    text, out = " ".join(definition.split()), ""
    for sentence in SENTENCE_END.split(text):
        out = f"{out} {sentence}".strip()
        if len(out) >= 40:
            break
    return out if len(out) <= LONGEST else out[: LONGEST - 1].rsplit(" ", 1)[0] + "…"


def _definitions(app) -> dict[str, str]:
    """anchor id -> hover text, for every glossary term of the project (kept on the
    application, not the environment, which is saved between builds)."""
    cached = getattr(app, "_term_titles", None)
    if cached is not None:
        return cached
    env = app.env
    terms = env.get_domain("std").data["objects"]
    docs = {docname for (kind, _), (docname, _) in terms.items() if kind == "term"}
    found = {}
    for docname in docs:
        for item in env.get_doctree(docname).findall(nodes.definition_list_item):
            ids = [i for t in item.findall(nodes.term) for i in t["ids"]]
            definition = next(item.findall(nodes.definition), None)
            if ids and definition is not None:
                for anchor in ids:
                    found[anchor] = hover_text(definition.astext())
    app._term_titles = found
    return found


def add_titles(app, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    definitions = _definitions(app)
    for ref in doctree.findall(nodes.reference):
        if not any("std-term" in n.get("classes", []) for n in ref.findall(nodes.inline)):
            continue
        anchor = ref.get("refid") or ref.get("refuri", "").rpartition("#")[2]
        if anchor in definitions and "reftitle" not in ref:
            ref["reftitle"] = definitions[anchor]


def setup(app):
    app.connect("doctree-resolved", add_titles)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
