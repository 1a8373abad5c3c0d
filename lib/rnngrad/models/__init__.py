"""Layer 3: trainable models composed from the cells, and the one registry of cell names.

* ``registry``  ``CELLS`` (every cell registers once) and ``make_model``
* ``sequence``  ``SequenceModel``: a recurrent layer and a linear read-out
* ``starts``    named starts (forget bias, chrono, update bias, orthogonal) as data
* ``truncate``  truncated backpropagation through time
* ``lru``       the LRU with its encoder and read-out MLP
* ``student``   the curse of memory's one-unit linear student

May import: ``rnngrad.core``, ``rnngrad.cells``.
"""

from . import lru, registry, sequence, starts, student, truncate
from .registry import CELLS, FAMILIES, Cell, cell_names, make_model, register
from .sequence import SequenceModel
from .starts import Start
from .truncate import Truncated

__all__ = [
    "CELLS",
    "FAMILIES",
    "Cell",
    "SequenceModel",
    "Start",
    "Truncated",
    "cell_names",
    "lru",
    "make_model",
    "register",
    "registry",
    "sequence",
    "starts",
    "student",
    "truncate",
]
