"""rnngrad: train recurrent cells and measure how gradients flow through time.

The library of the book *Gradients Through Time*, in layers, top to bottom; each sub-package
imports only the layers below it (``make lint`` checks the contract in ``pyproject.toml``):

===============  ============================================================================
``notebook``     explorers and their frames, glue, tables, the chapters' set-up cell
``figures``      the book's figures: draw data they are given, never measure
``experiments``  the training studies, declared once, run by ``make experiments``, archived
``training``     the one training loop, ``RunSpec`` and the runner (joblib, Dask, Ray), verdicts
``measure``      the one probe, Jacobians, reach, mean field, latch, claims, memory, timing
``models``       ``SequenceModel``, the cell registry ``CELLS``, ``make_model``, named starts,
                 truncated backpropagation
``cells``        one step of every cell family (gated, non-gated, linear, selective), inits
``core``         device, tasks, the parallel scan
``derive``       every SymPy derivation (beside ``core``: imports nothing of the book)
===============  ============================================================================

``derive`` and ``experiments`` load on first use (SymPy and pandas are slow to import);
``figures`` and ``experiments`` are independent of each other.
The names a chapter uses most are lifted here (``rnngrad.make_model``, ``rnngrad.probe``,
``rnngrad.grid``, ``rnngrad.glue`` ...); everything else is reached through its layer
(``rnngrad.measure.jacobians``, ``rnngrad.figures.runs``).
"""

from . import cells, core, figures, measure, models, notebook, training
from ._version import __version__ as __version__
from .cells.gated import gru_step, lstm_step, rnn_step, step_function, unroll
from .cells.init import (
    chrono_init_,
    memory_time,
    scaled_orthogonal,
    set_forget_bias_,
    set_recurrent_singular_values_,
    set_update_bias_,
    with_singular_values,
)
from .core.device import describe, pick_device, seed_everything, set_threads
from .core.tasks import (
    AddingProblem,
    AgreementTask,
    CopyTask,
    EchoSeries,
    SeasonalSeries,
    Task,
    ToneTask,
    WordSenseTask,
    make_task,
)
from .measure.probe import Trace, probe, rnn_jacobian_norms
from .models.registry import CELLS, cell_names, make_model
from .models.sequence import SequenceModel
from .notebook import frames
from .notebook.explore import Explorer, Slider, explore
from .notebook.helpers import difference, glue, glue_all, setup, show_source, table
from .training.loop import History, train
from .training.runner import run
from .training.spec import Run, RunSpec
from .training.students import train_students
from .training.sweep import (
    beats_baseline,
    compare_runs,
    full_sweep,
    grid,
    grid_variants,
    longest_beaten,
    lstm_forget_bias,
    median,
    median_metric,
    select,
    solved_count,
    train_lru_runs,
)

__all__ = [
    "CELLS",
    "AddingProblem",
    "AgreementTask",
    "CopyTask",
    "EchoSeries",
    "Explorer",
    "History",
    "Run",
    "RunSpec",
    "SeasonalSeries",
    "SequenceModel",
    "Slider",
    "Task",
    "ToneTask",
    "Trace",
    "WordSenseTask",
    "beats_baseline",
    "cell_names",
    "cells",
    "chrono_init_",
    "compare_runs",
    "core",
    "derive",
    "experiments",
    "describe",
    "difference",
    "explore",
    "figures",
    "frames",
    "full_sweep",
    "glue",
    "glue_all",
    "grid",
    "grid_variants",
    "gru_step",
    "longest_beaten",
    "lstm_forget_bias",
    "lstm_step",
    "make_model",
    "make_task",
    "measure",
    "median",
    "median_metric",
    "memory_time",
    "models",
    "notebook",
    "pick_device",
    "probe",
    "rnn_jacobian_norms",
    "rnn_step",
    "run",
    "scaled_orthogonal",
    "seed_everything",
    "select",
    "set_forget_bias_",
    "set_recurrent_singular_values_",
    "set_threads",
    "set_update_bias_",
    "setup",
    "show_source",
    "solved_count",
    "step_function",
    "table",
    "train",
    "train_lru_runs",
    "train_students",
    "training",
    "unroll",
    "with_singular_values",
]


# Two layers load on first use: ``derive`` (SymPy takes about half a second to import) and
# ``experiments`` (pandas, a third of a second), so a chapter that derives nothing and reads no
# archive pays for neither.
_LAZY = ("derive", "experiments")


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
