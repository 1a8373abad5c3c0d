"""The model every experiment trains: a recurrent layer and a linear read-out."""

from __future__ import annotations

from torch import Tensor, nn


class SequenceModel(nn.Module):
    """A batch-first recurrent layer ``rnn`` (``forward(x) -> (output (B, T, H), state)``, like
    ``nn.LSTM``) followed by the read-out ``head``.

    Reads out every step (``per_step``) or only the last one. ``cell`` names the layer's entry in
    ``rnngrad.models.CELLS``. For the gated cells the layer is PyTorch's fused module (cuDNN on a
    GPU), so training is fast; ``rnngrad.measure.probe`` replays the very same parameters step by
    step to look inside.
    """

    def __init__(self, rnn: nn.Module, head: nn.Module, *, cell: str, per_step: bool = False):
        super().__init__()
        self.rnn, self.head = rnn, head
        self.cell, self.per_step = cell, per_step

    def readout(self, hidden: Tensor) -> Tensor:
        """Map the hidden states (B, T, H) to predictions: every step, or the last."""
        return self.head(hidden if self.per_step else hidden[:, -1])

    def forward(self, x: Tensor) -> Tensor:
        hidden, _ = self.rnn(x)
        return self.readout(hidden)
