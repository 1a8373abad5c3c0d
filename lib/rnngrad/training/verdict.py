"""Verdicts the data can bear: compare two groups of per-seed outcomes with one stated rule.

Every comparison in the book that ends in "better", "beats" or "faster" goes through
``compare``. The outcomes are one number per seed (a final metric, or the step at which a
run reached its target); a run that failed -- did not solve within its budget, or diverged
-- is ``None`` or NaN and counts as *worse than every run that succeeded* (it is kept, not
dropped: dropping failures would flatter the group that failed more often).

**The rule.** Resample each group's seeds with replacement (2,000 times, a fixed random
seed, so the verdict is reproducible) and take the difference of the two medians each
time. Group A is better if the central 95 % of those differences lies entirely on A's side
of zero, B is better if it lies on B's side, and otherwise the verdict is *inconclusive at
this budget*. A group with fewer than ``min_seeds`` seeds (5 by default) never wins: with
fewer seeds luck alone decides too often.

With five seeds a side this is close to asking that the two groups' ranges do not overlap
(the bootstrap interval of a median of five is about their range); with more seeds it
becomes less strict than that.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

RULE = (
    "95 % bootstrap interval of the difference of medians (2,000 resamples of the seeds; "
    "a failed run counts as worse than every success), at least {min_seeds} seeds a side"
)

Outcome = Literal["A better", "B better", "inconclusive at this budget"]
INCONCLUSIVE: Outcome = "inconclusive at this budget"


def _is_failure(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _ranked(values: Iterable[float | None], higher_is_better: bool) -> list[float]:
    """Outcomes as numbers where *lower is better*; a failure becomes +inf."""
    out = []
    for v in values:
        if _is_failure(v):
            out.append(math.inf)
        else:
            out.append(-float(v) if higher_is_better else float(v))
    return out


def ranked_median(values: Iterable[float | None], higher_is_better: bool = False) -> float:
    """The median outcome in "lower is better" units, a failure (None or NaN) ranked worst
    (+inf): the statistic the rule compares."""
    return _median(_ranked(values, higher_is_better))


def _median(values: Sequence[float]) -> float:
    """The median of numbers that may include +inf (failures); inf when most failed."""
    kept = sorted(values)
    mid = len(kept) // 2
    if len(kept) % 2:
        return kept[mid]
    low, high = kept[mid - 1], kept[mid]
    return high if math.isinf(high) else (low + high) / 2


def _difference(a: float, b: float) -> float:
    """b - a, where two infinities (both medians failed) are a tie."""
    if math.isinf(a) and math.isinf(b):
        return 0.0
    return b - a


@dataclass(frozen=True)
class Spread:
    """What a table shows for one group: the median, the range of the successful runs, and
    how many runs succeeded. ``median`` is NaN when at least half of the runs failed."""

    median: float
    low: float
    high: float
    succeeded: int
    n: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Spread:
        values = list(values)
        ok = sorted(float(v) for v in values if not _is_failure(v))
        failed = len(values) - len(ok)
        if not values:
            raise ValueError("a spread needs at least one outcome")
        # A failure sorts after every success; the median is a number only if it is one.
        ranked = ok + [math.inf] * failed
        mid = _median(ranked)
        median = math.nan if math.isinf(mid) else mid
        low, high = (ok[0], ok[-1]) if ok else (math.nan, math.nan)
        return cls(median, low, high, len(ok), len(values))

    def format(self, fmt: str = ".3g", failed: str = "failed", count: bool = True) -> str:
        """E.g. ``900 (700–1000), 4/5`` -- median (range of the successes), successes/runs
        (left out with ``count=False``)."""
        if not self.succeeded:
            return f"– ({failed}), 0/{self.n}" if count else f"– ({failed})"
        low, high = format(self.low, fmt), format(self.high, fmt)
        if math.isnan(self.median):  # most runs failed: show what the successes reached
            body = f"– ({low})" if low == high else f"– ({low}–{high})"
        else:
            median = format(self.median, fmt)
            body = median if low == high else f"{median} ({low}–{high})"
        return f"{body}, {self.succeeded}/{self.n}" if count else body

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class Verdict:
    """The outcome of ``compare``, with what it rests on."""

    outcome: Outcome
    names: tuple[str, str]
    a: Spread
    b: Spread
    interval: tuple[float, float]  # of median(B) - median(A), in "lower is better" units
    rule: str

    @property
    def winner(self) -> str | None:
        """The name of the better group, or None when inconclusive."""
        return {"A better": self.names[0], "B better": self.names[1]}.get(self.outcome)

    @property
    def conclusive(self) -> bool:
        return self.winner is not None

    def __str__(self) -> str:
        return f"{self.winner} better" if self.winner else INCONCLUSIVE


def compare(
    a: Iterable[float | None],
    b: Iterable[float | None],
    *,
    higher_is_better: bool = False,
    names: tuple[str, str] = ("A", "B"),
    min_seeds: int = 5,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Verdict:
    """Compare per-seed outcomes ``a`` and ``b`` by the rule in this module's docstring.

    ``None`` or NaN marks a run that failed (unsolved or diverged). ``higher_is_better``:
    accuracies; leave it False for losses and steps-to-solve.
    """
    a, b = list(a), list(b)
    if not a or not b:
        raise ValueError("compare needs at least one outcome in each group")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    ra, rb = _ranked(a, higher_is_better), _ranked(b, higher_is_better)
    rng = random.Random(seed)
    diffs = sorted(
        _difference(_median(rng.choices(ra, k=len(ra))), _median(rng.choices(rb, k=len(rb))))
        for _ in range(resamples)
    )
    tail = (1 - level) / 2
    low = diffs[int(math.floor(tail * (resamples - 1)))]
    high = diffs[int(math.ceil((1 - tail) * (resamples - 1)))]
    enough = min(len(a), len(b)) >= min_seeds
    if enough and low > 0:
        outcome: Outcome = "A better"  # B's median is larger: A is lower, i.e. better
    elif enough and high < 0:
        outcome = "B better"
    else:
        outcome = INCONCLUSIVE
    return Verdict(
        outcome, names, Spread.of(a), Spread.of(b), (low, high), RULE.format(min_seeds=min_seeds)
    )
