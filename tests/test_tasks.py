"""Each task's stated baseline is what a model that ignores the dependency really scores."""

import math

import pytest
import torch
import torch.nn.functional as F

from rnngrad import AddingProblem, AgreementTask, CopyTask, EchoSeries, make_task
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
    task = CopyTask(T=T)
    x, y = task.sample(2000, torch.Generator().manual_seed(0))
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
    assert x.shape == (1000, task.T, len(VOCAB))
    ids = x.argmax(-1)
    subject = ids[:, 1]
    plural_subject = torch.tensor([VOCAB[int(i)] in PLURAL_WORDS for i in subject])
    assert torch.equal(plural_subject.long(), y)
    # The noun nearest the verb always has the other number: a "nearest noun" rule scores 0.
    nearest = ids[:, -2]
    nearest_plural = torch.tensor([VOCAB[int(i)] in PLURAL_WORDS for i in nearest])
    assert (nearest_plural != plural_subject).all()
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
    with pytest.raises(ValueError, match="T must be an int >= 1"):
        CopyTask(T=0)
    with pytest.raises(ValueError, match="clauses"):
        AgreementTask(clauses=0)
    with pytest.raises(ValueError, match="delay must be <= T"):
        EchoSeries(T=5, delay=9)
    assert isinstance(make_task("copy", T=5), CopyTask)
