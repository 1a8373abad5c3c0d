"""Layer 2: one time step of every cell family, written as its paper's equations, and starts.

* ``gated``     the RNN, LSTM and GRU steps in PyTorch's layout, and ``replay``/``unroll``,
                which run a fused module through them
* ``nongated``  leaky units, IndRNN, the orthogonal RNN and the IRNN start
* ``linear``    the Linear Recurrent Unit (LRU)
* ``selective`` the selective SSM, minGRU/minLSTM and the sLSTM, as steps and as layers
* ``init``      prescribed singular values, forget-gate and update-gate biases, chrono

May import: ``rnngrad.core``.
"""

from . import gated, init, linear, nongated, selective
from .gated import (
    CELL_TYPES,
    cell_type,
    gru_step,
    layer_parameters,
    lstm_gates,
    lstm_step,
    replay,
    rnn_step,
    step_function,
    unroll,
)

__all__ = [
    "CELL_TYPES",
    "cell_type",
    "gated",
    "gru_step",
    "init",
    "layer_parameters",
    "linear",
    "lstm_gates",
    "lstm_step",
    "nongated",
    "replay",
    "rnn_step",
    "selective",
    "step_function",
    "unroll",
]
