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
from rnngrad.core.tasks import OBJECTS_PLURAL, OBJECTS_SINGULAR, PLURAL, SENSE_VOCAB, VOCAB

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


SMALL_TASKS = {  # built inside each test: code run at collection is never mutated
    "adding": lambda: AddingProblem(T=6),
    "copy": lambda: CopyTask(gap=3, symbols=4, to_copy=2),
    "agreement": lambda: AgreementTask(clauses=1),
    "echo": lambda: EchoSeries(T=5, delay=3),
    "word_sense": lambda: WordSenseTask(distance=3, lead=1),
    "tone": lambda: ToneTask(gap=3, classes=3, tone_steps=2),
    "seasonal": lambda: SeasonalSeries(period=3, cycles=2, noise=0.5),
}


@pytest.mark.parametrize("name", SMALL_TASKS)
def test_every_task_keeps_its_contract(name):
    """Shapes (B, length, input_size) and one target per sequence (or per step); samples
    drawn from the generator passed (the same seed twice gives the same batch, whatever the
    global stream did in between); ``held_out`` is by default another ``sample`` of the same
    size from the same generator; the metric of a regression task is its loss. Catches: a
    generator that is not used, a held-out set of another size or stream, an input or output
    width off by one, a metric computed from something else."""
    task = SMALL_TASKS[name]()
    x, y = task.sample(5, torch.Generator().manual_seed(1))
    assert x.shape == (5, task.length, task.input_size)
    assert y.shape == ((5, task.length) if task.per_step else (5,))
    torch.rand(3)  # move the global stream
    x2, y2 = task.sample(5, torch.Generator().manual_seed(1))
    assert torch.equal(x, x2) and torch.equal(y, y2)
    xh, yh = task.held_out(5, torch.Generator().manual_seed(1))
    assert torch.equal(xh, x) and torch.equal(yh, y)
    pred = torch.randn(
        *((5, task.length) if task.per_step else (5,)),
        task.output_size,
        generator=torch.Generator().manual_seed(2),
    )
    if task.metric_name in ("MSE", "loss", "cross-entropy"):
        assert task.metric(pred, y) == pytest.approx(float(task.loss(pred, y)))


def test_regression_series_sizes_names_and_limits():
    """Echo and seasonal series read and predict one number (input and output size 1, MSE);
    their smallest valid sizes are accepted and one less is refused by name. Catches: a
    limit off by one (delay = T refused, a period of 2 refused), a blurred message, a
    seasonal baseline other than 1 + noise^2."""
    assert (EchoSeries(T=1, delay=1).input_size, EchoSeries(T=1, delay=1).output_size) == (1, 1)
    assert EchoSeries(T=4, delay=4).name == "echo (delay=4)"
    assert EchoSeries(T=4, delay=4).metric_name == "MSE"
    for kwargs, message in [
        ({"T": 0, "delay": 1}, "^T must be an int >= 1, got 0$"),
        ({"T": 3, "delay": 0}, "^delay must be an int >= 1, got 0$"),
        ({"T": 3, "delay": 4}, r"^delay must be <= T \(3\), got 4$"),
    ]:
        with pytest.raises(ValueError, match=message):
            EchoSeries(**kwargs)
    s = SeasonalSeries(period=2, cycles=1, noise=0.5)
    assert (s.input_size, s.output_size, s.metric_name) == (1, 1, "MSE")
    assert s.name == "seasonal (period 2)"
    assert s.baseline == pytest.approx(1.25) and s.naive == pytest.approx(2.5)
    for kwargs, message in [
        ({"period": 1}, "^period must be an int >= 2, got 1$"),
        ({"cycles": 0}, "^cycles must be an int >= 1, got 0$"),
    ]:
        with pytest.raises(ValueError, match=message):
            SeasonalSeries(**kwargs)


def test_a_noiseless_seasonal_series_repeats_its_pattern():
    """Without noise the series is its pattern repeated: x_t = x_{t+period}, and the target
    (the next value) is the value one period back. Catches a target or pattern shifted by
    one step."""
    task = SeasonalSeries(period=4, cycles=3, noise=0.0)
    x, y = task.sample(3, torch.Generator().manual_seed(0))
    torch.testing.assert_close(x[:, :-4, 0], x[:, 4:, 0])
    torch.testing.assert_close(y, x[:, task.length - 4, 0])
    assert not torch.equal(x[:, 0, 0], x[:, 1, 0])


def test_word_sense_limits_names_and_every_filler():
    """A distance of 1 and no lead words are valid, one less is refused by name; two senses;
    every filler word is drawn (none left out of the range). Catches: limits off by one,
    blurred messages, a third class, a filler range that starts at the second word."""
    assert WordSenseTask(distance=1, lead=0).length == 2
    task = WordSenseTask(distance=3, lead=1)
    assert (task.name, task.output_size) == ("word sense (distance 3)", 2)
    for kwargs, message in [
        ({"distance": 0}, "^distance must be an int >= 1, got 0$"),
        ({"lead": -1}, "^lead must be an int >= 0, got -1$"),
    ]:
        with pytest.raises(ValueError, match=message):
            WordSenseTask(**kwargs)
    x, _ = task.sample(200, torch.Generator().manual_seed(0))
    words = {w for b in range(200) for w in task.sentence(x[b])}
    from rnngrad.core.tasks import FILLERS

    assert set(FILLERS) <= words


def test_accuracy_is_the_share_of_argmax_hits():
    """Two of three right: 2/3. Catches an argmax over the flattened batch."""
    pred = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9]])
    assert WordSenseTask().metric(pred, torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)


LIMITS = [
    (AddingProblem, {}, "T", 2),
    (CopyTask, {}, "gap", 1),
    (CopyTask, {}, "to_copy", 1),
    (CopyTask, {}, "symbols", 2),
    (AgreementTask, {}, "clauses", 1),
    (EchoSeries, {"delay": 1}, "T", 1),
    (EchoSeries, {"T": 3}, "delay", 1),
    (WordSenseTask, {}, "distance", 1),
    (WordSenseTask, {}, "lead", 0),
    (ToneTask, {}, "gap", 1),
    (ToneTask, {}, "classes", 2),
    (ToneTask, {}, "tone_steps", 2),
    (SeasonalSeries, {}, "period", 2),
    (SeasonalSeries, {}, "cycles", 1),
]


@pytest.mark.parametrize("cls, base, field, least", LIMITS, ids=lambda v: str(v))
def test_each_size_takes_its_least_value_and_refuses_one_less(cls, base, field, least):
    """Catches a limit off by one either way, a check that is skipped, and a message that
    names another field."""
    cls(**base, **{field: least})
    with pytest.raises(ValueError, match=f"^{field} must be an int >= {least}, got {least - 1}$"):
        cls(**base, **{field: least - 1})


@pytest.mark.parametrize(
    "make, name, sizes, metric, per_step, baseline",
    [
        (lambda: AddingProblem(T=6), "adding (T=6)", (2, 1), "MSE", False, 1 / 6),
        (
            lambda: CopyTask(gap=3, symbols=4, to_copy=2),
            "copy (gap 3)",
            (6, 5),
            "cross-entropy",
            True,
            2 * math.log(4) / 7,
        ),
        (
            lambda: ToneTask(gap=3, classes=3),
            "tone (gap 3)",
            (1, 3),
            "accuracy",
            False,
            math.log(3),
        ),
        (
            lambda: WordSenseTask(distance=3),
            "word sense (distance 3)",
            (len(SENSE_VOCAB), 2),
            "accuracy",
            False,
            math.log(2),
        ),
        (
            lambda: AgreementTask(clauses=1),
            "agreement (1 clauses)",
            (len(VOCAB), 2),
            "accuracy",
            False,
            math.log(2),
        ),
        (lambda: EchoSeries(T=4, delay=2), "echo (delay=2)", (1, 1), "MSE", False, 1.0),
        (lambda: SeasonalSeries(period=3), "seasonal (period 3)", (1, 1), "MSE", False, 1.01),
    ],
)
def test_each_task_names_itself_and_its_sizes(make, name, sizes, metric, per_step, baseline):
    """The names, widths, metrics and baselines the chapters' tables print. Catches a width
    off by one (the copy task's blank and delimiter), a metric renamed, a per-sequence copy
    task, an echo baseline other than 1."""
    task = make()
    assert task.name == name
    assert (task.input_size, task.output_size) == sizes
    assert (task.metric_name, task.per_step) == (metric, per_step)
    assert task.baseline == pytest.approx(baseline)


def test_agreement_sentence_reads_its_picks_in_order():
    """picks = (subject, verb 1, noun 1, verb 2, noun 2); the attractors' numbers as given.
    Catches a pick read from the wrong position and attractor numbers that are ignored."""
    task = AgreementTask(clauses=2)
    words = task.sentence(False, torch.tensor([0, 1, 2, 3, 4]), torch.tensor([True, False]))
    assert words == "the cat , which ate the balls that liked the car ,".split()
    words = task.sentence(True, torch.tensor([4, 3, 1, 0, 0]))  # attractors: singular
    assert words == "the birds , which liked the cheese that chased the mouse ,".split()


def test_agreement_draws_every_subject_and_both_attractor_numbers_evenly():
    """Catches: picks that start at the second word, attractors always plural, or plural
    with probability 2/3 (an independent attractor is plural half the time)."""
    task = AgreementTask(clauses=1)
    x, _ = task.sample(4000, torch.Generator().manual_seed(0))
    words = [VOCAB[i] for i in x.argmax(-1).reshape(-1).tolist()]
    assert {*PLURAL, *OBJECTS_SINGULAR[:1]} <= set(words) and "cat" in words
    nouns = x.argmax(-1)[:, 6]  # "the <subject> , which <verb> the <noun>"
    plural = torch.tensor([VOCAB[i] in OBJECTS_PLURAL for i in nouns.tolist()]).float()
    assert plural.mean().item() == pytest.approx(0.5, abs=0.03)


def test_tone_phases_are_uniform_per_sequence_and_noise_covers_the_tone():
    """Without noise x_1 = sin(phase): over 4,000 sequences its mean and that of cos(phase)
    are about 0 (a phase uniform on [0, 2 pi)), and sequences differ; the noise is added on
    top of the tone too (same draws at two noise levels differ there). Catches a phase range
    of [0, 2/pi), [0, pi/2) or [0, 3 pi), one phase for the whole batch, a tone that
    replaces the noise."""
    quiet, loud = ToneTask(gap=2, classes=2, noise=0.0), ToneTask(gap=2, classes=2, noise=0.5)
    x, _ = quiet.sample(4000, torch.Generator().manual_seed(0))
    x_loud, _ = loud.sample(4000, torch.Generator().manual_seed(0))
    first = x[:, 0, 0]
    assert first.mean().item() == pytest.approx(0.0, abs=0.04)
    assert torch.sqrt(1 - first**2).mean().item() == pytest.approx(2 / math.pi, abs=0.04)
    assert first.std().item() > 0.5
    assert ((x_loud - x)[:, : quiet.tone_steps].abs() > 0).all()


def test_every_symbol_and_cue_is_drawn():
    """Catches ranges that start at the second symbol or the second cue word (the first
    would never appear)."""
    from rnngrad.core.tasks import MONEY_CUES, RIVER_CUES

    copy = CopyTask(gap=2, symbols=3, to_copy=4)
    x, _ = copy.sample(100, torch.Generator().manual_seed(0))
    assert set(x[:, :4].argmax(-1).unique().tolist()) == {1, 2, 3}
    task = WordSenseTask(distance=2, lead=0)
    x, _ = task.sample(300, torch.Generator().manual_seed(0))
    cues = {task.sentence(x[b])[0] for b in range(300)}
    assert cues == {*MONEY_CUES, *RIVER_CUES}
