"""Write the images that ``{glue:any}`` pastes from another page.

myst-nb pastes a figure glued in another notebook (the short answer shows chapters' figures
this way) as an image node pointing straight into the output's image folder,
``<outdir>/<imagedir>/<sha256 of the bytes>.png``, and writes no file there: the figure
appears only if its own chapter happened to show the same bytes. This extension writes each
such missing file from the glue records myst-nb keeps beside the executed notebooks
(``*.glue.json``, the same bytes, found by their hash), once references are resolved and
before the page is written, for the HTML and the LaTeX builders alike.
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


def write_pasted_images(app, doctree: nodes.document, docname: str) -> None:
    builder = app.builder
    folder = Path(builder.outdir) / getattr(builder, "imagedir", "")
    records = Path(app.env.mystnb_config.output_folder)
    for image in doctree.findall(nodes.image):
        name = Path(image.get("uri", "")).name
        target = folder / name
        if target.is_file() or not name or "://" in image.get("uri", ""):
            continue
        raw = _glued_images(records).get(Path(name).stem)
        if raw is not None:  # a pasted glue output; any other missing file Sphinx reports
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)


def setup(app):
    app.connect("doctree-resolved", write_pasted_images)
    return {"parallel_read_safe": True, "parallel_write_safe": False}
