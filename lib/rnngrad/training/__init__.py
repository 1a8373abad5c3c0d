"""Layer 5: training, one experiment type and its runner, and the verdict rule.

* ``loop``     the one training loop (typed stop reasons, clipping, NaN guard, progress bar)
* ``spec``     ``RunSpec``: one run described completely; ``Run``: what it made
* ``runner``   ``run(specs)`` on joblib: worker processes here, a Dask or Ray cluster by name
* ``sweep``    studies as specs (cells x settings x seeds) and the summaries of their runs
* ``students`` the one-unit students of the curse of memory, trained at once (lambda logged)
* ``verdict``  one stated rule that compares two groups of seeded runs

May import: ``rnngrad.core``, ``rnngrad.cells``, ``rnngrad.models``, ``rnngrad.measure``.
"""

from . import loop, runner, spec, students, sweep, verdict
from .loop import History, train
from .runner import run
from .spec import Run, RunSpec

__all__ = [
    "History",
    "Run",
    "RunSpec",
    "loop",
    "run",
    "runner",
    "spec",
    "students",
    "sweep",
    "train",
    "verdict",
]
