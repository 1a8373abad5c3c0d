"""The gradient through time of the matrix memories (chapters 16 and 17), from their state
Jacobians: nothing trains here.

A matrix memory's state Jacobian acts on the key side only: on vec(S) it is
``A_t^T kron I_{d_v}`` with A_t = I (linear attention), gamma I (RetNet), a_t I (Mamba-2),
diag(alpha_t) (GLA) or alpha_t (I - beta_t k_t k_t^T) (the gated delta rule). So the gradient
that reaches S_t from S_T is G A_{T}^T ... (on the right of dL/dS_T, a d_v x d_k matrix) and
every figure here follows the d_k x d_k products."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..cells import delta


def reflection_reach(beta: float, angle_deg: float, steps: int = 40) -> dict[str, np.ndarray]:
    """One key k = (cos angle, sin angle) written every step with strength beta: the eigenvalues
    of I - beta k k^T, and the gradient g = (1, 0) carried back n = 0..steps steps: its
    component along k and across it (measured, by the library's transition applied n times),
    and its norm measured and in closed form, sqrt(sin^2 + cos^2 (1 - beta)^(2n))."""
    if not 0 <= beta <= 2:
        raise ValueError(f"beta must be in [0, 2], got {beta!r}")
    theta = math.radians(angle_deg)
    k = torch.tensor([math.cos(theta), math.sin(theta)], dtype=torch.float64)
    across_k = torch.tensor([-math.sin(theta), math.cos(theta)], dtype=torch.float64)
    A = delta.transition(k, beta)
    g, along, across, measured = torch.tensor([1.0, 0.0], dtype=torch.float64), [], [], []
    for _ in range(steps + 1):
        along.append(float(g @ k))
        across.append(float(g @ across_k))
        measured.append(float(g.norm()))
        g = A @ g  # A is symmetric: g A = A g
    n = np.arange(steps + 1)
    closed = np.sqrt(math.sin(theta) ** 2 + math.cos(theta) ** 2 * (1 - beta) ** (2 * n))
    return {
        "steps": n,
        "eigenvalues": np.sort(torch.linalg.eigvalsh(A).numpy()),
        "along": np.array(along),
        "across": np.array(across),
        "measured": np.array(measured),
        "closed": closed,
    }


def memory_reach(steps: int = 200, d: int = 8, span: int = 4, seed: int = 0) -> dict:
    """||d vec(S_T) / d vec(S_{T-n})|| for n = 0..steps, along two directions of the key space,
    for the decays of chapter 16 at typical values: linear attention (1), RetNet (gamma = 1 -
    2^-5), Mamba-2 (a_t = exp(-Delta_t), Delta_t ~ U(0, 0.05)), GLA (alpha_t per channel,
    sigmoid(N(4, 1))^(1/16)), DeltaNet (beta_t ~ U(0, 1), unit keys drawn in a ``span``-dim
    subspace of the d key dimensions). Returns, per cell, the gradient's norm along a direction
    outside the keys' subspace ("outside") and the largest singular value left inside it
    ("inside"), each (steps + 1,)."""
    g = torch.Generator().manual_seed(seed)
    keys = F.normalize(torch.randn(steps, span, generator=g, dtype=torch.float64), dim=-1)
    keys = torch.cat([keys, keys.new_zeros(steps, d - span)], -1)
    beta = torch.rand(steps, generator=g, dtype=torch.float64)
    mamba = torch.exp(-0.05 * torch.rand(steps, generator=g, dtype=torch.float64))
    gla = torch.sigmoid(4 + torch.randn(steps, d, generator=g, dtype=torch.float64)) ** (1 / 16)
    eye = torch.eye(d, dtype=torch.float64)
    factors = {
        "linear attention": lambda t: eye,
        "RetNet": lambda t: (1 - 2**-5) * eye,
        "Mamba-2": lambda t: mamba[t] * eye,
        "GLA": lambda t: torch.diag(gla[t]),
        "DeltaNet": lambda t: delta.transition(keys[t], beta[t]),
    }
    out = {}
    for name, factor in factors.items():
        P, inside, outside = eye.clone(), [], []
        for t in range(steps + 1):
            inside.append(float(torch.linalg.matrix_norm(P[:span, :span], ord=2)))
            outside.append(float(P[:, -1].norm()))
            if t < steps:
                P = P @ factor(t)
        out[name] = {"inside": np.array(inside), "outside": np.array(outside)}
    return out


def one_unit_parity(toggle: float, keep: float = 1.0, steps: int = 64, seed: int = 0) -> dict:
    """The one-unit recurrence h_t = a(x_t) h_{t-1} + x_t on a random bit string, with
    a(1) = ``toggle`` and a(0) = ``keep``: its states, the running parity, the decision
    (h_t > 1/2) and the gradient factor |dh_T/dh_t| = |prod_{s>t} a(x_s)|. With toggle = -1 and
    keep = 1 the state is the parity exactly."""
    if not (-1 <= toggle <= 1 and -1 <= keep <= 1):
        raise ValueError(f"toggle and keep must be in [-1, 1], got {toggle!r}, {keep!r}")
    bits = torch.randint(0, 2, (steps,), generator=torch.Generator().manual_seed(seed))
    a = torch.where(bits == 1, toggle, keep).to(torch.float64)
    b = bits.to(torch.float64)
    h, states = 0.0, []
    for t in range(steps):
        h = float(a[t]) * h + float(b[t])
        states.append(h)
    states = np.array(states)
    parity = (bits.cumsum(0) % 2).numpy()
    # |prod_{s > t} a_s| for t = 1..T (the last is the empty product, 1)
    after = np.concatenate([np.cumprod(np.abs(a.numpy())[::-1])[::-1][1:], [1.0]])
    return {
        "bits": bits.numpy(),
        "states": states,
        "parity": parity,
        "correct": float(((states > 0.5) == (parity == 1)).mean()),
        "gradient": after,
    }


# -- chapter 17: what the two eigenvalue ranges keep at initialisation --------------------------


def gate_factors(a: torch.Tensor, steps: tuple[int, ...] = (16, 256)) -> dict[int, float]:
    """A diagonal recurrence's gates ``a`` (B, T, H): for each n in ``steps``, the median over
    sequences and units of |a_{T-n+1} ... a_T|, the factor the gradient keeps across the last n
    steps (summed in the log domain in float64, so no product underflows)."""
    log_a = a.detach().to(torch.float64).abs().log()
    return {n: float(log_a[:, -n:].sum(1).median().exp()) for n in steps}


def key_plane_factors(
    k: torch.Tensor, beta: torch.Tensor, steps: tuple[int, ...] = (16, 256)
) -> dict[int, dict[str, float]]:
    """DeltaNet's key-side transitions I - beta_t k_t k_t^T on one sequence (unit keys ``k``
    (T, d), ``beta`` (T,)): for each n in ``steps``, the product of the last n of them (the
    gradient from S_T back to S_{T-n}) on the span of the keys written, where all its
    shrinking happens (every direction orthogonal to the keys keeps exactly 1).

    Returns per n: ``rank`` (the span's dimension, at most 2 here), the ``largest`` and
    ``smallest`` singular value on the span, and ``float64``, the smallest singular value of
    the whole d x d product multiplied out in float64, as a direct computation finds it.
    ``largest`` and ``smallest`` do not underflow: the product is taken in the span's own
    coordinates and renormalised at every step (its scale kept as a logarithm), and on the span
    each transition has eigenvalues 1 and 1 - beta_t, so the product's determinant is
    prod (1 - beta_t) and the smallest singular value |det| / largest, summed in the log
    domain. ``float64`` cannot resolve less than about 1e-16 of the product's largest singular
    value, which is 1 (the directions the keys leave alone)."""
    k, beta = k.detach().to(torch.float64), beta.detach().to(torch.float64)
    if k.dim() != 2 or beta.shape != k.shape[:1]:
        raise ValueError(f"need k (T, d) and beta (T,), got {tuple(k.shape)}, {tuple(beta.shape)}")
    out = {}
    for n in steps:
        ks, bs = k[-n:], beta[-n:]
        _, s, vh = torch.linalg.svd(ks, full_matrices=False)
        rank = int((s > 1e-9 * s[0]).sum())
        if rank > 2:
            raise ValueError(f"the keys span {rank} dimensions; the exact smallest needs at most 2")
        local = ks @ vh[:rank].T  # the keys in the span's coordinates, (n, rank)
        M, log_scale = torch.eye(rank, dtype=torch.float64), 0.0
        for t in range(len(ks)):
            M = M @ delta.transition(local[t], bs[t])
            size = float(torch.linalg.matrix_norm(M))
            M, log_scale = M / size, log_scale + math.log(size)
        log_largest = log_scale + math.log(float(torch.linalg.svdvals(M)[0]))
        log_det = float((1 - bs).abs().log().sum())
        full = torch.eye(k.shape[1], dtype=torch.float64)
        for t in range(len(ks)):
            full = full @ delta.transition(ks[t], bs[t])
        out[n] = {
            "rank": rank,
            "largest": math.exp(log_largest),
            "smallest": math.exp(log_det - log_largest) if rank == 2 else math.exp(log_largest),
            "float64": float(torch.linalg.svdvals(full)[-1]),
        }
    return out
