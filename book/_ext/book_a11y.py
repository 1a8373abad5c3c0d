"""Accessibility fixes to what the book's Sphinx extensions write.

* **Alt text from the caption.** myst-nb gives a notebook's image output no alt text, so
  docutils falls back to the file name (``alt="../_images/3f9c….png"``), which a screen reader
  reads out. Every image inside a figure, or inside a ``glued-figure`` container (a figure
  pasted from another page with ``{glue:any}``), gets the caption's text instead; an image
  with an alt text of its own keeps it.
* **Bibliography roles.** sphinxcontrib-bibtex (through docutils) marks each reference
  ``role="doc-biblioentry"`` inside a ``role="list"``: the role is deprecated in ARIA 1.2 and a
  list must hold list items, so axe-core reports both. Each entry becomes a ``listitem``.
"""

from __future__ import annotations

from docutils import nodes

GLUED = "glued-figure"  # the class of a container holding a pasted figure and its caption


def _caption_text(node: nodes.Element) -> str | None:
    """The text of a figure's caption, or of a glued-figure container's last paragraph."""
    if isinstance(node, nodes.figure):
        captions = list(node.findall(nodes.caption))
        return captions[0].astext() if captions else None
    paragraphs = [p for p in node.children if isinstance(p, nodes.paragraph)]
    return paragraphs[-1].astext() if paragraphs else None


def _has_own_alt(image: nodes.image) -> bool:
    alt = image.get("alt")
    return bool(alt) and alt != image.get("uri") and not alt.endswith(image.get("uri", "\0"))


def alt_from_captions(app, doctree: nodes.document, docname: str) -> None:
    """Give every captioned image whose alt text is missing or its file name the caption."""
    holders = [*doctree.findall(nodes.figure)]
    holders += [c for c in doctree.findall(nodes.container) if GLUED in c.get("classes", [])]
    for holder in holders:
        text = _caption_text(holder)
        if not text:
            continue
        text = " ".join(text.split())
        for image in holder.findall(nodes.image):
            if not _has_own_alt(image):
                image["alt"] = text


def _fix(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    # doctree-resolved runs after the post-transforms that paste glued outputs
    app.connect("doctree-resolved", alt_from_captions)
    app.connect("html-page-context", _fix)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
