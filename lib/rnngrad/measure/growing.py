"""The growing sequence's exploding gradient: the loss gradient's norm, parameter by parameter."""

from __future__ import annotations

import math

from torch import Tensor, nn

from ..core.tasks import Task


def gradient_norm(model: nn.Module, task: Task, x: Tensor, y: Tensor) -> dict[str, float]:
    """The loss and ||grad|| of all parameters and of the recurrent matrix alone, at the
    model's current parameters (the .grad fields are overwritten), and max ||h_t||."""
    model.zero_grad()
    hidden, _ = model.rnn(x)
    loss = task.loss(model.readout(hidden), y)
    loss.backward()
    # Squares summed in float64: a float32 square over- or underflows long before the norm.
    total = math.sqrt(sum(float(p.grad.double().pow(2).sum()) for p in model.parameters()))
    recurrent = float(model.rnn.weight_hh_l0.grad.double().norm())
    return {
        "loss": float(loss.detach()),
        "grad": total,
        "grad_hh": recurrent,
        "h_max": float(hidden.detach().norm(dim=-1).max()),
    }
