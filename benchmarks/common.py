"""Shared timing helper for the benchmarks: best of several repeats, device-synchronised."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def best_seconds(
    fn: Callable[[], object], repeats: int = 5, number: int = 20, device: torch.device | None = None
) -> float:
    """Seconds per call: the best of ``repeats`` runs of ``number`` calls (after a warm-up)."""
    sync = (
        torch.cuda.synchronize if device is not None and device.type == "cuda" else (lambda: None)
    )
    fn()
    sync()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        sync()
        best = min(best, (time.perf_counter() - start) / number)
    return best
