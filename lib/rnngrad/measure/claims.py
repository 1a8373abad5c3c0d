"""The measurements behind the popular explanations that Part IV puts to the test.

Each function measures one thing at a size the caller picks: the chapter runs them at
book size, the tests at a small size, so a library change that flips a verdict fails CI.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor, nn

from ..cells.gated import layer_parameters, lstm_gates, lstm_step, replay
from ..cells.init import set_forget_bias_
from ..core.tasks import AddingProblem
from ..models.registry import make_model
from .jacobians import lstm_path_split
from .probe import probe


def random_lstm(hidden: int = 32, recurrent_scale: float = 1.0, seed: int = 0) -> nn.LSTM:
    """An LSTM with PyTorch's default initialisation (input size = hidden size), its
    recurrent weights multiplied by ``recurrent_scale``; float64 for clean derivatives."""
    torch.manual_seed(seed)
    lstm = nn.LSTM(hidden, hidden).double()
    with torch.no_grad():
        lstm.weight_hh_l0.mul_(recurrent_scale)
    return lstm


def one_step_derivatives(lstm: nn.LSTM, seed: int = 0) -> dict[str, Tensor]:
    """At a random state, the Jacobians of one LSTM step's new cell c_t with respect to the
    old cell c_{t-1} (``dc_dc``: including the path through h_{t-1} = o_{t-1} tanh c_{t-1};
    ``dc_dc_at_h``: with h_{t-1} held fixed, the diagonal path alone), the input x_t and
    h_{t-1}, and the forget activation f_t (the diagonal path's factor)."""
    g = torch.Generator().manual_seed(seed)
    n = lstm.hidden_size
    x = torch.randn(n, generator=g, dtype=torch.float64)
    c_prev = torch.randn(n, generator=g, dtype=torch.float64)
    o_prev = torch.rand(n, generator=g, dtype=torch.float64)
    params = layer_parameters(lstm)

    def cell(x, h, c):
        return lstm_step(x, (h, c), *params)[1]

    h_prev = o_prev * torch.tanh(c_prev)
    d_c = torch.autograd.functional.jacobian(lambda c: cell(x, o_prev * torch.tanh(c), c), c_prev)
    d_x, d_h, d_c_at_h = torch.autograd.functional.jacobian(cell, (x, h_prev, c_prev))
    with torch.no_grad():
        f = lstm_gates(x, h_prev, *params)[1]
    return {"dc_dc": d_c.detach(), "dc_dc_at_h": d_c_at_h, "dc_dx": d_x, "dc_dh": d_h, "f": f}


@torch.no_grad()
def forget_activations(lstm: nn.LSTM, x: Tensor) -> Tensor:
    """f_t of the first layer for a batch-first input (B, T, input): shape (B, T, H).
    f_t reads h_{t-1}, so the replayed outputs are shifted by one step (h_0 = 0)."""
    params = layer_parameters(lstm)
    h = torch.stack(replay(lstm, x.transpose(0, 1))[0].h)  # (T, B, H)
    h_prev = torch.cat([torch.zeros_like(h[:1]), h[:-1]])
    return lstm_gates(x, h_prev.transpose(0, 1), *params)[1]


def elementwise_gating(forget: Tensor, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Carry a random gradient g back through the forget gates of one sequence, f: (T, H),
    g_k = g * f_T * ... * f_{T-k+1}. Returns ||g_k|| / ||g|| and cos(g_k, g), k = 1..T."""
    g = torch.randn(forget.shape[1], generator=torch.Generator().manual_seed(seed)).to(forget)
    carried = g * torch.cumprod(forget.flip(0), dim=0)
    ratio = carried.norm(dim=1) / g.norm()
    cosine = (carried @ g) / (carried.norm(dim=1) * g.norm())
    return ratio, cosine


def forget_gate_decay(
    forget_bias: float, steps: int = 60, hidden: int = 16, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(closed form, measured) decay of the cell-state gradient over lags 0..steps-1.

    Closed form: sigma(b_f)^lag, the diagonal path with zero weights. Measured: a real LSTM
    (PyTorch's default random weights, forget bias b_f) replayed by ``probe`` on the adding
    problem; ||dL/dc_{T-lag}|| / ||dL/dc_T|| averaged over a batch.
    """
    torch.manual_seed(seed)
    task = AddingProblem(T=steps)
    model = make_model("lstm", task, hidden_size=hidden)
    set_forget_bias_(model.rnn, forget_bias)
    x, y = task.sample(32, torch.Generator().manual_seed(seed))
    # In float64: at b_f = -2, sigma(b_f)^60 ~ 1e-55 is below what float32 can hold.
    norms = probe(model, task, x, y, dtype=torch.float64).cell_gradient_norms().numpy()
    measured = norms[::-1] / norms[-1]
    closed = (1 / (1 + math.exp(-forget_bias))) ** np.arange(steps)
    return closed, measured


# ------------------------------------------------------------------------------------------
# Measures for chapters 10 and 11, defined once (issue: one consistent set of numbers).


def reach_at(norms: Tensor, position: int) -> float:
    """||dL/dh_position|| / ||dL/dh_T|| from per-step gradient norms (``Trace.gradient_norms()``),
    ``position`` 0-based: measure at the step that holds the information (e.g. the cue),
    not at word 1."""
    if not -len(norms) <= position < len(norms):
        raise ValueError(f"position {position} outside 0..{len(norms) - 1}")
    return (norms[position] / norms[-1]).item()


def geometric_mean_forget(forget: Tensor) -> float:
    """exp(mean log f): the per-step factor of the diagonal path on average. Ratios spanning
    orders of magnitude average geometrically; the arithmetic mean of f overstates it."""
    return math.exp(float(torch.log(forget.double()).mean()))


def diagonal_path_share(lstm: nn.LSTM, x: Tensor, grad_h_T: Tensor, lag: int) -> float:
    """The share of dL/dc_{T-lag} that came along diag(f) alone, by the one definition the
    book uses (chapter 3): ||diagonal|| / (||diagonal|| + ||W-paths||). ``x``: (T, input)."""
    split = lstm_path_split(lstm, x.to(grad_h_T.dtype), grad_h_T)
    return split.direct_share()[lag].item()


def reaches_performance(verdicts: dict, rival: str) -> str:
    """Claim 9's rule for "the cell reaches the ``rival``'s performance", from one verdict of
    the book's rule per task (a ``Verdict``, a ``Comparison`` holding one, or None for a task
    not compared yet): "does not hold" if the rival was better on any task; "holds" if every
    task was decided and the rival was better on none (a task the cell won counts for the
    claim: to reach a performance includes to exceed it); otherwise "not decided" (an
    inconclusive task decides nothing either way)."""
    winners = [
        getattr(v, "verdict", v).winner if v is not None else None for v in verdicts.values()
    ]
    if rival in winners:
        return "does not hold"
    return "holds" if winners and None not in winners else "not decided"
