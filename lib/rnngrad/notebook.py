"""Small helpers for the chapters, which must also run outside the book (Colab, Binder)."""

from __future__ import annotations

from typing import Any


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
