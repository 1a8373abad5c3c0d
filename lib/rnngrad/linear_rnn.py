"""Linear diagonal recurrences: the LRU and the parallel scan that computes them.

The Linear Recurrent Unit (Orvieto et al., 2023) keeps one complex number per state unit and
multiplies it by a fixed eigenvalue at every step: no matrix, no activation. Its conventions
here follow the authors' reference code (``NicolasZucchet/minimal-LRU``, ``lru/model.py``):

* eigenvalues ``lambda = exp(-exp(nu_log) + i exp(theta_log))``, so ``|lambda| < 1`` for every
  real ``nu_log`` (exponential parametrisation);
* ring initialisation: ``|lambda|^2`` uniform on ``[r_min^2, r_max^2]``, phase uniform on
  ``[0, max_phase]``;
* normalisation ``gamma``, initialised at ``sqrt(1 - |lambda|^2)`` (which keeps the state's
  variance at the input's for white-noise inputs) and then trained freely as ``gamma_log``.

A linear recurrence ``h_t = a_t * h_{t-1} + b_t`` is a composition of affine maps, which is
associative (Blelloch, 1990; Martin & Cundy, 2018): ``linear_scan`` computes all T states in
O(log T) vectorised rounds (about 2 log2 T for its odd-even recursion); ``linear_loop`` is the plain sequential loop it must equal.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .probe import Trace
from .tasks import Task

__all__ = [
    "LRU",
    "LRUModel",
    "combine",
    "gamma_log_init",
    "impulse_response",
    "linear_loop",
    "linear_scan",
    "lru_lambda",
    "lru_step",
    "lru_trace",
    "make_lru_model",
    "ring_init",
]


def lru_lambda(nu_log: Tensor, theta_log: Tensor) -> Tensor:
    r"""The LRU's eigenvalues, :math:`\lambda = \exp(-e^{\nu} + i\,e^{\theta})` (complex, shape
    of ``nu_log``). :math:`|\lambda| = \exp(-e^{\nu}) \in (0, 1)` for any real :math:`\nu`; the
    phase is :math:`e^{\theta}`."""
    return torch.exp(torch.complex(-torch.exp(nu_log), torch.exp(theta_log)))


def ring_init(
    n: int,
    r_min: float = 0.0,
    r_max: float = 1.0,
    max_phase: float = 2 * math.pi,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float32,
) -> tuple[Tensor, Tensor]:
    r"""``(nu_log, theta_log)`` for ``n`` eigenvalues drawn uniformly on the ring
    :math:`r_{min} \le |\lambda| \le r_{max}`, :math:`0 \le \arg\lambda \le` ``max_phase``
    (uniform in area: :math:`|\lambda|^2 \sim U[r_{min}^2, r_{max}^2]`)."""
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if not 0.0 <= r_min < r_max <= 1.0:
        raise ValueError(f"need 0 <= r_min < r_max <= 1, got r_min={r_min!r}, r_max={r_max!r}")
    if not max_phase > 0:
        raise ValueError(f"max_phase must be > 0, got {max_phase!r}")
    u1 = torch.rand(n, generator=generator, dtype=dtype)
    u2 = torch.rand(n, generator=generator, dtype=dtype)
    # u in [0, 1) keeps |lambda|^2 < r_max^2 <= 1, so the log below is finite.
    nu_log = torch.log(-0.5 * torch.log(u1 * (r_max**2 - r_min**2) + r_min**2))
    theta_log = torch.log(max_phase * u2.clamp_min(torch.finfo(dtype).tiny))
    return nu_log, theta_log


def gamma_log_init(nu_log: Tensor, theta_log: Tensor) -> Tensor:
    r""":math:`\log\gamma` with :math:`\gamma = \sqrt{1 - |\lambda|^2}`."""
    return 0.5 * torch.log1p(-(lru_lambda(nu_log, theta_log).abs() ** 2))


def lru_step(
    x: Tensor, h: Tensor, lam: Tensor, b_re: Tensor, b_im: Tensor, gamma: Tensor
) -> Tensor:
    r"""One LRU step (complex state, real input):

    .. math::
        h_t = \lambda \odot h_{t-1} + \gamma \odot (B x_t), \qquad B = B_{re} + i B_{im}

    x: (B, input), h: (B, N) complex, lam and gamma: (N,), b_re and b_im: (N, input).
    """
    return lam * h + gamma * torch.complex(x @ b_re.T, x @ b_im.T)


def combine(first: tuple[Tensor, Tensor], second: tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    r"""The scan's associative operator: apply the affine map ``first`` = (a_i, b_i), then
    ``second`` = (a_j, b_j): :math:`(a_j a_i,\; a_j b_i + b_j)`."""
    a_i, b_i = first
    a_j, b_j = second
    return a_j * a_i, a_j * b_i + b_j


def _check_scan_args(a: Tensor, b: Tensor, h0: Tensor | None) -> tuple[Tensor, Tensor]:
    if b.dim() < 2:
        raise ValueError(f"b must have shape (..., T, N), got {tuple(b.shape)}")
    try:
        a, b = torch.broadcast_tensors(a, b)
    except RuntimeError as err:
        raise ValueError(
            f"a {tuple(a.shape)} does not broadcast against b {tuple(b.shape)}"
        ) from err
    if h0 is not None:
        if h0.shape[-1] != b.shape[-1]:
            raise ValueError(f"h0 must end in N = {b.shape[-1]}, got {tuple(h0.shape)}")
        # fold the initial state into the first input: h_1 = a_1 h0 + b_1
        b = torch.cat([(a[..., :1, :] * h0.unsqueeze(-2)) + b[..., :1, :], b[..., 1:, :]], -2)
    return a, b


def linear_loop(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """``h_t = a_t * h_{t-1} + b_t`` for t = 1..T, one step after the other.

    ``b``: (..., T, N); ``a`` broadcasts against it ((N,) for a constant diagonal,
    (..., T, N) for a time-varying one); ``h0``: (..., N), zeros when None. Returns (..., T, N).
    """
    a, b = _check_scan_args(a, b, h0)
    h = torch.zeros_like(b[..., 0, :])
    states = []
    for t in range(b.shape[-2]):
        h = a[..., t, :] * h + b[..., t, :]
        states.append(h)
    return torch.stack(states, -2)


def linear_scan(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """The same states as ``linear_loop``, by a parallel scan (odd-even recursion).

    Round one combines neighbours (0, 1), (2, 3), ... into one affine map each, recursion
    scans those T/2 maps, and one more vectorised step fills in the even positions: about
    2T multiplications in all. The recursion goes floor(log2 T) levels down, with one round
    of whole-tensor operations on the way down and one on the way back up at each level:
    2 floor(log2 T) rounds instead of T sequential steps (Blelloch, 1990).
    """
    a, b = _check_scan_args(a, b, h0)
    return _scan(a, b)


def _scan(a: Tensor, b: Tensor) -> Tensor:
    T = b.shape[-2]
    if T == 1:
        return b
    m = T // 2
    a_even, a_odd = a[..., 0 : 2 * m : 2, :], a[..., 1 : 2 * m : 2, :]
    b_even, b_odd = b[..., 0 : 2 * m : 2, :], b[..., 1 : 2 * m : 2, :]
    odd = _scan(*combine((a_even, b_even), (a_odd, b_odd)))  # h_1, h_3, ..., (m states)
    rest = (T - 1) // 2  # even positions 2, 4, ... below T
    even = torch.cat([b[..., :1, :], a[..., 2::2, :] * odd[..., :rest, :] + b[..., 2::2, :]], -2)
    pairs = torch.stack([even[..., :m, :], odd], -2).flatten(-3, -2)  # (..., 2m, N) interleaved
    return pairs if T % 2 == 0 else torch.cat([pairs, even[..., m:, :]], -2)


class LRU(nn.Module):
    r"""A Linear Recurrent Unit layer: real inputs (B, T, input_size) to complex states
    (B, T, state_size), :math:`h_t = \lambda \odot h_{t-1} + \gamma \odot (B x_t)`, every
    parameter trained (``nu_log``, ``theta_log``, ``gamma_log``, ``b_re``, ``b_im``)."""

    def __init__(
        self,
        input_size: int,
        state_size: int,
        r_min: float = 0.0,
        r_max: float = 1.0,
        max_phase: float = 2 * math.pi,
    ):
        super().__init__()
        for name, value in [("input_size", input_size), ("state_size", state_size)]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        nu_log, theta_log = ring_init(state_size, r_min, r_max, max_phase)
        self.nu_log = nn.Parameter(nu_log)
        self.theta_log = nn.Parameter(theta_log)
        self.gamma_log = nn.Parameter(gamma_log_init(nu_log, theta_log))
        scale = 1 / math.sqrt(2 * input_size)  # Glorot-like, as in the reference code
        self.b_re = nn.Parameter(torch.randn(state_size, input_size) * scale)
        self.b_im = nn.Parameter(torch.randn(state_size, input_size) * scale)

    @property
    def lam(self) -> Tensor:
        return lru_lambda(self.nu_log, self.theta_log)

    def inputs(self, x: Tensor) -> Tensor:
        """gamma * (B x_t) for every step: (B, T, input) -> (B, T, N) complex."""
        return torch.exp(self.gamma_log) * torch.complex(x @ self.b_re.T, x @ self.b_im.T)

    def forward(self, x: Tensor, mode: str = "scan") -> Tensor:
        if mode not in ("scan", "loop"):
            raise ValueError(f"mode must be 'scan' or 'loop', got {mode!r}")
        run = linear_scan if mode == "scan" else linear_loop
        return run(self.lam, self.inputs(x))


class LRUModel(nn.Module):
    """The interface of ``rnngrad.SequenceModel`` around an LRU: a position-wise encoder
    (Linear + ReLU, so the linear recurrence can carry products of inputs), the LRU, and a
    read-out MLP on the state's real and imaginary parts (every step, or the last)."""

    cell = "lru"

    def __init__(
        self,
        input_size: int,
        state_size: int,
        output_size: int,
        *,
        width: int = 32,
        per_step: bool = False,
        r_min: float = 0.0,
        r_max: float = 1.0,
        max_phase: float = 2 * math.pi,
    ):
        super().__init__()
        for name, value in [("output_size", output_size), ("width", width)]:
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        self.per_step = per_step
        self.encoder = nn.Sequential(nn.Linear(input_size, width), nn.ReLU())
        self.lru = LRU(width, state_size, r_min, r_max, max_phase)
        self.head = nn.Sequential(
            nn.Linear(2 * state_size, width), nn.ReLU(), nn.Linear(width, output_size)
        )

    def states(self, x: Tensor, mode: str = "scan") -> Tensor:
        """The LRU's states (B, T, N), complex."""
        return self.lru(self.encoder(x), mode)

    def readout(self, hidden: Tensor) -> Tensor:
        feats = torch.cat([hidden.real, hidden.imag], -1)  # (B, T, 2N)
        return self.head(feats if self.per_step else feats[:, -1])

    def forward(self, x: Tensor) -> Tensor:
        return self.readout(self.states(x))


def make_lru_model(
    task: Task,
    state_size: int = 32,
    *,
    width: int = 32,
    r_min: float = 0.0,
    r_max: float = 1.0,
    max_phase: float = 2 * math.pi,
    seed: int | None = None,
) -> LRUModel:
    """An ``LRUModel`` sized for ``task`` (same seed, same model)."""
    if seed is not None:
        torch.manual_seed(seed)
    return LRUModel(
        task.input_size,
        state_size,
        task.output_size,
        width=width,
        per_step=task.per_step,
        r_min=r_min,
        r_max=r_max,
        max_phase=max_phase,
    )


def lru_trace(model: LRUModel, task: Task, x: Tensor, y: Tensor) -> Trace:
    """``rnngrad.probe`` for an ``LRUModel``: run the recurrence step by step (each h_t its own
    node in autograd's graph) and return h_t and the *total* dL/dh_t as a ``Trace``.

    The states are complex; ``Trace.gradient_norms`` and ``Trace.reach`` use their moduli.
    """
    if x.dim() != 3:
        raise ValueError(f"x must have shape (B, T, input_size), got {tuple(x.shape)}")
    lru = model.lru
    lam, inputs = lru.lam, lru.inputs(model.encoder(x))  # inputs: (B, T, N)
    h = torch.zeros_like(inputs[:, 0])
    hs = []
    for t in range(inputs.shape[1]):
        h = lam * h + inputs[:, t]
        hs.append(h)
    loss = task.loss(model.readout(torch.stack(hs, 1)), y)
    grads = torch.autograd.grad(loss, hs, materialize_grads=True)
    return Trace(
        h=torch.stack(hs, 1).detach(), dL_dh=torch.stack(grads, 1).detach(), loss=loss.item()
    )


def impulse_response(modulus: float, phase: float, steps: int) -> Tensor:
    """h_k = lambda^k for k = 0..steps-1 (a unit impulse at k = 0), lambda = modulus e^{i phase};
    complex128, shape (steps,). Also the gradient factor dh_{t+k}/dh_t."""
    if not 0 <= modulus <= 1:
        raise ValueError(f"modulus must be in [0, 1], got {modulus!r}")
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    k = torch.arange(steps, dtype=torch.float64)
    return torch.polar(modulus**k, phase * k)


# -- SymPy: the derivations chapter 13 shows ------------------------------------------------


def symbolic_unrolled_gradient(k: int):
    r"""SymPy: unroll :math:`h_{t+j} = \lambda h_{t+j-1} + \gamma b_{t+j}` for j = 1..k from a
    symbolic h_t and return ``(h_{t+k}, dh_{t+k}/dh_t)``; the derivative is :math:`\lambda^k`
    whatever the inputs."""
    import sympy as sp

    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    lam, gamma, h_t = sp.symbols("lambda gamma h_t")
    h = h_t
    for j in range(1, k + 1):
        h = lam * h + gamma * sp.Symbol(f"b_{{t+{j}}}")
    return sp.expand(h), sp.expand(sp.diff(h, h_t))


def symbolic_lru_power():
    r"""SymPy: with :math:`\lambda = \exp(-e^{\nu} + i e^{\theta})`, return
    ``(nu, theta, k, lambda^k, |lambda^k|, e-folding time)``: :math:`|\lambda^k| = \exp(-k e^\nu)`,
    which falls to :math:`1/e` after :math:`\tau_e = e^{-\nu} = -1/\ln|\lambda|` steps (the
    e-folding time; the memory time :math:`1/(1-|\lambda|)` is about half a step longer)."""
    import sympy as sp

    nu, theta = sp.symbols("nu theta", real=True)
    k = sp.Symbol("k", positive=True, integer=True)
    lam = sp.exp(-sp.exp(nu) + sp.I * sp.exp(theta))
    power = sp.powsimp(lam**k, force=True)
    modulus = sp.simplify(sp.Abs(power))
    tau = sp.solve(sp.Eq(sp.log(modulus), -1), k)[0]
    return nu, theta, k, power, modulus, tau


def symbolic_stationary_power():
    r"""SymPy: the stationary :math:`E|h|^2` of :math:`h_t = \lambda h_{t-1} + \gamma u_t` for
    white noise :math:`u_t` of unit variance, :math:`\gamma^2 \sum_{j\ge 0} |\lambda|^{2j}`, without
    normalisation (:math:`\gamma = 1`) and with :math:`\gamma = \sqrt{1-|\lambda|^2}`.
    Returns ``(r, unnormalised, normalised)`` with ``r = |lambda|``."""
    import sympy as sp

    r = sp.Symbol("r", positive=True)
    j = sp.Symbol("j", integer=True, nonnegative=True)
    series = sp.Sum((r**2) ** j, (j, 0, sp.oo)).doit()
    # SymPy answers piecewise: the closed form where |lambda|^2 < 1, which holds here
    geometric = series.args[0][0] if isinstance(series, sp.Piecewise) else series
    return r, sp.simplify(geometric), sp.simplify((1 - r**2) * geometric)


def time_scan_and_loop(
    lengths: list[int],
    *,
    batch: int = 16,
    units: int = 32,
    repeats: int = 3,
    device: torch.device | str = "cpu",
) -> dict[str, list[float]]:
    """Seconds per forward pass (best of ``repeats``) of ``linear_loop`` and ``linear_scan``
    on a constant complex diagonal (LRU ring [0.9, 0.999]) and complex64 inputs
    (batch, T, units), for each T in ``lengths``; both measured in the same run."""
    import time

    if not lengths or any(not isinstance(T, int) or T < 1 for T in lengths):
        raise ValueError(f"lengths must be positive ints, got {lengths!r}")
    device = torch.device(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    g = torch.Generator().manual_seed(0)
    lam = lru_lambda(*ring_init(units, 0.9, 0.999, generator=g)).to(device)
    timing: dict[str, list[float]] = {"loop": [], "scan": []}
    for T in lengths:
        b = torch.randn(batch, T, units, generator=g, dtype=torch.complex64).to(device)
        for name, run in (("loop", linear_loop), ("scan", linear_scan)):
            run(lam, b)  # warm-up
            sync()
            best = math.inf
            for _ in range(repeats):
                start = time.perf_counter()
                run(lam, b)
                sync()
                best = min(best, time.perf_counter() - start)
            timing[name].append(best)
    return timing


class _LRUJob:
    """What every run of one ``train_lru_runs`` call shares (inherited by forked workers)."""

    def __init__(self, steps: int, train_kwargs: dict):
        self.steps, self.train_kwargs = steps, train_kwargs

    def build(self, name, spec: dict, task: Task, seed: int) -> LRUModel:
        return make_lru_model(task, **spec, seed=seed)

    def run(self, combo: tuple):
        from .device import one_thread
        from .train import train

        with one_thread():  # the same arithmetic in this process and in a worker
            model = self.build(*combo)
            kwargs = dict(self.train_kwargs, seed=combo[3], progress=False)
            history = train(model, combo[2], self.steps, **kwargs)
        return model, history


def train_lru_runs(
    specs: dict, task: Task, *, steps: int, seeds=(0,), workers: int | None = None, **train_kwargs
) -> dict:
    """Train ``make_lru_model(task, **spec, seed=seed)`` for every ``name -> spec`` and seed,
    each with ``rnngrad.train(..., seed=seed, **train_kwargs)`` on one thread, in ``workers``
    processes side by side (default: one per core on the CPU; the same numbers as
    ``workers=1``). Returns ``{name: [(model, history), ...]}`` in seed order."""
    from .sweep import run_jobs

    seeds = list(seeds)
    if not specs or not seeds:
        raise ValueError("train_lru_runs needs at least one spec and one seed")
    combos = [(name, dict(spec), task, seed) for name, spec in specs.items() for seed in seeds]
    job = _LRUJob(steps, train_kwargs)
    results = run_jobs(job, combos, workers=workers, device=train_kwargs.get("device"))
    out: dict = {name: [] for name in specs}
    for (name, *_), result in zip(combos, results, strict=True):
        out[name].append(result)
    return out
