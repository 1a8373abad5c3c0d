"""Copy the images that ``{glue:any}`` pastes from another page.

Sphinx lists a page's images while it reads the page, and copies only the listed ones. A
figure pasted from another notebook (the short answer shows chapters' figures this way) is
put in place later, when references are resolved, so its image is never listed: unless its
own chapter happened to show the same bytes, the page points at a file the build never
copied. Each such image is listed here, after resolution and before the page is written.
"""

from __future__ import annotations

from pathlib import Path

from docutils import nodes


def list_pasted_images(app, doctree: nodes.document, docname: str) -> None:
    env = app.env
    for image in doctree.findall(nodes.image):
        uri = image.get("uri", "")
        if not uri or "://" in uri or uri.startswith("data:"):
            continue
        relative, full = env.relfn2path(uri, docname)  # as Sphinx lists a page's own images
        if not Path(full).is_file():
            continue
        if relative not in env.images:
            env.images.add_file(docname, relative)
        image["uri"], image["candidates"] = relative, {"*": relative}


def setup(app):
    app.connect("doctree-resolved", list_pasted_images)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
