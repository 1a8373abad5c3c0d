"""Layer 4: measuring gradients through time; nothing here trains or draws.

* ``probe``      the one probe for every cell: states, dL/dstate_t, Jacobians and spectra
* ``gates``      a trained LSTM's input, forget and output gates over time
* ``jacobians``  the exact LSTM and GRU Jacobians, and the paths a gradient takes
* ``reach``      how far back the gradient reaches in random cells (the explorers' data)
* ``meanfield``  the mean-field prediction chi of a random RNN's per-step growth
* ``latch``      the latch dilemma, and the spectrum of W
* ``claims``     the measurements behind the popular explanations put to the test
* ``growing``    the growing sequence's exploding gradient
* ``memory``     the curse of memory, simulated
* ``matrix``     the matrix memories' gradient through time, from their state Jacobians
* ``spans``      a character model on real source: loss by bracket span, units that track depth
* ``timing``     scan against loop, timed in one run

May import: ``rnngrad.core``, ``rnngrad.cells``, ``rnngrad.models``.
"""

from . import (
    claims,
    gates,
    growing,
    jacobians,
    latch,
    matrix,
    meanfield,
    memory,
    probe,
    reach,
    spans,
    timing,
)
from .probe import Trace, rnn_jacobian_norms

__all__ = [
    "Trace",
    "claims",
    "gates",
    "growing",
    "jacobians",
    "latch",
    "matrix",
    "meanfield",
    "memory",
    "probe",
    "reach",
    "rnn_jacobian_norms",
    "spans",
    "timing",
]
