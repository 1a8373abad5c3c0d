"""What a trained character model does with a real dependency: the loss on each closing
bracket against how far back its opener was, and the units that follow the nesting depth.

``loss_by_span`` bins the closers of held-out windows (``core.corpus.closing_brackets``) by
their span and averages the model's cross-entropy on them; ``depth`` is the bracket depth
after each input character; ``depth_units`` correlates every hidden unit with it (Karpathy,
Johnson & Fei-Fei, 2016, found such units in LSTMs trained on source code).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core.corpus import CLOSERS, OPENERS, closing_brackets, encode

_OPEN = encode(OPENERS)
_CLOSE = encode(CLOSERS)


@torch.no_grad()
def loss_by_span(
    model: nn.Module, x: Tensor, y: Tensor, edges: Sequence[int]
) -> list[tuple[int, int, int, float]]:
    """(lowest span, highest span, closers, mean cross-entropy in nats) for each bin
    ``[edges[i], edges[i + 1])`` of the closers' spans in the windows ``x``, ``y``."""
    logits = model(x)
    nats = F.cross_entropy(logits.transpose(1, 2), y, reduction="none")  # (batch, T)
    rows, positions, spans = closing_brackets(y)
    out = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        pick = (spans >= lo) & (spans < hi)
        n = int(pick.sum())
        mean = float(nats[rows[pick], positions[pick]].mean()) if n else float("nan")
        out.append((lo, hi - 1, n, mean))
    return out


def depth(codes: Tensor) -> Tensor:
    """The bracket depth after each character of ``codes`` (batch, T): openers minus closers
    so far in the window, never below 0 (a window may start inside brackets)."""
    step = torch.isin(codes, _OPEN).long() - torch.isin(codes, _CLOSE).long()
    out = torch.empty_like(step)
    level = torch.zeros(codes.shape[0], dtype=torch.long)
    for t in range(codes.shape[1]):
        level = (level + step[:, t]).clamp(min=0)
        out[:, t] = level
    return out


@torch.no_grad()
def depth_units(model: nn.Module, x: Tensor) -> Tensor:
    """Each hidden unit's correlation with the bracket depth, over every step of the windows
    ``x`` (one-hot characters): a (hidden,) tensor, 0 for a unit that never moves."""
    hidden, _ = model.rnn(x)
    h = hidden.reshape(-1, hidden.shape[-1]).double()
    d = depth(x.argmax(-1)).reshape(-1, 1).double()
    h, d = h - h.mean(0), d - d.mean(0)
    scale = (h.norm(dim=0) * d.norm()).clamp(min=1e-12)
    return (h * d).sum(0) / scale


def last_step_reach(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """How much of the last character's loss reaches each input: ``||dL_T/dx_t||`` summed over
    the windows, divided by its value at ``t = T`` (the last input), for ``t = 1 .. T``."""
    x = x.detach().clone().requires_grad_(True)
    logits = model(x)
    F.cross_entropy(logits[:, -1], y[:, -1], reduction="sum").backward()
    norms = x.grad.double().norm(dim=(0, 2))
    return norms / norms[-1]


class Unigram(nn.Module):
    """The model that ignores every earlier character: the training text's character
    frequencies (add-one), the same at every step; its loss is the task's baseline."""

    def __init__(self, task) -> None:
        super().__init__()
        self.log_p = task.unigram_log_probs()

    def forward(self, x: Tensor) -> Tensor:
        return self.log_p.float().expand(*x.shape[:2], -1)
