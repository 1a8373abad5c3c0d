"""SymPy derivations the chapters display, every one in this package (SymPy in one place).

* ``rnn``       the scalar and matrix RNN, LSTM and GRU gradients, the latch, parameter counts
* ``nongated``  leaky units, e-folding time, time warping and chrono, IndRNN, rotations
* ``linear``    the LRU's power, e-folding time and stationary power
* ``delta``     the gated delta rule's state Jacobian on vec(S) and its eigenvalues
* ``memory``    the curse of memory's expectations from one generating function

SymPy takes about half a second to import, so ``rnngrad`` loads this package on first use
(``rnngrad.derive``), and the two frames that need it (``rnngrad.notebook.frames``) import it
when called. May import: SymPy and the standard library only (``make lint`` forbids SymPy
everywhere else).
"""

from . import delta, linear, memory, nongated, rnn

__all__ = ["delta", "linear", "memory", "nongated", "rnn"]
