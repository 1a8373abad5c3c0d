"""Initialisations the book studies: prescribed singular values and forget-gate biases."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .gated import cell_type, layer_parameters


def random_orthogonal(
    n: int, generator: torch.Generator | None = None, dtype: torch.dtype = torch.float64
) -> Tensor:
    """A Haar-random n x n orthogonal matrix (QR of a Gaussian, signs fixed)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    q, r = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=dtype))
    return q * torch.sign(torch.diagonal(r))


def with_singular_values(
    singular_values: Sequence[float] | Tensor,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """A square matrix U diag(s) V^T with the given singular values and random U, V."""
    s = torch.as_tensor(singular_values, dtype=dtype).flatten()
    if s.numel() == 0:
        raise ValueError("singular_values must not be empty")
    if not torch.isfinite(s).all() or (s < 0).any():
        raise ValueError(f"singular_values must be finite and >= 0, got {s.tolist()}")
    u = random_orthogonal(len(s), generator, dtype)
    v = random_orthogonal(len(s), generator, dtype)
    return u @ torch.diag(s) @ v.T


def scaled_orthogonal(
    n: int,
    gain: float = 1.0,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """gain * Q: every singular value equals ``gain``."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    return with_singular_values([gain] * n, generator, dtype)


@torch.no_grad()
def set_recurrent_singular_values_(
    module: nn.Module,
    singular_values: Sequence[float] | float,
    generator: torch.Generator | None = None,
    layer: int = 0,
) -> nn.Module:
    """Overwrite ``weight_hh`` of an RNN layer (each gate block of an LSTM/GRU) so that it
    has the given singular values; a single number means scaled orthogonal."""
    _, w_hh, _, _ = layer_parameters(module, layer)
    n = w_hh.shape[1]
    if isinstance(singular_values, (int, float)):
        singular_values = [float(singular_values)] * n
    if len(singular_values) != n:
        raise ValueError(
            f"singular_values needs {n} values (hidden size), got {len(singular_values)}"
        )
    blocks = w_hh.shape[0] // n
    w_hh.copy_(torch.cat([with_singular_values(singular_values, generator) for _ in range(blocks)]))
    return module


def _lstm_biases(module: nn.Module, layer: int) -> tuple[Tensor, Tensor, int]:
    if cell_type(module) != "lstm":
        raise ValueError(f"a forget-gate bias needs an LSTM, got {type(module).__name__}")
    _, w_hh, b_ih, b_hh = layer_parameters(module, layer)
    if b_ih is None:
        raise ValueError("the LSTM was built with bias=False; it has no forget-gate bias")
    return b_ih, b_hh, w_hh.shape[1]


@torch.no_grad()
def set_forget_bias_(module: nn.Module, value: float, layer: int | None = None) -> nn.Module:
    """Make the forget gate's total bias (b_if + b_hf) equal ``value`` in every layer
    (or one). Gate order i, f, g, o: the forget slice is rows [H, 2H)."""
    if not math.isfinite(value):
        raise ValueError(f"forget bias must be finite, got {value}")
    for k in [layer] if layer is not None else range(getattr(module, "num_layers", 1)):
        b_ih, b_hh, h = _lstm_biases(module, k)
        b_ih[h : 2 * h] = value
        b_hh[h : 2 * h] = 0.0
    return module


@torch.no_grad()
def set_update_bias_(module: nn.Module, value: float) -> nn.Module:
    """Make the GRU update gate's total bias (b_iz + b_hz) equal ``value`` in every layer.
    Gate order r, z, n: the update slice is rows [H, 2H). In PyTorch's convention z keeps
    the old state, so a positive bias plays the role of the LSTM's forget bias."""
    if cell_type(module) != "gru":
        raise ValueError(f"an update-gate bias needs a GRU, got {type(module).__name__}")
    if not math.isfinite(value):
        raise ValueError(f"update bias must be finite, got {value}")
    for k in range(getattr(module, "num_layers", 1)):
        _, w_hh, b_ih, b_hh = layer_parameters(module, k)
        if b_ih is None:
            raise ValueError("the GRU was built with bias=False; it has no update-gate bias")
        h = w_hh.shape[1]
        b_ih[h : 2 * h] = value
        b_hh[h : 2 * h] = 0.0
    return module


@torch.no_grad()
def chrono_init_(
    module: nn.Module, t_max: int, generator: torch.Generator | None = None
) -> nn.Module:
    """Chrono initialisation (Tallec & Ollivier, 2018): b_f = log U[1, T_max - 1], b_i = -b_f,
    so the memory times 1 / (1 - f) at zero input spread over [2, T_max]."""
    if not isinstance(t_max, int) or t_max < 3:
        raise ValueError(f"t_max must be an int >= 3, got {t_max!r}")
    for k in range(getattr(module, "num_layers", 1)):
        b_ih, b_hh, h = _lstm_biases(module, k)
        u = torch.rand(h, generator=generator, dtype=torch.float64) * (t_max - 2) + 1
        b_f = torch.log(u).to(b_ih)
        b_ih[h : 2 * h], b_hh[h : 2 * h] = b_f, 0.0
        b_ih[:h], b_hh[:h] = -b_f, 0.0
    return module


def memory_time(forget: Tensor | float) -> Tensor:
    """How many steps a forget activation f keeps information: 1 / (1 - f)."""
    return 1.0 / (1.0 - torch.as_tensor(forget))
