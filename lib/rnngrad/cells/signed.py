r"""A diagonal linear recurrence whose eigenvalue range is the one switch: (0, 1) or (-1, 1).

.. math::
    a_t = \sigma(W_a x_t + b_a) \in (0, 1) \quad\text{or}\quad a_t = 2\sigma(W_a x_t + b_a) - 1
    \in (-1, 1), \qquad h_t = a_t \odot h_{t-1} + W_b x_t + b_b

The per-step Jacobian :math:`\partial h_t / \partial h_{t-1} = \operatorname{diag}(a_t)` has the
gates as its eigenvalues. Grazzi et al. (2025) widen Mamba's range the same way, mapping the gate
:math:`a \in (0, 1)` to :math:`2a - 1`; with it, the one-unit recurrence
:math:`h_t = (1 - 2x_t) h_{t-1} + x_t` (x_t in {0, 1}) is the running parity exactly, at any
length, which no gate in [0, 1] can be (Sarrof, Veitsman & Hahn, 2024). Both ranges run on the
parallel scan of ``rnngrad.core.scan``.

The map :math:`a \mapsto 2a - 1` applied to the same weights also changes where training starts:
:math:`2\sigma(p) - 1 < \sigma(p)`, so a signed gate built like a positive one starts with
shorter memories. ``match_start_`` removes that difference: it rewrites a layer so that, on the
zero input and on every one-hot input, its new pre-activation :math:`p'` gives the gate the old
one gave (``same_signed_gate``: :math:`2\sigma(p') - 1 = \sigma(p)`), so that the two ranges
start from the same transitions.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .selective import LinearSelective, _runner


def gate(pre: Tensor, allow_neg_eigval: bool) -> Tensor:
    """sigma(pre) in (0, 1), or 2 sigma(pre) - 1 in (-1, 1) with ``allow_neg_eigval``."""
    a = torch.sigmoid(pre)
    return 2 * a - 1 if allow_neg_eigval else a


def same_signed_gate(pre: Tensor) -> Tensor:
    """The pre-activation p' whose signed gate equals the positive gate of ``pre``:
    2 sigma(p') - 1 = sigma(p), i.e. p' = log(1 + 2 e^p) = softplus(p + log 2)."""
    return F.softplus(pre + math.log(2.0))


@torch.no_grad()
def match_start_(linear: nn.Linear, new_pre: Callable[[Tensor], Tensor]) -> None:
    """Rewrite ``linear`` (input -> pre-activations) so that its output on the zero input and
    on every one-hot input e_j is ``new_pre`` of its old output there: b' = f(b) and
    W'[:, j] = f(W[:, j] + b) - f(b). Exact on one-hot inputs (every task of chapter 17), and
    elsewhere the same affine map as before with its bias and columns moved."""
    W, b = linear.weight, linear.bias
    old_columns = W + b.unsqueeze(-1)  # (out, in): the output on each one-hot input
    new_b = new_pre(b)
    W.copy_(new_pre(old_columns) - new_b.unsqueeze(-1))
    b.copy_(new_b)


class DiagonalGate(LinearSelective):
    """The recurrence of the module's docstring, H = ``hidden_size`` units; the gate biases
    start spread over [1, 4] (gates between 0.73 and 0.98 in (0, 1), 0.46 and 0.96 in (-1, 1)
    built the same way; ``widen_`` with ``same_start`` keeps the former), the rest
    U(-1/sqrt(input), 1/sqrt(input)) like nn.Linear."""

    def __init__(
        self, input_size: int, hidden_size: int, allow_neg_eigval: bool = False, mode: str = "scan"
    ):
        super().__init__(input_size, hidden_size)
        _runner(mode)  # checks the mode
        self.allow_neg_eigval, self.mode = bool(allow_neg_eigval), mode
        self.linear_a = nn.Linear(input_size, hidden_size)
        self.linear_b = nn.Linear(input_size, hidden_size)
        with torch.no_grad():
            self.linear_a.bias.copy_(torch.linspace(1.0, 4.0, hidden_size))

    def widen_(self, same_start: bool = True) -> None:
        """Switch to eigenvalues in (-1, 1); with ``same_start`` the gate layer is rewritten
        (``match_start_``) so that every gate on a one-hot input keeps its value."""
        if self.allow_neg_eigval:
            raise ValueError("the range is already (-1, 1)")
        self.allow_neg_eigval = True
        if same_start:
            match_start_(self.linear_a, same_signed_gate)

    def coefficients(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """(a, b), each (B, T, H): h_t = a_t * h_{t-1} + b_t."""
        return gate(self.linear_a(x), self.allow_neg_eigval), self.linear_b(x)
