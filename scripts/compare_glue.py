"""Compare the glued values of two builds, read from their execution caches.

    python scripts/compare_glue.py OLD_BOOK_DIR NEW_BOOK_DIR [--rename OLD=NEW ...] [--ignore REGEX]

Each BOOK_DIR is a book source folder whose ``_build/.jupyter_cache`` holds executed chapters.
A glued value is what myst-nb's ``glue`` stored (its ``text/plain`` form; a figure or table by
its text too). ``--rename ch12_=ch11_`` maps an old key prefix to a new one (keys renumbered);
``--ignore`` skips keys that may differ from run to run (timings). Prints every key whose value
differs, is missing, or is new, and exits 1 when any differs or is missing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from jupyter_cache import get_cache


def glued(book: Path) -> dict[str, str]:
    """key -> text/plain of every value the newest executed copy of each chapter glued."""
    cache = get_cache(book / "_build" / ".jupyter_cache")
    newest = {}
    for record in sorted(cache.list_cache_records(), key=lambda r: r.created):
        newest[Path(record.uri).name] = record.pk
    values = {}
    for pk in newest.values():
        for cell in cache.get_cache_bundle(pk).nb.cells:
            for out in cell.get("outputs", []):
                name = out.get("metadata", {}).get("scrapbook", {}).get("name")
                if name:
                    # myst-nb keeps a glued value under "application/papermill.record/<mime>"
                    data = {
                        k.removeprefix("application/papermill.record/"): v
                        for k, v in out.get("data", {}).items()
                    }
                    values[name] = str(data.get("text/plain", data.get("text/markdown", data)))
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--rename", action="append", default=[], metavar="OLD=NEW")
    parser.add_argument("--ignore", default=None, metavar="REGEX")
    args = parser.parse_args(argv)
    renames = [tuple(r.split("=", 1)) for r in args.rename]

    def renamed(key: str) -> str:
        for old, new in renames:
            if key.startswith(old):
                return new + key[len(old) :]
        return key

    old = {renamed(k): v for k, v in glued(args.old).items()}
    new = glued(args.new)
    skip = re.compile(args.ignore) if args.ignore else None
    keys = sorted(k for k in old.keys() | new.keys() if not (skip and skip.search(k)))
    differ = [k for k in keys if k in old and k in new and old[k] != new[k]]
    missing = [k for k in keys if k not in new]
    added = [k for k in keys if k not in old]
    for k in differ:
        print(f"differs  {k}: {old[k][:80]!r} -> {new[k][:80]!r}")
    for k in missing:
        print(f"missing  {k}")
    for k in added:
        print(f"new      {k}")
    same = len(keys) - len(differ) - len(missing) - len(added)
    print(
        f"{len(keys)} glued values: {same} identical, {len(differ)} differ, "
        f"{len(missing)} missing, {len(added)} new"
        + (f" ({args.ignore!r} ignored)" if skip else "")
    )
    return 1 if differ or missing else 0


if __name__ == "__main__":
    sys.exit(main())
