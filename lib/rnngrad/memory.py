"""The curse of memory (Zucchet & Orvieto, 2024): a one-unit linear recurrence
``h_t = lambda h_{t-1} + x_t`` whose gradients neither vanish nor explode, yet whose output
becomes ever more sensitive to ``lambda`` as its memory grows (lambda -> 1).

Inputs are stationary with unit variance and correlation ``E[x_t x_{t-k}] = rho^|k|`` (AR(1);
white noise at rho = 0). Every expectation is derived with SymPy from one generating function

    S(a, b) = E[h(a) h(b)],  h(a) = sum_n a^n x_{t-n},

since E[h^2] = S(l, l), E[h dh/dl] = dS/db (l, l) and E[(dh/dl)^2] = d2S/da db (l, l). The
conventions (and the closed forms they must reproduce) follow the authors' code,
``NicolasZucchet/Vanishing-and-exploding-gradients-are-not-the-end-of-the-story``,
``figures/1D-case.ipynb``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import torch
from torch import Tensor, nn

from .linear_rnn import linear_scan
from .tasks import Task

__all__ = [
    "MemoryExpressions",
    "OneUnitStudent",
    "TeacherTask",
    "ar1_inputs",
    "memory_expressions",
    "memory_functions",
    "simulate_memory",
]

PARAMETRISATIONS = ("raw", "normalised", "exp-normalised")


@dataclass(frozen=True)
class MemoryExpressions:
    """SymPy expressions in ``lam`` (the eigenvalue) and ``rho`` (the input correlation)."""

    lam: object
    rho: object
    generating: object  # S(a, b) with a = b = lam left symbolic in ``a``, ``b``
    a: object
    b: object
    h2: object  # E[h^2]
    dh2: object  # E[(dh/dlam)^2]
    norm_dh2: object  # E[(d(gamma h)/dlam)^2], gamma = sqrt(1 - lam^2)
    exp_norm_dh2: object  # E[(d(gamma h)/dnu)^2], lam = exp(-exp(nu))
    gate_dh2: object  # E[(d((1 - lam) h)/db)^2], lam = sigmoid(b): a GRU-style coupled gate


@cache
def memory_expressions() -> MemoryExpressions:
    """Derive E[h^2], E[(dh/dl)^2] and the normalised sensitivities with SymPy."""
    import sympy as sp

    lam = sp.Symbol("lambda", positive=True)
    rho = sp.Symbol("rho", real=True)
    a, b = sp.symbols("a b", positive=True)
    n, d = sp.symbols("n d", integer=True, nonnegative=True)

    def geometric(term, var, start):
        series = sp.Sum(term, (var, start, sp.oo)).doit()
        # SymPy answers piecewise; the closed form holds where |ratio| < 1 (our case)
        return series.args[0][0] if isinstance(series, sp.Piecewise) else series

    # E[h(a) h(b)] = sum_{n,m} a^n b^m rho^|n-m|: the diagonal n = m, then n = m + d and
    # m = n + d for d >= 1, each a product of two geometric series.
    diagonal = geometric((a * b) ** n, n, 0)
    generating = diagonal * (1 + geometric((a * rho) ** d, d, 1) + geometric((b * rho) ** d, d, 1))
    at = {a: lam, b: lam}
    s = generating.subs(at)
    s_b = sp.diff(generating, b).subs(at)
    s_ab = sp.diff(generating, a, b).subs(at)
    gamma = sp.sqrt(1 - lam**2)
    dgamma = sp.diff(gamma, lam)
    norm = dgamma**2 * s + 2 * gamma * dgamma * s_b + gamma**2 * s_ab
    dlam_dnu = lam * sp.log(lam)  # lam = exp(-exp(nu)): dlam/dnu = -lam exp(nu) = lam ln lam
    # a coupled gate, h_t = f h_{t-1} + (1 - f) x_t with f = sigmoid(b): gain 1 - lam,
    # dlam/db = lam (1 - lam)
    gate = lam**2 * (1 - lam) ** 2 * (s - 2 * (1 - lam) * s_b + (1 - lam) ** 2 * s_ab)
    return MemoryExpressions(
        lam=lam,
        rho=rho,
        generating=sp.simplify(generating),
        a=a,
        b=b,
        h2=sp.factor(sp.simplify(s)),
        dh2=sp.factor(sp.simplify(s_ab)),
        norm_dh2=sp.factor(sp.simplify(norm)),
        exp_norm_dh2=sp.simplify(dlam_dnu**2 * sp.factor(sp.simplify(norm))),
        gate_dh2=sp.factor(sp.simplify(gate)),
    )


@cache
def memory_functions():
    """NumPy functions ``f(lam, rho)`` of the expressions: a dict keyed ``h2``, ``dh2``,
    ``norm_dh2``, ``exp_norm_dh2``, ``gate_dh2`` (cheap enough for explorer frames)."""
    import sympy as sp

    e = memory_expressions()
    return {
        key: sp.lambdify((e.lam, e.rho), getattr(e, key), "numpy")
        for key in ("h2", "dh2", "norm_dh2", "exp_norm_dh2", "gate_dh2")
    }


def _check(lam: float, rho: float) -> None:
    if not 0 < lam < 1:
        raise ValueError(f"lam must be in (0, 1), got {lam!r}")
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")


def ar1_inputs(
    batch: int,
    T: int,
    rho: float = 0.0,
    *,
    generator: torch.Generator | None = None,
    dtype: torch.dtype = torch.float64,
) -> Tensor:
    """Stationary AR(1) inputs of unit variance, x_t = rho x_{t-1} + sqrt(1 - rho^2) e_t,
    shape (batch, T, 1); white noise at rho = 0."""
    if not -1 < rho < 1:
        raise ValueError(f"rho must be in (-1, 1), got {rho!r}")
    if not isinstance(T, int) or T < 1 or not isinstance(batch, int) or batch < 1:
        raise ValueError(f"batch and T must be positive ints, got {batch!r}, {T!r}")
    noise = torch.randn(batch, T, 1, generator=generator, dtype=dtype)
    x0 = torch.randn(batch, 1, generator=generator, dtype=dtype)  # the stationary start
    rho_t = torch.tensor(rho, dtype=dtype)
    return linear_scan(rho_t, math.sqrt(1 - rho**2) * noise, x0)


def simulate_memory(
    lam: float, rho: float = 0.0, *, batch: int = 20_000, generator: torch.Generator | None = None
) -> dict[str, float]:
    """Monte-Carlo E[h_T^2] and E[(dh_T/dlam)^2] at stationarity (T = 20 memory times),
    the derivative by autograd in float64: each sequence gets its own copy of lambda, so
    one backward pass gives every per-sequence derivative."""
    _check(lam, rho)
    T = max(50, int(20 / (1 - lam)))
    x = ar1_inputs(batch, T, rho, generator=generator)
    lam_t = torch.full((batch, 1, 1), lam, dtype=torch.float64, requires_grad=True)
    h_last = linear_scan(lam_t, x)[:, -1, 0]  # (batch,)
    (grad,) = torch.autograd.grad(h_last.sum(), lam_t)
    return {"h2": h_last.pow(2).mean().item(), "dh2": grad.pow(2).mean().item()}


class TeacherTask(Task):
    r"""Teacher-student regression: inputs x_t (AR(1), unit variance), targets the
    normalised teacher :math:`y_t = \sqrt{1-\lambda_*^2}\,\sum_n \lambda_*^n x_{t-n}` (unit
    variance), one per step. Predicting 0 scores MSE 1 (``baseline``)."""

    def __init__(self, lam_star: float, T: int = 300, rho: float = 0.0):
        _check(lam_star, rho)
        if not isinstance(T, int) or T < 2:
            raise ValueError(f"T must be an int >= 2, got {T!r}")
        self.lam_star, self.T, self.rho = lam_star, T, rho
        self.name, self.input_size, self.output_size = f"teacher (lambda*={lam_star})", 1, 1
        self.per_step, self.baseline, self.metric_name = True, 1.0, "MSE"

    @property
    def length(self) -> int:
        return self.T

    def sample(self, batch, generator=None):
        x = ar1_inputs(batch, self.T, self.rho, generator=generator, dtype=torch.float32)
        lam = torch.tensor(self.lam_star)
        y = math.sqrt(1 - self.lam_star**2) * linear_scan(lam, x)
        return x, y[..., 0]


class OneUnitStudent(nn.Module):
    r"""The student: :math:`h_t = \lambda h_{t-1} + x_t`, output :math:`c\,g(\lambda)\,h_t`.

    * ``raw``: :math:`\lambda` trained directly, :math:`g = 1`;
    * ``normalised``: :math:`\lambda` trained directly, :math:`g = \gamma = \sqrt{1-\lambda^2}`;
    * ``exp-normalised``: :math:`\lambda = \exp(-e^{\nu})`, :math:`\nu` trained, :math:`g = \gamma`
      (the LRU's choice).
    """

    cell = "linear"
    per_step = True

    def __init__(self, parametrisation: str = "raw", lam0: float = 0.5):
        super().__init__()
        if parametrisation not in PARAMETRISATIONS:
            raise ValueError(
                f"parametrisation must be one of {PARAMETRISATIONS}, got {parametrisation!r}"
            )
        if not 0 < lam0 < 1:
            raise ValueError(f"lam0 must be in (0, 1), got {lam0!r}")
        self.parametrisation = parametrisation
        value = math.log(-math.log(lam0)) if parametrisation == "exp-normalised" else lam0
        self.theta = nn.Parameter(torch.tensor(value))
        self.c = nn.Parameter(torch.tensor(1.0))

    @property
    def lam(self) -> Tensor:
        if self.parametrisation == "exp-normalised":
            return torch.exp(-torch.exp(self.theta))
        return self.theta

    def readout(self, hidden: Tensor) -> Tensor:
        gain = 1.0 if self.parametrisation == "raw" else torch.sqrt((1 - self.lam**2).clamp_min(0))
        return self.c * gain * hidden

    def forward(self, x: Tensor) -> Tensor:
        return self.readout(linear_scan(self.lam, x))  # (B, T, 1)


class _StudentJob:
    """What every run of one ``train_students`` call shares (inherited by forked workers)."""

    def __init__(self, task: Task, steps: int, train_kwargs: dict):
        self.task, self.steps, self.train_kwargs = task, steps, train_kwargs

    def build(self, parametrisation: str, optimizer: str, lr: float, seed: int) -> OneUnitStudent:
        torch.manual_seed(seed)
        return OneUnitStudent(parametrisation)

    def run(self, combo: tuple):
        from .device import one_thread
        from .train import train

        parametrisation, optimizer, lr, seed = combo
        with one_thread():  # the same arithmetic in this process and in a worker
            model = self.build(*combo)
            kwargs = dict(self.train_kwargs, lr=lr, optimizer=optimizer, seed=seed, progress=False)
            history = train(model, self.task, self.steps, **kwargs)
        return model, history


def train_students(
    variants: dict,
    task: Task,
    *,
    lrs,
    seeds,
    steps: int,
    workers: int | None = None,
    **train_kwargs,
) -> dict:
    """Train a ``OneUnitStudent(parametrisation)`` with ``optimizer`` for every
    ``name -> (parametrisation, optimizer)``, learning rate and seed, side by side in
    ``workers`` processes (default: one per core on the CPU), each on one thread. Returns
    ``{name: [[final MSE per seed] per learning rate]}``, NaN for a run that diverged."""
    from .sweep import run_jobs

    combos = [(p, o, lr, s) for p, o in variants.values() for lr in lrs for s in seeds]
    job = _StudentJob(task, steps, train_kwargs)
    results = run_jobs(job, combos, workers=workers, device=train_kwargs.get("device"))
    finals = iter(math.nan if h.diverged else h.final_metric for _, h in results)
    return {name: [[next(finals) for _ in seeds] for _ in lrs] for name in variants}
