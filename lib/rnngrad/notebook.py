"""Small helpers for the chapters, which must also run outside the book (Colab, Binder)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from IPython.display import Markdown


def glue(name: str, value: Any, display: bool = False) -> None:
    """Hand ``value`` to the book's text through myst-nb's ``glue`` when it is installed (the
    book build); elsewhere (Colab) just show it when asked."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return
    myst_glue(name, value, display=display)


def table(rows: Iterable[Sequence[Any]], headers: Sequence[str]) -> Markdown:
    """A Markdown table (shown by a notebook, and typeset by the book in HTML and PDF)."""
    from IPython.display import Markdown

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        if len(row) != len(headers):
            raise ValueError(f"row {row!r} has {len(row)} cells, expected {len(headers)}")
        lines.append("| " + " | ".join(str(cell) for cell in row) + " |")
    return Markdown("\n".join(lines))
