"""The instrument behind every gradient-flow figure, one probe for every cell: run a model
step by step and keep every state, its loss gradient and, on request, the Jacobians back to
each step."""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..cells.gated import replay, step_function
from ..cells.nongated import DeepIndRNN, StepModule
from ..cells.selective import SelectiveLayer
from ..core.tasks import Task
from ..models.truncate import check_truncation, chunks, detach


@dataclass
class Trace:
    """Per time step t = 1..T of the model's last layer (batch first, like the model).

    ``dL_dh[:, t]`` is the *total* derivative of the loss with respect to h_t: through the
    read-out and through every later step. For the LSTM, ``dL_dc`` is the same for c_t.
    ``jacobians[t]`` is dh_T/dh_t for the first sequence of the batch (for the LSTM with
    c_t held fixed), and ``singular_values[t]`` are its singular values, largest first.
    """

    h: Tensor
    dL_dh: Tensor
    loss: float
    c: Tensor | None = None
    dL_dc: Tensor | None = None
    jacobians: Tensor | None = None
    singular_values: Tensor | None = None

    def gradient_norms(self) -> Tensor:
        """||dL/dh_t|| averaged over the batch: one number per step, shape (T,), in float64.

        The squares are summed in float64 whatever the model's precision: a float32 entry of
        1e-25 is representable, its square (1e-50) is not, and a float32 norm of such a
        gradient is exactly 0 (chapter 3's ReLU RNN at scale 0.5 read "reach 0" that way)."""
        return gradient_norms(self.dL_dh)

    def cell_gradient_norms(self) -> Tensor:
        """||dL/dc_t|| averaged over the batch (the LSTM's cell), shape (T,), in float64."""
        if self.dL_dc is None:
            raise ValueError("this trace has no cell state (only the LSTM's has one)")
        return gradient_norms(self.dL_dc)

    def reach(self) -> float:
        """How much of the gradient gets back to the first step: ||dL/dh_1|| / ||dL/dh_T||."""
        norms = self.gradient_norms()
        return (norms[0] / norms[-1]).item()


def gradient_norms(grads: Tensor) -> Tensor:
    """The batch mean of the per-step norms of ``grads`` (B, T, H), shape (T,), computed in
    float64 (of the moduli, for the LRU's complex states), so that a ratio of norms over many
    steps is never a float32 underflow of the squares."""
    if grads.dim() != 3:
        raise ValueError(f"grads must have shape (B, T, H), got {tuple(grads.shape)}")
    wide = grads.to(torch.complex128 if grads.is_complex() else torch.float64)
    return torch.linalg.vector_norm(wide, dim=-1).mean(0)


def probe(
    model: nn.Module,
    task: Task,
    x: Tensor,
    y: Tensor,
    *,
    jacobians: bool = False,
    truncate: int | None = None,
    dtype: torch.dtype | None = None,
) -> Trace:
    """Run ``model`` on (x, y) one step at a time with its own parameters and return every
    state of its last layer and the *total* dL/dstate_t (a ``Trace``). One probe for every
    cell ``rnngrad.models.make_model`` builds:

    * the fused ``rnn``, ``lstm`` and ``gru`` (any number of layers), the IRNN and the
      orthogonal RNN: replayed through ``rnngrad.cells.gated``'s equations;
    * the leaky unit and the IndRNN (the top layer of a stack): through their own ``step``;
    * the selective cells, the LRU and the one-unit student: through their ``unroll`` (for
      the SSM a state is all D x N numbers of a step; the LRU's are complex, and the norms
      are their moduli).

    ``truncate=k`` gives the gradient that BPTT(k) uses (zero beyond k steps from a loss;
    one-layer step-by-step cells only). ``jacobians`` adds dh_T/dh_t for the first sequence.
    ``dtype`` probes a copy of the model in that precision (e.g. ``torch.float64``, where
    a ratio over many steps would underflow float32); None probes the model as it is.
    """
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, input_size), got {tuple(x.shape)}")
    check_truncation(truncate)
    if dtype is not None:
        model, x = copy.deepcopy(model).to(dtype), x.to(dtype)
        y = y.to(dtype) if y.is_floating_point() else y
    hs, cs, hidden = states(model, x, truncate)
    loss = task.loss(model.readout(hidden), y)
    jac = sv = None
    if jacobians:
        jac = _jacobians_to_last(hs)
        sv = torch.linalg.svdvals(jac)
    return trace_from_states(loss, hs, cs, jacobians=jac, singular_values=sv)


def states(
    model: nn.Module, x: Tensor, truncate: int | None = None
) -> tuple[list[Tensor], list[Tensor], Tensor]:
    """The states h_t (and c_t for the LSTM) of the model's last layer, t = 1..T, each its own
    node of autograd's graph, and the hidden sequence (B, T, H) its read-out takes."""
    if hasattr(model, "unroll"):  # a model that runs its recurrence itself (LRU, student)
        _no_truncation(model, truncate)
        hs, hidden = model.unroll(x)
        return hs, [], hidden
    rnn = model.rnn
    if isinstance(rnn, SelectiveLayer):
        _no_truncation(model, truncate)
        hs, hidden = rnn.unroll(x)
        return hs, [], hidden
    if isinstance(rnn, DeepIndRNN):  # the layers below run whole; the top one step by step
        for layer in rnn.layers[:-1]:
            x, _ = layer(x)
        rnn = rnn.layers[-1]
    if isinstance(rnn, StepModule) or (truncate is not None and rnn.num_layers == 1):
        hs, cs = _step_by_step(rnn, x, truncate)
    elif truncate is not None:
        raise ValueError("truncated probing takes one-layer models")
    elif isinstance(rnn, nn.RNNBase):
        last = replay(rnn, x.transpose(0, 1))[-1]  # the last layer's states, time first
        hs, cs = last.h, last.c or []
    else:
        raise TypeError(f"the probe cannot look inside {type(rnn).__name__}")
    return hs, cs, torch.stack(hs, dim=1)


def _no_truncation(model: nn.Module, truncate: int | None) -> None:
    if truncate is not None:
        raise ValueError(f"truncated probing is for step-by-step cells, not {model.cell!r}")


def _step_by_step(rnn: nn.Module, x: Tensor, truncate: int | None):
    """One layer run a step at a time from a zero state, cut every ``truncate`` steps counted
    back from the last (as ``rnngrad.models.Truncated`` trains)."""
    step = rnn.step if isinstance(rnn, StepModule) else step_function(rnn)
    lstm = isinstance(rnn, nn.LSTM)
    T = x.shape[1]
    cut = {end for _, end in chunks(T, truncate)} if truncate else set()
    h = x.new_zeros(x.shape[0], rnn.hidden_size)
    state = (h, h) if lstm else h
    hs, cs = [], []
    for t, x_t in enumerate(x.unbind(1), start=1):
        state = step(x_t, state)
        hs.append(state[0] if lstm else state)
        if lstm:
            cs.append(state[1])
        if t in cut:
            state = detach(state)
    return hs, cs


def trace_from_states(loss: Tensor, hs: list[Tensor], cs: list[Tensor], **extra) -> Trace:
    """A ``Trace`` from replayed per-step states (each (B, H); ``cs`` empty but for the
    LSTM) and the loss computed from them; ``extra`` fills the Jacobian fields."""
    # Gradients with respect to the states only: the parameters' .grad stay untouched, and
    # autograd skips the weight-gradient work a training step would do.
    grads = torch.autograd.grad(loss, hs + cs, allow_unused=True, materialize_grads=True)
    return Trace(
        h=_batch_first(hs),
        dL_dh=_batch_first(grads[: len(hs)]),
        loss=loss.item(),
        c=_batch_first(cs) if cs else None,
        dL_dc=_batch_first(grads[len(hs) :]) if cs else None,
        **extra,
    )


def _batch_first(states: list[Tensor] | tuple[Tensor, ...]) -> Tensor:
    """Per-step tensors (B, H) stacked into (B, T, H), detached from the graph."""
    return torch.stack(list(states), dim=1).detach()


def _jacobians_to_last(hs: list[Tensor]) -> Tensor:
    """dh_T/dh_t for t = 1..T (sequence 0), one backward pass per component of h_T."""
    h_last = hs[-1][0]
    rows = []
    for i in range(h_last.numel()):
        grads = torch.autograd.grad(h_last[i], hs, retain_graph=True, allow_unused=True)
        rows.append(
            torch.stack(
                [
                    torch.zeros_like(h[0]) if g is None else g[0]
                    for g, h in zip(grads, hs, strict=True)
                ]
            )
        )
    return torch.stack(rows, dim=1).detach()  # (T, H, H): [t, i, j] = dh_T[i]/dh_t[j]


def rnn_jacobian_norms(
    w_hh: Tensor, steps: int, *, nonlinearity: str = "tanh", input_scale: float = 1.0, seed: int = 0
) -> Tensor:
    """||dh_t/dh_0||_2 for t = 1..steps of h_t = phi(W h_{t-1} + u_t), u_t ~ N(0, input_scale^2).

    The product of Jacobians diag(phi'(a_t)) W, formed exactly, one step at a time.
    ``nonlinearity="linear"`` gives plain powers of W (phi' = 1).
    """
    if w_hh.dim() != 2 or w_hh.shape[0] != w_hh.shape[1]:
        raise ValueError(f"w_hh must be a square matrix, got shape {tuple(w_hh.shape)}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    derivative = {
        "linear": lambda a: torch.ones_like(a),
        "tanh": lambda a: 1 - torch.tanh(a) ** 2,
        "relu": lambda a: (a > 0).to(a),
    }
    if nonlinearity not in derivative:
        raise ValueError(f"nonlinearity must be one of {sorted(derivative)}, got {nonlinearity!r}")
    phi = {"linear": lambda a: a, "tanh": torch.tanh, "relu": torch.relu}[nonlinearity]
    g = torch.Generator().manual_seed(seed)
    n = w_hh.shape[0]
    h = torch.zeros(n, dtype=w_hh.dtype)
    jac = torch.eye(n, dtype=w_hh.dtype)
    norms = []
    for _ in range(steps):
        a = w_hh @ h + input_scale * torch.randn(n, generator=g, dtype=w_hh.dtype)
        h = phi(a)
        jac = derivative[nonlinearity](a)[:, None] * (w_hh @ jac)
        norms.append(torch.linalg.matrix_norm(jac, ord=2))
    return torch.stack(norms)
