"""Each task's stated baseline is what a model that ignores the dependency really scores."""

import math

import pytest
import torch
import torch.nn.functional as F

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
from rnngrad.tasks import OBJECTS_PLURAL, PLURAL, VOCAB

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
    from rnngrad.tasks import MONEY_CUES, RIVER_CUES

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
