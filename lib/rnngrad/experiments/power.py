"""What a verdict at a study's seed count could have seen: the verdict rule's power, simulated.

``power(n, effect)``: draw ``n`` outcomes a side from two normal distributions whose means
differ by ``effect`` standard deviations, apply ``rnngrad.training.verdict.compare`` (the
book's one rule), and count how often it names the better group. Where a chapter says "no
difference" or "inconclusive", this says how large a difference its seeds could have found.
"""

from __future__ import annotations

import functools
import random

from ..training.verdict import compare


@functools.lru_cache(maxsize=64)
def power(n: int, effect: float, sims: int = 100, seed: int = 0, resamples: int = 400) -> float:
    """The share of ``sims`` simulated studies (``n`` seeds a side, means ``effect`` SDs apart,
    the better group first) in which the verdict rule declares the better group better."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if effect < 0:
        raise ValueError(f"effect is a distance in standard deviations (>= 0), got {effect!r}")
    rng = random.Random(seed)
    wins = 0
    for i in range(sims):
        a = [rng.gauss(0.0, 1.0) for _ in range(n)]
        b = [rng.gauss(effect, 1.0) for _ in range(n)]
        wins += compare(a, b, resamples=resamples, seed=i).outcome == "A better"
    return wins / sims


def detectable(n: int, target: float = 0.8, largest: float = 6.0, tolerance: float = 0.1) -> float:
    """The smallest difference (in SDs, to within ``tolerance``, by bisection) that the rule
    finds with probability ``target`` at ``n`` seeds a side; inf when even ``largest`` is not
    found that often (with fewer than five seeds the rule never decides)."""
    if power(n, largest) < target:
        return float("inf")
    low, high = 0.0, largest
    while high - low > tolerance:
        mid = round((low + high) / 2, 6)
        low, high = (low, mid) if power(n, mid) >= target else (mid, high)
    return round(high, 1)
