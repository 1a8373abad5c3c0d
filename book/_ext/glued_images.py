"""Copy the images that ``{glue:any}`` pastes from another page.

myst-nb writes an output's image to ``_build/jupyter_execute/<sha256 of its bytes>.png``
when it renders the page that shows it, and Sphinx copies only the images it listed while
reading pages. A figure pasted from another notebook (the short answer shows chapters'
figures this way) is put in place later, when references are resolved: its file was never
written unless its own chapter happened to show the same bytes, and it was never listed. For
each such image this extension writes the file from the glue record myst-nb keeps beside the
executed notebooks (``*.glue.json``, the same bytes, found by their hash) and lists it, after
resolution and before the page is written (HTML and LaTeX alike).
"""

from __future__ import annotations

import base64
import hashlib
import json
from functools import cache
from pathlib import Path

from docutils import nodes


@cache
def _glued_images(folder: Path) -> dict[str, bytes]:
    """Every image in the glue records under ``folder``, by the sha256 of its bytes."""
    images = {}
    for record in folder.rglob("*.glue.json"):
        for output in json.loads(record.read_text()).values():
            data = output.get("data", {}) if isinstance(output, dict) else {}
            for mime in ("image/png", "image/jpeg"):
                if mime in data:
                    raw = base64.b64decode(data[mime])
                    images[hashlib.sha256(raw).hexdigest()] = raw
    return images


def list_pasted_images(app, doctree: nodes.document, docname: str) -> None:
    env = app.env
    for image in doctree.findall(nodes.image):
        uri = image.get("uri", "")
        if not uri or "://" in uri or uri.startswith("data:"):
            continue
        relative, full = env.relfn2path(uri, docname)  # as Sphinx lists a page's own images
        path = Path(full)
        if not path.is_file():
            raw = _glued_images(path.parent).get(path.stem)
            if raw is None:
                continue  # not a glued output: Sphinx reports the missing file itself
            path.write_bytes(raw)
        if relative not in env.images:
            env.images.add_file(docname, relative)
        image["uri"], image["candidates"] = relative, {"*": relative}


def setup(app):
    app.connect("doctree-resolved", list_pasted_images)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
