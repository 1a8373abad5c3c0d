"""The built HTML book: every page, nothing from another host, launch buttons right."""

import json
import re
from html.parser import HTMLParser

import pytest
import yaml

from conftest import BOOK, chapter_notebooks

pytestmark = pytest.mark.book
CONFIG = yaml.safe_load((BOOK / "_config.yml").read_text())
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
OWNER_REPO = REPO_URL.removeprefix("https://github.com/")


class Resources(HTMLParser):
    """Collects what a page *loads*: script/img/source/iframe src and stylesheet/font hrefs."""

    def __init__(self):
        super().__init__()
        self.loaded, self.links = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("script", "img", "source", "iframe", "audio", "video", "embed") and a.get("src"):
            self.loaded.append(a["src"])
        if tag == "link" and a.get("href") and (a.get("rel") or "") not in ("canonical",):
            self.loaded.append(a["href"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def _parse(path):
    parser = Resources()
    parser.feed(path.read_text())
    return parser


def test_every_page_exists(html_dir):
    assert (html_dir / "intro.html").exists() and (html_dir / "bibliography.html").exists()
    for nb in chapter_notebooks():
        assert (html_dir / "chapters" / f"{nb.stem}.html").exists()


def test_no_page_loads_from_another_host(html_dir):
    for page in html_dir.rglob("*.html"):
        foreign = [u for u in _parse(page).loaded if re.match(r"(https?:)?//", u)]
        assert not foreign, f"{page.name} loads {foreign}"
    for css in html_dir.rglob("*.css"):
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", css.read_text(errors="ignore")), (
            css.name
        )


def test_every_local_file_a_page_loads_exists(html_dir):
    """Every image, script and stylesheet a page loads from the book's folder is there.
    Catches: a figure pasted from another page with {glue:any} whose image Sphinx never
    copied (the short answer's figures 3 and 4 once pointed at missing files)."""
    missing = []
    for page in html_dir.rglob("*.html"):
        if "_static" in page.relative_to(html_dir).parts:
            continue  # the theme's template macros, not pages
        for uri in _parse(page).loaded:
            if re.match(r"(https?:|data:|//|#)", uri):
                continue
            target = (page.parent / uri.split("?")[0].split("#")[0]).resolve()
            if not target.is_file():
                missing.append(f"{page.relative_to(html_dir)}: {uri}")
    assert not missing, "\n".join(missing[:20])


def test_every_page_loads_mathjax_at_most_once(html_dir):
    """Catches a second copy of MathJax on every page (two copies break each other: "Cannot
    set property Package"): Jupyter Book loads every .js and .css it finds in the static
    paths once a folder named _static exists beside the book, the vendored MathJax included."""
    for page in html_dir.rglob("*.html"):
        if "_static" in page.relative_to(html_dir).parts:
            continue
        copies = [u for u in _parse(page).loaded if "tex-chtml" in u]
        assert len(copies) <= 1, f"{page.relative_to(html_dir)} loads MathJax {len(copies)} times"


def test_math_and_widgets_are_served_locally(html_dir):
    """Every page with maths loads the vendored MathJax (and its fonts exist); every page
    with an explorer carries its frames inline. Catches: one page configured right and
    another still pointing at a CDN, a vendored script whose fonts were not copied."""
    fonts = html_dir / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2"
    assert fonts.is_dir() and any(fonts.glob("*.woff")), "MathJax's fonts are not vendored"
    with_math = 0
    for page in html_dir.rglob("*.html"):
        text = page.read_text()
        scripts = [u for u in _parse(page).loaded if "mathjax" in u.lower()]
        if 'class="math' in text:
            with_math += 1
            local = [u.split("?")[0] for u in scripts]
            assert local and all((page.parent / u).resolve().is_file() for u in local), (
                f"{page.relative_to(html_dir)} has maths but no local MathJax: {scripts}"
            )
    assert with_math >= len(chapter_notebooks())  # every chapter has maths


def test_launch_and_repository_buttons(html_dir):
    for nb in chapter_notebooks():
        links = _parse(html_dir / "chapters" / f"{nb.stem}.html").links
        path = f"launch/chapters/{nb.name}"  # the launch notebook, not the MyST source
        assert f"https://colab.research.google.com/github/{OWNER_REPO}/blob/main/{path}" in links
        assert any(
            u.startswith(f"https://mybinder.org/v2/gh/{OWNER_REPO}/main") and path in u
            for u in links
        )
        assert REPO_URL in links
        assert any(u.endswith(f"{nb.stem}.ipynb") and "_sources" in u for u in links), (
            "download .ipynb"
        )


def _bib_titles() -> dict[str, str]:
    """references.bib: key -> title, as plain lower-case words."""
    text = (BOOK / "references.bib").read_text()
    titles = {}
    for entry in re.split(r"\n(?=@)", text):
        key = re.match(r"@\w+\{([^,]+),", entry.strip())
        title = re.search(r"\btitle\s*=\s*[{\"](.+?)[}\"],?\s*\n", entry, re.S)
        if key and title:
            titles[key.group(1).strip()] = _words(title.group(1))
    return titles


def _words(text: str) -> str:
    text = re.sub(r"<[^>]+>|\\[a-zA-Z]+", " ", text).replace("{", "").replace("}", "")
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _cited_keys() -> set[str]:
    """Every key the book's sources cite with a {cite} role."""
    keys = set()
    for source in [*BOOK.glob("*.md"), *chapter_notebooks()]:
        for group in re.findall(r"\{cite(?::\w+)?\}`([^`]+)`", source.read_text()):
            keys |= {k.strip() for k in group.split(",")}
    return keys


def test_book_niceties(html_dir):
    """The copy button's script and the theme switch are on the pages; chapters are
    numbered; the introduction cites the bibliography.
    Catches: an extension named in the config whose script is not served (a word in the
    page, no file), a theme switch without its button."""
    for name in ("intro.html", f"chapters/{chapter_notebooks()[0].stem}.html"):
        page = html_dir / name
        loaded = [u.split("?")[0] for u in _parse(page).loaded]
        copy = [u for u in loaded if u.endswith("copybutton.js")]
        assert copy and (page.parent / copy[0]).resolve().is_file(), f"{name}: no copy button"
        assert re.search(r'<button[^>]*class="[^"]*theme-switch-button', page.read_text()), name
    page = (html_dir / "intro.html").read_text()
    chapter = (html_dir / "chapters" / f"{chapter_notebooks()[0].stem}.html").read_text()
    assert re.search(r'<h1><span class="section-number">1\. </span>', chapter), (
        "chapters are numbered"
    )
    assert re.search(r'href="bibliography\.html#id\d+"', page), (
        "the introduction cites the bibliography"
    )


def test_bibliography_lists_every_cited_work(html_dir):
    """One bibliography entry per key the sources cite, each with its title from
    references.bib. Catches: a citation that did not resolve (the entry missing), a
    bibliography filtered to some pages only, entries for works never cited."""
    bib = (html_dir / "bibliography.html").read_text()
    entries = re.findall(r'<div class="citation" id="[^"]+"[^>]*>(.*?)</div>', bib, re.S)
    cited, titles = _cited_keys(), _bib_titles()
    assert cited and not cited - set(titles), (
        f"cited but not in references.bib: {cited - set(titles)}"
    )
    assert len(entries) == len(cited), (len(entries), len(cited))
    listed = [_words(e) for e in entries]
    missing = [k for k in sorted(cited) if not any(titles[k] in e for e in listed)]
    assert not missing, f"cited works whose title the bibliography does not show: {missing}"


def test_pages_are_light(html_dir):
    for page in html_dir.rglob("*.html"):
        size = page.stat().st_size
        assert size < 3_000_000, f"{page.name} weighs {size / 1e6:.1f} MB"


def test_explorer_pages_choose_frames_not_widget_views(html_dir):
    for nb in chapter_notebooks():
        if "rnngrad.explore(" not in nb.read_text():
            continue
        page = (html_dir / "chapters" / f"{nb.stem}.html").read_text()
        assert page.count('class="rnngrad-explorer"') == nb.read_text().count("rnngrad.explore(")


def test_figures_keep_a_white_background_for_dark_mode(html_dir):
    """Figures are drawn on white, so they stay readable when the reader picks dark mode."""
    import base64
    import io

    from PIL import Image

    for nb in chapter_notebooks():
        page = (html_dir / "chapters" / f"{nb.stem}.html").read_text()
        images = re.findall(r'<img[^>]+src="(\.\./_images/[^"]+\.png)"', page)  # cell outputs
        inline = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)[:3]
        # Every captioned figure that is not an explorer (those are SVG frames in the HTML,
        # checked in the browser tests) is a PNG on the page.
        cells = json.loads(nb.read_text())["cells"]
        pictures = [
            c
            for c in cells
            if c.get("metadata", {}).get("mystnb", {}).get("figure")
            and "explore(" not in "".join(c["source"])
        ]
        assert len(images) + len(inline) >= len(pictures), nb.stem
        for src in images:
            corner = Image.open(html_dir / "chapters" / src).convert("RGB").getpixel((1, 1))
            assert min(corner) > 240, f"{src} has a non-white background {corner}"
        for data in inline:
            corner = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB").getpixel((1, 1))
            assert min(corner) > 240


def test_execution_times_page_lists_every_chapter(html_dir):
    """The build reports each chapter's execution (myst-nb's statistics table)."""
    page = (html_dir / "execution_times.html").read_text()
    table = page[page.index("<table") : page.index("</table>")]
    for nb in chapter_notebooks():
        assert f"chapters/{nb.stem}" in table, f"{nb.stem} missing from the execution table"
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]  # after the header
    cells = [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", r, re.S)]
             for r in rows]  # fmt: skip
    chapters = {c[0] for c in cells}
    assert chapters >= {f"chapters/{nb.stem}" for nb in chapter_notebooks()}
    for document, _modified, method, seconds, status in cells:
        # Each row: how it ran, a run time, and success (a failed run shows another mark).
        assert method in ("cache", "execute"), (document, method)
        assert float(seconds) > 0, (document, seconds)
        assert status == "\u2705", (document, status)


def test_pasted_numbers_resolved(html_dir):
    """Every {glue} role, in its page and across pages, was replaced by its number."""
    for page in html_dir.rglob("*.html"):
        text = page.read_text()
        assert "{glue" not in text and ".ipynb::" not in text, f"unresolved glue in {page.name}"


# What an executed cell leaves on the page when it raised (with allow_errors) or wrote to
# stderr (warnings, progress bars, logging): myst-nb's output classes, and the text itself.
LEAKS = {
    "a traceback block": re.compile(r'class="[^"]*\boutput traceback\b'),
    "a stderr block": re.compile(r'class="[^"]*\boutput stderr\b'),
    "a Python traceback": re.compile(r"Traceback \(most recent call last\)"),
    "a warning": re.compile(r"\b\w+Warning: "),
}


def _leaks(page: str) -> list[str]:
    return [name for name, pattern in LEAKS.items() if pattern.search(page)]


def test_leak_detector_on_myst_nb_markup():
    """The detector itself, on the markup myst-nb writes for such outputs (no build needed).
    Catches: a pattern that no longer matches the classes myst-nb gives these blocks."""
    stderr = '<div class="output stderr highlight-myst-ansi notranslate"><pre>100%|##|</pre></div>'
    error = '<div class="output traceback highlight-ipythontb notranslate"><pre>x</pre></div>'
    warning = "<pre>/lib/x.py:3: UserWarning: the grid is coarse</pre>"
    assert _leaks(stderr) == ["a stderr block"]
    assert _leaks(error) == ["a traceback block"]
    assert _leaks("<pre>Traceback (most recent call last):</pre>") == ["a Python traceback"]
    assert _leaks(warning) == ["a warning"]
    clean = '<div class="output stream highlight-myst-ansi notranslate"><pre>loss 0.1</pre></div>'
    assert _leaks(clean) == []


def test_no_page_shows_a_traceback_or_stderr(html_dir):
    """No chapter ships an error, a warning or a progress bar to the reader."""
    pages = sorted((html_dir / "chapters").glob("*.html"))
    assert len(pages) == len(chapter_notebooks())
    for page in [*pages, *html_dir.glob("*.html")]:
        found = _leaks(page.read_text())
        assert not found, f"{page.name} shows {', '.join(found)}"


PLAN_TIMES = re.compile(
    r'<p class="plan-times"><strong>Reading time: </strong>about (\d+) min\. '
    r"<strong>Run time: </strong>(?:(\d+) min )?(\d+) s to execute"
)


def recorded_runtimes(html_dir) -> dict[str, float]:
    """page -> seconds, from the execution-times page (myst-nb's own table)."""
    text = (html_dir / "execution_times.html").read_text()
    rows = re.findall(r'<tr[^>]*><td><p><a [^>]*href="([^"]+)\.html".*?</tr>', text, re.S)
    found = {}
    for href, row in zip(rows, re.findall(r"<tr[^>]*><td>.*?</tr>", text, re.S), strict=True):
        cells = re.findall(r"<td><p>(.*?)</p></td>", row, re.S)
        found[href] = float(cells[3])  # Document, Modified, Method, Run Time (s), Status
    return found


def plan_times_on(page_html: str) -> tuple[int, int] | None:
    """(reading minutes, run seconds) from a page's plan, or None when it shows no times."""
    m = PLAN_TIMES.search(page_html)
    return (int(m.group(1)), 60 * int(m.group(2) or 0) + int(m.group(3))) if m else None


def test_every_chapter_shows_its_reading_and_run_time(html_dir):
    """Every chapter's plan shows both times, and the run time is the one the execution-times
    page gives for that chapter. Catches: a placeholder left empty or "not recorded" (a run
    time read from where this myst-nb does not keep it), one chapter's run time shown on
    another (the page being written instead of the page the plan belongs to), and a reading
    time of more than the page (every page would show the same, large number)."""
    recorded = recorded_runtimes(html_dir)
    minutes = []
    for nb in chapter_notebooks():
        times = plan_times_on((html_dir / "chapters" / f"{nb.stem}.html").read_text())
        assert times, f"{nb.stem}: the plan shows no reading and run time"
        assert abs(times[1] - recorded[f"chapters/{nb.stem}"]) <= 1, (nb.stem, times)
        minutes.append(times[0])
    assert len(set(minutes)) > 1 and max(minutes) < 120, minutes


class Figures(HTMLParser):
    """Each figure of a page (``<figure>`` or a pasted ``glued-figure`` container): its label,
    the image files it shows, and its download links (href, download name)."""

    def __init__(self):
        super().__init__()
        self.figures, self._open = [], []  # [label, images, links, depth]

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for fig in self._open:
            fig[3] += tag not in ("img", "br", "hr", "source", "meta", "link", "input")
        if tag == "figure" or (tag == "div" and "glued-figure" in (a.get("class") or "")):
            self._open.append([a.get("id"), [], [], 1])
        elif self._open and tag == "img" and "_images/" in (a.get("src") or ""):
            self._open[-1][1].append(a["src"])
        elif self._open and tag == "a" and "download" in a:
            self._open[-1][2].append((a.get("href"), a["download"]))

    def handle_endtag(self, tag):
        for fig in self._open:
            fig[3] -= tag not in ("img", "br", "hr", "source", "meta", "link", "input")
        while self._open and self._open[-1][3] <= 0:
            self.figures.append(self._open.pop()[:3])


def test_every_figure_can_be_saved_under_its_label(html_dir):
    """Every figure that shows an image file has a "Download this figure" link beside it, to that
    same file, whose download name is the figure's label. Catches: a link to the hash name
    (download="3f9c….png"), a link whose href the build never wrote, a labelled figure without
    a link, and two figures of a page saved under one name."""
    checked = 0
    for page in html_dir.rglob("*.html"):
        if "_static" in page.relative_to(html_dir).parts:
            continue
        parser = Figures()
        parser.feed(page.read_text())
        names = []
        for label, images, links in parser.figures:
            if not images:
                continue  # an explorer: its frames are HTML
            assert links, f"{page.name}: figure {label or '(no label)'} has no download link"
            href, name = links[0]
            assert href == images[0], (page.name, href, images[0])
            assert (page.parent / href).resolve().is_file(), (page.name, href)
            stem = name.rsplit(".", 1)[0]
            assert stem == label if label else stem.startswith(page.stem), (page.name, stem)
            names.append(name)
            checked += 1
        assert len(names) == len(set(names)), f"{page.name}: one name for two figures: {names}"
    assert checked >= len(chapter_notebooks())
