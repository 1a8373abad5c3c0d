"""The short answer and the landing page, as built: short, illustrated, linked."""

import re
from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.book

MAX_WORDS = 2500  # about fifteen minutes of reading
MAX_MINUTES = 15
WORDS_PER_MINUTE = 200  # book/_ext/chapter_plan.py's convention


class Article(HTMLParser):
    """The text, images and chapter links inside the page's <article> (no navigation)."""

    def __init__(self):
        super().__init__()
        self.depth, self.words, self.images, self.links, self.terms = 0, [], [], [], []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "article":
            self.depth += 1
        if not self.depth:
            return
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "img":
            self.images.append(a)
        if tag == "a" and "chapters/" in (a.get("href") or ""):
            self.links.append(a["href"])
        if tag == "a" and "glossary.html#" in (a.get("href") or ""):
            self.terms.append(a["href"].split("#")[1])

    def handle_endtag(self, tag):
        if tag == "article":
            self.depth -= 1
        if self.depth and tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:  # words of prose, not of the TeX source of math
            prose = re.sub(r"\\\(.*?\\\)|\\\[.*?\\\]|\$\$.*?\$\$", " ", data, flags=re.S)
            self.words += re.findall(r"[A-Za-z][\w'-]*", prose)


def _article(path) -> Article:
    parser = Article()
    parser.feed(path.read_text())
    return parser


def test_the_short_answer_is_short_illustrated_and_linked(html_dir):
    """Catches: the page growing past fifteen minutes' reading, a glued figure that did not
    paste (the build would show a warning and no image), a figure without alt text, or a
    point that no longer links to the chapter that derives it."""
    page = _article(html_dir / "short_answer.html")
    assert 1000 < len(page.words) <= MAX_WORDS, f"{len(page.words)} words"
    assert len(page.images) >= 2, "the short answer shows its figures"
    for img in page.images:
        alt = img.get("alt", "")
        assert len(alt.split()) >= 8 and "_images/" not in alt, f"alt text {alt!r}"
    chapters = {re.sub(r"\.html.*", "", h.split("chapters/")[-1]) for h in page.links}
    assert {
        "01_recurrence_and_bptt",
        "02_vanishing_and_exploding",
        "03_lstm",
        "04_gru",
        "05_benchmarks",
        "06_initialisation",
        "07_clipping",
        "10_popular_claims",
    } <= chapters


def _stated_minutes(path) -> int:
    text = " ".join(re.sub(r"<[^>]+>", " ", path.read_text()).split())
    found = re.findall(r"about (\d+) min", text.split("short answer", 1)[-1])
    assert found, f"{path.name} states no reading time for the short answer"
    return int(found[0])


def test_the_short_answer_states_the_time_its_words_take(html_dir):
    """The page and the intro state the same reading time, computed by the build from the
    page's words (the ``reading-time`` role, the chapters' convention), at most fifteen
    minutes, and not less than the page's words alone take at 200 a minute. Catches: a time
    typed by hand ("about twenty minutes" on a page of thirteen), a page grown past its
    stated time, and the intro promising another time than the page."""
    words = len(_article(html_dir / "short_answer.html").words)
    page, intro = (_stated_minutes(html_dir / f"{n}.html") for n in ("short_answer", "intro"))
    assert page == intro, (page, intro)
    assert words / WORDS_PER_MINUTE <= page <= MAX_MINUTES, (words, page)


def test_the_short_answer_links_sections_and_defines_its_terms(html_dir):
    """Each reference to a chapter goes to the section it names, not the chapter's top; chapter
    4's section titled with the reader's question is linked; the book's words are linked to
    the glossary. Catches: section names given as plain italics after a link to the top of a
    3,800-word chapter, and "budget", "reach" or "W-path" used without their definition."""
    page = _article(html_dir / "short_answer.html")
    sections = [h for h in page.links if "#" in h]
    assert len(sections) >= 12, page.links
    assert any(
        h.endswith("04_gru.html#how-do-lstm-and-gru-prevent-the-vanishing-gradient-problem")
        for h in sections
    )
    assert {"term-budget", "term-reach", "term-W-paths", "term-verdict"} <= set(page.terms)


def test_the_landing_page_shows_the_answer_figure(html_dir):
    """Catches: the landing page back to text only, or its figure without a description."""
    page = _article(html_dir / "intro.html")
    assert page.images, "the landing page shows the answer figure"
    assert "gradient" in page.images[0].get("alt", "")


def test_every_chapter_figure_has_alt_text(html_dir):
    """Catches: a notebook figure whose alt text is its file name (myst-nb's default)."""
    bare = []
    for path in sorted((html_dir / "chapters").glob("*.html")):
        for img in _article(path).images:
            alt = img.get("alt") or ""
            if not alt or "_images/" in alt or alt.endswith((".png", ".svg")):
                bare.append(f"{path.name}: {img.get('src')}")
    assert not bare, f"{len(bare)} images without alt text, e.g. {bare[:3]}"
