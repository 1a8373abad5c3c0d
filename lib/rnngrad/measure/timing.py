"""Wall-clock timings measured in one run (ratios, not absolute speeds, are the result)."""

from __future__ import annotations

import math
import time

import torch

from ..cells.linear import lru_lambda, ring_init
from ..core.scan import linear_loop, linear_scan


def time_scan_and_loop(
    lengths: list[int],
    *,
    batch: int = 16,
    units: int = 32,
    repeats: int = 3,
    device: torch.device | str = "cpu",
) -> dict[str, list[float]]:
    """Seconds per forward pass (best of ``repeats``) of ``linear_loop`` and ``linear_scan``
    on a constant complex diagonal (LRU ring [0.9, 0.999]) and complex64 inputs
    (batch, T, units), for each T in ``lengths``; both measured in the same run."""

    if not lengths or any(not isinstance(T, int) or T < 1 for T in lengths):
        raise ValueError(f"lengths must be positive ints, got {lengths!r}")
    device = torch.device(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    g = torch.Generator().manual_seed(0)
    lam = lru_lambda(*ring_init(units, 0.9, 0.999, generator=g)).to(device)
    timing: dict[str, list[float]] = {"loop": [], "scan": []}
    for T in lengths:
        b = torch.randn(batch, T, units, generator=g, dtype=torch.complex64).to(device)
        for name, run in (("loop", linear_loop), ("scan", linear_scan)):
            run(lam, b)  # warm-up
            sync()
            best = math.inf
            for _ in range(repeats):
                start = time.perf_counter()
                run(lam, b)
                sync()
                best = min(best, time.perf_counter() - start)
            timing[name].append(best)
    return timing
