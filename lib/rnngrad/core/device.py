"""Where the book's tensors live, and how runs are made repeatable."""

from __future__ import annotations

import contextlib
import os
import random

import numpy as np
import torch


def pick_device(prefer: str | None = None) -> torch.device:
    """CUDA if present, else Apple's MPS, else the CPU.

    ``prefer`` (or the environment variable ``RNNGRAD_DEVICE``) forces one, e.g. ``"cpu"``.
    """
    choice = prefer or os.environ.get("RNNGRAD_DEVICE")
    if choice:
        return torch.device(choice)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (all devices); return a CPU generator for data."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    return torch.Generator().manual_seed(seed)


def set_threads(n: int | None = None) -> int:
    """Use one intra-op thread per core (at most 8): small recurrent models gain nothing
    from more, and oversubscribed cores spin-wait each other to a crawl."""
    n = n or min(os.cpu_count() or 1, 8)
    torch.set_num_threads(n)
    return n


def progress_enabled(progress: bool = True) -> bool:
    """Whether to show a progress bar: asked for, and not switched off by the environment
    variable ``TQDM_DISABLE`` (the book's build sets it, so pages show no frozen bars;
    ``tqdm.notebook`` ignores that variable, hence this one place that reads it)."""
    return progress and os.environ.get("TQDM_DISABLE", "0").lower() in ("", "0", "false")


def describe(device: torch.device) -> str:
    """A one-line description a chapter prints, e.g. ``cuda (NVIDIA H100)``."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return f"{device.type} ({torch.get_num_threads()} threads)"


@contextlib.contextmanager
def one_thread():
    """Run the block on one CPU thread, then restore the thread count: a run trained inside
    gives the same arithmetic in this process and in a sweep's worker process."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
