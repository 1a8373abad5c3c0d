"""MyST Markdown to the Markdown that Jupyter, Colab and Binder render.

A book page's Markdown cells are MyST: roles (``{cite}`key```, ``{glue:text}`key```) and
directives (``:::{admonition}``) that only Sphinx understands; a notebook front end shows them
raw. :func:`convert` rewrites one cell's Markdown, asking a :class:`Book` (what the page
links to and what the build glued) for everything it cannot decide alone:

* roles: ``glue*`` -> the glued value (or a link, for a glued figure), ``cite`` -> author-year
  text linked to the bibliography, ``term`` -> the word linked to the glossary, ``doc``,
  ``ref``, ``numref`` -> links to the HTML book, ``math`` -> ``$...$``, ``sub``/``sup`` ->
  HTML, ``reading-time``/``run-time`` (times only the build computes) -> a link to the book's
  page; an unknown role is an error, never left raw.
* directives: admonitions -> a blockquote with a bold title; dropdowns (``{dropdown}`` or an
  admonition of class ``dropdown``) -> ``<details><summary>``; ``{figure}`` -> an image and
  its caption; ``{math}`` -> ``$$``; glued figures -> a link to the page; ``{chapter-plan}``
  -> a blockquote with its prerequisites linked, a place for the reading time (``READING_TIME``,
  which the caller fills: it needs the whole page), the run time linked on the book's page (it is
  the build's, and differs from machine to machine) and its objectives; an unknown directive is
  an error.
* links to another page's ``.ipynb``/``.md`` -> its HTML page; ``(label)=`` targets -> anchors.

Code (fenced blocks and inline spans) and math are left as they are.
"""

from __future__ import annotations

import re
from typing import Protocol

ADMONITIONS = {
    "admonition",
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "margin",
    "sidebar",
    "topic",
    "epigraph",
}
GLUE_DIRECTIVES = {"glue", "glue:any", "glue:figure", "glue:math", "glue:md"}

OPEN = re.compile(
    r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|:{3,})\{(?P<name>[^}\s]+)\}[ \t]*(?P<arg>.*)$"
)
PLAIN_FENCE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})(?!.*\{)")
OPTION = re.compile(r"^[ \t]*:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
TARGET = re.compile(r"^[ \t]*\((?P<label>[^()\s]+)\)=[ \t]*$")
# A role, or an inline code span (left alone); the role's content may wrap a line.
INLINE = re.compile(
    r"\{(?P<role>[\w:-]+)\}(?P<tick>`+)(?P<content>.+?)(?P=tick)|(?P<code>(`+).+?\5)", re.S
)
LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")
EXPLICIT = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)


class MystError(ValueError):
    """MyST that this converter cannot write as plain Markdown (say which, and where)."""


class Book(Protocol):
    """What a page's Markdown refers to; :mod:`launch_notebooks` implements it."""

    def glue(self, doc: str | None, key: str) -> dict:
        """The mime bundle glued under ``key`` (in ``doc``, a path relative to the page)."""

    def cite(self, keys: list[str], textual: bool) -> str:
        """Markdown for a citation of ``keys``."""

    def page_url(self, target: str, anchor: str = "") -> str:
        """The HTML book's URL of ``target`` (a path relative to the page, no suffix)."""

    def term_url(self, term: str) -> str:
        """The glossary's URL of ``term``."""

    def label(self, label: str) -> tuple[str, str]:
        """(URL, title) of a ``(label)=`` target or a named figure anywhere in the book."""

    def title(self, target: str) -> str:
        """The title of the page ``target`` (relative to the page)."""


def _split_explicit(content: str) -> tuple[str | None, str]:
    """``text <target>`` -> (text, target); ``target`` -> (None, target)."""
    m = EXPLICIT.match(content.strip())
    if m and m.group("text"):
        return m.group("text"), m.group("target").strip()
    return None, content.strip()


def glue_text(book: Book, content: str, role: str) -> str:
    """A glued value as the HTML book pastes it (myst-nb's own parsing and formatting)."""
    from myst_nb.core.variables import format_plain_text

    key, fmt = content, ""
    if role == "glue:text":  # myst-nb: ``[doc::]key[:format]``, the format after the last ":"
        key, _, fmt = content.rpartition(":") if ":" in content else ("", "", "s")
        key = key or content
    doc, _, key = key.rpartition("::")
    data = book.glue(doc or None, key)
    if role == "glue:md" and "text/markdown" in data:
        return data["text/markdown"]
    if role != "glue:text" and any(m.startswith("image/") for m in data):
        return f"[figure]({book.page_url(doc.removesuffix('.ipynb') if doc else '')})"
    if "text/plain" not in data:
        raise MystError(f"glued value {key!r} has no text/plain")
    text = format_plain_text(data["text/plain"], fmt)
    return f"${text}$" if role == "glue:math" else text


def convert_role(book: Book, role: str, content: str) -> str:
    """One role, written as Markdown."""
    if role in ("glue", "glue:any", "glue:text", "glue:md", "glue:math"):
        return glue_text(book, content, role)
    if role in ("cite", "cite:p", "cite:t", "cite:ps", "cite:ts"):
        keys = [k.strip() for k in content.split(",") if k.strip()]
        return book.cite(keys, textual=role.startswith("cite:t"))
    text, target = _split_explicit(content)
    if role == "term":
        return f"[{text or target}]({book.term_url(target)})"
    if role == "doc":
        return f"[{text or book.title(target)}]({book.page_url(target)})"
    if role in ("ref", "numref", "eq"):
        url, title = book.label(target)
        if text:
            title = re.sub(r"\s*(%s|\{number\}|\{name\})\s*", " ", text).strip() or title
        return f"[{title}]({url})"
    if role == "math":
        return f"${content}$"
    if role in ("sub", "sup"):
        return f"<{role}>{content}</{role}>"
    if role in ("reading-time", "run-time"):  # book/_ext/chapter_plan.py: times of the build
        return f"[on the book's page]({book.page_url('')})"
    if role in ("abbr", "kbd", "code", "samp"):
        return f"`{content}`" if role in ("kbd", "code", "samp") else _split_explicit(content)[1]
    raise MystError(f"unsupported role {{{role}}}`{content}`")


def convert_link(book: Book, target: str) -> str:
    """A link to another page's source (``03_lstm.ipynb#sec``) -> its HTML page."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
        return target
    path, _, anchor = target.partition("#")
    if path.endswith((".ipynb", ".md")):
        return book.page_url(path.rsplit(".", 1)[0], anchor)
    return target


def convert_inline(book: Book, text: str) -> str:
    """Roles and page links in running text (code spans untouched)."""

    def role(m: re.Match) -> str:
        if m.group("code"):
            return m.group("code")
        return convert_role(book, m.group("role"), m.group("content").replace("\n", " "))

    out, last = [], 0
    for m in INLINE.finditer(text):
        out.append(
            LINK.sub(
                lambda k: f"]({convert_link(book, k.group('target'))})", text[last : m.start()]
            )
        )
        out.append(role(m))
        last = m.end()
    out.append(LINK.sub(lambda k: f"]({convert_link(book, k.group('target'))})", text[last:]))
    return "".join(out)


def _close(lines: list[str], start: int, fence: str) -> int:
    """Index of the line closing a fence opened with ``fence`` (its char, at least as long)."""
    closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
    for i in range(start, len(lines)):
        if closing.match(lines[i]):
            return i
    raise MystError(f"a {fence} fence is never closed")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


# Where a chapter's plan states its reading time: the caller (scripts/launch_notebooks.py)
# counts the whole page and writes the time in.
READING_TIME = "<!-- reading time -->"


def chapter_plan(book: Book, prerequisites: str, objectives: str) -> str:
    """The chapter's plan (``book/_ext/chapter_plan.py``): prerequisites as links, the reading
    time's placeholder (``READING_TIME``), a link to the run time on the book's page (a timing
    of the book's build, which another machine would not repeat), the objectives as written."""
    targets = prerequisites.replace(",", " ").split()
    links = "; ".join(f"[{book.title(t)}]({book.page_url(t)})" for t in targets) or "none"
    return (
        f"**Plan of the chapter**\n\n**Prerequisites:** {links}.\n\n"
        f"**Reading time:** {READING_TIME}. **Run time:** measured by the book's build, on "
        f"[the book's page]({book.page_url('')}); it differs from machine to machine.\n\n"
        f"{objectives}"
    )


def convert_directive(book: Book, name: str, arg: str, options: dict, body: str) -> str:
    """One directive, written as Markdown (its body converted first)."""
    inner = convert(book, body).strip("\n")
    classes = options.get("class", "").split()
    if name == "dropdown" or (name in ADMONITIONS and "dropdown" in classes):
        title = convert_inline(book, arg) if arg else name.capitalize()
        return f"<details>\n<summary>{title}</summary>\n\n{inner}\n\n</details>"
    if name in ADMONITIONS:
        title = convert_inline(book, arg) if name == "admonition" else name.capitalize()
        if name != "admonition" and arg:
            inner = convert_inline(book, arg) + ("\n" + inner if inner else "")
        return _quote(f"**{title}**\n\n{inner}")
    if name == "figure":
        alt = options.get("alt", inner.splitlines()[0] if inner else "figure")
        return f"![{alt}]({book.page_url(arg) if arg.endswith(('.md', '.ipynb')) else arg})\n\n*{inner}*"
    if name == "math":
        return f"$$\n{body.strip()}\n$$"
    if name == "chapter-map":
        return f"*The chapter map is built with the book: see [its page]({book.page_url('')}).*"
    if name == "chapter-plan":
        return _quote(chapter_plan(book, options.get("prerequisites", ""), inner))
    if name in GLUE_DIRECTIVES:
        value = glue_text(book, arg.strip(), "glue:any" if name == "glue:figure" else name)
        return value + (f"\n\n*{inner}*" if inner else "")
    raise MystError(f"unsupported directive {{{name}}}")


def convert(book: Book, markdown: str) -> str:
    """One Markdown cell's MyST, written as Jupyter Markdown."""
    lines = markdown.split("\n")
    out: list[str] = []
    text: list[str] = []  # running text, converted inline at once (a role may wrap a line)

    def flush() -> None:
        if text:
            out.append(convert_inline(book, "\n".join(text)))
            text.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        opened, plain, target = OPEN.match(line), PLAIN_FENCE.match(line), TARGET.match(line)
        if opened:
            flush()
            fence, name = opened.group("fence"), opened.group("name")
            end = _close(lines, i + 1, fence)
            body_lines, options = lines[i + 1 : end], {}
            while body_lines and (m := OPTION.match(body_lines[0])):
                options[m.group("key")] = m.group("value").strip()
                body_lines = body_lines[1:]
            block = convert_directive(
                book, name, opened.group("arg").strip(), options, "\n".join(body_lines)
            )
            indent = opened.group("indent")
            out.append("\n".join(indent + ln if ln else ln for ln in block.split("\n")))
            i = end + 1
        elif plain:
            flush()
            end = _close(lines, i + 1, plain.group("fence"))
            out.append("\n".join(lines[i : end + 1]))
            i = end + 1
        elif target:
            flush()
            out.append(f'<a id="{target.group("label")}"></a>')
            i += 1
        else:
            text.append(line)
            i += 1
    flush()
    return "\n".join(out)
