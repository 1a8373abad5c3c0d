"""What a trained LSTM's gates do over time: the input, forget and output gate of its last
layer at every step, computed from the replayed states with the module's own parameters."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..cells.gated import layer_parameters, lstm_gates, replay


@torch.no_grad()
def lstm_gates_over_time(model: nn.Module, x: Tensor) -> dict[str, Tensor]:
    """The gates ``{"input": i, "forget": f, "output": o}`` of ``model.rnn``'s last layer, each
    (B, T, H) for ``x`` of shape (B, T, input_size); step t's gates read x_t (or the layer
    below's h_t) and the layer's own h_{t-1}, from a zero start."""
    rnn = getattr(model, "rnn", model)
    if not isinstance(rnn, nn.LSTM):
        raise TypeError(f"expected a model whose .rnn is an nn.LSTM, got {type(rnn).__name__}")
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, input_size), got {tuple(x.shape)}")
    layers = replay(rnn, x.transpose(0, 1))
    last = rnn.num_layers - 1
    inputs = x.transpose(0, 1) if last == 0 else torch.stack(layers[-2].h)
    hs = layers[-1].h
    previous = [torch.zeros_like(hs[0]), *hs[:-1]]
    params = layer_parameters(rnn, last)
    steps = [lstm_gates(x_t, h, *params) for x_t, h in zip(inputs, previous, strict=True)]
    i, f, _, o = (torch.stack(g, dim=1) for g in zip(*steps, strict=True))
    return {"input": i, "forget": f, "output": o}
