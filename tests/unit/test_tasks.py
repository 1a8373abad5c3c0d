"""Each task's stated baseline is what a model that ignores the dependency really scores."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from rnngrad import (
    AddingProblem,
    AgreementTask,
    CopyTask,
    EchoSeries,
    SeasonalSeries,
    ToneTask,
    WordSenseTask,
    make_task,
)
from rnngrad.core.tasks import OBJECTS_PLURAL, OBJECTS_SINGULAR, PLURAL, VOCAB

PLURAL_WORDS = {*PLURAL, *OBJECTS_PLURAL}


def test_adding_baseline_is_one_sixth():
    task = AddingProblem(T=30)
    x, y = task.sample(200_000, torch.Generator().manual_seed(0))
    assert x.shape == (200_000, 30, 2)
    assert (x[..., 1].sum(1) == 2).all()
    first, second = x[..., 1].nonzero()[:, 1].view(-1, 2).T
    assert (first < 15).all() and (second >= 15).all()
    constant = torch.full_like(y, y.mean())
    assert task.loss(constant.unsqueeze(-1), y).item() == pytest.approx(1 / 6, rel=0.01)
    assert task.baseline == pytest.approx(1 / 6)


@pytest.mark.parametrize("T", [10, 100])
def test_copy_memoryless_baseline(T):
    task = CopyTask(gap=T)
    x, y = task.sample(2000, torch.Generator().manual_seed(0))
    assert task.length == T + 20
    assert x.shape == (2000, T + 20, 10) and y.shape == (2000, T + 20)
    # The memoryless predictor: certain blank until the copy phase, then uniform over 8.
    logits = torch.full((2000, T + 20, 9), -1e9)
    logits[:, : T + 10, 0] = 0.0
    logits[:, T + 10 :, 1:] = 0.0
    assert task.loss(logits, y).item() == pytest.approx(10 * math.log(8) / (T + 20), rel=1e-6)
    assert task.baseline == pytest.approx(10 * math.log(8) / (T + 20))
    assert (x[:, T + 9].argmax(-1) == 9).all()  # the delimiter
    assert torch.equal(y[:, -10:], x[:, :10].argmax(-1))


def test_agreement_sentences_and_attractors():
    task = AgreementTask(clauses=2)
    words = task.sentence(False, torch.zeros(5, dtype=torch.long))
    assert " ".join(words) == "the cat , which chased the mice that chased the mice ,"
    x, y = task.sample(1000, torch.Generator().manual_seed(0))
    assert x.shape == (1000, task.length, len(VOCAB))
    ids = x.argmax(-1)
    subject = ids[:, 1]
    plural_subject = torch.tensor([VOCAB[int(i)] in PLURAL_WORDS for i in subject])
    assert torch.equal(plural_subject.long(), y)
    # The nouns in between carry no information: a "nearest noun" rule is at chance.
    for position in (-2, -6):
        noun_plural = torch.tensor([VOCAB[int(i)] in PLURAL_WORDS for i in ids[:, position]])
        assert 0.45 < (noun_plural == plural_subject).float().mean() < 0.55
    assert 0.45 < y.float().mean() < 0.55
    assert task.metric(torch.zeros(1000, 2), y) == pytest.approx(1 - y.float().mean().item())
    assert task.loss(torch.zeros(1000, 2), y).item() == pytest.approx(task.baseline)


def test_echo_series_baselines():
    task = EchoSeries(T=30, delay=10)
    x, y = task.sample(100_000, torch.Generator().manual_seed(0))
    assert torch.equal(y, x[:, 20, 0])
    assert F.mse_loss(torch.zeros_like(y), y).item() == pytest.approx(1.0, rel=0.02)
    assert F.mse_loss(x[:, -1, 0], y).item() == pytest.approx(2.0, rel=0.02)


def test_samples_are_seeded():
    a = AddingProblem(T=10).sample(4, torch.Generator().manual_seed(5))
    b = AddingProblem(T=10).sample(4, torch.Generator().manual_seed(5))
    assert all(torch.equal(p, q) for p, q in zip(a, b, strict=True))


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown task 'sorting'"):
        make_task("sorting")
    with pytest.raises(ValueError, match="T must be an int >= 2"):
        AddingProblem(T=1)
    with pytest.raises(ValueError, match="gap must be an int >= 1"):
        CopyTask(gap=0)
    with pytest.raises(ValueError, match="clauses"):
        AgreementTask(clauses=0)
    with pytest.raises(ValueError, match="delay must be <= T"):
        EchoSeries(T=5, delay=9)
    assert isinstance(make_task("copy", gap=5), CopyTask)


def test_word_sense_cue_decides_the_label():
    from rnngrad.core.tasks import MONEY_CUES, RIVER_CUES

    task = WordSenseTask(distance=7)
    x, y = task.sample(500, torch.Generator().manual_seed(0))
    assert x.shape == (500, task.length, task.input_size) and task.length == task.lead + 8
    for sample, sense in zip(x, y, strict=True):
        words = task.sentence(sample)
        assert words[-1] == "bank" and words[-1 - 7] in (RIVER_CUES if sense else MONEY_CUES)
        assert not set(words[:-8] + words[-7:-1]) & set(MONEY_CUES + RIVER_CUES)
    assert 0.4 < y.float().mean() < 0.6
    assert task.loss(torch.zeros(500, 2), y).item() == pytest.approx(task.baseline)


def test_tone_task_pitch_is_in_the_first_segment_only():
    task = ToneTask(gap=20, classes=3, tone_steps=10, noise=0.0)
    x, y = task.sample(300, torch.Generator().manual_seed(0))
    assert x.shape == (300, 30, 1)
    assert x[:, 10:].abs().max() == 0  # silence (no noise asked for)
    # The dominant frequency of the tone identifies the class.
    spectrum = torch.fft.rfft(x[:, :10, 0], n=200).abs()
    peak = spectrum.argmax(-1) / 200
    freqs = task.frequencies()
    assert torch.equal((peak[:, None] - freqs).abs().argmin(-1), y)


def test_seasonal_series_baselines():
    task = SeasonalSeries(period=6, cycles=3, noise=0.1)
    x, y = task.sample(50_000, torch.Generator().manual_seed(0))
    assert x.shape == (50_000, 18, 1)
    assert F.mse_loss(x[:, -1, 0], y).item() == pytest.approx(task.naive, rel=0.03)
    assert F.mse_loss(torch.zeros_like(y), y).item() == pytest.approx(task.baseline, rel=0.03)
    assert F.mse_loss(x[:, -6, 0], y).item() == pytest.approx(2 * 0.1**2, rel=0.05)


# -- baselines by simulation: what a predictor that ignores the dependency really scores ----
# (The cross-entropy of all-zero logits is ln(classes) whatever the labels are, so it says
# nothing about a task; these estimate the best such predictor from the samples instead.)


def _conditional_entropy(y: torch.Tensor, features: torch.Tensor) -> float:
    """H(y | features) in nats from counts: the cross-entropy of the best predictor that
    sees only ``features`` (one row per sample, small discrete values)."""
    keys = [tuple(row) for row in features.tolist()]
    counts: dict = {}
    for key, label in zip(keys, y.tolist(), strict=True):
        counts.setdefault(key, {}).setdefault(label, 0)
        counts[key][label] += 1
    total, h = len(keys), 0.0
    for by_label in counts.values():
        n = sum(by_label.values())
        h -= sum(c * math.log(c / n) for c in by_label.values()) / total
    return h


def test_agreement_baseline_by_simulation():
    """The best predictor that reads every word but the subject (here: the numbers of all
    the attractor nouns) scores ln 2. Catches: attractors drawn against the subject's
    number (the `sentence` default), which would make the task solvable without memory,
    and unbalanced labels."""
    task = AgreementTask(clauses=2)
    x, y = task.sample(40_000, torch.Generator().manual_seed(1))
    ids = x.argmax(-1)
    nouns = [6 + 4 * k for k in range(task.clauses)]  # "which|that <verb> the <noun>"
    assert all(
        VOCAB[int(i)] in OBJECTS_PLURAL + OBJECTS_SINGULAR for i in ids[:50, nouns].flatten()
    )
    attractors = torch.tensor(
        [[VOCAB[int(i)] in PLURAL_WORDS for i in row] for row in ids[:, nouns]]
    ).long()
    assert _conditional_entropy(y, torch.zeros_like(y)[:, None]) == pytest.approx(
        task.baseline, rel=2e-3
    )
    assert _conditional_entropy(y, attractors) == pytest.approx(task.baseline, rel=5e-3)
    subject = torch.tensor([VOCAB[int(i)] in PLURAL_WORDS for i in ids[:, 1]]).long()
    assert _conditional_entropy(y, subject[:, None]) == 0.0  # the subject decides


def test_word_sense_baseline_by_simulation():
    """Every word but the cue is filler: the best predictor that sees the words next to
    "bank" scores ln 2, the one that sees the cue scores 0."""
    task = WordSenseTask(distance=5)
    x, y = task.sample(40_000, torch.Generator().manual_seed(2))
    ids = x.argmax(-1)
    assert _conditional_entropy(y, torch.zeros_like(y)[:, None]) == pytest.approx(
        task.baseline, rel=2e-3
    )
    assert _conditional_entropy(y, ids[:, -3:-1]) == pytest.approx(task.baseline, rel=2e-2)
    assert _conditional_entropy(y, ids[:, task.lead : task.lead + 1]) == 0.0


def test_tone_task_baseline_by_simulation():
    """Labels are uniform (the best constant guess scores ln(classes) and 1/classes
    accuracy), and after the tone the signal says nothing about the class: per class the
    gap has the same mean and spread, and its best nearest-class-mean guess is at chance.
    Catches: labels drawn from fewer classes, and a tone that leaks into the gap."""
    task = ToneTask(gap=30, classes=4, tone_steps=8, noise=0.5)
    x, y = task.sample(40_000, torch.Generator().manual_seed(3))
    assert x.shape == (40_000, task.length, 1) and task.length == 38
    counts = torch.bincount(y, minlength=4).double()
    p = counts / counts.sum()
    assert -(p * p.log()).sum().item() == pytest.approx(task.baseline, rel=1e-3)
    assert task.baseline == pytest.approx(math.log(4))
    gap = x[:, task.tone_steps :, 0]
    means = torch.stack([gap[y == k].mean(0) for k in range(4)])  # (classes, gap)
    assert means.abs().max() < 0.05
    stds = torch.stack([gap[y == k].std() for k in range(4)])
    torch.testing.assert_close(stds, torch.full((4,), 0.5), atol=0.01, rtol=0)
    # The tone itself is informative: nearest class mean on the tone segment beats chance.
    tone = x[:, : task.tone_steps, 0]
    power = torch.fft.rfft(tone, n=64).abs()
    centroids = torch.stack([power[y == k].mean(0) for k in range(4)])
    guess = torch.cdist(power, centroids).argmin(-1)
    assert (guess == y).float().mean() > 0.5  # chance: 0.25
    gap_power = torch.fft.rfft(gap[:, :8], n=64).abs()
    gap_centroids = torch.stack([gap_power[y == k].mean(0) for k in range(4)])
    gap_guess = torch.cdist(gap_power, gap_centroids).argmin(-1)
    assert abs((gap_guess == y).float().mean().item() - 0.25) < 0.02


# -- baselines over random sizes (hypothesis) ----------------------------------------------


@settings(max_examples=40, deadline=None, database=None, derandomize=True)
@given(
    gap=st.integers(1, 40),
    symbols=st.integers(2, 12),
    to_copy=st.integers(1, 10),
    seed=st.integers(0, 2**16),
)
def test_copy_baseline_is_the_memoryless_cross_entropy_at_any_size(gap, symbols, to_copy, seed):
    """At every size, the predictor that remembers nothing (certain blank until the copy
    phase, uniform over the symbols during it) scores to_copy ln(symbols) / length, summed
    here position by position: 0 nats on each blank step, ln(symbols) on each copied one.
    Catches: a baseline over the copy phase only, ln(symbols + 1) (blank counted as a
    symbol), a length without the copy phase, targets that are not blank before it."""
    task = CopyTask(gap=gap, symbols=symbols, to_copy=to_copy)
    x, y = task.sample(16, torch.Generator().manual_seed(seed))
    length = gap + 2 * to_copy
    assert task.length == length and x.shape == (16, length, symbols + 2)
    assert (y[:, : length - to_copy] == 0).all()  # blank until the copy phase
    assert ((y[:, -to_copy:] >= 1) & (y[:, -to_copy:] <= symbols)).all()
    nats = 0.0
    for t in range(length):
        copying = t >= length - to_copy
        nats += math.log(symbols) if copying else 0.0  # -log p(target) of the predictor
    assert task.baseline == pytest.approx(nats / length, rel=1e-12)
    logits = torch.full((16, length, symbols + 1), -1e9)
    logits[:, : length - to_copy, 0] = 0.0
    logits[:, length - to_copy :, 1:] = 0.0
    assert task.loss(logits, y).item() == pytest.approx(nats / length, rel=1e-5)


@settings(max_examples=15, deadline=None, database=None, derandomize=True)
@given(T=st.integers(2, 120), seed=st.integers(0, 2**16))
def test_adding_baseline_is_one_sixth_at_any_length(T, seed):
    """Predicting the expected sum, 1, scores Var(U1 + U2) = 2/12 whatever T is: one mark in
    each half, the marked values uniform. Catches: a baseline that depends on T, marks that
    can fall in the same half or on the same step (a sum of one value, variance 1/12)."""
    task = AddingProblem(T=T)
    x, y = task.sample(20_000, torch.Generator().manual_seed(seed))
    marks = x[..., 1]
    assert (marks[:, : T // 2].sum(1) == 1).all() and (marks[:, T // 2 :].sum(1) == 1).all()
    assert ((1.0 - y) ** 2).mean().item() == pytest.approx(2 / 12, rel=0.05)
    assert task.baseline == pytest.approx(1 / 6)
