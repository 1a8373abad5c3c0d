"""rnngrad: train RNN, LSTM and GRU cells and measure how gradients flow through time.

The library of the book *Gradients Through Time*. One idea per module:

* ``cells``    one step of each cell, as the textbook equations, PyTorch's parameter layout
* ``model``    the fused recurrent model the book trains
* ``probe``    replay a model step by step: h_t, dL/dh_t, Jacobians and their spectra
* ``init``     prescribed singular values, forget-gate biases (constant, chrono)
* ``tasks``    adding, copy, agreement, echo, word-sense, tone and seasonal tasks, with
               their baselines
* ``train``    the one training loop
* ``sweep``    many runs at once: cells x settings x seeds
* ``sweep_plots`` figures of many runs: metric vs setting, learning curves, heatmaps
* ``symbolic`` the SymPy derivations the chapters show
* ``claims``   the measurements behind the popular explanations put to the test
* ``explore``  slider explorers for kernels, the HTML book and the PDF
* ``plots``    figures that draw a measurement (explorers' figures among them)
* ``style``    the book's figure style: colours, rcParams, a blank figure
* ``diagrams`` hand-drawn diagrams: the unrolled RNN, the LSTM and GRU cells
* ``device``   device choice, seeds, threads
"""

from . import claims, diagrams, plots, style, sweep_plots, symbolic
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
from .notebook import glue, setup, show_source, table
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
    "plots",
    "style",
    "sweep_plots",
    "symbolic",
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
