"""Long-dependency tasks, generated on the fly from a seeded generator.

Every task says what a model that has learnt nothing scores (``baseline``), so a chapter can
say "beats the baseline" honestly. Inputs are batch-first: ``x`` has shape (B, T, input_size).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor


def check_length(name: str, value: int, least: int = 1) -> None:
    if not isinstance(value, int) or value < least:
        raise ValueError(f"{name} must be an int >= {least}, got {value!r}")


class Task:
    """A supervised sequence task. Subclasses set the sizes and implement ``sample``."""

    name: str
    input_size: int
    output_size: int
    per_step: bool = False  # one prediction per time step (else one per sequence)
    metric_name: str = "loss"
    higher_is_better: bool = False
    baseline: float  # the loss of the best predictor that ignores the dependency

    @property
    def length(self) -> int:
        """The number of time steps in one input sequence."""
        raise NotImplementedError

    def sample(self, batch: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def held_out(
        self, batch: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, Tensor]:
        """The sequences a run is evaluated on: by default more of what it trains on; a task
        that tests length generalisation draws longer ones (``rnngrad.core.automata``)."""
        return self.sample(batch, generator)

    def loss(self, pred: Tensor, y: Tensor) -> Tensor:
        return F.mse_loss(pred.squeeze(-1), y)

    def metric(self, pred: Tensor, y: Tensor) -> float:
        return float(self.loss(pred, y))


class ClassificationTask(Task):
    """One label per sequence, from ``output_size`` classes: cross-entropy to train,
    accuracy to report."""

    metric_name = "accuracy"
    higher_is_better = True

    def loss(self, pred: Tensor, y: Tensor) -> Tensor:
        return F.cross_entropy(pred, y)

    def metric(self, pred: Tensor, y: Tensor) -> float:
        return float((pred.argmax(-1) == y).float().mean())


@dataclass
class AddingProblem(Task):
    """Hochreiter & Schmidhuber's adding problem (as in Arjovsky et al., 2016).

    Channel 0 holds T values from U[0, 1]; channel 1 marks two of them, one in each half.
    The target is the sum of the two marked values. Predicting the mean (1) scores the
    variance of the sum, 2 * 1/12 = 1/6.
    """

    T: int = 100

    def __post_init__(self) -> None:
        check_length("T", self.T, 2)
        self.name, self.input_size, self.output_size = f"adding (T={self.T})", 2, 1
        self.baseline = 1 / 6
        self.metric_name = "MSE"

    @property
    def length(self) -> int:
        return self.T

    def sample(self, batch, generator=None):
        values = torch.rand(batch, self.T, generator=generator)
        half = self.T // 2
        first = torch.randint(0, half, (batch,), generator=generator)
        second = torch.randint(half, self.T, (batch,), generator=generator)
        marks = torch.zeros(batch, self.T)
        rows = torch.arange(batch)
        marks[rows, first] = 1.0
        marks[rows, second] = 1.0
        return torch.stack([values, marks], dim=-1), (values * marks).sum(1)


@dataclass
class CopyTask(Task):
    """Copy memory task: ``to_copy`` symbols from ``symbols``, then ``gap`` blanks (the last
    is a delimiter), then ``to_copy`` blanks during which the model must replay the symbols.
    Length gap + 2 to_copy; each symbol is replayed gap + to_copy steps after it was shown.

    A memoryless model outputs blank for gap + to_copy steps and guesses uniformly for the
    last to_copy: cross-entropy to_copy ln(symbols) / (gap + 2 to_copy).
    """

    gap: int = 100
    symbols: int = 8
    to_copy: int = 10

    def __post_init__(self) -> None:
        check_length("gap", self.gap, 1)
        check_length("to_copy", self.to_copy, 1)
        check_length("symbols", self.symbols, 2)
        self.name = f"copy (gap {self.gap})"
        self.input_size = self.symbols + 2  # blank, symbols, delimiter
        self.output_size = self.symbols + 1  # blank, symbols
        self.per_step, self.metric_name = True, "cross-entropy"
        self.baseline = self.to_copy * math.log(self.symbols) / self.length

    @property
    def length(self) -> int:
        return self.gap + 2 * self.to_copy

    def sample(self, batch, generator=None):
        n = self.to_copy
        seq = torch.randint(1, self.symbols + 1, (batch, n), generator=generator)
        tokens = torch.zeros(batch, self.length, dtype=torch.long)
        tokens[:, :n] = seq
        tokens[:, n + self.gap - 1] = self.symbols + 1  # the delimiter: "now replay"
        target = torch.zeros(batch, self.length, dtype=torch.long)
        target[:, -n:] = seq
        return F.one_hot(tokens, self.input_size).float(), target

    def loss(self, pred, y):
        return F.cross_entropy(pred.reshape(-1, self.output_size), y.reshape(-1))


# Words of the agreement task. Indices are token ids; the sentence skeleton is
# "the <subject> , which <verb> the <noun> that <verb> the <noun> ... , <was|were>".
SINGULAR = ("cat", "dog", "girl", "boy", "bird")
PLURAL = ("cats", "dogs", "girls", "boys", "birds")
OBJECTS_SINGULAR = ("mouse", "cheese", "ball", "tree", "car")
OBJECTS_PLURAL = ("mice", "cheeses", "balls", "trees", "cars")
VERBS = ("chased", "ate", "saw", "liked", "found")
VOCAB = (
    "<pad>",
    "the",
    ",",
    "which",
    "that",
    *VERBS,
    *SINGULAR,
    *PLURAL,
    *OBJECTS_SINGULAR,
    *OBJECTS_PLURAL,
)


@dataclass
class AgreementTask(ClassificationTask):
    """Subject-verb agreement across relative clauses.

    "The cat , which chased the mice that ate the cheese , [was|were]": the subject's number
    decides the verb's. Each of ``clauses`` relative clauses adds a verb and an *attractor*
    noun whose number is drawn independently of the subject's, so the nouns in between carry
    no information: only the subject, ``length - 1`` words back, does. Chance is ln 2 in
    cross-entropy and 50 % in accuracy.
    """

    clauses: int = 2

    def __post_init__(self) -> None:
        check_length("clauses", self.clauses, 1)
        self.name = f"agreement ({self.clauses} clauses)"
        self.input_size, self.output_size = len(VOCAB), 2
        self.baseline = math.log(2)

    @property
    def length(self) -> int:
        return 4 + 4 * self.clauses  # the subject .. the comma before the verb

    def sentence(
        self, plural: bool, picks: Tensor, attractors_plural: Tensor | None = None
    ) -> list[str]:
        """The words of one sentence; ``picks`` chooses subject, verbs and nouns and
        ``attractors_plural`` the nouns' numbers (by default the other number)."""
        subject = (PLURAL if plural else SINGULAR)[int(picks[0])]
        if attractors_plural is None:
            attractors_plural = torch.full((self.clauses,), not plural)
        words = ["the", subject, ",", "which"]
        for k in range(self.clauses):
            nouns = OBJECTS_PLURAL if attractors_plural[k] else OBJECTS_SINGULAR
            words += [VERBS[int(picks[1 + 2 * k])], "the", nouns[int(picks[2 + 2 * k])]]
            if k < self.clauses - 1:
                words.append("that")
        return [*words, ","]

    def sample(self, batch, generator=None):
        plural = torch.randint(0, 2, (batch,), generator=generator)
        picks = torch.randint(0, 5, (batch, 1 + 2 * self.clauses), generator=generator)
        numbers = torch.randint(0, 2, (batch, self.clauses), generator=generator).bool()
        ids = torch.tensor(
            [
                [VOCAB.index(w) for w in self.sentence(bool(p), k, n)]
                for p, k, n in zip(plural, picks, numbers, strict=True)
            ]
        )
        return F.one_hot(ids, self.input_size).float(), plural


@dataclass
class EchoSeries(Task):
    """A time series whose next value repeats the value ``delay`` steps back.

    The input is white noise x_1..x_T ~ N(0, 1); the target (the next value) is
    x_{T+1-delay}. Predicting the mean scores MSE 1; repeating the last value scores 2 (for delay > 1).
    """

    T: int = 50
    delay: int = 40

    def __post_init__(self) -> None:
        check_length("T", self.T, 1)
        check_length("delay", self.delay, 1)
        if self.delay > self.T:
            raise ValueError(f"delay must be <= T ({self.T}), got {self.delay}")
        self.name, self.input_size, self.output_size = f"echo (delay={self.delay})", 1, 1
        self.baseline, self.metric_name = 1.0, "MSE"

    @property
    def length(self) -> int:
        return self.T

    def sample(self, batch, generator=None):
        x = torch.randn(batch, self.T, 1, generator=generator)
        return x, x[:, self.T - self.delay, 0]


# The word-sense task: "bank" means money or river, and one cue word far back says which.
MONEY_CUES = ("money", "deposit", "loan", "cash", "cheque")
RIVER_CUES = ("river", "fishing", "water", "shore", "boat")
FILLERS = ("i", "went", "to", "the", "a", "on", "sat", "walked", "down", "by", "then", "and")
SENSE_VOCAB = ("<pad>", *FILLERS, *MONEY_CUES, *RIVER_CUES, "bank")


@dataclass
class WordSenseTask(ClassificationTask):
    """Which sense of "bank"? A cue word (*money*, *river*, ...) stands ``distance`` words
    before "bank" at the end; every other word is a neutral filler. The label is the sense
    (0 money, 1 river): the translation of "bank" into French (*banque* or *rive*) needs it.
    Chance: 50 % accuracy, ln 2 cross-entropy.
    """

    distance: int = 10
    lead: int = 3  # filler words before the cue

    def __post_init__(self) -> None:
        check_length("distance", self.distance, 1)
        check_length("lead", self.lead, 0)
        self.name = f"word sense (distance {self.distance})"
        self.input_size, self.output_size = len(SENSE_VOCAB), 2
        self.baseline = math.log(2)

    @property
    def length(self) -> int:
        return self.lead + self.distance + 1

    def sample(self, batch, generator=None):
        fillers = torch.tensor([SENSE_VOCAB.index(w) for w in FILLERS])
        cues = torch.tensor([[SENSE_VOCAB.index(w) for w in c] for c in (MONEY_CUES, RIVER_CUES)])
        ids = fillers[torch.randint(0, len(FILLERS), (batch, self.length), generator=generator)]
        sense = torch.randint(0, 2, (batch,), generator=generator)
        pick = torch.randint(0, cues.shape[1], (batch,), generator=generator)
        ids[:, self.lead] = cues[sense, pick]
        ids[:, -1] = SENSE_VOCAB.index("bank")
        return F.one_hot(ids, self.input_size).float(), sense

    def sentence(self, x: Tensor) -> list[str]:
        """The words of one sample (one-hot rows back to words)."""
        return [SENSE_VOCAB[int(i)] for i in x.argmax(-1)]


@dataclass
class ToneTask(ClassificationTask):
    """A speech-like signal: a short tone at one of ``classes`` frequencies, then ``gap``
    steps of noise. The label is the tone (the "word" said at the start); the model hears it
    only at the beginning. Chance: 1/classes accuracy, ln(classes) cross-entropy.
    """

    gap: int = 50
    classes: int = 4
    tone_steps: int = 8
    noise: float = 0.5

    def __post_init__(self) -> None:
        check_length("gap", self.gap, 1)
        check_length("classes", self.classes, 2)
        check_length("tone_steps", self.tone_steps, 2)
        self.name = f"tone (gap {self.gap})"
        self.input_size, self.output_size = 1, self.classes
        self.baseline = math.log(self.classes)

    @property
    def length(self) -> int:
        return self.tone_steps + self.gap

    def frequencies(self) -> Tensor:
        """Cycles per step of each class, spread between 0.05 and 0.4 (below Nyquist)."""
        return torch.linspace(0.05, 0.4, self.classes)

    def sample(self, batch, generator=None):
        label = torch.randint(0, self.classes, (batch,), generator=generator)
        phase = torch.rand(batch, 1, generator=generator) * 2 * math.pi
        t = torch.arange(self.tone_steps)
        tone = torch.sin(2 * math.pi * self.frequencies()[label, None] * t + phase)
        signal = torch.randn(batch, self.length, generator=generator) * self.noise
        signal[:, : self.tone_steps] += tone
        return signal.unsqueeze(-1), label


@dataclass
class SeasonalSeries(Task):
    """Forecast the next value of a seasonal series: a random pattern of length ``period``
    repeats (with observation noise) for ``T`` steps. The next value is the pattern's value
    ``period`` steps back, so the horizon the model must look back over is the period.

    Baselines: the series mean scores MSE 1 + noise^2; the naive forecaster "tomorrow equals
    today" scores 2 + 2 noise^2 (for period > 1); a perfect forecaster scores noise^2.
    """

    period: int = 12
    cycles: int = 3
    noise: float = 0.1

    def __post_init__(self) -> None:
        check_length("period", self.period, 2)
        check_length("cycles", self.cycles, 1)
        self.name = f"seasonal (period {self.period})"
        self.input_size, self.output_size = 1, 1
        self.metric_name = "MSE"
        self.baseline = 1 + self.noise**2

    @property
    def length(self) -> int:
        return self.period * self.cycles

    @property
    def naive(self) -> float:
        """The MSE of "the next value equals the last one"."""
        return 2 + 2 * self.noise**2

    def sample(self, batch, generator=None):
        pattern = torch.randn(batch, self.period, generator=generator)
        clean = pattern.repeat(1, self.cycles + 1)[:, : self.length + 1]
        series = clean + self.noise * torch.randn(batch, self.length + 1, generator=generator)
        return series[:, :-1, None], series[:, -1]


TASKS = {
    "adding": AddingProblem,
    "copy": CopyTask,
    "agreement": AgreementTask,
    "echo": EchoSeries,
    "word_sense": WordSenseTask,
    "tone": ToneTask,
    "seasonal": SeasonalSeries,
}


def make_task(name: str, **kwargs) -> Task:
    """``make_task("adding", T=100)``; the names are the keys of ``TASKS``."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {sorted(TASKS)}")
    return TASKS[name](**kwargs)
