"""Truncated backpropagation through time: the same forward pass, the gradient cut k steps back."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .sequence import SequenceModel

State = Tensor | tuple[Tensor, Tensor]


def check_truncation(k: int | None) -> None:
    """``k`` is None (full backpropagation) or an int >= 1."""
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
        raise ValueError(f"truncation k must be an int >= 1 (or None), got {k!r}")


def detach(state: State) -> State:
    """The recurrent state (h, or (h, c) for the LSTM) cut from autograd's graph."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def chunks(T: int, k: int) -> list[tuple[int, int]]:
    """Chunks of the T steps, aligned on the *last* step: the last chunk is steps T-k+1..T."""
    ends = list(range(T, 0, -k))
    return [(max(end - k, 0), end) for end in reversed(ends)]


class Truncated(nn.Module):
    """``model`` trained with backpropagation truncated to ``k`` steps.

    The forward pass is the model's own (the same predictions); the recurrent state is
    detached every ``k`` steps, counted back from the last step, so the gradient of a loss
    at step T reaches the inputs x_{T-k+1}..x_T and no further. (For a per-step read-out, a
    loss at step t reaches back to the start of t's chunk: between 1 and k steps.)
    Parameters are the model's: train the wrapper, keep using the model.
    """

    def __init__(self, model: SequenceModel, k: int):
        super().__init__()
        check_truncation(k)
        if k is None:
            raise ValueError("Truncated needs an int k >= 1; use the model itself for full BPTT")
        if not isinstance(getattr(model, "rnn", None), nn.Module):
            raise ValueError(
                f"truncation needs a model with a recurrent layer .rnn, not {model.cell!r}"
            )
        self.model, self.k = model, k
        self.cell = model.cell

    def forward(self, x: Tensor) -> Tensor:
        state, outs = None, []
        for start, end in chunks(x.shape[1], self.k):
            out, state = self.model.rnn(x[:, start:end], state)
            state = detach(state)
            outs.append(out)
        return self.model.readout(torch.cat(outs, dim=1))


def truncate(model: SequenceModel, k: int | None) -> nn.Module:
    """``model`` itself for k = None (full BPTT), else ``Truncated(model, k)``."""
    check_truncation(k)
    return model if k is None else Truncated(model, k)
