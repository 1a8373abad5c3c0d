"""One time step of each recurrent cell, written as the textbook equations.

The parameters use PyTorch's own layout, so a trained ``nn.RNN``/``nn.LSTM``/``nn.GRU``
(fused, fast) can be replayed step by step here (slow, but every intermediate is visible):

* LSTM: ``weight_ih`` stacks the gates in the order i, f, g, o (each ``hidden`` rows).
* GRU:  ``weight_ih`` stacks r, z, n; the hidden bias of n sits *inside* the reset product.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

CELL_TYPES = ("rnn", "lstm", "gru")


def rnn_step(
    x: Tensor,
    h: Tensor,
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
    nonlinearity: str = "tanh",
) -> Tensor:
    r"""Elman RNN:  :math:`h_t = \phi(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})`,
    with :math:`\phi` = tanh or ReLU."""
    a = affine(x, w_ih, b_ih) + affine(h, w_hh, b_hh)
    if nonlinearity == "tanh":
        return torch.tanh(a)
    if nonlinearity == "relu":
        return torch.relu(a)
    raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


def lstm_step(
    x: Tensor,
    state: tuple[Tensor, Tensor],
    w_ih: Tensor,
    w_hh: Tensor,
    b_ih: Tensor | None,
    b_hh: Tensor | None,
) -> tuple[Tensor, Tensor]:
    r"""LSTM (PyTorch's gate order i, f, g, o):

    .. math::
        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t &= o_t \odot \tanh(c_t)
    """
    h, c = state
    i, f, g, o = lstm_gates(x, h, w_ih, w_hh, b_ih, b_hh)
    c = f * c + i * g
    h = o * torch.tanh(c)
    return h, c


def lstm_gates(
    x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """The LSTM's gate activations (i, f, g, o) for input x_t and previous output h_{t-1}."""
    i, f, g, o = (affine(x, w_ih, b_ih) + affine(h, w_hh, b_hh)).chunk(4, dim=-1)
    return torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)


def gru_step(
    x: Tensor, h: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None, b_hh: Tensor | None
) -> Tensor:
    r"""GRU (PyTorch's convention: z keeps the *old* state):

    .. math::
        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
    """
    xr, xz, xn = affine(x, w_ih, b_ih).chunk(3, dim=-1)
    hr, hz, hn = affine(h, w_hh, b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def affine(x: Tensor, w: Tensor, b: Tensor | None) -> Tensor:
    """x W^T + b, the affine map every gate starts from (modules built with bias=False pass None).
    For a batch of vectors this is one fused ``addmm``, which keeps the step-by-step replay fast."""
    if b is None:
        return x @ w.T
    return torch.addmm(b, x, w.T) if x.dim() == 2 else x @ w.T + b


def cell_type(module: nn.Module) -> str:
    """'rnn', 'lstm' or 'gru' for a PyTorch recurrent module or cell."""
    if isinstance(module, (nn.LSTM, nn.LSTMCell)):
        return "lstm"
    if isinstance(module, (nn.GRU, nn.GRUCell)):
        return "gru"
    if isinstance(module, (nn.RNN, nn.RNNCell)):
        return "rnn"
    raise TypeError(f"expected nn.RNN/LSTM/GRU or their *Cell, got {type(module).__name__}")


def layer_parameters(
    module: nn.Module, layer: int = 0
) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
    """(w_ih, w_hh, b_ih, b_hh) of one layer, the *same* tensors the module trains."""
    suffix = "" if isinstance(module, nn.RNNCellBase) else f"_l{layer}"
    if not isinstance(module, nn.RNNCellBase) and not 0 <= layer < module.num_layers:
        raise ValueError(f"layer must be in [0, {module.num_layers}), got {layer}")
    if getattr(module, "proj_size", 0):
        raise ValueError("LSTMs with proj_size > 0 are not supported")
    if getattr(module, "bidirectional", False):
        raise ValueError("bidirectional modules are not supported")
    names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    w_ih, w_hh, b_ih, b_hh = (getattr(module, name + suffix, None) for name in names)
    return w_ih, w_hh, b_ih, b_hh


def step_function(module: nn.Module, layer: int = 0):
    """A function ``state -> x -> state`` for one layer, closing over its parameters."""
    kind = cell_type(module)
    params = layer_parameters(module, layer)
    if kind == "lstm":
        return lambda x, state: lstm_step(x, state, *params)
    if kind == "gru":
        return lambda x, h: gru_step(x, h, *params)
    return lambda x, h: rnn_step(x, h, *params, nonlinearity=module.nonlinearity)


@dataclass
class LayerStates:
    """The states one layer visited at t = 1..T, each of shape (B, H); ``c`` for the LSTM."""

    h: list[Tensor]
    c: list[Tensor] | None = None


def replay(
    module: nn.Module, x: Tensor, state: Tensor | tuple[Tensor, Tensor] | None = None
) -> list[LayerStates]:
    """Replay a fused ``nn.RNN``/``nn.LSTM``/``nn.GRU`` step by step through the cells above,
    with the module's own parameters, and keep every state of every layer.

    ``x`` is time first, (T, B, input_size); ``state`` is the module's initial state
    (h_0, or (h_0, c_0) for the LSTM, each (layers, B, H)), zeros when None. The states stay
    in autograd's graph, so ``torch.autograd.grad(loss, states.h)`` gives dL/dh_t.
    """
    kind = cell_type(module)
    if isinstance(module, nn.RNNCellBase):
        raise TypeError("replay takes a sequence module; call step_function(cell) for a *Cell")
    if x.dim() != 3 or x.shape[-1] != module.input_size:
        raise ValueError(f"x must have shape (T, B, {module.input_size}), got {tuple(x.shape)}")
    if state is None:
        zeros = x.new_zeros(module.num_layers, x.shape[1], module.hidden_size)
        state = (zeros, zeros) if kind == "lstm" else zeros
    layers, seq = [], x
    for layer in range(module.num_layers):
        step = step_function(module, layer)
        s = (state[0][layer], state[1][layer]) if kind == "lstm" else state[layer]
        hs, cs = [], []
        for x_t in seq:  # x_t: (B, input) for layer 0, (B, H) above
            s = step(x_t, s)
            hs.append(s[0] if kind == "lstm" else s)
            if kind == "lstm":
                cs.append(s[1])
        layers.append(LayerStates(hs, cs if kind == "lstm" else None))
        seq = torch.stack(hs)  # (T, B, H): the next layer's input
    return layers


def unroll(module: nn.Module, x: Tensor, state: Tensor | tuple[Tensor, Tensor] | None = None):
    """Run a fused module's forward pass through ``replay``.

    Takes and returns exactly what the module's ``forward`` does (``output, h_n`` or
    ``output, (h_n, c_n)``), so the two can be compared tensor for tensor.
    """
    if isinstance(module, nn.RNNCellBase):
        raise TypeError("unroll takes a sequence module; call step_function(cell) for a *Cell")
    if x.dim() != 3 or x.shape[-1] != module.input_size:
        raise ValueError(
            f"x must have shape (T, B, {module.input_size}) "
            f"(or (B, T, {module.input_size}) with batch_first), got {tuple(x.shape)}"
        )
    layers = replay(module, x.transpose(0, 1) if module.batch_first else x, state)
    out = torch.stack(layers[-1].h)  # (T, B, H)
    out = out.transpose(0, 1) if module.batch_first else out
    h_n = torch.stack([layer.h[-1] for layer in layers])
    if layers[0].c is None:
        return out, h_n
    return out, (h_n, torch.stack([layer.c[-1] for layer in layers]))
