"""rnngrad: train recurrent cells and measure how gradients flow through time.

The library of the book *Gradients Through Time*. One idea per module:

Cells, models and training
* ``cells``      one step of RNN, LSTM and GRU as the textbook equations (PyTorch's
                 layout), and ``replay``, which runs a fused module through them
* ``model``      the fused recurrent model the book trains
* ``init``       prescribed singular values, forget-gate biases (constant, chrono)
* ``tasks``      adding, copy, agreement, echo, word-sense, tone and seasonal tasks, with
                 their baselines
* ``train``      the one training loop (typed stop reasons)
* ``sweep``      many runs at once: cells x settings x seeds
* ``verdict``    one stated rule that compares two groups of seeded runs
* ``device``     device choice, seeds, threads, progress bars

Measuring gradients
* ``probe``      replay a model step by step: h_t, dL/dh_t, Jacobians and their spectra
* ``jacobians``  the exact LSTM and GRU Jacobians, and the paths a gradient takes
* ``meanfield``  the mean-field prediction chi of a random RNN's per-step growth
* ``latch``      the latch dilemma, and the spectrum of W (sigma_max, rho, non-normality)
* ``growing``    the growing-sequence task and its exploding gradient
* ``symbolic``   the SymPy derivations the chapters show
* ``claims``     the measurements behind the popular explanations put to the test

Part V: other ways to keep a gradient alive
* ``nongated``   leaky units, IRNN, orthogonal RNN, IndRNN, truncated BPTT
* ``symbolic_nongated`` their SymPy derivations
* ``linear_rnn`` the LRU and the parallel scan of linear recurrences
* ``memory``     the curse of memory of a linear unit, derived and simulated
* ``selective``  minGRU, minLSTM, a selective SSM and the (stabilised) sLSTM
* ``selective_models`` those cells as trainable layers for ``make_model``, and their probe
* ``recall_tasks`` selective copying and associative recall, with their chance baselines
* ``selective_figures`` the figures and the explorer of the selective-gates chapter

Figures and the book
* ``style``      the book's figure style: colours, rcParams, a blank figure
* ``diagrams``   hand-drawn diagrams: the unrolled RNN, the LSTM and GRU cells
* ``plots``      figures that draw a measurement
* ``sweep_plots`` figures of many runs: metric vs setting, learning curves, heatmaps
* ``explorer_figures``, ``nongated_plots``, ``linear_figures``  the explorers' figures
* ``explore``    slider explorers for kernels, the HTML book and the PDF
* ``notebook``   glue, tables, the chapters' set-up cell and ``show_source``
"""

from . import (
    claims,
    diagrams,
    explorer_figures,
    growing,
    jacobians,
    latch,
    linear_figures,
    linear_rnn,
    meanfield,
    memory,
    nongated,
    nongated_plots,
    plots,
    recall_tasks,
    selective,
    selective_figures,
    selective_models,
    style,
    sweep_plots,
    verdict,
)
from ._version import __version__ as __version__
from .cells import gru_step, lstm_step, rnn_step, step_function, unroll
from .device import describe, pick_device, seed_everything, set_threads
from .explore import Explorer, Slider, explore
from .init import (
    chrono_init_,
    memory_time,
    scaled_orthogonal,
    set_forget_bias_,
    set_recurrent_singular_values_,
    set_update_bias_,
    with_singular_values,
)
from .model import SequenceModel, make_model
from .notebook import difference, glue, setup, show_source, table
from .probe import Trace, probe, rnn_jacobian_norms
from .sweep import Run, full_sweep, grid, lstm_forget_bias, median, select
from .tasks import (
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
from .train import History, train

__all__ = [
    "claims",
    "diagrams",
    "explorer_figures",
    "growing",
    "jacobians",
    "latch",
    "linear_figures",
    "linear_rnn",
    "meanfield",
    "memory",
    "nongated",
    "nongated_plots",
    "plots",
    "recall_tasks",
    "selective",
    "selective_figures",
    "selective_models",
    "style",
    "sweep_plots",
    "symbolic",
    "symbolic_nongated",
    "verdict",
    "AddingProblem",
    "AgreementTask",
    "CopyTask",
    "EchoSeries",
    "Explorer",
    "History",
    "Run",
    "SeasonalSeries",
    "SequenceModel",
    "Slider",
    "Task",
    "ToneTask",
    "Trace",
    "WordSenseTask",
    "chrono_init_",
    "describe",
    "explore",
    "full_sweep",
    "difference",
    "glue",
    "grid",
    "gru_step",
    "lstm_forget_bias",
    "lstm_step",
    "make_model",
    "make_task",
    "median",
    "memory_time",
    "pick_device",
    "probe",
    "rnn_jacobian_norms",
    "rnn_step",
    "scaled_orthogonal",
    "seed_everything",
    "select",
    "set_forget_bias_",
    "set_recurrent_singular_values_",
    "set_threads",
    "set_update_bias_",
    "setup",
    "show_source",
    "step_function",
    "table",
    "train",
    "unroll",
    "with_singular_values",
]


# SymPy takes about half a second to import: the derivation modules load on first use, so a
# chapter that derives nothing does not pay for them (``rnngrad.symbolic.x`` works as before).
_LAZY_MODULES = ("symbolic", "symbolic_nongated")


def __getattr__(name: str):
    if name in _LAZY_MODULES:
        import importlib

        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
