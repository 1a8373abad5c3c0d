"""Named starts: how a freshly built model is initialised before training, as data.

A ``Start`` is a frozen, picklable value (``Start("forget_bias", 1.0)``), so a study can hash
it, store its label beside each run and send it to a worker; calling it applies it to a model
built by ``make_model``. The kinds:

* ``default``      PyTorch's own start, left as built (a study's "default" row);
* ``forget_bias``  an LSTM's forget-gate bias set to ``value`` (Gers et al., 2000; 1 in
                   Jozefowicz et al., 2015);
* ``chrono``       an LSTM's chrono start with T_max = ``value`` (Tallec & Ollivier, 2018), or
                   with no value T_max = the run's setting (a study over lengths T: T_max = T);
* ``update_bias``  a GRU's update-gate bias set to ``value`` (PyTorch's convention: z keeps
                   the old state);
* ``orthogonal``   a tanh RNN's W_hh a random orthogonal matrix times ``value`` (every
                   singular value equal to it; Saxe et al., 2014; Henaff et al., 2016);
* ``eigenvalues``  the lowest per-step eigenvalue a DeltaNet or diagonal gate may reach, 0 or
                   -1 (``allow_neg_eigval``; Grazzi et al., 2025), on the weights as built.
                   A variant of the cell rather than an initialisation; it is a start so that
                   the archive, which names an arm by its cell and start, tells the two ranges
                   apart. With -1 the same weights start from other transitions (a signed gate
                   2 sigma - 1 below sigma; a doubled beta 2 sigma above sigma);
* ``matched_eigenvalues``  the range widened to -1 (``value`` -1) from the *same start*: the
                   gate (or beta) layer rewritten so that, on every one-hot input, each gate
                   (each beta) has the value the [0, 1] model built from the same seed starts
                   with (``widen_(same_start=True)``), so the range is the one difference.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import torch
from torch import nn

from ..cells.init import (
    chrono_init_,
    set_forget_bias_,
    set_recurrent_singular_values_,
    set_update_bias_,
)

KINDS = {
    "default": None,
    "forget_bias": "lstm",
    "chrono": "lstm",
    "update_bias": "gru",
    "orthogonal": "rnn",
    "eigenvalues": ("deltanet", "gated_deltanet", "diagonal_gate"),
    "matched_eigenvalues": ("deltanet", "gated_deltanet", "diagonal_gate"),
}


@dataclass(frozen=True)
class Start:
    """A start of kind ``kind`` with its ``value`` (none for ``default``)."""

    kind: str = "default"
    value: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown start {self.kind!r}; expected one of {sorted(KINDS)}")
        if self.kind == "chrono" and self.value is None:
            return  # T_max = the setting: the length of the run's sequences
        if (self.value is None) != (self.kind == "default"):
            raise ValueError(
                f"start {self.kind!r} takes {'no value' if self.kind == 'default' else 'a value'}"
            )
        if self.kind == "eigenvalues" and self.value not in (0, -1):
            raise ValueError(f"the lowest eigenvalue must be 0 or -1, got {self.value!r}")
        if self.kind == "matched_eigenvalues" and self.value != -1:
            raise ValueError(f"a matched range widens to -1, got {self.value!r}")

    @property
    def label(self) -> str:
        """How a table names it: 'default', 'b_f = 1', 'chrono (T_max = 100)', 'sigma = 1'."""
        if self.kind == "default":
            return "default"
        if self.value is None:
            return "chrono (T_max = T)"
        v = f"{self.value:g}"
        return {
            "forget_bias": f"b_f = {v}",
            "chrono": f"chrono (T_max = {v})",
            "update_bias": f"b_z = {v}",
            "orthogonal": f"orthogonal, sigma = {v}",
            "eigenvalues": f"eigenvalues in [{v}, 1]",
            "matched_eigenvalues": f"eigenvalues in [{v}, 1], same start",
        }[self.kind]

    def __call__(self, model: nn.Module, setting: Hashable, seed: int) -> None:
        """Apply the start to ``model`` if it is of the start's cell; other cells are left as
        built (so one start can go to a grid of several cells, as chapter 3's forget bias)."""
        cell = KINDS[self.kind]
        if cell is None or model.cell not in (cell if isinstance(cell, tuple) else (cell,)):
            return
        rnn = model.rnn
        if self.kind == "eigenvalues":
            rnn.allow_neg_eigval = self.value == -1
            return
        if self.kind == "matched_eigenvalues":
            rnn.widen_(same_start=True)
            return
        with torch.no_grad():
            if self.kind == "forget_bias":
                set_forget_bias_(rnn, self.value)
            elif self.kind == "update_bias":
                set_update_bias_(rnn, self.value)
            elif self.kind == "chrono":
                t_max = int(setting if self.value is None else self.value)
                chrono_init_(rnn, t_max, generator=torch.Generator().manual_seed(seed))
            else:
                g = torch.Generator().manual_seed(seed)
                set_recurrent_singular_values_(rnn, self.value, generator=g)
