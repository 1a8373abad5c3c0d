"""Tasks where *what* to remember depends on the input: selective copying and associative
recall, single- and multi-query. Each states its chance baselines, derived below and checked by
simulation in ``tests/unit/test_recall_tasks.py`` (MQAR's in ``tests/unit/test_state_tasks.py``). Inputs are one-hot and batch-first, like ``rnngrad.core.tasks``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from .tasks import ClassificationTask, check_length


@dataclass
class SelectiveCopyTask(ClassificationTask):
    """Selective copying (Gu & Dao, 2023, section 4.1): ``to_copy`` symbols from ``symbols``
    stand at random positions among ``T`` steps of noise (blank); then ``to_copy`` steps carry
    a "recall" marker, during which the model must output the symbols in the order they came.
    Unlike the copy task, where the symbols sit at fixed places, the model must decide from
    each input whether to keep it: a fixed (time-invariant) filter cannot.

    Only the ``to_copy`` answers are scored (cross-entropy to train, per-symbol accuracy to
    report). Chance, derived: each answer is uniform over ``symbols`` and independent of
    everything a model sees without memory (the recall markers are the same in every
    sequence), so the best memoryless guess scores accuracy 1/symbols and cross-entropy
    ln(symbols) (``baseline``).
    """

    T: int = 20
    to_copy: int = 4
    symbols: int = 4

    def __post_init__(self) -> None:
        check_length("symbols", self.symbols, 2)
        check_length("to_copy", self.to_copy, 1)
        check_length("T", self.T, self.to_copy)
        self.name = f"selective copy (T={self.T})"
        self.input_size = self.symbols + 2  # noise, symbols 1..K, recall marker
        self.output_size = self.symbols  # answers are symbols 0..K-1
        self.per_step = True
        self.baseline = math.log(self.symbols)
        self.chance = 1 / self.symbols

    @property
    def length(self) -> int:
        return self.T + self.to_copy

    def sample(self, batch, generator=None):
        n = self.to_copy
        seq = torch.randint(0, self.symbols, (batch, n), generator=generator)  # the answers
        # n distinct positions in [0, T), kept in order of time
        where = torch.rand(batch, self.T, generator=generator).argsort(-1)[:, :n].sort(-1).values
        tokens = torch.zeros(batch, self.length, dtype=torch.long)
        tokens.scatter_(1, where, seq + 1)
        tokens[:, self.T :] = self.symbols + 1
        return F.one_hot(tokens, self.input_size).float(), seq

    def answers(self, pred: Tensor) -> Tensor:
        """The predictions (B, T + to_copy, K) at the recall steps: (B, to_copy, K)."""
        return pred[:, -self.to_copy :]

    def loss(self, pred, y):
        return F.cross_entropy(self.answers(pred).reshape(-1, self.output_size), y.reshape(-1))

    def metric(self, pred, y):
        return float((self.answers(pred).argmax(-1) == y).float().mean())


@dataclass
class AssociativeRecallTask(ClassificationTask):
    """Associative recall (Ba et al., 2016; H3, Fu et al., 2023; Zoology, Arora et al., 2023): ``pairs``
    key-value pairs ``k1 v1 k2 v2 ...``, then one of the keys again as the query; the label is
    the value that followed it. Keys are drawn without replacement from ``keys``, values
    without replacement from ``values``, the query uniformly among the pairs.

    Chance, derived. (1) Without memory the model sees only the query key, which is
    independent of the label (values are assigned to keys at random): every value is equally
    likely, accuracy 1/values and cross-entropy ln(values) (``baseline``). (2) A model that
    remembers which values occurred but not which key each followed can only guess among the
    ``pairs`` distinct values in the context, one of which is right: accuracy 1/pairs
    (``unbound``).
    """

    pairs: int = 4
    keys: int = 8
    values: int = 8

    def __post_init__(self) -> None:
        check_length("pairs", self.pairs, 1)
        check_length("keys", self.keys, self.pairs)
        check_length("values", self.values, max(2, self.pairs))
        self.name = f"associative recall ({self.pairs} pairs)"
        self.input_size = self.keys + self.values  # a key token or a value token
        self.output_size = self.values
        self.baseline = math.log(self.values)
        self.chance = 1 / self.values
        self.unbound = 1 / self.pairs

    @property
    def length(self) -> int:
        return 2 * self.pairs + 1

    def sample(self, batch, generator=None):
        n = self.pairs
        k = torch.rand(batch, self.keys, generator=generator).argsort(-1)[:, :n]  # (B, n)
        v = torch.rand(batch, self.values, generator=generator).argsort(-1)[:, :n]  # (B, n)
        which = torch.randint(0, n, (batch,), generator=generator)
        rows = torch.arange(batch)
        tokens = torch.empty(batch, self.length, dtype=torch.long)
        tokens[:, 0:-1:2] = k
        tokens[:, 1:-1:2] = self.keys + v
        tokens[:, -1] = k[rows, which]
        return F.one_hot(tokens, self.input_size).float(), v[rows, which]


@dataclass
class MultiQueryRecallTask(ClassificationTask):
    """Multi-query associative recall, MQAR (Zoology, Arora et al., 2023; ``HazyResearch/zoology``):
    ``pairs`` key-value pairs, then ``queries`` of the keys again (distinct, in random order);
    at each query the label is the value that went with the key. Keys are drawn without
    replacement from ``keys``, values without replacement from ``values`` (as in
    ``AssociativeRecallTask``).

    One change from Zoology: each pair is one step, the key's and the value's one-hots side by
    side (input ``keys + values``), and a query is the key's one-hot beside zeros. A one-layer
    recurrence then needs no short convolution to bring a key and its value together (Zoology's
    models have one): what is left is how many pairs the state can hold.

    Only the answers are scored (cross-entropy to train, accuracy to report). Chance, derived:
    without memory a query key says nothing about its value (values are drawn independently
    of keys), so accuracy 1/values and cross-entropy ln(values) (``baseline``); a model that
    remembers the values seen but not their keys picks among the ``pairs`` distinct values of
    the context, accuracy 1/pairs (``unbound``)."""

    pairs: int = 8
    keys: int = 32
    values: int = 32
    queries: int | None = None

    def __post_init__(self) -> None:
        check_length("pairs", self.pairs, 1)
        check_length("keys", self.keys, self.pairs)
        check_length("values", self.values, max(2, self.pairs))
        if self.queries is None:
            self.queries = self.pairs
        check_length("queries", self.queries, 1)
        if self.queries > self.pairs:
            raise ValueError(f"queries must be <= pairs ({self.pairs}), got {self.queries}")
        self.name = f"MQAR ({self.pairs} pairs)"
        self.input_size = self.keys + self.values
        self.output_size = self.values
        self.per_step = True
        self.baseline = math.log(self.values)
        self.chance = 1 / self.values
        self.unbound = 1 / self.pairs

    @property
    def length(self) -> int:
        return self.pairs + self.queries

    def sample(self, batch, generator=None):
        n, m = self.pairs, self.queries
        k = torch.rand(batch, self.keys, generator=generator).argsort(-1)[:, :n]  # (B, n)
        v = torch.rand(batch, self.values, generator=generator).argsort(-1)[:, :n]  # (B, n)
        which = torch.rand(batch, n, generator=generator).argsort(-1)[:, :m]  # (B, m)
        x = torch.zeros(batch, self.length, self.input_size)
        x[:, :n] = torch.cat([F.one_hot(k, self.keys), F.one_hot(v, self.values)], -1).float()
        x[:, n:, : self.keys] = F.one_hot(k.gather(1, which), self.keys).float()
        return x, v.gather(1, which)

    def answers(self, pred: Tensor) -> Tensor:
        """The predictions at the query steps: (B, queries, values)."""
        return pred[:, -self.queries :]

    def loss(self, pred, y):
        return F.cross_entropy(self.answers(pred).reshape(-1, self.output_size), y.reshape(-1))

    def metric(self, pred, y):
        return float((self.answers(pred).argmax(-1) == y).float().mean())
