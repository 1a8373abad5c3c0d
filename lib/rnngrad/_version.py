"""The library's version (one place: the package, setup() and pyproject.toml agree)."""

__version__ = "0.1.0"
