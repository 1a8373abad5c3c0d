"""The PDF: every chapter in it, pages that render, still images instead of widget text."""

import re
import shutil
import subprocess

import pytest

from conftest import chapter_notebooks, executed_notebooks, need

pytestmark = pytest.mark.pdf


def _text(pdf, first=None, last=None):
    args = ["pdftotext", "-layout"]
    if first:
        args += ["-f", str(first), "-l", str(last)]
    return subprocess.run([*args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _chapter_titles():
    import json

    for nb in chapter_notebooks():
        first_md = next(
            c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "markdown"
        )
        yield re.match(r"#\s+(.+)", "".join(first_md["source"]).strip()).group(1)


def test_every_chapter_title_is_in_the_pdf(pdf_path):
    text = _text(pdf_path).upper()
    for title in _chapter_titles():
        assert title.upper() in text, f"chapter {title!r} missing from the PDF"
    assert "BIBLIOGRAPHY" in text


def test_no_widget_text_in_the_pdf(pdf_path):
    text = _text(pdf_path)
    for leak in (
        "interactive(",
        "IntSlider(",
        "FloatSlider(",
        "VBox(",
        "Figure size",
        "Explorer over",
    ):
        assert leak not in text, f"{leak!r} printed in the PDF"


def _images(pdf) -> list[tuple[int, int, int]]:
    """(page, width, height) in pixels of every image embedded in ``pdf``."""
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    rows = [line.split() for line in listing.splitlines()[2:] if line.strip()]
    return [(int(r[0]), int(r[3]), int(r[4])) for r in rows if r[2] == "image"]


def _page_count(pdf) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))


def _explorer_stills() -> list[tuple[str, tuple[int, int]]]:
    """(chapter, pixel size of its still) for every explorer cell, in book order, read from
    the executed notebooks the build keeps (the image/png the PDF builder picks)."""
    import base64
    import io
    import json

    from PIL import Image

    stills = []
    executed_by_path = executed_notebooks()
    for nb in chapter_notebooks():
        cells = json.loads(nb.read_text())["cells"]
        explorer_cells = [
            c
            for c in cells
            if c["cell_type"] == "code" and "rnngrad.explore(" in "".join(c["source"])
        ]
        if not explorer_cells:
            continue
        executed = executed_by_path.get(nb.resolve())
        need(executed is not None, f"{nb.name} has no executed copy in the cache (make book)")
        for cell in executed["cells"]:
            if cell["cell_type"] != "code" or "rnngrad.explore(" not in "".join(cell["source"]):
                continue
            pngs = [
                o["data"]["image/png"] for o in cell["outputs"] if "image/png" in o.get("data", {})
            ]
            assert len(pngs) == 1, f"{nb.stem}: an explorer cell without exactly one still"
            stills.append((nb.stem, Image.open(io.BytesIO(base64.b64decode(pngs[0]))).size))
        assert len(stills) and sum(1 for s in stills if s[0] == nb.stem) == len(explorer_cells)
    return stills


def test_image_listing_on_a_synthetic_pdf(tmp_path):
    """The helpers above on a PDF made here: two pages, images of known pixel sizes."""
    import numpy as np
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    pdf = tmp_path / "two.pdf"
    with PdfPages(pdf) as out:
        for size in ((37, 23), (50, 20)):
            fig = Figure(figsize=(4, 3))
            fig.text(0.1, 0.9, "rnngrad.explore(")
            fig.figimage(np.random.default_rng(0).random((size[1], size[0], 3)), 10, 10)
            out.savefig(fig)
    assert _images(pdf) == [(1, 37, 23), (2, 50, 20)]
    assert _page_count(pdf) == 2
    assert _text(pdf, 2, 2).count("rnngrad.explore(") == 1


def test_explorer_pages_carry_their_still_image(pdf_path):
    """Each explorer's still, recognised by its exact pixel size, is on the page of the
    explorer's code cell or the next (LaTeX may float it). Catches: a PDF where the still
    is missing but another figure is near (any image on the page passed before), and a
    still rendered from the wrong output (e.g. the live widget's snapshot)."""
    stills = _explorer_stills()
    images = _images(pdf_path)
    pages = [
        page
        for page in range(1, _page_count(pdf_path) + 1)
        for _ in range(_text(pdf_path, page, page).count("rnngrad.explore("))
    ]
    assert len(pages) == len(stills), "explorer cells in the PDF != explorer cells in the book"
    for (chapter, size), page in zip(stills, pages, strict=True):
        near = {(p, w, h) for p, w, h in images if (w, h) == size and p in (page, page + 1)}
        assert near, f"{chapter}: no {size[0]}x{size[1]} still on page {page} or {page + 1}"


def test_pages_render(pdf_path, tmp_path):
    assert shutil.which("pdftoppm")
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(pdf_path), str(tmp_path / "page")], check=True
    )
    from PIL import Image

    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) >= 5
    for number, png in enumerate(pngs, start=1):
        has_text = _text(pdf_path, number, number).strip()
        darkest = min(Image.open(png).convert("L").getextrema())
        assert not has_text or darkest < 128, f"page {number} has text but renders blank"
