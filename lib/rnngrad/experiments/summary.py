"""What a chapter shows from the archive: per arm and setting, the outcome over seeds; two
arms compared by the book's verdict rule with the effect, its 95 % interval and the rule's
power at the seed count; and whether a study's budget let its best arm's curve flatten."""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass

import pandas as pd

from ..training.verdict import Spread, Verdict, compare, ranked_median
from .power import detectable
from .studies import Study, arm_label

BUDGET_RULE = (
    "a setting's budget is at least three times the median step at which its best arm "
    "(most seeds reaching the target, then the fewest steps) reached it, over all its seeds, "
    "a seed that never reached it counting as later than any"
)


def label(row) -> str:
    """'LSTM, b_f = 1': an arm as tables name it (``studies.arm_label``)."""
    return arm_label(str(row["cell"]), str(row["start"]))


# How the prose names the arms whose labels it quotes (a table keeps the label itself).
ARM_WORDS = {
    "RNN, default": "the tanh RNN",
    "RNN, orthogonal, sigma = 1": "the orthogonal RNN (σ = 1)",
    "IRNN, W_hh = I": "the IRNN",
    "LSTM, default": "the LSTM at PyTorch's start",
    "LSTM, b_f = 1": "the LSTM (b_f = 1)",
    "LSTM, b_f = 0": "the LSTM (b_f = 0)",
    "LSTM, chrono (T_max = T)": "the chrono LSTM (T_max = T)",
    "GRU, default": "the GRU at PyTorch's start",
    "GRU, b_z = 1": "the GRU (b_z = 1)",
    "orthogonal-W RNN, default": "the orthogonal-W RNN",
    "IndRNN, default": "IndRNN",
}


def in_words(text: str, names: dict[str, str] | None = None) -> str:
    """``text`` (a verdict, a sentence) with every arm label in it replaced by its words
    (``names``, else ``ARM_WORDS``), the longest label first, so that 'LSTM, b_f = 1 better'
    reads 'the LSTM (b_f = 1) better' and 'RNN, default' inside a longer label is left alone."""
    names = ARM_WORDS if names is None else names
    for label in sorted(names, key=len, reverse=True):
        text = text.replace(label, names[label])
    return text


def with_labels(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(arm=[label(r) for r in frame.to_dict("records")])


def pooled(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The records of studies that differ in one training option, in one frame whose arms
    say which: ``{", clipped at 1": clipped, ", unclipped": unclipped}`` appends each key to
    its frame's start labels ('RNN, orthogonal, sigma = 2, clipped at 1')."""
    return pd.concat(
        [frame.assign(start=frame["start"] + suffix) for suffix, frame in frames.items()],
        ignore_index=True,
    )


def outcomes(frame: pd.DataFrame, arm: str, setting, by: str) -> list[float | None]:
    """One outcome per seed of ``arm`` at ``setting``: the step that reached the target (None:
    never) or the final metric (NaN: diverged)."""
    mine = with_labels(frame)
    mine = mine[mine["arm"].eq(arm) & mine["setting"].eq(setting)]
    if mine.empty:
        raise ValueError(f"no runs of {arm!r} at setting {setting!r}")
    values = mine["solved_at" if by == "solved_at" else "final_metric"].tolist()
    return [None if (by == "solved_at" and v != v) else v for v in values]


IMPROVING_RULE = (
    "a seed that did not reach the target is still improving when its held-out loss (for an "
    "accuracy, the error 1 - accuracy) at its last evaluation is below 0.9 times its loss "
    "three quarters of the way through its steps"
)


def still_improving(curve: list[list[float]], higher: bool = False) -> bool:
    """``IMPROVING_RULE`` for one seed's stored curve ``[[step, metric], ...]``."""
    if len(curve) < 2:
        return False
    steps = [s for s, _ in curve]
    loss = [(1 - m) if higher else m for _, m in curve]
    at = steps[-1] * 3 / 4
    earlier = loss[max(i for i, s in enumerate(steps) if s <= at)] if steps[0] <= at else loss[0]
    return loss[-1] < 0.9 * earlier


def _runs(frame: pd.DataFrame, arm: str, setting) -> pd.DataFrame:
    mine = with_labels(frame)
    return mine[mine["arm"].eq(arm) & mine["setting"].eq(setting)]


def steps_to_target(frame: pd.DataFrame, arm: str, setting) -> str:
    """'950 (800–1,100), 8/8': the median step at which ``arm``'s seeds reached the target at
    ``setting``, the range of those that did, and how many did ('unsolved' when none)."""
    runs = _runs(frame, arm, setting)["solved_at"]
    return Spread.of(None if s != s else s for s in runs).format(",.0f", "unsolved")


def solved(frame: pd.DataFrame, arm: str, setting) -> tuple[int, int]:
    """(seeds of ``arm`` that reached the target at ``setting``, seeds stored)."""
    runs = _runs(frame, arm, setting)
    return int(runs["solved_at"].notna().sum()), len(runs)


def table(frame: pd.DataFrame, higher: bool = False) -> list[list[str]]:
    """Rows of (setting, arm, parameters, learning rate, seeds at the target, steps to the
    target (and how many diverged), metric when stopped, unsolved seeds still improving):
    medians with the range of the seeds in brackets (of the seeds that reached the target, for
    the steps; of those that did not diverge, for the metric); a seed that never reached the target reads 'not within <its
    budget>'; the last column counts the seeds that failed yet were still improving when
    their budget ended (``IMPROVING_RULE``: a longer budget might have changed their row)."""
    rows = []
    frame = with_labels(frame)
    for (setting, arm), runs in frame.groupby(["setting", "arm"], sort=False):
        steps = Spread.of(None if v != v else v for v in runs["solved_at"])
        final = Spread.of(runs["final_metric"])
        never = f"not within {int(runs['steps'].max()):,}"
        unsolved = runs[runs["solved_at"].isna() & ~runs["diverged"].astype(bool)]
        improving = sum(still_improving(json.loads(c), higher) for c in unsolved["curve"])
        rows.append([
            str(setting), arm, f"{int(runs['params'].iloc[0]):,}", f"{runs['lr'].iloc[0]:g}",
            f"{steps.succeeded}/{steps.n}" + (f" ({d} diverged)" if (d := int(runs["diverged"].astype(bool).sum())) else ""),
            steps.format(",.0f", never, count=False),
            final.format(".3g", "diverged", count=False),
            f"{improving} of {len(unsolved)}" if len(unsolved) else "–",
        ])  # fmt: skip
    return rows


def pilot_table(frame: pd.DataFrame) -> list[list[str]]:
    """The learning-rate pilot per arm and rate: (arm, learning rate, seeds at the target,
    median step at the target, median final metric)."""
    rows = []
    frame = with_labels(frame)
    for (arm, lr), runs in frame.groupby(["arm", "lr"], sort=False):
        solved = runs["solved_at"].dropna()
        step = f"{statistics.median(solved):,.0f}" if len(solved) else "–"
        rows.append([arm, f"{lr:g}", f"{len(solved)}/{len(runs)}", step,
                     f"{statistics.median(runs['final_metric'].dropna()):.3g}"])  # fmt: skip
    return rows


@dataclass(frozen=True)
class Comparison:
    """A verdict with what it rests on: the effect (median of B minus median of A, in the
    outcome's units; positive when A is better), its 95 % interval, the seeds per arm and the
    smallest difference the rule finds 80 % of the time at that count, in the outcome's units
    (its standard deviation over both arms' seeds times ``detectable``'s answer)."""

    verdict: Verdict
    effect: float
    interval: tuple[float, float]
    n: int
    detectable: float
    both_censored: bool = False  # neither arm's median seed reached the target
    by: str = "solved_at"  # the outcome compared: steps to the target, or the final metric

    def words(self, fmt: str = ".3g", unit: str = "", resolution: float = 0.0) -> str:
        """The verdict with its effect, e.g. 'LSTM, b_f = 1 better: difference of medians 250
        steps (95 % interval 100 to 350), 8 seeds each'. ``resolution``: the finest difference
        the outcome can show (the evaluation interval, for steps to a target)."""
        a, b = self.verdict.names
        unit = f" {unit}" if unit else ""
        low, high = self.interval
        if self.both_censored:
            effect = ("neither arm's median seed reached the target within the budget, so their "
                      "medians cannot be compared (both censored)")  # fmt: skip
        elif math.isinf(low) and math.isinf(high) and low == high:
            loser = b if low > 0 else a  # every resample: that arm's median seed failed
            effect = (f"in every resample {loser}'s median seed never reached the target, so "
                      "the difference is censored at the budget")  # fmt: skip
        elif math.isinf(low) and math.isinf(
            high
        ):  # censored one way in some resamples, the other in others
            effect = ("the difference of medians cannot be bounded: in some resamples one arm's median "
                      "seed never reached the target, in others the other arm's (censored at the budget "
                      "both ways)")  # fmt: skip
        elif low == high == 0:
            effect = "every resample gave the two arms the same median"
        else:
            shown = "unbounded" if math.isinf(self.effect) else f"{format(self.effect, fmt)}{unit}"
            ends = ["unbounded" if math.isinf(v) else format(v, fmt) for v in (low, high)]
            effect = f"difference of medians {shown} (95 % interval {ends[0]} to {ends[1]})"
        base = f"{self.verdict}: {effect}, {self.n} seeds each"
        if self.verdict.conclusive or not math.isfinite(self.detectable):
            return base
        if self.detectable < resolution:
            return base + (f"; the outcome is measured only every {format(resolution, fmt)}"
                           f"{unit}, coarser than any difference the seeds could resolve")  # fmt: skip
        return base + (f"; a true difference of about {format(self.detectable, fmt)}{unit} would "
                       "be found 4 times in 5 at this seed count (simulated for normally "
                       "distributed outcomes), smaller ones are easily missed")  # fmt: skip


EITHER_RULE = (
    "steps to the target where a seed of either arm reached it at that setting, else the "
    "final metric (which of two failing arms failed less)"
)


def compare_arms(
    frame: pd.DataFrame, a: str, b: str, setting, by: str = "solved_at", higher: bool = False
) -> Comparison:
    """Arm ``a`` against arm ``b`` at ``setting`` by the book's one rule, on ``by``: the steps
    to the target ("solved_at"), the final metric ("final_metric"), or ``EITHER_RULE``
    ("either"); the answer's ``by`` says which outcome was compared."""
    if by not in ("solved_at", "final_metric", "either"):
        raise ValueError(f"by must be 'solved_at', 'final_metric' or 'either', not {by!r}")
    if by == "either":
        pair = pd.concat([_runs(frame, a, setting), _runs(frame, b, setting)])
        by = "solved_at" if pair["solved_at"].notna().any() else "final_metric"
    xa, xb = outcomes(frame, a, setting, by), outcomes(frame, b, setting, by)
    v = compare(xa, xb, higher_is_better=higher and by != "solved_at", names=(a, b))
    finite = [x for x in xa + xb if x is not None and x == x and math.isfinite(x)]
    sd = statistics.stdev(finite) if len(finite) > 2 else math.nan
    n = min(len(xa), len(xb))
    up = higher and by != "solved_at"  # medians in "lower is better" units, failures worst
    ma, mb = ranked_median(xa, up), ranked_median(xb, up)
    effect = mb - ma if math.isfinite(ma) and math.isfinite(mb) else (
        math.inf if math.isfinite(ma) else -math.inf if math.isfinite(mb) else 0.0)  # fmt: skip
    censored = not math.isfinite(ma) and not math.isfinite(mb)
    return Comparison(v, effect, v.interval, n, detectable(n) * sd, censored, by)


def curves(frame: pd.DataFrame, setting) -> dict[str, list[list[list[float]]]]:
    """Every arm's held-out curves at ``setting``: {arm: [[[step, metric], ...] per seed]}."""
    frame = with_labels(frame)
    mine = frame[frame["setting"].eq(setting)]
    return {
        arm: [json.loads(c) for c in runs["curve"]] for arm, runs in mine.groupby("arm", sort=False)
    }


def budget_check(study: Study, frame: pd.DataFrame) -> dict:
    """Per setting: the best arm, its median step at the target, the budget, and whether the
    budget meets ``BUDGET_RULE``."""
    out = {}
    frame = with_labels(frame)
    for setting, runs in frame.groupby("setting", sort=False):
        best = None
        for arm, mine in runs.groupby("arm", sort=False):
            # the median the tables and the verdict rule show: over every seed, one that never
            # reached the target counting as later than any (NaN when most did not)
            spread = Spread.of(None if s != s else s for s in mine["solved_at"])
            median = math.inf if math.isnan(spread.median) else spread.median
            key = (-spread.succeeded, median)
            best = min(best, (key, arm)) if best else (key, arm)
        (neg_solved, step), arm = best
        budget = study.budget(setting)
        out[setting] = {"arm": arm, "median_step": step, "budget": budget,
                        "met": math.isfinite(step) and budget >= 3 * step}  # fmt: skip
    return out


def complete_settings(study: Study, frame: pd.DataFrame, arms: list[str] | None = None) -> list:
    """The settings at which every arm (of ``arms``, labels, if given) has a stored run for
    every seed (shortest first): a table or verdict shows only these, never an arm with seeds
    missing."""
    frame = with_labels(frame)
    labels = [arm.label for arm in study.arms] if arms is None else list(arms)
    unknown = sorted(set(labels) - {arm.label for arm in study.arms})
    if unknown:
        raise ValueError(
            f"{study.name} has no arm {unknown}; its arms: {[a.label for a in study.arms]}"
        )
    done = []
    for setting in study.settings:
        mine = frame[frame["setting"].eq(setting)]
        if all(len(mine[mine["arm"].eq(arm)]) >= len(study.seeds) for arm in labels):
            done.append(setting)
    return done


def across(comparisons: dict, name: str = "T", names: dict[str, str] | None = None) -> str:
    """One sentence for one pair of arms compared at several settings ({setting:
    Comparison}), grouped by outcome: 'LSTM, b_f = 1 better at T = 100 and 200; inconclusive
    at T = 50'. ``names`` puts words in place of the arms' labels, for prose ({"LSTM, b_f = 1":
    "bias 1"}: 'bias 1 better at T = 100 and 200'). Empty settings give 'not compared yet (no
    setting has all its runs stored)'."""
    if not comparisons:
        return "not compared yet (no setting has all its runs stored)"
    names = names or {}
    groups: dict[str, list] = {}
    for setting, c in comparisons.items():
        winner = c.verdict.winner
        word = f"{names.get(winner, winner)} better" if winner else str(c.verdict)
        groups.setdefault(word, []).append(setting)

    def at(settings):
        *rest, last = [str(s) for s in settings]
        return f"{name} = " + (f"{', '.join(rest)} and {last}" if rest else last)

    return "; ".join(f"{word} at {at(settings)}" for word, settings in groups.items())
