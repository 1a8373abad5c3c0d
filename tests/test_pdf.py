"""The PDF: every chapter in it, pages that render, still images instead of widget text."""

import re
import shutil
import subprocess

import pytest

from conftest import chapter_notebooks

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


def test_explorer_pages_carry_their_still_image(pdf_path):
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(
                ["pdfinfo", str(pdf_path)], capture_output=True, text=True, check=True
            ).stdout,
        ).group(1)
    )
    listing = subprocess.run(
        ["pdfimages", "-list", str(pdf_path)], capture_output=True, text=True, check=True
    ).stdout
    pages_with_images = {int(line.split()[0]) for line in listing.splitlines()[2:]}
    found = 0
    for page in range(1, pages + 1):
        calls = _text(pdf_path, page, page).count("rnngrad.explore(")
        if calls:
            # The still figure follows its code cell, on the same page or the next.
            assert pages_with_images & {page, page + 1}, (
                f"no image near the explorer on page {page}"
            )
            found += calls
    assert found == sum(nb.read_text().count("rnngrad.explore(") for nb in chapter_notebooks())


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
