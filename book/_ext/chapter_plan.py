"""What an instructor plans with: each chapter's objectives, prerequisites, reading and run time.

A chapter's second cell holds one directive, written by hand except for the two times::

    :::{chapter-plan}
    :prerequisites: 01_recurrence_and_bptt 02_vanishing_and_exploding

    After this chapter you can

    - compute ...
    :::

It becomes a box: the prerequisites as links to their pages (checked: an unknown page is an
error), the objectives as written, and one line the build fills in once every page is read:

* **reading time**, from the page's own doctree (glued numbers pasted in) by
  :func:`reading_counts` and :func:`reading_minutes`: running text at ``WORDS_PER_MINUTE``;
  each inline formula as one word per ``TEX_CHARS_PER_WORD`` characters of its TeX; each
  display equation ``DISPLAY_SECONDS``; each shown code line ``CODE_SECONDS``; each figure
  ``FIGURE_SECONDS``. Cell outputs printed as text, the explorers' frames (raw HTML) and the
  cells the page removes are not counted. These rates are the book's convention, not a measurement of readers.
* **run time**, the seconds myst-nb recorded for executing the notebook (its execution data,
  ``env.nb_metadata[docname]["exec_data"]["runtime"]``, the same number the execution-times
  page shows; a page served from the execution cache carries the time of the run that filled
  the cache).

Two roles state the same times anywhere in the book, so that no page types a reading time by
hand: ``{reading-time}`short_answer``` becomes "about 15 min" (the page's reading time,
counted as a plan counts it), and with several pages (``{reading-time}`chapters/01_a
chapters/02_b```) the sum of their reading times, each rounded as its own plan rounds it;
``{run-time}`pages``` gives one page's recorded run time, or for several "5 s to 36 s a
chapter, 5 min 2 s in all". The ``chapter-map`` table shows both times for every chapter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import pending_xref
from sphinx.util import docname_join
from sphinx.util.docutils import SphinxDirective

WORDS_PER_MINUTE = 200
TEX_CHARS_PER_WORD = 6  # an inline formula reads as one word per 6 characters of its TeX
DISPLAY_SECONDS = 20  # a display equation: read it and follow it
CODE_SECONDS = 3  # a shown line of code
FIGURE_SECONDS = 12  # a figure or explorer: look at it and its caption
PLAN_CLASS = "chapter-plan"


SKIPPED = (nodes.raw, nodes.comment, nodes.system_message, nodes.substitution_definition)


class plan_times(nodes.General, nodes.Element):
    """Placeholder for the reading and run times, filled when the page is resolved."""


class plan_map(nodes.General, nodes.Element):
    """Placeholder for the table of every chapter's prerequisites (the ``chapter-map``)."""


class page_time(nodes.General, nodes.Element):
    """Placeholder for a ``reading-time`` or ``run-time`` role: ``kind`` and ``targets``
    (docnames), filled when the page is resolved."""


@dataclass(frozen=True)
class ReadingCounts:
    words: int = 0
    inline_math_words: int = 0
    display_equations: int = 0
    code_lines: int = 0
    figures: int = 0


def _in_output(node: nodes.Node) -> bool:
    """Inside a notebook cell's output (myst-nb's ``cell_output`` container)."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent, nodes.container) and "cell_output" in parent.get("classes", []):
            return True
        parent = parent.parent
    return False


def reading_counts(doctree: nodes.Node) -> ReadingCounts:
    """What a reader of ``doctree`` reads: words of running text, inline formulas (as words,
    by TeX length), display equations, lines of code shown (not outputs), figures."""
    words = inline = display = code = figures = 0
    stack = [doctree]
    while stack:
        node = stack.pop()
        if isinstance(node, SKIPPED):
            continue
        if isinstance(node, nodes.math_block):
            display += 1
            continue
        if isinstance(node, nodes.math):
            inline += max(1, math.ceil(len(node.astext().strip()) / TEX_CHARS_PER_WORD))
            continue
        if isinstance(node, nodes.literal_block):
            if not _in_output(node):
                code += len([ln for ln in node.astext().splitlines() if ln.strip()])
            continue
        if isinstance(node, nodes.figure) or (
            isinstance(node, nodes.image) and not isinstance(node.parent, nodes.figure)
        ):
            figures += 1  # its caption is read as text below
        if isinstance(node, nodes.Text):
            words += len(node.astext().split())
            continue
        stack.extend(reversed(node.children))
    return ReadingCounts(words, inline, display, code, figures)


def reading_minutes(counts: ReadingCounts) -> int:
    """Whole minutes (rounded up, at least 1) to read what ``counts`` counted."""
    seconds = (
        (counts.words + counts.inline_math_words) * 60 / WORDS_PER_MINUTE
        + counts.display_equations * DISPLAY_SECONDS
        + counts.code_lines * CODE_SECONDS
        + counts.figures * FIGURE_SECONDS
    )
    return max(1, math.ceil(seconds / 60))


def format_runtime(seconds: float) -> str:
    """``56 s``, ``4 min 39 s``."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    return f"{seconds // 60} min {seconds % 60} s"


def runtime_seconds(env, docname: str) -> float | None:
    """The execution time myst-nb recorded for ``docname`` (None: not executed, or failed)."""
    data = (getattr(env, "nb_metadata", {}).get(docname) or {}).get("exec_data") or {}
    runtime = data.get("runtime")
    return float(runtime) if runtime is not None and data.get("succeeded") else None


def _resolved_copy(app, docname: str) -> nodes.document:
    """``docname``'s doctree as its own page shows it (cross-references resolved, glued values
    from other pages pasted in), resolved afresh without the ``doctree-resolved`` event, so that
    no extension fills or writes anything for this copy."""
    from copy import copy

    from sphinx.transforms import SphinxTransformer

    env = app.env
    tree = env.get_doctree(docname)
    backup = copy(env.temp_data)
    try:
        env.temp_data["docname"] = docname
        transformer = SphinxTransformer(tree)
        transformer.set_environment(env)
        transformer.add_transforms(app.registry.get_post_transforms())
        transformer.apply_transforms()
    finally:
        env.temp_data = backup
    return tree


def page_minutes(app, doctree: nodes.document, docname: str, target: str) -> int:
    """The reading time of page ``target`` in minutes, as its own plan counts it (kept once
    counted, so a page's plan, the map and the roles agree): from the node of the tree being
    resolved that holds the page (every page, in the LaTeX builder's one tree), or the whole
    tree when it is the page itself, else from a resolved copy of the page's doctree."""
    cache = app.__dict__.setdefault("_page_minutes", {})
    if target not in cache:
        page = next(
            (n for n in doctree.findall(nodes.Element)
             if n is not doctree and n.get("docname") == target and not isinstance(n, plan_times)),
            doctree if target == docname else None,
        )  # fmt: skip
        cache[target] = reading_minutes(
            reading_counts(page if page is not None else _resolved_copy(app, target))
        )
    return cache[target]


def _targets(env, text: str) -> list[str]:
    return [docname_join(env.docname, t) for t in text.replace(",", " ").split()]


def time_role(name, rawtext, text, lineno, inliner, options=None, content=()):
    """``{reading-time}`pages``` and ``{run-time}`pages```: a placeholder, filled with the
    pages' times when the page is resolved (see the module's docstring)."""
    env = inliner.document.settings.env
    targets = _targets(env, text)
    unknown = [t for t in targets if t not in env.found_docs]
    if not targets or unknown:
        msg = inliner.reporter.error(f"{name}: not a page: {unknown or text!r}", line=lineno)
        return [inliner.problematic(rawtext, rawtext, msg)], [msg]
    return [page_time(kind=name, targets=targets)], []


def _time_text(app, doctree: nodes.document, docname: str, holder: page_time) -> str:
    targets = holder["targets"]
    if holder["kind"] == "reading-time":
        return f"about {sum(page_minutes(app, doctree, docname, t) for t in targets)} min"
    seconds = [runtime_seconds(app.env, t) for t in targets]
    if any(s is None for s in seconds):
        return "not recorded (this build did not execute every page)"
    if len(seconds) == 1:
        return format_runtime(seconds[0])
    return (
        f"{format_runtime(min(seconds))} to {format_runtime(max(seconds))} a chapter, "
        f"{format_runtime(sum(seconds))} in all"
    )


class ChapterPlan(SphinxDirective):
    """The ``chapter-plan`` box: prerequisites (pages), objectives (the body), two times."""

    has_content = True
    option_spec = {"prerequisites": directives.unchanged}

    def run(self):
        box = nodes.admonition(classes=["tip", PLAN_CLASS])
        box += nodes.title(text="Plan of the chapter")
        prereq = nodes.paragraph()
        prereq += nodes.strong(text="Prerequisites: ")
        targets = self.options.get("prerequisites", "").replace(",", " ").split()
        if not targets:
            prereq += nodes.Text("none.")
        for i, target in enumerate(targets):
            if docname_join(self.env.docname, target) not in self.env.found_docs:
                raise self.error(f"chapter-plan: prerequisite {target!r} is not a page")
            ref = pending_xref(
                refdoc=self.env.docname,
                reftarget=target,
                reftype="doc",
                refdomain="std",
                refexplicit=False,
                refwarn=True,
            )
            ref += nodes.inline(text=target)
            prereq += ref
            prereq += nodes.Text("; " if i < len(targets) - 1 else ".")
        box += prereq
        box += plan_times(docname=self.env.docname)
        if not hasattr(self.env, "chapter_prerequisites"):
            self.env.chapter_prerequisites = {}
        self.env.chapter_prerequisites[self.env.docname] = [
            docname_join(self.env.docname, t) for t in targets
        ]
        self.state.nested_parse(self.content, self.content_offset, box)
        return [box]


class ChapterMap(SphinxDirective):
    """A table of every chapter with a plan: what it needs first, what needs it, its run time."""

    def run(self):
        if not hasattr(self.env, "chapter_map_docs"):
            self.env.chapter_map_docs = set()
        self.env.chapter_map_docs.add(self.env.docname)
        return [plan_map()]


def _page_of(holder: plan_times, doctree: nodes.document) -> nodes.Node:
    """The part of ``doctree`` that is the holder's page: the whole tree for an HTML page; for
    the LaTeX builder, which resolves the book as one tree, the node that holds the page
    (Sphinx's ``start_of_file``, or the section sphinx-jupyterbook-latex makes of it, each
    carrying the page's ``docname``)."""
    parent = holder.parent
    while parent is not None:
        if isinstance(parent, nodes.Element) and parent.get("docname") == holder["docname"]:
            return parent
        parent = parent.parent
    return doctree


def fill_times(app, doctree: nodes.document, docname: str) -> None:
    """Replace each placeholder with its page's reading time and recorded run time (the
    roles first: a page is counted before any plan of the tree has its times written in)."""
    for holder in list(doctree.findall(page_time)):
        holder.replace_self(nodes.Text(_time_text(app, doctree, docname, holder)))
    minutes = {  # every plan's page counted before any plan's times are written in
        holder["docname"]: reading_minutes(reading_counts(_page_of(holder, doctree)))
        for holder in doctree.findall(plan_times)
    }
    app.__dict__.setdefault("_page_minutes", {}).update(minutes)
    for holder in list(doctree.findall(plan_times)):
        runtime = runtime_seconds(app.env, holder["docname"])
        run = (
            f"{format_runtime(runtime)} to execute every cell (the build's run)"
            if runtime is not None
            else "not recorded (this build did not execute the page)"
        )
        para = nodes.paragraph(classes=["plan-times"])
        para += nodes.strong(text="Reading time: ")
        para += nodes.Text(f"about {minutes[holder['docname']]} min. ")
        para += nodes.strong(text="Run time: ")
        para += nodes.Text(run + ".")
        holder.replace_self(para)


def _link(app, fromdoc: str, doc: str) -> nodes.Node:
    number = ".".join(map(str, app.env.toc_secnumbers.get(doc, {}).get("", ())))
    title = app.env.titles[doc].astext() if doc in app.env.titles else doc
    ref = nodes.reference("", "", internal=True, refuri=app.builder.get_relative_uri(fromdoc, doc))
    ref += nodes.Text(f"{number}. {title}" if number else title)
    return ref


def _row(cells: list[list[nodes.Node]]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        para = nodes.paragraph()
        for i, node in enumerate(content):
            para += [nodes.Text("; ")] if i else []
            para += node
        row += nodes.entry("", para if content else nodes.paragraph(text="none"))
    return row


def fill_map(app, doctree: nodes.document, docname: str) -> None:
    """Replace each ``chapter-map`` with the table of prerequisites, in the book's order."""
    needs = getattr(app.env, "chapter_prerequisites", {})
    chapters = sorted(needs)  # chapters/NN_name: the book's order
    for holder in list(doctree.findall(plan_map)):
        headers = ["Chapter", "Needs first", "Needed by", "Reading time", "Run time"]
        table = nodes.table(classes=["chapter-map"])
        group = nodes.tgroup(cols=len(headers))
        table += group
        group += [nodes.colspec(colwidth=w) for w in (30, 28, 22, 10, 10)]
        group += nodes.thead("", _row([[nodes.Text(h)] for h in headers]))
        body = nodes.tbody()
        minutes, runtimes = {}, {}
        for doc in chapters:
            runtimes[doc] = runtime = runtime_seconds(app.env, doc)
            minutes[doc] = page_minutes(app, doctree, docname, doc)
            body += _row(
                [
                    [_link(app, docname, doc)],
                    [_link(app, docname, d) for d in needs[doc]],
                    [_link(app, docname, d) for d in chapters if doc in needs[d]],
                    [nodes.Text(f"{minutes[doc]} min")],
                    [nodes.Text(format_runtime(runtime) if runtime is not None else "-")],
                ]
            )
        known = [r for r in runtimes.values() if r is not None]
        body += _row(
            [
                [nodes.Text("Every chapter")],
                [nodes.Text("")],
                [nodes.Text("")],
                [nodes.Text(f"{sum(minutes.values())} min")],
                [nodes.Text(format_runtime(sum(known)) if known else "-")],
            ]
        )
        group += body
        holder.replace_self(table)


def _purge(app, env, docname: str) -> None:
    getattr(env, "chapter_prerequisites", {}).pop(docname, None)
    getattr(env, "chapter_map_docs", set()).discard(docname)


def _maps_to_rewrite(app, env) -> list[str]:
    """A page with the map is written again whenever a chapter was read again."""
    return sorted(getattr(env, "chapter_map_docs", set()))


def _merge(app, env, docnames, other) -> None:
    if not hasattr(env, "chapter_prerequisites"):
        env.chapter_prerequisites = {}
    theirs = getattr(other, "chapter_prerequisites", {})
    env.chapter_prerequisites.update({d: theirs[d] for d in docnames if d in theirs})
    if not hasattr(env, "chapter_map_docs"):
        env.chapter_map_docs = set()
    env.chapter_map_docs |= getattr(other, "chapter_map_docs", set()) & set(docnames)


def setup(app):
    app.add_node(plan_times)
    app.add_node(plan_map)
    app.add_node(page_time)
    app.add_role("reading-time", time_role)
    app.add_role("run-time", time_role)
    app.add_directive("chapter-plan", ChapterPlan)
    app.add_directive("chapter-map", ChapterMap)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-updated", _maps_to_rewrite)
    app.connect("doctree-resolved", fill_times)
    app.connect("doctree-resolved", fill_map)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
