"""The LRU as a trainable model: encoder, Linear Recurrent Unit, read-out MLP."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..cells.linear import LRU


class LRUModel(nn.Module):
    """The interface of ``rnngrad.SequenceModel`` around an LRU: a position-wise encoder
    (Linear + ReLU, so the linear recurrence can carry products of inputs), the LRU, and a
    read-out MLP on the state's real and imaginary parts (every step, or the last)."""

    cell = "lru"

    def __init__(
        self,
        input_size: int,
        state_size: int,
        output_size: int,
        *,
        width: int = 32,
        per_step: bool = False,
        r_min: float = 0.0,
        r_max: float = 1.0,
        max_phase: float = 2 * math.pi,
    ):
        super().__init__()
        for name, value in [("output_size", output_size), ("width", width)]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.per_step = per_step
        self.encoder = nn.Sequential(nn.Linear(input_size, width), nn.ReLU())
        self.lru = LRU(width, state_size, r_min, r_max, max_phase)
        self.head = nn.Sequential(
            nn.Linear(2 * state_size, width), nn.ReLU(), nn.Linear(width, output_size)
        )

    def states(self, x: Tensor, mode: str = "scan") -> Tensor:
        """The LRU's states (B, T, N), complex."""
        return self.lru(self.encoder(x), mode)

    def readout(self, hidden: Tensor) -> Tensor:
        feats = torch.cat([hidden.real, hidden.imag], -1)  # (B, T, 2N)
        return self.head(feats if self.per_step else feats[:, -1])

    def forward(self, x: Tensor) -> Tensor:
        return self.readout(self.states(x))

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        """The recurrence run step by step, every state h_t its own node of autograd's graph (for
        the probe): (the states, each (B, N) complex; all of them stacked, (B, T, N))."""
        if x.dim() != 3:
            raise ValueError(f"x must have shape (B, T, input_size), got {tuple(x.shape)}")
        lam, inputs = self.lru.lam, self.lru.inputs(self.encoder(x))  # inputs: (B, T, N)
        h = torch.zeros_like(inputs[:, 0])
        states = []
        for t in range(inputs.shape[1]):
            h = lam * h + inputs[:, t]
            states.append(h)
        return states, torch.stack(states, 1)
