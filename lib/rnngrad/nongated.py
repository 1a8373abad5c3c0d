"""Recurrences that keep a gradient alive without gates, and truncated backpropagation.

The cells follow ``rnngrad.cells``: one step written as the textbook equations, batch-first
sequence modules with ``forward(x, state) -> (output, h_n)`` like ``nn.RNN``:

* ``LeakyRNN``: :math:`h_t = \\alpha \\odot h_{t-1} + (1-\\alpha) \\odot \\tanh(W_{ih} x_t + b_{ih}
  + W_{hh} h_{t-1} + b_{hh})`, a fixed leak per unit (a fixed timescale);
* ``IndRNN`` (Li et al., 2018): :math:`h_t = \\mathrm{ReLU}(W_{ih} x_t + b_{ih} + u \\odot h_{t-1})`,
  one recurrent weight per unit, optionally held inside :math:`|u| \\le \\gamma^{1/T}`;
* ``OrthogonalRNN`` (Arjovsky et al., 2016; here PyTorch's orthogonal parametrisation): a fused
  ``nn.RNN`` whose recurrent matrix stays exactly orthogonal while it trains;
* ``irnn_init_`` (Le et al., 2015): a ReLU ``nn.RNN`` started at :math:`W_{hh} = I`, :math:`b = 0`.

``make_variant`` builds any of these (and the fused tanh RNN, LSTM, GRU) as a
``SequenceModel`` with the same interface as ``rnngrad.make_model``. ``Truncated`` wraps a
model so that backpropagation stops ``k`` steps back (the forward pass is unchanged), and
``trace`` is the probe for all of them, with or without truncation.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import orthogonal

from .cells import _affine, cell_type, step_function
from .init import set_forget_bias_
from .model import SequenceModel
from .probe import Trace, trace_from_states
from .tasks import Task

VARIANTS = ("rnn", "lstm", "gru", "irnn", "orthogonal", "indrnn", "leaky")
State = Tensor | tuple[Tensor, Tensor]


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
    a = _affine(x, w_ih, b_ih) + _affine(h, w_hh, b_hh)  # (B, H)
    return alpha * h + (1 - alpha) * torch.tanh(a)


def indrnn_step(x: Tensor, h: Tensor, w_ih: Tensor, u: Tensor, b_ih: Tensor | None) -> Tensor:
    r"""IndRNN: :math:`h_t = \mathrm{ReLU}(W_{ih} x_t + b_{ih} + u \odot h_{t-1})`; u: (H,)."""
    return torch.relu(_affine(x, w_ih, b_ih) + u * h)


def _uniform_(tensors: list[Tensor], hidden_size: int) -> None:
    """nn.RNN's default: every weight and bias from U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1 / math.sqrt(hidden_size)
    with torch.no_grad():
        for t in tensors:
            t.uniform_(-bound, bound)


class _StepModule(nn.Module):
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


class LeakyRNN(_StepModule):
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
        a = _affine(x, self.weight_ih_l0, self.bias_ih_l0) + self.bias_hh_l0  # (B, T, H)
        w_hh, alpha = self.weight_hh_l0.t(), self.leak
        h = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0[0]
        outs = []
        for a_t in a.unbind(1):
            h = alpha * h + (1 - alpha) * torch.tanh(torch.addmm(a_t, h, w_hh))
            outs.append(h)
        return torch.stack(outs, dim=1), h.unsqueeze(0)


class IndRNN(_StepModule):
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
        a = _affine(x, self.weight_ih_l0, self.bias_ih_l0)  # (B, T, H)
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


def make_variant(
    cell: str,
    task: Task,
    hidden_size: int = 32,
    *,
    leak: float | Tensor = 0.9,
    bound: float | None = None,
    forget_bias: float | None = None,
    layers: int = 1,
) -> SequenceModel:
    """A ``SequenceModel`` for ``task`` with any recurrence of ``VARIANTS``: the fused
    ``rnn`` (tanh), ``lstm``, ``gru``, ``irnn`` (ReLU, identity start), ``orthogonal`` (tanh,
    orthogonal W_hh), ``indrnn`` (``bound`` on |u|) or ``leaky`` (fixed ``leak``);
    ``forget_bias`` sets an LSTM's forget-gate bias (PyTorch's default start when None);
    ``layers`` > 1 stacks IndRNN layers (``DeepIndRNN``, IndRNN only).
    ``model.cell`` is the variant's name; ``forward``, ``readout`` and ``head`` are the
    ``SequenceModel``'s, so the shared training loop and ``rnngrad.grid`` take it as is."""
    if cell not in VARIANTS:
        raise ValueError(f"unknown cell {cell!r}; expected one of {VARIANTS}")
    if layers != 1 and cell != "indrnn":
        raise ValueError(f"layers is for the IndRNN stack, not {cell!r}")
    base = cell if cell in ("lstm", "gru") else "rnn"
    relu = cell in ("irnn",)
    model = SequenceModel(
        base,
        task.input_size,
        hidden_size,
        task.output_size,
        per_step=task.per_step,
        nonlinearity="relu" if relu else "tanh",
    )
    if cell == "irnn":
        irnn_init_(model.rnn)
    elif cell == "orthogonal":
        model.rnn = OrthogonalRNN(task.input_size, hidden_size)
    elif cell == "indrnn" and layers > 1:
        model.rnn = DeepIndRNN(task.input_size, hidden_size, layers, bound=bound)
    elif cell == "indrnn":
        model.rnn = IndRNN(task.input_size, hidden_size, bound=bound)
    elif cell == "leaky":
        model.rnn = LeakyRNN(task.input_size, hidden_size, leak)
    if forget_bias is not None:
        if cell != "lstm":
            raise ValueError(f"forget_bias is for the LSTM, not {cell!r}")
        set_forget_bias_(model.rnn, forget_bias)
    model.cell = cell
    return model


def _check_k(k: int | None) -> None:
    if k is not None and (not isinstance(k, int) or isinstance(k, bool) or k < 1):
        raise ValueError(f"truncation k must be an int >= 1 (or None), got {k!r}")


def _detach(state: State) -> State:
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def _boundaries(T: int, k: int) -> list[tuple[int, int]]:
    """Chunks of the T steps, aligned on the *last* step: the last chunk is steps T-k+1..T."""
    ends = list(range(T, 0, -k))
    return [(max(end - k, 0), end) for end in reversed(ends)]


class Truncated(nn.Module):
    """``model`` trained with backpropagation truncated to ``k`` steps.

    The forward pass is the model's own (the same predictions); the recurrent state is
    detached every ``k`` steps, counted back from the last step, so the gradient of a loss
    at step T reaches the inputs x_{T-k+1}..x_T and no further. (For a per-step read-out, a
    loss at step t reaches back to the start of t's chunk: between 1 and k steps.)
    Parameters are the model's: train the wrapper, keep using the model.
    """

    def __init__(self, model: SequenceModel, k: int):
        super().__init__()
        _check_k(k)
        if k is None:
            raise ValueError("Truncated needs an int k >= 1; use the model itself for full BPTT")
        self.model, self.k = model, k
        self.cell = model.cell

    def forward(self, x: Tensor) -> Tensor:
        state, outs = None, []
        for start, end in _boundaries(x.shape[1], self.k):
            out, state = self.model.rnn(x[:, start:end], state)
            state = _detach(state)
            outs.append(out)
        return self.model.readout(torch.cat(outs, dim=1))


def truncate(model: SequenceModel, k: int | None) -> nn.Module:
    """``model`` itself for k = None (full BPTT), else ``Truncated(model, k)``."""
    _check_k(k)
    return model if k is None else Truncated(model, k)


def _step(rnn: nn.Module):
    return rnn.step if isinstance(rnn, _StepModule) else step_function(rnn)


def trace(
    model: SequenceModel, task: Task, x: Tensor, y: Tensor, *, truncate: int | None = None
) -> Trace:
    """``rnngrad.probe`` for every ``make_variant`` model (one layer), with the option of
    truncated backpropagation: ``dL_dh[:, t]`` is then the gradient that BPTT(k) uses (zero
    beyond k steps from a loss). Batch-first x: (B, T, d)."""
    _check_k(truncate)
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, input_size), got {tuple(x.shape)}")
    rnn = model.rnn
    if getattr(rnn, "num_layers", 1) != 1:
        raise ValueError("trace takes one-layer models")
    step, lstm = _step(rnn), model.cell == "lstm"
    T = x.shape[1]
    cut = {end for _, end in _boundaries(T, truncate)} if truncate else set()
    h = x.new_zeros(x.shape[0], rnn.hidden_size)
    state: State = (h, h) if lstm else h
    hs, cs = [], []
    for t, x_t in enumerate(x.unbind(1), start=1):
        state = step(x_t, state)
        hs.append(state[0] if lstm else state)
        if lstm:
            cs.append(state[1])
        if t in cut:
            state = _detach(state)
    loss = task.loss(model.readout(torch.stack(hs, dim=1)), y)
    return trace_from_states(loss, hs, cs)


def grid_variants(
    variants: dict[str, dict],
    task: Task,
    *,
    steps: int,
    seeds=(0,),
    hidden_size: int = 16,
    workers: int | None = None,
    **train_kwargs,
):
    """``rnngrad.grid`` for ``make_variant`` models: ``variants`` maps a label (the runs'
    ``setting``) to ``make_variant``'s keywords, e.g. ``{"leaky 0.9": {"cell": "leaky",
    "leak": 0.9}}``; the key ``"truncate": k`` trains with BPTT(k). Each model is built under
    ``torch.manual_seed(seed)`` and trained by ``rnngrad.train(..., seed=seed)`` with one
    thread; like ``rnngrad.grid``, ``workers`` processes (default: one per core on the CPU)
    train the runs side by side and give the same numbers as ``workers=1``."""
    from .sweep import Run, run_jobs

    seeds = list(seeds)
    if not variants or not seeds:
        raise ValueError("grid_variants needs at least one variant and one seed")
    combos = [(label, dict(spec), task, seed) for label, spec in variants.items() for seed in seeds]
    job = _VariantJob(steps, hidden_size, train_kwargs)
    results = run_jobs(job, combos, workers=workers, device=train_kwargs.get("device"))
    return [
        Run(model.cell, label, seed, task, model, history)
        for (label, _, task, seed), (model, history) in zip(combos, results, strict=True)
    ]


class _VariantJob:
    """What every run of one ``grid_variants`` call shares (inherited by forked workers)."""

    def __init__(self, steps: int, hidden_size: int, train_kwargs: dict):
        self.steps, self.hidden_size, self.train_kwargs = steps, hidden_size, train_kwargs

    def build(self, label: str, spec: dict, task: Task, seed: int) -> SequenceModel:
        spec = {k: v for k, v in spec.items() if k != "truncate"}
        torch.manual_seed(seed)
        return make_variant(task=task, hidden_size=self.hidden_size, **spec)

    def run(self, combo: tuple):
        from .device import one_thread
        from .train import train

        label, spec, task, seed = combo
        with one_thread():  # the same arithmetic in this process and in a worker
            model = self.build(*combo)
            forward = truncate(model, spec.get("truncate"))
            history = train(
                forward, task, self.steps, seed=seed, progress=False, **self.train_kwargs
            )
        return model, history


def deep_reach(
    cell: str,
    layers: int,
    steps: int,
    *,
    hidden_size: int = 32,
    batch: int = 16,
    gamma: float = 2.0,
    epsilon: float = 0.01,
    seed: int = 0,
) -> Tensor:
    """Reach through depth and time of a random stack of ``layers`` one-layer recurrences on
    ``steps`` steps of U(0, 1) input: ``||dL/dx_t||`` over t (every path, through every
    layer and step), divided by its value at the last step, for L = a fixed random read-out
    of the top layer's last state. Float64, denormals flushed (a vanished gradient is 0).

    ``cell`` is ``"indrnn"`` (ReLU, every u drawn from the band [epsilon^(1/T),
    gamma^(1/T)] that keeps each unit's gain over T steps between epsilon and gamma, Li et
    al., 2018) or ``"rnn"`` (tanh, ``nn.RNN``'s default start)."""
    if cell not in ("indrnn", "rnn"):
        raise ValueError(f"cell must be 'indrnn' or 'rnn', got {cell!r}")
    if not isinstance(layers, int) or layers < 1 or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"layers and steps must be ints >= 1, got {layers!r}, {steps!r}")
    torch.manual_seed(seed)
    low, high = epsilon ** (1 / steps), indrnn_bound(steps, gamma)
    if cell == "indrnn":
        stack = DeepIndRNN(1, hidden_size, layers, bound=high)
        with torch.no_grad():
            for layer in stack.layers:
                layer.weight_hh_l0.uniform_(low, high)
    else:
        stack = nn.RNN(1, hidden_size, num_layers=layers, batch_first=True)
    stack = stack.double()
    x = torch.rand(batch, steps, 1, dtype=torch.float64, requires_grad=True)
    readout = torch.randn(hidden_size, dtype=torch.float64)
    flush = torch.set_flush_denormal(True)  # a vanished gradient: denormals are only slow
    try:
        h, _ = stack(x)  # (batch, steps, hidden): the top layer's states
        (grad,) = torch.autograd.grad((h[:, -1] @ readout).sum(), x)
    finally:
        if flush:
            torch.set_flush_denormal(False)
    norms = grad.norm(dim=(0, 2))  # (T,)
    return (norms / norms[-1]).detach()
