"""Trainable layers around ``rnngrad.selective``'s cells, so ``make_model``, ``train``,
``grid`` and the probe take them like the fused LSTM and GRU.

Each layer is batch-first with ``forward(x) -> (output (B, T, H), h_n (1, B, H))`` like
``nn.GRU``, and ``unroll(x) -> (states, output)``: the same computation one step at a time,
every state h_t its own node of autograd's graph, for the probe (``trace``).

* ``SelectiveSSM`` (Gu & Dao, 2023): a linear in-projection to D channels, then
  ``selective.selective_ssm`` with N states per channel and Mamba's skip ``y + D_skip * u``;
  S4D-real start ``A_n = -n`` and a step ``delta`` started log-uniform in [0.001, 0.1], as in
  the reference code (``state-spaces/mamba``, ``mamba_simple.py``).
* ``MinGRU``, ``MinLSTM`` (Feng et al., 2024): ``nn.Linear`` gates of x_t only, run by the
  parallel scan (``mode="loop"`` runs the same recurrence sequentially).
* ``SLSTM`` (Beck et al., 2024): the stabilised exponential-gate step ``selective.slstm_step``
  with a full recurrent matrix R; forget-gate biases start spread linearly over [3, 6], the
  start ``NX-AI/xlstm`` gives its forget gates (``bias_linspace_init_``); every other weight
  U(-1/sqrt(H), 1/sqrt(H)) like nn.LSTM.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from . import selective
from .linear_rnn import linear_loop, linear_scan
from .model import SequenceModel
from .probe import Trace, probe, trace_from_states
from .tasks import Task

SELECTIVE_CELLS = ("ssm", "mingru", "minlstm", "slstm")


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_x(x: Tensor, input_size: int) -> None:
    if x.dim() != 3 or x.shape[-1] != input_size:
        raise ValueError(f"x must have shape (B, T, {input_size}), got {tuple(x.shape)}")


def _unroll_linear(a: Tensor, b: Tensor) -> list[Tensor]:
    """h_t = a_t * h_{t-1} + b_t step by step; a, b: (B, T, ...). One tensor per step."""
    h, states = torch.zeros_like(b[:, 0]), []
    for t in range(b.shape[1]):
        h = a[:, t] * h + b[:, t]
        states.append(h)
    return states


class _Layer(nn.Module):
    """What the layers share: sizes, ``num_layers = 1``, batch first, ``forward``."""

    num_layers = 1
    batch_first = True

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        _check_sizes(input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size = input_size, hidden_size

    def sequence(self, x: Tensor) -> Tensor:  # (B, T, input) -> (B, T, H)
        raise NotImplementedError

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        raise NotImplementedError

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        _check_x(x, self.input_size)
        if h0 is not None:
            raise ValueError("these layers start from a zero state (h0 must be None)")
        out = self.sequence(x)
        return out, out[:, -1].unsqueeze(0)


class MinGRU(_Layer):
    r"""minGRU (Feng et al., 2024): :math:`z_t = \sigma(W_z x_t + b_z)`,
    :math:`h_t = (1 - z_t) \odot h_{t-1} + z_t \odot (W_h x_t + b_h)`."""

    def __init__(self, input_size: int, hidden_size: int, mode: str = "scan"):
        super().__init__(input_size, hidden_size)
        selective._runner(mode)  # checks the mode
        self.mode = mode
        self.linear_z = nn.Linear(input_size, hidden_size)
        self.linear_h = nn.Linear(input_size, hidden_size)

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        z, h = self.linear_z, self.linear_h
        return selective.min_gru_coefficients(x, z.weight, h.weight, z.bias, h.bias)

    def sequence(self, x: Tensor) -> Tensor:
        run = linear_scan if self.mode == "scan" else linear_loop
        return run(*self.coefficients(x))

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        _check_x(x, self.input_size)
        states = _unroll_linear(*self.coefficients(x))
        return states, torch.stack(states, 1)


class MinLSTM(MinGRU):
    r"""minLSTM (Feng et al., 2024): :math:`f'_t = f_t/(f_t + i_t)`, :math:`i'_t = i_t/(f_t +
    i_t)`, :math:`h_t = f'_t \odot h_{t-1} + i'_t \odot (W_h x_t + b_h)`, gates of x_t only."""

    def __init__(self, input_size: int, hidden_size: int, mode: str = "scan"):
        super().__init__(input_size, hidden_size, mode)
        del self.linear_z
        self.linear_f = nn.Linear(input_size, hidden_size)
        self.linear_i = nn.Linear(input_size, hidden_size)

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        f, i, h = self.linear_f, self.linear_i, self.linear_h
        return selective.min_lstm_coefficients(
            x, f.weight, i.weight, h.weight, f.bias, i.bias, h.bias
        )


class SelectiveSSM(_Layer):
    r"""A one-layer selective state space (Mamba's S6 without the convolution and gate):
    :math:`u_t = W_{in} x_t + b_{in}` (D = ``hidden_size`` channels), then per channel and
    state :math:`h_t = e^{\Delta_t A} h_{t-1} + \Delta_t B_t u_t`,
    :math:`y_t = C_t \cdot h_t + D_{skip} u_t`."""

    def __init__(self, input_size: int, hidden_size: int, state_size: int = 4, mode: str = "scan"):
        super().__init__(input_size, hidden_size)
        _check_sizes(state_size=state_size)
        selective._runner(mode)
        self.mode, self.state_size = mode, state_size
        D, N = hidden_size, state_size
        self.in_proj = nn.Linear(input_size, D)
        # S4D-real: A_n = -n for n = 1..N in every channel
        self.a_log = nn.Parameter(torch.log(torch.arange(1, N + 1.0)).repeat(D, 1))  # (D, N)
        self.w_b = nn.Parameter(torch.randn(N, D) / math.sqrt(D))
        self.w_c = nn.Parameter(torch.randn(N, D) / math.sqrt(D))
        self.w_delta = nn.Parameter(torch.randn(D, D) * 0.1 / math.sqrt(D))
        dt = torch.exp(torch.rand(D) * (math.log(0.1) - math.log(1e-3)) + math.log(1e-3))
        self.b_delta = nn.Parameter(dt + torch.log(-torch.expm1(-dt)))  # softplus^-1(dt)
        self.d_skip = nn.Parameter(torch.ones(D))

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """(a, b, C, u): a, b (B, T, D, N), C (B, T, N), u (B, T, D)."""
        u = self.in_proj(x)
        a, b, c, _ = selective.selective_ssm_coefficients(
            u, self.a_log, self.w_b, self.w_c, self.w_delta, self.b_delta
        )
        return a, b, c, u

    def sequence(self, x: Tensor) -> Tensor:
        u = self.in_proj(x)
        y, _ = selective.selective_ssm(
            u, self.a_log, self.w_b, self.w_c, self.w_delta, self.b_delta, self.mode
        )
        return y + self.d_skip * u

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        """States flattened to (B, D * N) per step."""
        _check_x(x, self.input_size)
        a, b, c, u = self.coefficients(x)
        bsz, T, D, N = a.shape
        h, states, ys = a.new_zeros(bsz, D * N), [], []
        for t in range(T):
            h = (a[:, t] * h.view(bsz, D, N) + b[:, t]).reshape(bsz, D * N)
            states.append(h)
            ys.append((h.view(bsz, D, N) * c[:, t].unsqueeze(1)).sum(-1))  # (B, D)
        return states, torch.stack(ys, 1) + self.d_skip * u


class SLSTM(_Layer):
    r"""sLSTM (Beck et al., 2024), stabilised: pre-activations :math:`W x_t + R h_{t-1} + b` in
    the order i, f, z, o; :math:`i_t = e^{\tilde\imath_t}`, :math:`f_t = \sigma(\tilde f_t)`,
    :math:`c_t = f_t c_{t-1} + i_t z_t`, :math:`n_t = f_t n_{t-1} + i_t`,
    :math:`h_t = o_t c_t / n_t`, all through the stabiliser :math:`m_t`."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        H = hidden_size
        bound = 1 / math.sqrt(H)
        self.weight_ih = nn.Parameter(torch.empty(4 * H, input_size).uniform_(-bound, bound))
        self.weight_hh = nn.Parameter(torch.empty(4 * H, H).uniform_(-bound, bound))
        bias = torch.empty(4 * H).uniform_(-bound, bound)
        bias[H : 2 * H] = torch.linspace(3.0, 6.0, H)  # forget gate
        self.bias = nn.Parameter(bias)

    def unroll(self, x: Tensor) -> tuple[list[Tensor], Tensor]:
        _check_x(x, self.input_size)
        wx = x @ self.weight_ih.T + self.bias  # (B, T, 4H)
        zeros = x.new_zeros(x.shape[0], self.hidden_size)
        h, state = zeros, (zeros, zeros, torch.full_like(zeros, -math.inf), zeros)
        states = []
        for t in range(x.shape[1]):
            h, state = selective.slstm_step(wx[:, t] + h @ self.weight_hh.T, state)
            states.append(h)
        return states, torch.stack(states, 1)

    def sequence(self, x: Tensor) -> Tensor:
        return self.unroll(x)[1]


def make_selective(
    cell: str, task: Task, hidden_size: int = 32, *, state_size: int = 4, mode: str = "scan"
) -> SequenceModel:
    """A ``SequenceModel`` for ``task`` whose recurrent layer is one of ``SELECTIVE_CELLS``
    (``ssm``, ``mingru``, ``minlstm``, ``slstm``) with the model's linear read-out;
    ``model.cell`` is the cell's name, so ``train``, ``grid`` and ``trace`` take it as is."""
    if cell not in SELECTIVE_CELLS:
        raise ValueError(f"unknown cell {cell!r}; expected one of {SELECTIVE_CELLS}")
    _check_sizes(hidden_size=hidden_size)
    model = SequenceModel("rnn", 1, 1, task.output_size, per_step=task.per_step)
    if cell == "ssm":
        model.rnn = SelectiveSSM(task.input_size, hidden_size, state_size, mode)
    elif cell == "slstm":
        model.rnn = SLSTM(task.input_size, hidden_size)
    else:
        model.rnn = (MinGRU if cell == "mingru" else MinLSTM)(task.input_size, hidden_size, mode)
    model.head = nn.Linear(hidden_size, task.output_size)
    model.cell = cell
    return model


def trace(model: SequenceModel, task: Task, x: Tensor, y: Tensor) -> Trace:
    """The probe for every model ``make_model`` builds: the fused cells through
    ``rnngrad.probe``, the selective ones through their ``unroll``. ``dL_dh[:, t]`` is the
    total gradient of the loss with respect to the state h_t (for the SSM, all D * N
    states of step t), so ``Trace.reach`` compares like with like."""
    if model.cell not in SELECTIVE_CELLS:
        return probe(model, task, x, y)
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, input_size), got {tuple(x.shape)}")
    states, out = model.rnn.unroll(x)
    loss = task.loss(model.readout(out), y)
    return trace_from_states(loss, states, [])


def scan_rounds(T: int) -> int:
    """How many levels ``linear_scan``'s odd-even recursion goes down for T steps: each level
    halves the length (floor(log2 T) levels) and costs a fixed number of whole-tensor
    operations on the way down and back up, where the loop needs T sequential steps."""
    if not isinstance(T, int) or isinstance(T, bool) or T < 1:
        raise ValueError(f"T must be a positive int, got {T!r}")
    rounds = 0
    while T > 1:
        T, rounds = T // 2, rounds + 1
    return rounds
