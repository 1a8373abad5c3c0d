"""The instrument behind every gradient-flow figure: replay a model step by step and keep
every hidden state, its loss gradient and, on request, the Jacobians back to each step."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .cells import replay
from .model import SequenceModel
from .tasks import Task


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
        """||dL/dh_t|| averaged over the batch: one number per step, shape (T,)."""
        return self.dL_dh.norm(dim=-1).mean(0)

    def reach(self) -> float:
        """How much of the gradient gets back to the first step: ||dL/dh_1|| / ||dL/dh_T||."""
        norms = self.gradient_norms()
        return (norms[0] / norms[-1]).item()


def probe(
    model: SequenceModel, task: Task, x: Tensor, y: Tensor, *, jacobians: bool = False
) -> Trace:
    """Replay ``model`` on (x, y) through ``rnngrad.cells`` with the model's own parameters."""
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, input_size), got {tuple(x.shape)}")
    rnn = model.rnn
    last = replay(rnn, x.transpose(0, 1))[-1]  # the last layer's states, time first
    hs, cs = last.h, last.c or []
    seq = torch.stack(hs)  # (T, B, H)
    loss = task.loss(model.readout(seq.transpose(0, 1)), y)
    jac = sv = None
    if jacobians:
        jac = _jacobians_to_last(hs)
        sv = torch.linalg.svdvals(jac)
    return trace_from_states(loss, hs, cs, jacobians=jac, singular_values=sv)


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
