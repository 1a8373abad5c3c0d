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


def _flat(text: str) -> str:
    """Upper case, one space between words, typographic quotes made plain."""
    return " ".join(text.replace("\u2019", "'").upper().split())


def _chapter_openings(pdf) -> dict[int, str]:
    """page number -> text of every page that opens a chapter (LaTeX's "CHAPTER <n>" page)."""
    pages = _text(pdf).split("\f")
    return {i: _flat(p) for i, p in enumerate(pages, start=1) if _flat(p).startswith("CHAPTER ")}


def test_every_chapter_title_is_in_the_pdf(pdf_path):
    """Each chapter opens its own chapter page, headed by its title, in the book's order
    (the table of contents alone is not enough). Catches: a chapter left out of the LaTeX
    build whose title still sits in a stale contents list, chapters out of order, a
    bibliography that is not built."""
    openings = _chapter_openings(pdf_path)
    found = []
    for title in _chapter_titles():
        heading = re.compile(r"^CHAPTER [A-Z]+ " + re.escape(_flat(title)) + r"\b")
        pages = [p for p, text in openings.items() if heading.match(text)]
        assert len(pages) == 1, f"chapter {title!r} opens {len(pages)} chapter pages"
        found += pages
    assert found == sorted(found), "chapters out of the book's order"
    assert any(re.match(r"^CHAPTER [A-Z]+ BIBLIOGRAPHY\b", t) for t in openings.values())


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


def _explorer_stills() -> list[tuple[str, bytes]]:
    """(chapter, PNG bytes of its still) for every explorer cell, in book order, read from
    the executed notebooks the build keeps (the image/png the PDF builder picks)."""
    import base64
    import json

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
            stills.append((nb.stem, base64.b64decode(pngs[0])))
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


def _rgb(png: bytes):
    """The picture's RGB pixels as an array (alpha composited on white, as a page shows it)."""
    import io

    import numpy as np
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGBA")
    page = Image.new("RGBA", image.size, (255, 255, 255, 255))
    return np.asarray(Image.alpha_composite(page, image).convert("RGB"), dtype=np.int16)


def _page_images(pdf, first: int, last: int, folder) -> list:
    """The RGB pixels of every image embedded on pages first..last (``pdfimages -png``)."""
    for old in folder.glob("img-*.png"):
        old.unlink()
    subprocess.run(
        ["pdfimages", "-png", "-f", str(first), "-l", str(last), str(pdf), str(folder / "img")],
        check=True,
    )
    return [_rgb(p.read_bytes()) for p in sorted(folder.glob("img-*.png"))]


def test_explorer_pages_carry_their_still_image(pdf_path, tmp_path):
    """Each explorer's still, pixel for pixel (within 2 levels of 255, for colour
    conversion), is an image on the page of the explorer's code cell or the next (LaTeX may
    float it). Catches: a still missing while another figure of the same size is near (the
    old check matched pixel sizes only), a still from the wrong output (the live widget's
    snapshot, a frame at other slider values)."""
    import numpy as np

    stills = _explorer_stills()
    pages = [
        page
        for page in range(1, _page_count(pdf_path) + 1)
        for _ in range(_text(pdf_path, page, page).count("rnngrad.explore("))
    ]
    assert len(pages) == len(stills), "explorer cells in the PDF != explorer cells in the book"
    for (chapter, png), page in zip(stills, pages, strict=True):
        want = _rgb(png)
        # pdfimages writes an image's soft mask as a separate grey image; skip those.
        near = [im for im in _page_images(pdf_path, page, page + 1, tmp_path) if im.ndim == 3]
        same = [im for im in near if im.shape == want.shape and np.abs(im - want).max() <= 2]
        assert same, f"{chapter}: its still is not on page {page} or {page + 1}"


def test_pages_render(pdf_path, tmp_path):
    """Every page with text renders its text: at 30 dpi at least 0.1 % of its pixels dark
    (0.15 % for a page of 100 words or more). The built book's lightest pages measured
    0.38 % (a part page of five words) and 0.28 % (the table of contents); a page whose
    text did not render (a missing font, only a page number) stays far below.
    Catches: blank or near-blank pages where the text layer says there is text (the old
    check needed one dark pixel)."""
    assert shutil.which("pdftoppm")
    subprocess.run(
        ["pdftoppm", "-r", "30", "-png", str(pdf_path), str(tmp_path / "page")], check=True
    )
    import numpy as np
    from PIL import Image

    pngs = sorted(tmp_path.glob("page*.png"))
    texts = _text(pdf_path).split("\f")
    assert len(pngs) >= 5 and len(pngs) == _page_count(pdf_path)
    for number, png in enumerate(pngs, start=1):
        words = len(texts[number - 1].split())
        if not words:
            continue
        dark = (np.asarray(Image.open(png).convert("L")) < 128).mean()
        least = 0.0015 if words >= 100 else 0.001
        assert dark >= least, f"page {number} ({words} words) renders {dark:.2%} dark"


def test_every_chapter_plan_in_the_pdf_times_its_own_chapter(pdf_path):
    """Each chapter's plan in the PDF shows a reading time and a run time, and the reading
    times differ between chapters as they do in the HTML book. Catches: the LaTeX builder's
    one tree for the whole book counted as each chapter's page (every plan would say the same
    few hundred minutes), and a placeholder the LaTeX builder left unfilled."""
    flat = " ".join(_text(pdf_path).split())
    minutes = [int(m) for m in re.findall(r"Reading time: about (\d+) min\. Run time: \d", flat)]
    assert len(minutes) == len(chapter_notebooks()), minutes
    assert len(set(minutes)) > 1 and max(minutes) < 120, minutes


def test_the_pdf_numbers_chapters_as_the_pages_do(pdf_path):
    """Catches the "Start here" pages counted as chapters 1 and 2 in the PDF, which then calls
    the book's chapter 3 "Chapter 5" while its text says "chapter 3"."""
    text = _text(pdf_path)
    first = next(_chapter_titles())
    headers = re.findall(r"Chapter (\d+)\. " + re.escape(first), text)
    assert headers and set(headers) == {"1"}, (
        f"{first!r} is headed as chapter {sorted(set(headers))}"
    )
    assert not re.search(r"Chapter \d+\. The short answer", text)
