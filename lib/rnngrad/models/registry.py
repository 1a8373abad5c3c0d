"""One registry of every cell the book trains, and ``make_model``, which builds any of them.

Each cell registers once, under one name, with its family and the keywords its start takes:

* classic (chapters 1-10): ``rnn``, ``lstm``, ``gru``, PyTorch's fused modules;
* non-gated (chapters 11-12): ``irnn``, ``orthogonal``, ``indrnn``, ``leaky``;
* linear (chapters 13-14): ``lru`` (the Linear Recurrent Unit with its encoder and read-out
  MLP) and ``student`` (the one-unit linear student of the curse of memory);
* selective (chapter 15): ``ssm``, ``mingru``, ``minlstm``, ``slstm``;
* matrix (chapters 16-17): ``linear_attention``, ``retnet``, ``mamba2``, ``gla``, ``mlstm``,
  ``deltanet``, ``gated_deltanet`` (a d x d state for ``hidden_size`` = d), and the diagonal
  ``diagonal_gate`` whose eigenvalue range chapter 17 switches (``allow_neg_eigval``).

``make_model(cell, task, ...)`` composes the model from the cell's recurrent layer and a read-out
sized for the task. An unknown cell or an option the cell does not take is a ``ValueError`` that
lists what would have worked.

Draw order. Models are built in the order of random draws the book's numbers were made with:
the non-gated and selective cells draw, and discard, the weights of a placeholder layer first
(``_placeholder_draws``), as the builders they replaced did. A seed therefore gives the same
model, and every glued number the same value, as before the registry; the evidence studies,
which run afresh, can drop the placeholder with a one-line change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from ..cells.delta import DeltaNet
from ..cells.init import set_forget_bias_
from ..cells.matrix import MLSTM, OuterProductLayer
from ..cells.nongated import DeepIndRNN, IndRNN, LeakyRNN, OrthogonalRNN, irnn_init_
from ..cells.selective import SLSTM, MinGRU, MinLSTM, SelectiveSSM
from ..cells.signed import DiagonalGate
from ..core.tasks import Task
from .lru import LRUModel
from .sequence import SequenceModel
from .student import OneUnitStudent

FAMILIES = ("classic", "non-gated", "linear", "selective", "matrix")


@dataclass(frozen=True)
class Cell:
    """A registered cell: its name, family, one line on what it is, the keywords its builder
    takes, and ``build(task, hidden_size, num_layers, nonlinearity, **options) -> model``."""

    name: str
    family: str
    summary: str
    options: tuple[str, ...]
    build: Callable[..., nn.Module]


CELLS: dict[str, Cell] = {}


def register(name: str, family: str, summary: str, options: tuple[str, ...] = ()):
    """Register ``build`` under ``name`` (a decorator). Each name registers once."""
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {FAMILIES}")

    def decorate(build: Callable[..., nn.Module]) -> Callable[..., nn.Module]:
        if name in CELLS:
            raise ValueError(f"cell {name!r} is already registered")
        CELLS[name] = Cell(name, family, summary, tuple(options), build)
        return build

    return decorate


def cell_names(family: str | None = None) -> tuple[str, ...]:
    """Every registered cell's name (of one family when ``family`` is given)."""
    if family is not None and family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; expected one of {FAMILIES}")
    return tuple(n for n, c in CELLS.items() if family is None or c.family == family)


def make_model(
    cell: str,
    task: Task,
    hidden_size: int = 64,
    num_layers: int = 1,
    nonlinearity: str = "tanh",
    *,
    forget_bias: float | None = None,
    seed: int | None = None,
    **options,
) -> nn.Module:
    """A model of ``cell`` sized for ``task``.

    * ``seed``: build the weights under ``torch.manual_seed(seed)`` (same seed, same model).
    * ``forget_bias``: for an LSTM, set the forget gate's total bias in every layer (PyTorch's
      default draws every bias from U(-1/sqrt(H), 1/sqrt(H)), mean 0); cells without a forget
      gate ignore it, so one call can build every cell of a comparison.
    * ``nonlinearity``: the plain ``rnn``'s activation (tanh or relu); other cells ignore it.
    * ``options``: the cell's own keywords (``CELLS[cell].options``), e.g. ``leak`` for ``leaky``,
      ``bound`` for ``indrnn``, ``state_size`` for ``ssm`` and ``lru``.
    """
    if cell not in CELLS:
        raise ValueError(f"unknown cell {cell!r}; expected one of {cell_names()}")
    entry = CELLS[cell]
    unknown = sorted(set(options) - set(entry.options))
    if unknown:
        raise ValueError(
            f"cell {cell!r} takes {list(entry.options) or 'no options'}, not {unknown}"
        )
    for name, value in [("hidden_size", hidden_size), ("num_layers", num_layers)]:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    if seed is not None:
        torch.manual_seed(seed)
    model = entry.build(task, hidden_size, num_layers, nonlinearity, **options)
    if forget_bias is not None and cell == "lstm":
        set_forget_bias_(model.rnn, forget_bias)
    return model


def _one_layer(cell: str, num_layers: int) -> None:
    if num_layers != 1:
        raise ValueError(f"the {cell} model has one layer, got num_layers={num_layers!r}")


def _placeholder_draws(input_size: int, hidden_size: int, output_size: int | None = None) -> None:
    """Draw (and discard) what the replaced builders' placeholder drew: an ``nn.RNN``'s weights
    and, with ``output_size``, a read-out's (see the module's note on draw order)."""
    nn.RNN(input_size, hidden_size)
    if output_size is not None:
        nn.Linear(hidden_size, output_size)


# -- gated: PyTorch's fused modules ---------------------------------------------------------

_FUSED = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def _fused(cell: str):
    def build(task, hidden_size, num_layers, nonlinearity):
        extra = {"nonlinearity": nonlinearity} if cell == "rnn" else {}
        rnn = _FUSED[cell](task.input_size, hidden_size, num_layers, batch_first=True, **extra)
        head = nn.Linear(hidden_size, task.output_size)
        return SequenceModel(rnn, head, cell=cell, per_step=task.per_step)

    return build


register("rnn", "classic", "Elman RNN, tanh or ReLU (nn.RNN)")(_fused("rnn"))
register("lstm", "classic", "LSTM (nn.LSTM)")(_fused("lstm"))
register("gru", "classic", "GRU (nn.GRU)")(_fused("gru"))


# -- non-gated: chapters 11 and 12 ----------------------------------------------------------


def _with_head(cell, task, hidden_size, layer: Callable[[], nn.Module]) -> SequenceModel:
    _placeholder_draws(task.input_size, hidden_size)
    head = nn.Linear(hidden_size, task.output_size)
    return SequenceModel(layer(), head, cell=cell, per_step=task.per_step)


@register("irnn", "non-gated", "ReLU RNN started at W_hh = I, b = 0 (Le et al., 2015)")
def _irnn(task, hidden_size, num_layers, nonlinearity):
    _one_layer("irnn", num_layers)
    rnn = nn.RNN(task.input_size, hidden_size, 1, batch_first=True, nonlinearity="relu")
    head = nn.Linear(hidden_size, task.output_size)
    irnn_init_(rnn)
    return SequenceModel(rnn, head, cell="irnn", per_step=task.per_step)


@register("orthogonal", "non-gated", "tanh RNN with W_hh kept orthogonal (Arjovsky et al., 2016)")
def _orthogonal(task, hidden_size, num_layers, nonlinearity):
    _one_layer("orthogonal", num_layers)
    return _with_head(
        "orthogonal", task, hidden_size, lambda: OrthogonalRNN(task.input_size, hidden_size)
    )


@register(
    "indrnn", "non-gated", "IndRNN, one recurrent weight per unit (Li et al., 2018)", ("bound",)
)
def _indrnn(task, hidden_size, num_layers, nonlinearity, bound: float | None = None):
    def layer():
        if num_layers == 1:
            return IndRNN(task.input_size, hidden_size, bound=bound)
        return DeepIndRNN(task.input_size, hidden_size, num_layers, bound=bound)

    return _with_head("indrnn", task, hidden_size, layer)


@register("leaky", "non-gated", "leaky tanh unit with a fixed leak alpha", ("leak",))
def _leaky(task, hidden_size, num_layers, nonlinearity, leak=0.9):
    _one_layer("leaky", num_layers)
    return _with_head(
        "leaky", task, hidden_size, lambda: LeakyRNN(task.input_size, hidden_size, leak)
    )


# -- linear: chapters 13 and 14 -------------------------------------------------------------


@register(
    "lru",
    "linear",
    "Linear Recurrent Unit with encoder and read-out MLP (Orvieto et al., 2023)",
    ("width", "r_min", "r_max", "max_phase"),
)
def _lru(task, hidden_size, num_layers, nonlinearity, **ring):
    _one_layer("lru", num_layers)
    return LRUModel(task.input_size, hidden_size, task.output_size, per_step=task.per_step, **ring)


@register(
    "student",
    "linear",
    "one linear unit h_t = lambda h_{t-1} + x_t (Zucchet & Orvieto, 2024)",
    ("parametrisation", "lam0"),
)
def _student(task, hidden_size, num_layers, nonlinearity, **options):
    _one_layer("student", num_layers)
    if task.input_size != 1 or task.output_size != 1:
        raise ValueError("the one-unit student reads and predicts one number per step")
    return OneUnitStudent(**options)


# -- selective: chapter 15 ------------------------------------------------------------------


def _selective(cell: str, layer: Callable[..., nn.Module]):
    def build(task, hidden_size, num_layers, nonlinearity, **options):
        _one_layer(cell, num_layers)
        _placeholder_draws(1, 1, task.output_size)
        rnn = layer(task.input_size, hidden_size, **options)
        head = nn.Linear(hidden_size, task.output_size)
        return SequenceModel(rnn, head, cell=cell, per_step=task.per_step)

    return build


register(
    "ssm",
    "selective",
    "selective state space, Mamba's S6 without convolution (Gu & Dao, 2023)",
    ("state_size", "mode"),
)(_selective("ssm", SelectiveSSM))
register("mingru", "selective", "minGRU, gates of x_t only (Feng et al., 2024)", ("mode",))(
    _selective("mingru", MinGRU)
)
register("minlstm", "selective", "minLSTM, gates of x_t only (Feng et al., 2024)", ("mode",))(
    _selective("minlstm", MinLSTM)
)
register("slstm", "selective", "sLSTM, exponential gates with stabiliser (Beck et al., 2024)")(
    _selective("slstm", SLSTM)
)


# -- matrix memories and the eigenvalue range: chapters 16 and 17 ---------------------------


def _matrix(cell: str, layer: Callable[..., nn.Module], **fixed):
    """A one-layer model of ``layer`` (no placeholder draws: these cells came after the
    registry) with ``fixed`` keywords that make this cell of the layer's family."""

    def build(task, hidden_size, num_layers, nonlinearity, **options):
        _one_layer(cell, num_layers)
        rnn = layer(task.input_size, hidden_size, **fixed, **options)
        head = nn.Linear(hidden_size, task.output_size)
        return SequenceModel(rnn, head, cell=cell, per_step=task.per_step)

    return build


register(
    "linear_attention",
    "matrix",
    "linear attention as a recurrence, S_t = S_{t-1} + v_t phi(k_t)^T (Katharopoulos et al., 2020)",
    ("mode",),
)(_matrix("linear_attention", OuterProductLayer, decay="none"))
register(
    "retnet",
    "matrix",
    "retention, a fixed decay S_t = gamma S_{t-1} + v_t k_t^T (Sun et al., 2023)",
    ("gamma", "mode"),
)(_matrix("retnet", OuterProductLayer, decay="fixed"))
register(
    "mamba2",
    "matrix",
    "SSD, a scalar decay of the input S_t = a_t S_{t-1} + v_t k_t^T (Dao & Gu, 2024)",
    ("mode",),
)(_matrix("mamba2", OuterProductLayer, decay="scalar"))
register(
    "gla",
    "matrix",
    "gated linear attention, a decay per key channel (Yang et al., 2024)",
    ("mode",),
)(_matrix("gla", OuterProductLayer, decay="channel"))
register(
    "mlstm",
    "matrix",
    "mLSTM, exponential gates on a matrix memory with normaliser (Beck et al., 2024)",
    ("mode",),
)(_matrix("mlstm", MLSTM))
register(
    "deltanet",
    "matrix",
    "DeltaNet, S_t = S_{t-1}(I - beta k k^T) + beta v k^T (Schlag et al., 2021; Yang et al., 2024)",
    ("allow_neg_eigval", "mode"),
)(_matrix("deltanet", DeltaNet, gated=False))
register(
    "gated_deltanet",
    "matrix",
    "Gated DeltaNet, S_t = alpha S_{t-1}(I - beta k k^T) + beta v k^T (Yang et al., 2025)",
    ("allow_neg_eigval", "mode"),
)(_matrix("gated_deltanet", DeltaNet, gated=True))
register(
    "diagonal_gate",
    "selective",
    "diagonal h_t = a_t h_{t-1} + W x_t, a_t in (0, 1) or (-1, 1) (Grazzi et al., 2025)",
    ("allow_neg_eigval", "mode"),
)(_matrix("diagonal_gate", DiagonalGate))
