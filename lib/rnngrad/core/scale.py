"""The class-scale switch: one environment variable shrinks every live training run.

``RNNGRAD_SCALE`` is the share of its training steps each live run keeps: ``1`` (the default)
is the book as built; ``class`` (a free Colab CPU, or a room of laptops) keeps a quarter; any
number in (0, 1] keeps that share, e.g. ``RNNGRAD_SCALE=0.1``. ``rnngrad.train`` reads it, so it
reaches every run a chapter or an exercise trains (``grid``, ``grid_variants``, the runner,
re-running an archived spec). Nothing else changes: the same cells, sizes, tasks and seeds,
fewer steps, so a run may stop short of the target it reaches in the book. The archived
studies (``rnngrad.experiments``) are read, not re-run, and need no switch; do not run
``scripts/experiments.py`` under it (an archive of shortened runs would not be the book's).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

VARIABLE = "RNNGRAD_SCALE"
CLASS = 0.25  # the share ``RNNGRAD_SCALE=class`` keeps


def step_scale() -> float:
    """The share of its steps a live run keeps (``RNNGRAD_SCALE``; 1 when unset)."""
    raw = os.environ.get(VARIABLE, "").strip().lower()
    if raw in ("", "1", "full", "book"):
        return 1.0
    if raw == "class":
        return CLASS
    try:
        share = float(raw)
    except ValueError:
        share = float("nan")
    if not 0 < share <= 1:
        raise ValueError(
            f"{VARIABLE} must be 'class' or a number in (0, 1], got {os.environ[VARIABLE]!r}"
        )
    return share


def scaled_steps(steps: int) -> int:
    """``steps`` shrunk by the class-scale switch (at least 1)."""
    return max(1, round(steps * step_scale()))


@contextmanager
def scale_as(share: float) -> Iterator[None]:
    """Run the block at ``share`` of the steps whatever this process's environment says: a
    worker process keeps the environment it started with, so the parent hands its own share
    to each run (a switch set in a notebook after the workers started still reaches them)."""
    before = os.environ.get(VARIABLE)
    os.environ[VARIABLE] = repr(float(share))
    try:
        yield
    finally:
        if before is None:
            del os.environ[VARIABLE]
        else:
            os.environ[VARIABLE] = before
