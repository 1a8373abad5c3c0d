"""Parallel scan against the sequential loop: milliseconds per forward pass and the
loop/scan time ratio, both measured in the same run, on the CPU and (when present) the GPU.

* a diagonal linear recurrence (the LRU's): batch 16, 32 complex units, best of three;
* the minGRU of chapter 15 (``rnngrad.selective.min_gru``, gates read x_t only, so the
  recurrence is linear in h): batch 16, 32 inputs, 64 units, best of three.

The chapters glue no wall-clock numbers (two builds would differ); they point here."""

from __future__ import annotations

import math
import time

import torch

import rnngrad
from rnngrad.cells.selective import min_gru
from rnngrad.measure.timing import time_scan_and_loop

LENGTHS = [16, 64, 256, 1024, 4096]


def time_min_gru(
    lengths: list[int], device: torch.device, batch: int = 16, inputs: int = 32, units: int = 64
) -> dict[str, list[float]]:
    """Seconds per forward pass (best of three) of the minGRU run as a loop and as a scan."""
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    g = torch.Generator().manual_seed(0)
    w_z, w_h = (torch.randn(units, inputs, generator=g).to(device) / inputs**0.5 for _ in range(2))
    timing: dict[str, list[float]] = {"loop": [], "scan": []}
    with torch.no_grad():
        for T in lengths:
            x = torch.randn(batch, T, inputs, generator=g).to(device)
            for mode in ("loop", "scan"):
                min_gru(x, w_z, w_h, mode)  # warm-up
                sync()
                best = math.inf
                for _ in range(3):
                    start = time.perf_counter()
                    min_gru(x, w_z, w_h, mode)
                    sync()
                    best = min(best, time.perf_counter() - start)
                timing[mode].append(best)
    return timing


def report(name: str, timing: dict[str, list[float]]) -> None:
    print(f"  {name}")
    for T, loop, scan in zip(LENGTHS, timing["loop"], timing["scan"], strict=True):
        print(f"    T={T:5d}  loop {loop * 1e3:8.2f}  scan {scan * 1e3:7.2f}  {loop / scan:6.1f}x")


def main() -> None:
    rnngrad.set_threads()
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    for device in devices:
        print(f"{rnngrad.describe(device)}: ms per forward pass, loop / scan ratio")
        lru = time_scan_and_loop(LENGTHS, batch=16, units=32, repeats=3, device=device)
        report("diagonal linear recurrence (LRU), 32 complex units", lru)
        report("minGRU, 64 units (chapter 15)", time_min_gru(LENGTHS, device))


if __name__ == "__main__":
    main()
