"""Layer 2: one time step of every cell family, written as its paper's equations, and starts.

* ``gated``     the RNN, LSTM and GRU steps in PyTorch's layout, and ``replay``/``unroll``,
                which run a fused module through them
* ``nongated``  leaky units, IndRNN, the orthogonal RNN and the IRNN start
* ``linear``    the Linear Recurrent Unit (LRU)
* ``selective`` the selective SSM, minGRU/minLSTM and the sLSTM, as steps and as layers
* ``matrix``    matrix memories: linear attention, RetNet, Mamba-2, GLA and the mLSTM
* ``delta``     the delta rule: DeltaNet and Gated DeltaNet, their state Jacobian
* ``signed``    a diagonal gate with eigenvalues in (0, 1) or (-1, 1)
* ``init``      prescribed singular values, forget-gate and update-gate biases, chrono

May import: ``rnngrad.core``.
"""

from . import delta, gated, init, linear, matrix, nongated, selective, signed
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
    "delta",
    "gated",
    "gru_step",
    "init",
    "layer_parameters",
    "linear",
    "lstm_gates",
    "lstm_step",
    "matrix",
    "nongated",
    "replay",
    "rnn_step",
    "selective",
    "signed",
    "step_function",
    "unroll",
]
