"""Accessibility fixes to HTML that the book's Sphinx extensions write.

sphinxcontrib-bibtex (through docutils) marks each reference ``role="doc-biblioentry"`` inside a
``role="list"``: the role is deprecated in ARIA 1.2 and a list must hold list items, so axe-core
reports both. Each entry becomes a ``listitem`` instead."""

from __future__ import annotations


def _fix(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    app.connect("html-page-context", _fix)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
