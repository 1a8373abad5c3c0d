"""Colab and Binder buttons open the page's launch notebook, not its MyST source.

sphinx-book-theme builds each launch URL from ``repository.path_to_book`` and the page's path
(``.../blob/main/book/chapters/03_lstm.ipynb``); the source's Markdown is MyST, which Colab
shows raw. ``scripts/launch_notebooks.py`` writes a readable copy of every notebook page under
``launch_notebooks_dir`` (``launch/chapters/03_lstm.ipynb``, relative to the repository root);
after the theme has added its buttons (``html-page-context``, priority 501), this rewrites the
path in each launch URL to that copy. The "download .ipynb" button keeps the source.
"""

from __future__ import annotations

LAUNCH_GROUP = "launch-buttons"


def launch_path(pagename: str, launch_dir: str) -> str:
    """The launch notebook of a page, relative to the repository root."""
    return f"{launch_dir.strip('/')}/{pagename}.ipynb"


def rewrite_launch_urls(app, pagename, templatename, context, doctree) -> None:
    launch_dir = app.config.launch_notebooks_dir
    if not launch_dir:
        return
    book = app.config.html_theme_options.get("path_to_docs", "").strip("/")
    source = f"{book}/{pagename}.ipynb" if book else f"{pagename}.ipynb"
    for group in context.get("header_buttons", []):
        if group.get("label") != LAUNCH_GROUP:
            continue
        for button in group.get("buttons", []):
            url = button.get("url", "")  # .../blob/main/book/... or ...?urlpath=lab/tree/book/...
            if f"/{source}" in url:
                button["url"] = url.replace(f"/{source}", f"/{launch_path(pagename, launch_dir)}")


def setup(app):
    app.add_config_value("launch_notebooks_dir", "", "html")
    app.connect("html-page-context", rewrite_launch_urls, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
