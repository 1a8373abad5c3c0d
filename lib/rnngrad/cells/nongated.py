"""Recurrences that keep a gradient alive without gates, and truncated backpropagation.

The cells follow ``rnngrad.cells``: one step written as the textbook equations, batch-first
sequence modules with ``forward(x, state) -> (output, h_n)`` like ``nn.RNN``:

* ``LeakyRNN``: :math:`h_t = \\alpha \\odot h_{t-1} + (1-\\alpha) \\odot \\tanh(W_{ih} x_t + b_{ih}
  + W_{hh} h_{t-1} + b_{hh})`, a fixed leak per unit (a fixed timescale);
* ``IndRNN`` (Li et al., 2018): :math:`h_t = \\mathrm{ReLU}(W_{ih} x_t + b_{ih} + u \\odot h_{t-1})`,
  one recurrent weight per unit, optionally held inside :math:`|u| \\le \\gamma^{1/T}`;
* ``OrthogonalRNN`` (Arjovsky et al., 2016; here PyTorch's orthogonal parametrisation): a fused
  ``nn.RNN`` whose recurrent matrix stays exactly orthogonal while it trains;
* ``irnn_init_`` (Le et al., 2015): a ReLU ``nn.RNN`` started at :math:`W_{hh} = I`, :math:`b = 0`;
* ``modrelu`` (Arjovsky et al., 2016): the unitary RNN's nonlinearity on a complex unit.

``rnngrad.models`` registers each of them under a cell name; ``rnngrad.measure.probe`` looks
inside all of them.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import orthogonal

from .gated import affine, cell_type


def check_leak(leak: float | Tensor) -> Tensor:
    """The leak alpha as a tensor; every value must lie strictly inside (0, 1)."""
    alpha = torch.as_tensor(leak, dtype=torch.get_default_dtype())
    if not torch.isfinite(alpha).all() or not ((alpha > 0) & (alpha < 1)).all():
        raise ValueError(f"leak must lie strictly between 0 and 1, got {alpha.tolist()}")
    return alpha


def indrnn_bound(steps: int, gamma: float = 2.0) -> float:
    """The largest |u| for which u^steps <= gamma: gamma^(1/steps) (Li et al., 2018)."""
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be an int >= 1, got {steps!r}")
    if not (math.isfinite(gamma) and gamma > 0):
        raise ValueError(f"gamma (the largest gradient gain allowed) must be > 0, got {gamma!r}")
    return gamma ** (1 / steps)


def leaky_step(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    alpha: Tensor,
) -> Tensor:
    r"""Leaky tanh unit: :math:`h_t = \alpha \odot h_{t-1} + (1 - \alpha) \odot
    \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`.  x: (B, d), h: (B, H), alpha: (H,)."""
    a = affine(x, w_ih, b_ih) + affine(h, w_hh, b_hh)  # (B, H)
    return alpha * h + (1 - alpha) * torch.tanh(a)


def modrelu(z: Tensor, b: Tensor | float) -> Tensor:
    r""":math:`\operatorname{modReLU}(z) = \mathrm{ReLU}(|z| + b)\,z/|z|` on complex ``z``
    (element-wise): the modulus shifted by ``b`` and cut at 0, the phase kept. At ``z = 0``
    the phase is undefined and the output is 0."""
    if not torch.is_complex(z):
        raise ValueError(f"modrelu needs a complex tensor, got {z.dtype}")
    r = z.abs()
    scale = torch.relu(r + b) / torch.where(r > 0, r, torch.ones_like(r))
    return torch.where(r > 0, scale, torch.zeros_like(r)) * z


def indrnn_step(x: Tensor, h: Tensor, w_ih: Tensor, u: Tensor, b_ih: Tensor | None) -> Tensor:
    r"""IndRNN: :math:`h_t = \mathrm{ReLU}(W_{ih} x_t + b_{ih} + u \odot h_{t-1})`; u: (H,)."""
    return torch.relu(affine(x, w_ih, b_ih) + u * h)


def _uniform_(tensors: list[Tensor], hidden_size: int) -> None:
    """nn.RNN's default: every weight and bias from U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1 / math.sqrt(hidden_size)
    with torch.no_grad():
        for t in tensors:
            t.uniform_(-bound, bound)


class StepModule(nn.Module):
    """A one-layer, batch-first recurrent module run one ``step`` at a time."""

    input_size: int
    hidden_size: int
    num_layers = 1
    batch_first = True

    def step(self, x: Tensor, h: Tensor) -> Tensor:
        raise NotImplementedError

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """x: (B, T, input_size); h0: (1, B, H) or None. Returns (output (B, T, H), h_n (1, B, H))."""
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (B, T, {self.input_size}), got {tuple(x.shape)}")
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for x_t in x.unbind(1):
            h = self.step(x_t, h)
            outs.append(h)
        return torch.stack(outs, dim=1), h.unsqueeze(0)


class LeakyRNN(StepModule):
    r"""A leaky tanh RNN with a *fixed* leak per unit (not trained):

    .. math::
        h_t = \alpha \odot h_{t-1} + (1 - \alpha) \odot
              \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    Parameters are named and initialised like ``nn.RNN``'s (``weight_ih_l0`` ...); ``leak``
    is one alpha for every unit or one per unit, each strictly inside (0, 1).
    """

    def __init__(self, input_size: int, hidden_size: int, leak: float | Tensor = 0.9):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        alpha = check_leak(leak)
        if alpha.dim() > 1 or alpha.numel() not in (1, hidden_size):
            raise ValueError(f"leak must be one number or {hidden_size} numbers, got {alpha.shape}")
        self.register_buffer("leak", alpha.expand(hidden_size).clone())  # (H,)
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.empty(hidden_size))
        _uniform_(list(self.parameters()), hidden_size)

    def step(self, x: Tensor, h: Tensor) -> Tensor:
        w = (self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0)
        return leaky_step(x, h, *w, self.leak)

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        # leaky_step, with the input map for every step at once (one matmul) and the
        # recurrent bias folded into it: the same numbers, less per-step work.
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (B, T, {self.input_size}), got {tuple(x.shape)}")
        a = affine(x, self.weight_ih_l0, self.bias_ih_l0) + self.bias_hh_l0  # (B, T, H)
        w_hh, alpha = self.weight_hh_l0.t(), self.leak
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for a_t in a.unbind(1):
            h = alpha * h + (1 - alpha) * torch.tanh(torch.addmm(a_t, h, w_hh))
            outs.append(h)
        return torch.stack(outs, dim=1), h.unsqueeze(0)


class IndRNN(StepModule):
    r"""Independently recurrent network (Li et al., 2018), one layer:

    .. math:: h_t = \mathrm{ReLU}(W_{ih} x_t + b_{ih} + u \odot h_{t-1})

    Each unit has one recurrent weight :math:`u_j` (``weight_hh_l0``, shape (H,)), so
    :math:`\partial h_T/\partial h_t` is diagonal with entries :math:`\prod u_j \phi'`.
    With ``bound`` set, the step uses :math:`u` clamped to :math:`[-\text{bound},
    \text{bound}]` (e.g. ``indrnn_bound(T, gamma)``), and :math:`u` starts from
    U(0, bound); without it, from U(0, 1) as in the authors' code.
    """

    def __init__(self, input_size: int, hidden_size: int, bound: float | None = None):
        super().__init__()
        if bound is not None and not (math.isfinite(bound) and bound >= 0):
            raise ValueError(f"bound must be a finite number >= 0 (or None), got {bound!r}")
        self.input_size, self.hidden_size, self.bound = input_size, hidden_size, bound
        self.weight_ih_l0 = nn.Parameter(torch.empty(hidden_size, input_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(hidden_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(hidden_size))  # u: (H,)
        _uniform_([self.weight_ih_l0, self.bias_ih_l0], hidden_size)
        with torch.no_grad():
            self.weight_hh_l0.uniform_(0, 1 if bound is None else bound)

    @property
    def recurrent_weight(self) -> Tensor:
        """u as the step uses it (clamped to the bound when there is one)."""
        u = self.weight_hh_l0
        return u if self.bound is None else u.clamp(-self.bound, self.bound)

    def step(self, x: Tensor, h: Tensor) -> Tensor:
        return indrnn_step(x, h, self.weight_ih_l0, self.recurrent_weight, self.bias_ih_l0)

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        # The input map for every step at once (one matmul), then the cheap element-wise loop.
        if x.dim() != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x must have shape (B, T, {self.input_size}), got {tuple(x.shape)}")
        a = affine(x, self.weight_ih_l0, self.bias_ih_l0)  # (B, T, H)
        u = self.recurrent_weight
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for a_t in a.unbind(1):
            h = torch.relu(a_t + u * h)
            outs.append(h)
        return torch.stack(outs, dim=1), h.unsqueeze(0)


class DeepIndRNN(nn.Module):
    """``layers`` IndRNN layers stacked, each feeding its outputs to the next (Li et al.,
    2018, without their batch normalisation between layers): units talk to each other only
    through the layers' input maps, never through time. ``forward(x) -> (output of the top
    layer (B, T, H), h_n (layers, B, H))``, like a multi-layer ``nn.RNN``."""

    batch_first = True

    def __init__(self, input_size: int, hidden_size: int, layers: int, bound: float | None = None):
        super().__init__()
        if not isinstance(layers, int) or layers < 1:
            raise ValueError(f"layers must be an int >= 1, got {layers!r}")
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, layers
        sizes = [input_size] + [hidden_size] * (layers - 1)
        self.layers = nn.ModuleList(IndRNN(n, hidden_size, bound=bound) for n in sizes)

    def forward(self, x: Tensor, h0: Tensor | None = None) -> tuple[Tensor, Tensor]:
        # x: (B, T, input_size); h0: (layers, B, H) or None
        finals = []
        for i, layer in enumerate(self.layers):
            x, h_n = layer(x, None if h0 is None else h0[i : i + 1])
            finals.append(h_n)
        return x, torch.cat(finals)


class OrthogonalRNN(nn.RNN):
    r"""A fused ``nn.RNN`` (batch first) whose recurrent matrix is orthogonal at every step
    of training, :math:`h_t = \phi(W_{ih} x_t + b_{ih} + Q h_{t-1} + b_{hh})` with
    :math:`Q^\top Q = I`, through ``torch.nn.utils.parametrizations.orthogonal``
    (``orthogonal_map`` "matrix_exp" or "cayley"). ``rnngrad.cells`` and the probe replay it
    like any ``nn.RNN``: reading ``weight_hh_l0`` returns Q.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        orthogonal_map: str = "matrix_exp",
    ):
        super().__init__(input_size, hidden_size, 1, nonlinearity=nonlinearity, batch_first=True)
        orthogonal(self, "weight_hh_l0", orthogonal_map=orthogonal_map)


@torch.no_grad()
def irnn_init_(module: nn.RNN, scale: float = 1.0) -> nn.RNN:
    """IRNN start (Le, Jaitly & Hinton, 2015): W_hh = scale * I and zero biases, for a ReLU
    ``nn.RNN``."""
    if cell_type(module) != "rnn" or module.nonlinearity != "relu":
        raise ValueError("the IRNN start is for a ReLU nn.RNN")
    if not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"scale must be > 0, got {scale!r}")
    for layer in range(module.num_layers):
        getattr(module, f"weight_hh_l{layer}").copy_(torch.eye(module.hidden_size) * scale)
        for name in ("bias_ih", "bias_hh"):
            getattr(module, f"{name}_l{layer}").zero_()
    return module
