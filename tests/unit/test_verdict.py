"""The one verdict rule: cases that must come out each way, failures kept, and a check that
these cases would catch a plausible wrong rule."""

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnngrad.training.verdict import INCONCLUSIVE, Spread, compare

# (a, b, higher_is_better, expected): per-seed outcomes, None = unsolved or diverged.
CASES = [
    # Steps to solve, five seeds each, no overlap: A is faster.
    ([300, 350, 400, 420, 500], [900, 950, 1000, 1100, 1200], False, "A better"),
    # Accuracies: B higher on every seed.
    ([0.52, 0.55, 0.50, 0.58, 0.51], [0.97, 0.99, 0.95, 1.0, 0.98], True, "B better"),
    # Interleaved: the difference lies inside the spread.
    ([900, 1000, 700, 1100, 800], [850, 950, 1050, 750, 1000], False, INCONCLUSIVE),
    # Disjoint, but three seeds a side: luck could do it.
    ([100, 110, 120], [500, 510, 520], False, INCONCLUSIVE),
    # B solved two seeds quickly and failed three: its median is a failure, but a resample
    # of five seeds can easily draw mostly its two fast ones, so the rule does not decide.
    ([600, 650, 700, 720, 800], [200, 210, None, None, None], False, INCONCLUSIVE),
    # B solved one seed, slower than all of A's; failures count as worst: A wins.
    ([600, 650, 700, 720, 800], [900, None, None, None, None], False, "A better"),
    # A diverged (NaN) on every seed; B's losses are finite, however poor.
    ([math.nan] * 5, [0.5, 0.6, 0.55, 0.52, 0.58], False, "B better"),
    # Accuracy, failures kept: A diverged on three seeds, which resamples can still miss.
    ([math.nan, math.nan, math.nan, 0.9, 0.95], [0.5, 0.6, 0.55, 0.52, 0.58], True, INCONCLUSIVE),
    # Every run of both failed: nothing to tell them apart.
    ([None] * 5, [None] * 5, False, INCONCLUSIVE),
    # Shifted by less than the spread: a 50 % interval would call it, the 95 % one does not.
    ([400, 420, 440, 460, 480], [450, 470, 490, 510, 530], False, INCONCLUSIVE),
    # Shifted a little further: the ranges still overlap, but the medians are far enough.
    ([400, 420, 440, 460, 480], [470, 490, 510, 530, 550], False, "A better"),
    # Medians differ a little, one outlier each way: inconclusive.
    ([400, 420, 440, 460, 2000], [380, 430, 450, 470, 100], False, INCONCLUSIVE),
    # One outlier in seven seeds: a resample's median is the outlier only if four of its
    # seven draws are (about 1 %), so A wins; resampling one seed instead of seven would
    # draw the outlier 1 time in 7 and call it inconclusive.
    ([0, 0, 0, 0, 0, 0, 10], [5] * 7, False, "A better"),
]


@pytest.mark.parametrize("a, b, higher, expected", CASES)
def test_each_case_comes_out_as_stated(a, b, higher, expected):
    verdict = compare(a, b, higher_is_better=higher)
    assert verdict.outcome == expected
    swapped = compare(b, a, higher_is_better=higher)
    mirror = {"A better": "B better", "B better": "A better"}.get(expected, expected)
    assert swapped.outcome == mirror


def test_the_verdict_names_the_winner_and_is_reproducible():
    v = compare([1, 2, 3, 4, 5], [10, 11, 12, 13, 14], names=("bias 1", "bias 0"))
    assert v.winner == "bias 1" and str(v) == "bias 1 better" and v.conclusive
    assert v == compare([1, 2, 3, 4, 5], [10, 11, 12, 13, 14], names=("bias 1", "bias 0"))
    assert v.interval[0] > 0 and "bootstrap" in v.rule and "5 seeds" in v.rule
    inconclusive = compare([1, 2, 3], [10, 11, 12])
    assert inconclusive.winner is None and str(inconclusive) == INCONCLUSIVE


def test_fewer_seeds_are_allowed_when_luck_plays_no_part():
    assert compare([1, 2, 3], [10, 11, 12], min_seeds=3).outcome == "A better"


def test_spread_shows_median_range_and_successes():
    s = Spread.of([900, None, 700, 1000, 800])
    assert (s.median, s.low, s.high, s.succeeded, s.n) == (900, 700, 1000, 4, 5)
    assert s.format(".0f") == "900 (700–1000), 4/5"
    assert s.format(".0f", count=False) == "900 (700–1000)"
    mostly_failed = Spread.of([100, None, None])
    assert math.isnan(mostly_failed.median) and mostly_failed.format(".0f") == "– (100), 1/3"
    assert Spread.of([None, math.nan]).format() == "– (failed), 0/2"
    assert Spread.of([0.5, 0.5]).format(".2f") == "0.50, 2/2"
    assert Spread.of([0.5, None, None, 0.7]).format(".1f") == "– (0.5–0.7), 2/4"


def test_spread_of_an_even_number_of_runs_averages_the_middle_two():
    """Ranked 1, 2, 3, failed: the median is (2 + 3) / 2; two runs: (1 + 4) / 2.
    Catches: the upper (or lower) middle value taken for an even count, a wrong neighbour."""
    assert Spread.of([3.0, 1.0, None, 2.0]).median == 2.5
    assert Spread.of([4.0, 1.0]).median == 2.5


def test_spread_formats_with_three_significant_digits_by_default():
    """Catches: another default format (``.3G`` writes 1E-05), ``count=False`` ignored when
    every run failed."""
    assert Spread.of([1e-5, 2e-5]).format() == "1.5e-05 (1e-05–2e-05), 2/2"
    assert str(Spread.of([123.456, 0.5])) == "62 (0.5–123), 2/2"
    assert Spread.of([None, None]).format(count=False) == "– (failed)"


def test_the_verdict_carries_both_groups_spreads():
    """What a table prints next to the verdict. Catches: a verdict built without a spread."""
    v = compare([1, 2, 3, 4, 5], [10, 11, None, 13, 14])
    assert v.a == Spread.of([1, 2, 3, 4, 5]) and v.b == Spread.of([10, 11, None, 13, 14])
    assert (v.a.median, v.b.median, v.b.succeeded) == (3, 13, 4)


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="^compare needs at least one outcome in each group$"):
        compare([], [1.0])
    with pytest.raises(ValueError, match="^a spread needs at least one outcome$"):
        Spread.of([])
    for level in (1.5, 1.0, 0.0, -0.1):  # a level is a probability strictly between 0 and 1
        with pytest.raises(ValueError, match="level"):
            compare([1.0], [2.0], level=level)


def _wrong_rule(a, b, higher_is_better):
    """A plausible wrong rule: drop the failures and call the lower median better, with no
    interval and no minimum number of seeds."""
    sign = -1 if higher_is_better else 1
    ma = statistics.median(sign * v for v in a if v is not None and not math.isnan(v))
    mb = statistics.median(sign * v for v in b if v is not None and not math.isnan(v))
    return "A better" if ma < mb else "B better" if mb < ma else INCONCLUSIVE


def _has_success(values):
    return any(v is not None and not math.isnan(v) for v in values)


def test_the_cases_catch_a_wrong_rule():
    # If these cases could not tell the wrong rule from the right one, they would not test it.
    wrong = [
        case
        for case in CASES
        if _has_success(case[0])
        and _has_success(case[1])
        and _wrong_rule(case[0], case[1], case[2]) != case[3]
    ]
    assert len(wrong) >= 4


# -- properties of the rule over random groups (hypothesis) --------------------------------

_outcome = st.one_of(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False).map(lambda v: round(v, 3)),
    st.none(),
)
_group = st.lists(_outcome, min_size=1, max_size=9)
_MIRROR = {"A better": "B better", "B better": "A better", INCONCLUSIVE: INCONCLUSIVE}


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(a=_group, b=_group, higher=st.booleans())
def test_swapping_the_groups_never_reverses_the_winner(a, b, higher):
    """compare(b, a) may be inconclusive where compare(a, b) is not (the bootstrap draws its
    resamples in argument order), but it never names the other group the winner.
    Catches: a rule whose verdict depends on which group is passed first, e.g. a one-sided
    test, or an interval read with its ends swapped."""
    forward = compare(a, b, higher_is_better=higher).outcome
    backward = compare(b, a, higher_is_better=higher).outcome
    assert INCONCLUSIVE in (forward, backward) or backward == _MIRROR[forward]


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(
    a=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=5, max_size=9),
    b=st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=5, max_size=9),
    gap=st.floats(min_value=0.01, max_value=50),
    higher=st.booleans(),
)
def test_separated_groups_are_called_either_way_round(a, b, gap, higher):
    """Five or more seeds a side and every outcome of one group better than every outcome of
    the other: every resample's medians differ the same way, so the better group wins, in
    either order and in either direction of "better".
    Catches: ``higher_is_better`` ignored or inverted, a winner named by position."""
    low = a
    high = [max(a) + gap + v for v in b]  # every value above every value of low
    better, worse = (high, low) if higher else (low, high)
    assert compare(better, worse, higher_is_better=higher).outcome == "A better"
    assert compare(worse, better, higher_is_better=higher).outcome == "B better"


@settings(max_examples=60, deadline=None, database=None, derandomize=True)
@given(a=_group, b=_group)
def test_negated_outcomes_with_the_direction_flipped_give_the_same_verdict(a, b):
    """An accuracy p judged higher-is-better and the loss -p judged lower-is-better are the
    same comparison: the same outcome, the same interval.
    Catches: ``higher_is_better`` applied twice or not at all, failures ranked first for one
    direction."""
    neg = [None if v is None else -v for v in a], [None if v is None else -v for v in b]
    up, down = compare(a, b, higher_is_better=True), compare(*neg, higher_is_better=False)
    assert up.outcome == down.outcome and up.interval == down.interval
