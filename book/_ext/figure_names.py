"""Every figure of the HTML book can be saved under a name that says what it is.

Sphinx copies a notebook's images to ``_images/<hash>.png``: "Save image as" offers the hash.
Beside each figure that shows an image (a ``figure``, or a ``glued-figure`` container pasted
from another page), this adds a link to the same file with the HTML ``download`` attribute set
to the figure's label, ``fig-lstm-cell.png`` (a figure without a label gets
``<page>-figure-<n>.png``). The link is ordinary text, reachable by keyboard and read by a
screen reader ("Download this figure (PNG)", saved as fig-lstm-cell.png). Other builders (the PDF) get nothing.
"""

from __future__ import annotations

import posixpath
import urllib.parse

from docutils import nodes

GLUED = "glued-figure"  # the class of a container holding a pasted figure (see book_a11y.py)


class figure_download(nodes.General, nodes.Element):
    """A link saving the figure's image as ``filename``."""


def figure_filename(holder: nodes.Element, image: nodes.image, docname: str, n: int) -> str:
    """The file name a reader saves the figure's image under: its label and the image's
    extension; ``<page>-figure-<n>`` when the figure has no label."""
    uri = (image.get("candidates") or {}).get("*") or image.get("uri", "")
    ext = posixpath.splitext(urllib.parse.urlparse(uri).path)[1] or ".png"
    ids = holder.get("ids") or []
    stem = ids[0] if ids else f"{posixpath.basename(docname)}-figure-{n}"
    return f"{stem}{ext}"


def _is_holder(node: nodes.Node | None) -> bool:
    return isinstance(node, nodes.figure) or (
        isinstance(node, nodes.container) and GLUED in node.get("classes", [])
    )


def _ancestors(node: nodes.Node):
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def add_download_links(app, doctree: nodes.document, docname: str) -> None:
    if app.builder.format != "html":
        return
    n = 0
    for holder in list(doctree.findall(_is_holder)):  # in document order
        if any(_is_holder(a) for a in _ancestors(holder)):
            continue  # a figure inside a pasted one: the outer holder links it
        image = next(iter(holder.findall(nodes.image)), None)
        if image is None:  # an explorer: its frames are HTML, not one image file
            continue
        n += 1
        holder += figure_download(filename=figure_filename(holder, image, docname, n))


def visit_figure_download(self, node: figure_download) -> None:
    image = next(iter(node.parent.findall(nodes.image)))
    uri = (image.get("candidates") or {}).get("*") or image["uri"]
    if uri in self.builder.images:  # the file Sphinx copied, relative to this page
        href = posixpath.join(self.builder.imgpath, urllib.parse.quote(self.builder.images[uri]))
    else:
        href = image["uri"]
    name = self.attval(node["filename"])
    self.body.append(
        f'<p class="figure-download"><a href="{self.attval(href)}" download="{name}" '
        f'title="saved as {name}">Download this figure (PNG)</a></p>\n'
    )
    raise nodes.SkipNode


def setup(app):
    app.add_node(figure_download, html=(visit_figure_download, None))
    app.connect("doctree-resolved", add_download_links, priority=600)  # after glued_images
    return {"parallel_read_safe": True, "parallel_write_safe": True}
