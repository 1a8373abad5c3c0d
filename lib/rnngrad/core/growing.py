"""The growing sequence: predict the next value of a slowly increasing sequence.


A case readers meet in explanations of exploding gradients ("a sequence of numbers where
each number is slightly larger than the previous one"). Sequence b: x_t = x_0 + delta t +
noise, with x_0 ~ U[0, 1], delta ~ U[0.5, 1.5] * slope. At every step the model predicts
x_{t+1}. Without normalisation the inputs and targets grow with t, so nothing bounds the
ReLU RNN's states or the loss; ``normalise=True`` feeds x_t / (slope T) and scores the
targets on the same scale, which bounds both.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .tasks import Task, check_length


@dataclass
class GrowingSequence(Task):
    """Next-value prediction on a slowly increasing sequence (per-step MSE).

    ``baseline``: the MSE of predicting "same as now" (x_{t+1} ~ x_t), a predictor that has
    learnt nothing about the trend, on the scale the task scores.
    """

    T: int = 50
    slope: float = 1.0
    noise: float = 0.1
    normalise: bool = False

    def __post_init__(self) -> None:
        check_length("T", self.T, 2)
        if not self.slope > 0:
            raise ValueError(f"slope must be positive, got {self.slope!r}")
        kind = "normalised" if self.normalise else "raw"
        self.name = f"growing sequence (T={self.T}, {kind})"
        self.input_size, self.output_size = 1, 1
        self.per_step, self.metric_name = True, "MSE"
        # E[(x_{t+1} - x_t)^2] = E[delta^2] + 2 noise^2, delta ~ U[0.5, 1.5] * slope
        mean_sq = self.slope**2 * (1.0 + 1.0 / 12.0)
        self.baseline = (mean_sq + 2 * self.noise**2) / self.scale**2

    @property
    def length(self) -> int:
        return self.T

    @property
    def scale(self) -> float:
        """What the inputs and targets are divided by: slope T when normalised, else 1."""
        return self.slope * self.T if self.normalise else 1.0

    def sample(self, batch, generator=None):
        steps = torch.arange(self.T + 1, dtype=torch.float32)
        start = torch.rand(batch, 1, generator=generator)
        delta = self.slope * (0.5 + torch.rand(batch, 1, generator=generator))
        noise = self.noise * torch.randn(batch, self.T + 1, generator=generator)
        seq = (start + delta * steps + noise) / self.scale
        return seq[:, :-1, None], seq[:, 1:]
