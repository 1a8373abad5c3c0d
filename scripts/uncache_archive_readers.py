"""Forget the executed copies of the pages that read the results archive, so that the next
build executes them again on the records now in ``results/``.

The build's execution cache keys on a notebook's code; a new record in ``results/`` changes
no code, so without this a page would keep showing the archive as it was when it last ran.
``make book`` calls it whenever a file in ``results/`` is newer than its last call.
Usage: ``python scripts/uncache_archive_readers.py CACHE_DIR BOOK_DIR``.
"""

from __future__ import annotations

import sys
from pathlib import Path

READS_ARCHIVE = ("experiments.read(", "experiments.STUDIES")


def readers(book: Path) -> list[Path]:
    """The book's notebooks whose code reads the archive."""
    return sorted(
        p.resolve()
        for p in book.rglob("*.ipynb")
        if "_build" not in p.parts and any(s in p.read_text() for s in READS_ARCHIVE)
    )


def main(cache_dir: str, book_dir: str) -> None:
    pages = readers(Path(book_dir))
    if not Path(cache_dir).exists():
        print("no execution cache yet: nothing to forget")
        return
    from jupyter_cache import get_cache

    cache = get_cache(cache_dir)
    gone = 0
    for record in cache.list_cache_records():
        if record.uri and Path(record.uri).resolve() in pages:
            cache.remove_cache(record.pk)
            gone += 1
    names = ", ".join(p.stem for p in pages)
    print(f"the archive changed: {gone} cached page(s) forgotten (readers: {names})")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
