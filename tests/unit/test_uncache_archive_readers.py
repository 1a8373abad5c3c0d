"""A new record in results/ makes the build execute again exactly the pages that read the
archive (scripts/uncache_archive_readers.py).

Catches: a build that keeps showing the archive as it was (nothing forgotten), or one that
forgets every page (a full rebuild for each record)."""

import importlib.util
from pathlib import Path

import nbformat
from jupyter_cache import get_cache

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    "uncache", ROOT / "scripts" / "uncache_archive_readers.py"
)
uncache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(uncache)


def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def test_only_the_pages_that_read_the_archive_are_forgotten(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    reader = _notebook(book / "reader.ipynb", 'frame = experiments.read("adding")')
    other = _notebook(book / "other.ipynb", "x = 1")
    cache = get_cache(tmp_path / "cache")
    for path in (reader, other):
        cache.cache_notebook_file(path, check_validity=False)
    assert uncache.readers(book) == [reader.resolve()]
    uncache.main(str(tmp_path / "cache"), str(book))
    left = {Path(r.uri).name for r in get_cache(tmp_path / "cache").list_cache_records()}
    assert left == {"other.ipynb"}
