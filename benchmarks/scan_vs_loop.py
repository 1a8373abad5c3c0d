"""Parallel scan against the sequential loop for a diagonal linear recurrence (the LRU's):
milliseconds per forward pass and the loop/scan time ratio, both measured in the same run,
on the CPU and (when present) the GPU. Batch 16, 32 complex units, best of three."""

from __future__ import annotations

import torch

import rnngrad
from rnngrad.linear_rnn import time_scan_and_loop

LENGTHS = [16, 64, 256, 1024, 4096]


def main() -> None:
    rnngrad.set_threads()
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    for device in devices:
        timing = time_scan_and_loop(LENGTHS, batch=16, units=32, repeats=3, device=device)
        print(f"{rnngrad.describe(device)}: ms per forward pass, loop / scan ratio")
        for T, loop, scan in zip(LENGTHS, timing["loop"], timing["scan"], strict=True):
            print(
                f"  T={T:5d}  loop {loop * 1e3:8.2f}  scan {scan * 1e3:7.2f}  {loop / scan:6.1f}x"
            )


if __name__ == "__main__":
    main()
