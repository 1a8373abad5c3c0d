"""Selective copying and associative recall (rnngrad.recall_tasks): the samples are what the
docstrings say, and the derived chance baselines hold by simulation."""

import math

import pytest
import torch
import torch.nn.functional as F

from rnngrad.core import recall as recall_tasks

N = 40_000


def _tokens(x):
    return x.argmax(-1)


def test_selective_copy_samples_hold_the_answers_in_order_among_noise():
    """Catches: answers not in order of time, a wrong count of symbols, symbols in the
    recall region, answers shifted by one (symbol k stored as token k, not k + 1)."""
    task = recall_tasks.SelectiveCopyTask(T=10, to_copy=3, symbols=4)
    x, y = task.sample(500, torch.Generator().manual_seed(0))
    tok = _tokens(x)
    assert x.shape == (500, 13, task.input_size) and y.shape == (500, 3)
    body = tok[:, : task.T]
    assert ((body > 0).sum(1) == 3).all()  # exactly to_copy symbols among the noise
    assert (tok[:, task.T :] == task.symbols + 1).all()  # the recall markers
    read = torch.stack([row[row > 0] - 1 for row in body])  # the symbols, in order of time
    assert torch.equal(read, y)
    positions = torch.stack([torch.nonzero(row > 0).flatten() for row in body])
    assert positions.float().std(0).min() > 0.5  # the positions vary: not the copy task


def test_selective_copy_chance_by_simulation():
    """Derived: each answer is uniform over the symbols and independent of the (constant)
    recall markers, so the best constant guess scores 1/K and the memoryless cross-entropy
    is ln K. Catches: answers drawn from a skewed distribution, a wrong baseline formula."""
    task = recall_tasks.SelectiveCopyTask(T=12, to_copy=3, symbols=3)
    _, y = task.sample(N, torch.Generator().manual_seed(1))
    freq = torch.bincount(y.flatten(), minlength=3).float() / y.numel()
    assert freq.max().item() == pytest.approx(task.chance, abs=0.01)
    entropy = -(freq * freq.log()).sum().item()
    assert entropy == pytest.approx(task.baseline, abs=0.002)
    # the loss of the best memoryless predictor (the marginal) equals the baseline
    pred = freq.log().expand(N, task.length, 3)
    assert task.loss(pred, y).item() == pytest.approx(task.baseline, abs=0.005)
    assert task.metric(torch.zeros(N, task.length, 3), y) == pytest.approx(task.chance, abs=0.01)


def test_associative_recall_label_is_the_value_after_the_query_key():
    """Catches: the label taken from the wrong pair, the query not one of the keys, values
    offset wrongly in the vocabulary."""
    task = recall_tasks.AssociativeRecallTask(pairs=3, keys=5, values=4)
    x, y = task.sample(400, torch.Generator().manual_seed(2))
    tok = _tokens(x)
    keys, values, query = tok[:, 0:-1:2], tok[:, 1:-1:2] - task.keys, tok[:, -1]
    assert (keys < task.keys).all() and (values >= 0).all() and (values < task.values).all()
    for k, v, q, label in zip(keys, values, query, y, strict=True):
        assert len(set(k.tolist())) == 3 and len(set(v.tolist())) == 3  # without replacement
        (where,) = torch.nonzero(k == q).flatten().tolist()
        assert v[where] == label


def test_associative_recall_baselines_by_simulation():
    """Derived: the query alone says nothing (accuracy 1/values); guessing among the values
    seen without their keys scores 1/pairs. Catches: a label correlated with the query key,
    values drawn with replacement (the unbound guess would then beat 1/pairs)."""
    task = recall_tasks.AssociativeRecallTask(pairs=2, keys=4, values=4)
    g = torch.Generator().manual_seed(3)
    x, y = task.sample(N, g)
    query = _tokens(x)[:, -1]
    joint = torch.zeros(task.keys, task.values)
    joint.index_put_((query, y), torch.ones(N), accumulate=True)
    best_given_query = joint.max(1).values.sum().item() / N  # best guess from the query alone
    assert best_given_query == pytest.approx(task.chance, abs=0.015)
    seen = _tokens(x)[:, 1:-1:2] - task.keys
    guess = seen[torch.arange(N), torch.randint(0, task.pairs, (N,), generator=g)]
    assert (guess == y).float().mean().item() == pytest.approx(task.unbound, abs=0.01)
    assert task.baseline == pytest.approx(math.log(task.values))
    assert task.loss(torch.zeros(N, task.values), y).item() == pytest.approx(task.baseline)
    assert task.metric(F.one_hot(y, task.values).float(), y) == 1.0


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: recall_tasks.SelectiveCopyTask(T=2, to_copy=3), "T must be"),
        (lambda: recall_tasks.SelectiveCopyTask(symbols=1), "symbols"),
        (lambda: recall_tasks.AssociativeRecallTask(pairs=5, keys=4), "keys"),
        (lambda: recall_tasks.AssociativeRecallTask(pairs=3, values=2), "values"),
        (lambda: recall_tasks.AssociativeRecallTask(pairs=0), "pairs"),
    ],
)
def test_bad_arguments_raise_clear_errors(build, message):
    with pytest.raises(ValueError, match=message):
        build()
