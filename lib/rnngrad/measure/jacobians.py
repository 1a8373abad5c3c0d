"""The exact one-step Jacobians of the LSTM and the GRU, and the paths a gradient takes.

The LSTM's state is the pair (c_t, h_t): every gate reads h_{t-1}, so c_t depends on c_{t-1}
directly (through f_t) *and* through h_{t-1}. The gradient through time is therefore the
product of 2H x 2H blocks

    J_t = d(c_t, h_t) / d(c_{t-1}, h_{t-1}) = [[dc/dc, dc/dh], [dh/dc, dh/dh]],

not a product of H x H factors dc_t/dc_{t-1}. The GRU's state is h_t alone.

Everything here is written from the closed forms (the chapters display them) and the tests
check every function against PyTorch autograd in float64. Inputs are single vectors (one
sequence); the layout is PyTorch's (LSTM gates i, f, g, o; GRU gates r, z, n).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..cells.gated import affine, gru_step, layer_parameters, lstm_gates
from ..cells.init import set_forget_bias_, set_recurrent_singular_values_

# ----------------------------------------------------------------------------------- LSTM


@dataclass
class LSTMBlock:
    """One step's Jacobian of the LSTM state, in four H x H pieces and the gates it used."""

    dc_dc: Tensor  # diag(f_t): the only block with no recurrent matrix and no slope
    dc_dh: Tensor  # the three W-paths from h_{t-1} into c_t (through f, i, g)
    dh_dc: Tensor  # diag(o_t tanh'(c_t)) diag(f_t)
    dh_dh: Tensor  # the output gate's W-path plus diag(o_t tanh'(c_t)) dc_dh
    gates: tuple[Tensor, Tensor, Tensor, Tensor]  # i, f, g, o

    def matrix(self) -> Tensor:
        """The 2H x 2H block [[dc/dc, dc/dh], [dh/dc, dh/dh]] (state ordered c, then h)."""
        return torch.cat(
            [torch.cat([self.dc_dc, self.dc_dh], 1), torch.cat([self.dh_dc, self.dh_dh], 1)], 0
        )


def lstm_block(x: Tensor, h: Tensor, c: Tensor, params) -> LSTMBlock:
    """d(c_t, h_t)/d(c_{t-1}, h_{t-1}) of one LSTM step at input x_t and state (h_{t-1}, c_{t-1}).

    ``params`` = (w_ih, w_hh, b_ih, b_hh) in PyTorch's layout (``cells.layer_parameters``).
    The chain rule, block by block (W_hk = the rows of W_hh feeding gate k):

    * dc_t/dc_{t-1} = diag(f_t)
    * dc_t/dh_{t-1} = diag(c_{t-1} f(1-f)) W_hf + diag(g i(1-i)) W_hi + diag(i (1-g^2)) W_hg
    * dh_t/dc_{t-1} = diag(o_t (1 - tanh^2 c_t)) dc_t/dc_{t-1}
    * dh_t/dh_{t-1} = diag(tanh(c_t) o(1-o)) W_ho + diag(o_t (1 - tanh^2 c_t)) dc_t/dh_{t-1}
    """
    w_hh = params[1]
    i, f, g, o = lstm_gates(x, h, *params)
    w_i, w_f, w_g, w_o = w_hh.detach().chunk(4, dim=0)
    i, f, g, o = (t.detach() for t in (i, f, g, o))
    c = c.detach()
    c_new = f * c + i * g
    tanh_c = torch.tanh(c_new)
    dc_dc = torch.diag(f)
    dc_dh = (c * f * (1 - f))[:, None] * w_f + (g * i * (1 - i))[:, None] * w_i
    dc_dh = dc_dh + (i * (1 - g**2))[:, None] * w_g
    slope = o * (1 - tanh_c**2)  # dh_t/dc_t, a diagonal
    dh_dc = torch.diag(slope * f)
    dh_dh = (tanh_c * o * (1 - o))[:, None] * w_o + slope[:, None] * dc_dh
    return LSTMBlock(dc_dc, dc_dh, dh_dc, dh_dh, (i, f, g, o))


@torch.no_grad()
def lstm_states(lstm: nn.LSTM | nn.LSTMCell, x: Tensor, h0: Tensor | None = None, c0=None):
    """Run one sequence x (T, input) through the first layer; returns lists h_0..h_T, c_0..c_T."""
    params = layer_parameters(lstm)
    n = params[1].shape[1]
    h = x.new_zeros(n) if h0 is None else h0
    c = x.new_zeros(n) if c0 is None else c0
    hs, cs = [h], [c]
    for x_t in x:
        i, f, g, o = lstm_gates(x_t, h, *params)
        c = f * c + i * g
        h = o * torch.tanh(c)
        hs.append(h)
        cs.append(c)
    return hs, cs


def lstm_blocks(lstm: nn.LSTM | nn.LSTMCell, x: Tensor, h0=None, c0=None) -> list[LSTMBlock]:
    """The blocks J_1..J_T of one sequence x (T, input), starting from (h0, c0) (zeros)."""
    params = tuple(p.detach() if p is not None else None for p in layer_parameters(lstm))
    hs, cs = lstm_states(lstm, x, h0, c0)
    return [lstm_block(x_t, hs[t], cs[t], params) for t, x_t in enumerate(x)]


def chain(blocks: list[Tensor]) -> Tensor:
    """J_T ... J_2 J_1: the Jacobian of the last state with respect to the first."""
    out = torch.eye(blocks[0].shape[0], dtype=blocks[0].dtype)
    for b in blocks:
        out = b @ out  # the latest step on the left
    return out


def lstm_cell_jacobian(blocks: list[LSTMBlock], c0: Tensor | None = None, o0=None) -> Tensor:
    """dc_T/dc_0 from the product of the full blocks P = J_T ... J_1.

    Without ``o0``, h_0 is an independent starting value and dc_T/dc_0 = P_cc. With ``c0`` and
    ``o0``, h_0 = o_0 tanh(c_0) is computed from c_0 (the state came from an earlier step, o_0
    held fixed): dc_T/dc_0 = P_cc + P_ch diag(o_0 tanh'(c_0)).
    """
    product = chain([b.matrix() for b in blocks])
    n = blocks[0].dc_dc.shape[0]
    cc, ch = product[:n, :n], product[:n, n:]
    if o0 is None:
        return cc
    return cc + ch * (o0 * (1 - torch.tanh(c0) ** 2))[None, :]


def one_step_factors(blocks: list[LSTMBlock], hs: list[Tensor], cs: list[Tensor], o0: Tensor):
    """The H x H factors dc_t/dc_{t-1} of the chapter's first derivation: the path through
    h_{t-1} = o_{t-1} tanh(c_{t-1}) included, but o_{t-1} held fixed,

        F_t = diag(f_t) + dc_t/dh_{t-1} diag(o_{t-1} tanh'(c_{t-1})).

    Their product is *not* dc_T/dc_0: it drops every path through o_{t-1}'s own dependence on
    h_{t-2} (and through h_{t-1}'s dependence on h_{t-2} in general)."""
    factors = []
    o_prev = o0
    for t, b in enumerate(blocks):
        slope = o_prev * (1 - torch.tanh(cs[t]) ** 2)
        factors.append(b.dc_dc + b.dc_dh * slope[None, :])
        o_prev = b.gates[3]
    return factors


@dataclass
class PathSplit:
    """How the gradient dL/dc_t reaches each step t = 0..T-1 (index = lag T - t - 1 ... 0).

    ``total``: ||dL/dc_t||, the total derivative (through c_{t+1} and through h_t);
    ``direct``: the part that stayed on the diag(f) path all the way from c_T, the
    ``prod f * dL/dc_T``; ``rest``: ||total - direct||, everything that used a W-path at least
    once. Arrays are indexed by lag k = T - t (k = 0 is the last step)."""

    total: Tensor
    direct: Tensor
    rest: Tensor

    def direct_share(self) -> Tensor:
        """||direct|| / (||direct|| + ||rest||) at every lag, in [0, 1]: 1 when the whole
        gradient came along diag(f) alone, 0 when none of it did. (||direct|| / ||total|| can
        exceed 1, because the two parts may point against each other.)"""
        return self.direct / (self.direct + self.rest)


def lstm_path_split(lstm: nn.LSTM, x: Tensor, grad_h_T: Tensor) -> PathSplit:
    """Split dL/dc_t for L = <grad_h_T, h_T> into its diag(f) path and its W-paths.

    Backward recursion with total derivatives (c_t feeds c_{t+1} and h_t):
        dL/dc_t = f_{t+1} * dL/dc_{t+1} + o_t tanh'(c_t) * dL/dh_t,
        dL/dh_t = (dc_{t+1}/dh_t)^T dL/dc_{t+1} + (do_{t+1}/dh_t)^T (tanh(c_{t+1}) * dL/dh_{t+1})
    Only the first term of dL/dc_t is the diagonal path; the direct part is carried by it alone.
    """
    blocks = lstm_blocks(lstm, x)
    hs, cs = lstm_states(lstm, x)
    T = len(blocks)
    # State-partial gradients (gamma = dL/dc_t holding h_t, eta = dL/dh_t holding c_t).
    gamma, eta = torch.zeros_like(grad_h_T), grad_h_T.clone()
    o_T = blocks[-1].gates[3]
    total_T = gamma + o_T * (1 - torch.tanh(cs[T]) ** 2) * eta  # total dL/dc_T
    direct = total_T.clone()
    totals, directs = [total_T], [direct]
    for t in range(T, 1, -1):  # from step t back to t - 1
        b = blocks[t - 1]
        J = b.matrix()
        n = gamma.shape[0]
        back = J.T @ torch.cat([gamma, eta])
        gamma, eta = back[:n], back[n:]
        o_prev = blocks[t - 2].gates[3]
        totals.append(gamma + o_prev * (1 - torch.tanh(cs[t - 1]) ** 2) * eta)
        direct = b.gates[1] * direct
        directs.append(direct)
    total = torch.stack(totals)
    direct = torch.stack(directs)
    return PathSplit(total.norm(dim=1), direct.norm(dim=1), (total - direct).norm(dim=1))


def lstm_path_orders(lstm: nn.LSTM, x: Tensor, grad_h_T: Tensor) -> Tensor:
    """dL/dc_t for L = <grad_h_T, h_T>, split by how many steps each path spends off the cell.

    A path that is on h at a step passes a row of W there (dc_t/dh_{t-1} and dh_t/dh_{t-1}
    both carry W); the blocks diag(f_t) and dh_t/dc_{t-1} carry none. The recursion of
    ``lstm_path_split`` is run once per count: the part of the gradient whose paths passed
    W exactly k times. Returns a (T, T, H) tensor indexed [lag, k, unit]: [:, 0] is the
    diagonal path, the sum over k the total dL/dc_t, the sum over k >= 1 the W-paths."""
    blocks = lstm_blocks(lstm, x)
    _, cs = lstm_states(lstm, x)
    T, n = len(blocks), grad_h_T.shape[0]
    gamma = grad_h_T.new_zeros(T, n)  # by count k: dL/dc_t holding h_t
    eta = grad_h_T.new_zeros(T, n)  # by count k: dL/dh_t holding c_t
    eta[0] = grad_h_T
    slope_T = blocks[-1].gates[3] * (1 - torch.tanh(cs[T]) ** 2)
    out = [gamma + slope_T * eta]
    for t in range(T, 1, -1):  # from step t back to t - 1
        b = blocks[t - 1]
        back_c = gamma @ b.dc_dc + eta @ b.dh_dc  # no W: the count stays
        back_h = gamma @ b.dc_dh + eta @ b.dh_dh  # through W: the count rises by one
        gamma = back_c
        eta = torch.cat([eta.new_zeros(1, n), back_h[:-1]])
        slope = blocks[t - 2].gates[3] * (1 - torch.tanh(cs[t - 1]) ** 2)
        out.append(gamma + slope * eta)
    return torch.stack(out)


def _random_lstm(
    forget_bias: float, singular_value: float | None, hidden: int, steps: int, sequences: int
):
    """The random LSTM of ``random_lstm_paths`` and its (sequence, dL/dh_T) pairs, drawn in
    the same order (the tests check that both measure the same network)."""
    torch.manual_seed(0)
    lstm = nn.LSTM(hidden, hidden).double()
    set_forget_bias_(lstm, forget_bias)
    if singular_value is not None:
        gen = torch.Generator().manual_seed(0)
        set_recurrent_singular_values_(lstm, singular_value, generator=gen)
    g = torch.Generator().manual_seed(1)
    pairs = []
    for _ in range(sequences):
        x = torch.randn(steps, hidden, dtype=torch.float64, generator=g)  # (T, hidden)
        pairs.append((x, torch.randn(hidden, dtype=torch.float64, generator=g)))
    return lstm, pairs


def random_lstm_paths(
    forget_bias: float,
    singular_value: float | None = None,
    *,
    hidden: int = 64,
    steps: int = 100,
    sequences: int = 4,
) -> tuple[Tensor, Tensor]:
    """The book's one measurement of where a random LSTM's cell gradient travels (chapters 3
    and 10): a float64 ``nn.LSTM(hidden, hidden)`` at PyTorch's start under
    ``torch.manual_seed(0)``, its forget bias set to ``forget_bias`` (and, if given, every
    recurrent singular value to ``singular_value``), split by ``lstm_path_split`` on
    ``sequences`` N(0, 1) sequences of ``steps`` steps with a random dL/dh_T (generator seed 1).
    Returns the diagonal path and the W-paths, each relative to ||dL/dc_T||, averaged over the
    sequences, by lag k = 0 .. steps - 1."""
    lstm, pairs = _random_lstm(forget_bias, singular_value, hidden, steps, sequences)
    splits = [lstm_path_split(lstm, x, dl_dh) for x, dl_dh in pairs]
    direct = torch.stack([s.direct / s.total[0] for s in splits]).mean(0)  # (steps,)
    rest = torch.stack([s.rest / s.total[0] for s in splits]).mean(0)
    return direct, rest


def random_lstm_w_paths_left(
    forget_bias: float,
    lag: int,
    at_most: int,
    singular_value: float | None = None,
    *,
    hidden: int = 64,
    steps: int = 100,
    sequences: int = 4,
) -> float:
    """On the LSTM and sequences of ``random_lstm_paths``: the part of the W-paths at ``lag``
    that paths passing W on at most ``at_most`` steps do not account for,
    ||W-paths - (those with 1 .. at_most passes)|| / ||W-paths||, averaged over the sequences
    (0: the few-pass paths are all of it)."""
    lstm, pairs = _random_lstm(forget_bias, singular_value, hidden, steps, sequences)
    left = []
    for x, v in pairs:
        by_count = lstm_path_orders(lstm, x, v)[lag]
        rest = by_count[1:].sum(0)
        left.append(((rest - by_count[1 : at_most + 1].sum(0)).norm() / rest.norm()).item())
    return sum(left) / len(left)


# ------------------------------------------------------------------------------------ GRU


@dataclass
class GRUJacobian:
    """dh_t/dh_{t-1} of one GRU step: diag(z_t) + the W-paths through r_t, z_t and n_t."""

    direct: Tensor  # diag(z_t)
    through_n: Tensor  # diag((1-z)(1-n^2)) [diag(r) W_hn + diag(r(1-r)(W_hn h + b_hn)) W_hr]
    through_z: Tensor  # diag(z(1-z)(h_{t-1} - n)) W_hz
    gates: tuple[Tensor, Tensor, Tensor]  # r, z, n

    def matrix(self) -> Tensor:
        return self.direct + self.through_n + self.through_z


def gru_jacobian(x: Tensor, h: Tensor, params) -> GRUJacobian:
    """dh_t/dh_{t-1} of one GRU step (PyTorch's convention: z keeps the old state, the hidden
    bias of n sits inside the reset product)."""
    w_ih, w_hh, b_ih, b_hh = (p.detach() if p is not None else None for p in params)
    h = h.detach()
    xr, xz, xn = affine(x, w_ih, b_ih).chunk(3, dim=-1)
    hr, hz, hn = affine(h, w_hh, b_hh).chunk(3, dim=-1)
    w_r, w_z, w_n = w_hh.chunk(3, dim=0)
    r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
    n = torch.tanh(xn + r * hn)
    dn = (1 - n**2)[:, None] * (r[:, None] * w_n + (r * (1 - r) * hn)[:, None] * w_r)
    through_n = (1 - z)[:, None] * dn
    through_z = (z * (1 - z) * (h - n))[:, None] * w_z
    return GRUJacobian(torch.diag(z), through_n, through_z, (r, z, n))


@torch.no_grad()
def gru_states(gru: nn.GRU | nn.GRUCell, x: Tensor, h0: Tensor | None = None) -> list[Tensor]:
    """h_0..h_T of one sequence x (T, input) through the first layer."""
    params = layer_parameters(gru)
    h = x.new_zeros(params[1].shape[1]) if h0 is None else h0
    hs = [h]
    for x_t in x:
        h = gru_step(x_t, h, *params)
        hs.append(h)
    return hs


def gru_jacobians(gru: nn.GRU | nn.GRUCell, x: Tensor, h0=None) -> list[GRUJacobian]:
    """dh_t/dh_{t-1} for t = 1..T of one sequence."""
    params = layer_parameters(gru)
    hs = gru_states(gru, x, h0)
    return [gru_jacobian(x_t, hs[t], params) for t, x_t in enumerate(x)]


def gru_path_split(gru: nn.GRU, x: Tensor, grad_h_T: Tensor) -> PathSplit:
    """Split dL/dh_t for L = <grad_h_T, h_T> into the diag(z) path and the W-paths."""
    jacs = gru_jacobians(gru, x)
    total = direct = grad_h_T.clone()
    totals, directs = [total], [direct]
    for jac in reversed(jacs[1:]):
        total = jac.matrix().T @ total
        direct = jac.gates[1] * direct
        totals.append(total)
        directs.append(direct)
    total, direct = torch.stack(totals), torch.stack(directs)
    return PathSplit(total.norm(dim=1), direct.norm(dim=1), (total - direct).norm(dim=1))
