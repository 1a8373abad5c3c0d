"""The one model the book trains: a fused recurrent layer and a linear read-out."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .cells import CELL_TYPES
from .init import set_forget_bias_
from .tasks import Task

_MODULES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class SequenceModel(nn.Module):
    """``nn.RNN``/``nn.LSTM``/``nn.GRU`` (batch first) followed by ``nn.Linear``.

    Reads out every step (``per_step``) or only the last one. The recurrent layer is the
    fused PyTorch module (cuDNN on a GPU), so training is fast; ``rnngrad.probe`` replays
    the very same parameters step by step to look inside.
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        output_size: int,
        num_layers: int = 1,
        per_step: bool = False,
        nonlinearity: str = "tanh",
    ):
        super().__init__()
        if cell not in CELL_TYPES:
            raise ValueError(f"unknown cell {cell!r}; expected one of {CELL_TYPES}")
        for name, value in [
            ("input_size", input_size),
            ("hidden_size", hidden_size),
            ("output_size", output_size),
            ("num_layers", num_layers),
        ]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        self.cell = cell
        self.per_step = per_step
        self.rnn = _MODULES[cell](input_size, hidden_size, num_layers, batch_first=True, **extra)
        self.head = nn.Linear(hidden_size, output_size)

    def readout(self, hidden: Tensor) -> Tensor:
        """Map the hidden states (B, T, H) to predictions: every step, or the last."""
        return self.head(hidden if self.per_step else hidden[:, -1])

    def forward(self, x: Tensor) -> Tensor:
        hidden, _ = self.rnn(x)
        return self.readout(hidden)


def make_model(
    cell: str,
    task: Task,
    hidden_size: int = 64,
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    *,
    forget_bias: float | None = None,
    seed: int | None = None,
) -> SequenceModel:
    """A model sized for ``task``.

    * ``seed``: build the weights under ``torch.manual_seed(seed)`` (same seed, same model).
    * ``forget_bias``: for an LSTM, set the forget gate's total bias in every layer (PyTorch's
      default draws every bias from U(-1/sqrt(H), 1/sqrt(H)), mean 0); ignored by other cells.
    * ``cell`` may also be one of ``rnngrad.selective_models.SELECTIVE_CELLS`` (``ssm``,
      ``mingru``, ``minlstm``, ``slstm``): one layer, built by ``make_selective``.
    """
    from .selective_models import SELECTIVE_CELLS, make_selective

    if seed is not None:
        torch.manual_seed(seed)
    if cell in SELECTIVE_CELLS:
        if num_layers != 1:
            raise ValueError(f"the {cell} model has one layer, got num_layers={num_layers!r}")
        return make_selective(cell, task, hidden_size)
    model = SequenceModel(
        cell,
        task.input_size,
        hidden_size,
        task.output_size,
        num_layers,
        per_step=task.per_step,
        nonlinearity=nonlinearity,
    )
    if forget_bias is not None and cell == "lstm":
        set_forget_bias_(model.rnn, forget_bias)
    return model
