"""The selective cells as trainable layers (rnngrad.cells.selective, registered as cells): scan == loop, the
step-by-step unroll equals the layer, derived gradients through time against float64
autograd, float32 training gradients against float64, and make_model / train / grid /
trace on every new cell. Each test names the plausible wrong implementation it catches."""

import math

import numpy as np
import pytest
import sympy as sp
import torch

import rnngrad
from conftest import adam_replay
from rnngrad.cells import selective
from rnngrad.core import recall as recall_tasks
from rnngrad.core import scan

CELLS = rnngrad.cell_names("selective")
F64 = torch.float64


def _model(cell, task=None, hidden=6, seed=0):
    task = task or rnngrad.AddingProblem(T=12)
    return rnngrad.make_model(cell, task, hidden_size=hidden, seed=seed).double(), task


def _randomise(model, seed=0):
    """Scale every weight away from its start, so a wrong equation cannot hide behind an
    initialisation where it happens to agree."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))


@pytest.mark.parametrize("cell", ["mingru", "minlstm", "ssm"])
def test_scan_layer_equals_loop_layer_and_unroll(cell):
    """Catches: a scan that drops or reorders a step (odd T), a layer whose loop mode runs a
    different recurrence, an unroll (the probe's path) that is not the layer's computation."""
    model, task = _model(cell)
    _randomise(model)
    x = torch.randn(3, 13, task.input_size, dtype=F64)
    scan = model.rnn(x)[0]
    model.rnn.mode = "loop"
    loop = model.rnn(x)[0]
    _, unrolled = model.rnn.unroll(x)
    torch.testing.assert_close(scan, loop, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(scan, unrolled, rtol=1e-12, atol=1e-12)


def test_min_gru_layer_is_the_paper_equation_with_biases():
    """Catches: the bias of a gate left out, z and 1 - z swapped (h_t = z h + (1-z) h~)."""
    model, task = _model("mingru")
    _randomise(model)
    x = torch.randn(2, 7, task.input_size, dtype=F64)
    lz, lh = model.rnn.linear_z, model.rnn.linear_h
    h = torch.zeros(2, 6, dtype=F64)
    for t in range(7):
        z = torch.sigmoid(x[:, t] @ lz.weight.T + lz.bias)
        h = (1 - z) * h + z * (x[:, t] @ lh.weight.T + lh.bias)
    torch.testing.assert_close(model.rnn(x)[0][:, -1], h)


def test_min_lstm_layer_is_the_paper_equation_with_biases():
    """Feng et al. (2024): f' = f / (f + i), i' = i / (f + i), h_t = f' h_{t-1} + i' h~_t.
    Catches: gates left unnormalised (h_t = f h_{t-1} + i h~_t), a gate's bias left out,
    f' and i' swapped, the layer wired to the wrong Linear."""
    model, task = _model("minlstm")
    _randomise(model)
    x = torch.randn(2, 7, task.input_size, dtype=F64)
    lf, li, lh = model.rnn.linear_f, model.rnn.linear_i, model.rnn.linear_h
    h, outputs = torch.zeros(2, 6, dtype=F64), []
    for t in range(7):
        f = 1 / (1 + torch.exp(-(x[:, t] @ lf.weight.T + lf.bias)))
        i = 1 / (1 + torch.exp(-(x[:, t] @ li.weight.T + li.bias)))
        h = f / (f + i) * h + i / (f + i) * (x[:, t] @ lh.weight.T + lh.bias)
        outputs.append(h)
    torch.testing.assert_close(model.rnn(x)[0], torch.stack(outputs, 1), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", ["mingru", "minlstm"])
def test_min_cells_gradient_through_time_is_the_product_of_their_gates(cell):
    """dh_T/dh_t = prod_{s>t} a_s (1 - z_s or f'_s), derived, against float64 autograd.
    Catches: a product that includes a_t itself (off by one step), gates taken from h."""
    model, task = _model(cell)
    _randomise(model, 1)
    x = torch.randn(2, 10, task.input_size, dtype=F64)
    a, _ = model.rnn.coefficients(x)
    states, _ = model.rnn.unroll(x)
    w = torch.randn(6, dtype=F64)
    grads = torch.autograd.grad((states[-1] * w).sum(), states)
    for t in range(10):
        torch.testing.assert_close(grads[t], a[:, t + 1 :].prod(1) * w, rtol=1e-12, atol=1e-14)


def test_ssm_gradient_through_time_is_exp_of_a_times_summed_delta():
    """The chapter's SymPy result exp(A sum_{s>t} Delta_s) against float64 autograd through
    the library's selective SSM. Catches: A_bar = exp(-Delta) without A, Delta summed from t
    (one step too many), a sign error giving growth instead of decay."""
    g = torch.Generator().manual_seed(2)
    D, N, T = 3, 2, 15
    x = torch.randn(2, T, D, generator=g, dtype=F64)
    params = [
        torch.randn(*s, generator=g, dtype=F64) * 0.5
        for s in [(D, N), (N, D), (N, D), (D, D), (D,)]
    ]
    a, b, _, delta = selective.selective_ssm_coefficients(x, *params)
    h, hs = torch.zeros_like(b[:, 0]).requires_grad_(), []
    for t in range(T):
        h = a[:, t] * h + b[:, t]
        hs.append(h)
    grads = torch.autograd.grad(hs[-1].sum(), hs)
    A = -torch.exp(params[0])
    for t in range(T):
        expected = torch.exp(A * delta[:, t + 1 :].sum(1).unsqueeze(-1))
        torch.testing.assert_close(grads[t], expected, rtol=1e-12, atol=1e-15)
    assert (A < 0).all()


def test_ssm_sympy_unroll_equals_the_lstm_product_with_f_equal_exp_delta_a():
    """The chapter's SymPy identity, rebuilt: d h_{t+3}/d h_t = prod f_k with f_k = e^{Delta_k A}.
    Catches: a derivation that loses a step or keeps the inputs in the derivative."""
    a, h0 = sp.symbols("A h_t", real=True)
    deltas, us = sp.symbols("Delta_1:4", positive=True), sp.symbols("u_1:4")
    h = h0
    for d, u in zip(deltas, us, strict=True):
        h = sp.exp(d * a) * h + u
    assert sp.simplify(sp.diff(h, h0) - sp.exp(a * sum(deltas))) == 0


def test_float32_layer_gradients_match_float64_autograd():
    """Every new cell's weight gradients in float32 against the same model in float64.
    Catches: a computation that loses precision badly in float32 (e.g. the unstabilised
    exponential gate, or a log-space detour that cancels)."""
    for cell in CELLS:
        model64, task = _model(cell, hidden=5)
        model32 = rnngrad.make_model(cell, task, hidden_size=5, seed=0)
        model32.load_state_dict({k: v.float() for k, v in model64.state_dict().items()})
        x, y = task.sample(16, torch.Generator().manual_seed(0))
        g64 = torch.autograd.grad(
            task.loss(model64(x.double()), y.double()), list(model64.parameters())
        )
        g32 = torch.autograd.grad(task.loss(model32(x), y), list(model32.parameters()))
        for p, q in zip(g32, g64, strict=True):
            assert (p.double() - q).abs().max() <= 1e-4 * (q.abs().max() + 1e-6), cell


def test_slstm_layer_survives_input_gates_that_overflow_float32_and_matches_float64():
    """Catches: a layer that runs the naive step (overflow to inf/nan at i~ ~ 100), or a
    stabiliser that changes h_t (compared with the naive float64 sequence)."""
    model, task = _model("slstm", hidden=4)
    with torch.no_grad():
        model.rnn.bias[:4] += 100.0  # input-gate pre-activations ~ 100: exp overflows float32
    x = torch.randn(3, 12, task.input_size, dtype=F64)
    rnn = model.rnn
    naive, _ = selective.slstm_sequence(x, rnn.weight_ih, rnn.weight_hh, rnn.bias, stabilised=False)
    out32 = rnngrad.make_model("slstm", task, hidden_size=4, seed=0)
    out32.load_state_dict({k: v.float() for k, v in model.state_dict().items()})
    h32 = out32.rnn(x.float())[0]
    assert torch.isfinite(h32).all()
    torch.testing.assert_close(h32.double(), naive, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(model.rnn(x)[0], naive, rtol=1e-10, atol=1e-12)


def test_every_weight_of_the_equations_is_a_trained_parameter():
    """Parameter counts from the equations (H units, d inputs, N states), head excluded.
    Catches: a weight kept as a buffer or plain tensor (never trained), a missing bias."""
    d, H, N = 2, 5, 4
    expected = {
        "mingru": 2 * (H * d + H),
        "minlstm": 3 * (H * d + H),
        "slstm": 4 * H * (d + H + 1),
        "ssm": (H * d + H) + H * N + 2 * N * H + H * H + 2 * H,
    }
    for cell, count in expected.items():
        model, _ = _model(cell, hidden=H)
        assert sum(p.numel() for p in model.rnn.parameters()) == count, cell
        assert not list(model.rnn.buffers()), cell


def test_slstm_starts_with_the_reference_forget_biases():
    """Catches: the forget-gate block placed at the wrong offset of the i, f, z, o order."""
    model, _ = _model("slstm", hidden=8)
    torch.testing.assert_close(model.rnn.bias[8:16].detach(), torch.linspace(3, 6, 8, dtype=F64))


@pytest.mark.parametrize("cell", CELLS)
def test_trace_is_autograd_of_the_models_loss_for_every_cell(cell):
    """The probe's dL/dh_T at the last step is the gradient of the model's own loss with
    respect to its last state (for a last-step read-out, only through the head).
    Catches: a trace whose states are not those the read-out uses, or detached ones."""
    model, task = _model(cell)
    _randomise(model, 3)
    x, y = task.sample(8, torch.Generator().manual_seed(1))
    x, y = x.double(), y.double()
    trace = rnngrad.probe(model, task, x, y)
    T = task.length
    assert trace.dL_dh.shape[:2] == (8, T)
    assert trace.loss == pytest.approx(task.loss(model(x), y).item(), rel=1e-12)
    # One number per step: each sequence's gradient norm over all of a state's numbers
    # (for the SSM all D x N of a step), then the batch mean; the reach is first over last.
    flat = trace.dL_dh.reshape(8, T, -1).abs()
    norms = [sum(flat[b, t].pow(2).sum().sqrt().item() for b in range(8)) / 8 for t in range(T)]
    np.testing.assert_allclose(trace.gradient_norms().numpy(), norms, rtol=1e-10)
    assert trace.reach() == pytest.approx(norms[0] / norms[-1], rel=1e-10)
    if cell != "ssm":  # h_T is the output: dL/dh_T = dL/dpred @ W_head
        pred = model.head(trace.h[:, -1].clone().requires_grad_())
        hT = trace.h[:, -1].clone().requires_grad_()
        (g,) = torch.autograd.grad(task.loss(model.head(hT), y), hT)
        torch.testing.assert_close(trace.dL_dh[:, -1], g)
        assert pred.shape[-1] == task.output_size


def test_one_probe_looks_inside_every_registered_cell():
    """Catches: a cell family the probe cannot unroll (the chapters compare all of them)."""
    task = rnngrad.AddingProblem(T=6)
    x, y = task.sample(3, torch.Generator().manual_seed(0))
    for cell in rnngrad.cell_names():
        if cell == "student":  # one linear unit on its own task: tests/unit/test_memory.py
            continue
        model = rnngrad.make_model(cell, task, hidden_size=4, seed=0)
        trace = rnngrad.probe(model, task, x, y)
        assert trace.dL_dh.shape[:2] == (3, 6), cell
        assert trace.loss == pytest.approx(task.loss(model(x), y).item(), rel=1e-5), cell


def test_grid_trains_every_new_cell_in_workers_like_in_process():
    """Catches: a model that cannot be rebuilt from its state dict in the parent (the worker
    path), or a build that depends on more than the seed."""
    task = recall_tasks.AssociativeRecallTask(pairs=2, keys=3, values=3)
    kwargs = dict(steps=3, seeds=[0], hidden_size=4, eval_every=3, eval_batch=16, progress=False)
    one = rnngrad.grid(list(CELLS), {"r": task}, workers=1, **kwargs)
    two = rnngrad.grid(list(CELLS), {"r": task}, workers=2, **kwargs)
    for a, b in zip(one, two, strict=True):
        assert a.cell == b.cell and a.history.loss == b.history.loss
        for p, q in zip(a.model.parameters(), b.model.parameters(), strict=True):
            torch.testing.assert_close(p, q)


def test_training_lowers_the_loss_of_every_new_cell():
    """Ten steps of ``train`` equal ten Adam steps written out here, bit for bit; every
    parameter moves; and the held-out MSE after 60 steps is below the same model's before
    training (a margin that does not hang on rounding, unlike a threshold near the baseline).
    Catches: parameters that do not reach the optimiser or get no gradient (e.g. created as
    plain tensors, or detached inside the scan)."""
    task = rnngrad.AddingProblem(T=8)
    held_out = task.sample(128, torch.Generator().manual_seed(10_000))
    for cell in CELLS:
        model = rnngrad.make_model(cell, task, hidden_size=8, seed=0)
        with torch.no_grad():
            before = task.loss(model(held_out[0]), held_out[1]).item()
        history = rnngrad.train(
            model, task, 10, lr=1e-2, eval_every=10, eval_batch=128, progress=False, device="cpu"
        )
        replay = rnngrad.make_model(cell, task, hidden_size=8, seed=0)
        start = [p.detach().clone() for p in replay.parameters()]
        losses = adam_replay(replay, task, 10, batch=64, lr=1e-2)
        assert history.loss == losses, cell
        for (name, p), q, p0 in zip(
            model.named_parameters(), replay.parameters(), start, strict=True
        ):
            assert torch.equal(p, q), (cell, name)
            assert not torch.equal(p0, q), f"{cell}: {name} never moved"
        longer = rnngrad.make_model(cell, task, hidden_size=8, seed=0)
        history = rnngrad.train(
            longer, task, 60, lr=1e-2, eval_every=60, eval_batch=128, progress=False, device="cpu"
        )
        assert history.eval_metric[-1] < 0.5 * before, (cell, before, history.eval_metric)


def test_scan_rounds_counts_the_scans_recursion():
    """Catches: a depth formula that is not the scan's (e.g. ceil(log2 T) where the odd-even
    recursion goes floor(log2 T) levels deep)."""
    calls = []
    original = scan._scan

    def counting(a, b):
        calls.append(b.shape[-2])
        return original(a, b)

    scan._scan = counting
    try:
        for T in (1, 2, 3, 5, 8, 13, 64, 100):
            calls.clear()
            scan.linear_scan(torch.ones(1, T, 1), torch.ones(1, T, 1))
            assert len(calls) == scan.scan_rounds(T) + 1, T
    finally:
        scan._scan = original


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: rnngrad.make_model("mamba", rnngrad.AddingProblem(T=5)),
            "unknown cell",
        ),
        (lambda: selective.MinGRU(3, 0), "hidden_size"),
        (lambda: selective.MinGRU(3, 4, mode="fast"), "mode"),
        (lambda: selective.SelectiveSSM(3, 4, state_size=0), "state_size"),
        (lambda: selective.SLSTM(3, 4)(torch.ones(2, 5, 2)), "x must have shape"),
        (lambda: selective.MinGRU(3, 4)(torch.ones(2, 5, 3), torch.zeros(1, 2, 4)), "h0"),
        (
            lambda: rnngrad.make_model("slstm", rnngrad.AddingProblem(T=5), num_layers=2),
            "one layer",
        ),
        (lambda: scan.scan_rounds(0), "positive int"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_explorer_figure_plots_exp_of_a_times_the_summed_steps():
    """The explorer's right panel is exp(A sum_{s>t} Delta_s), computed here independently.
    Catches: the sum taken from t instead of t + 1, the reset token at the wrong step."""
    from rnngrad.measure import reach as sf
    from rnngrad.notebook.frames import delta_frame

    delta = [10.0**-2] * sf.STEPS
    delta[sf.RESET_AT] = 10.0
    expected = [math.exp(-sum(delta[t + 1 :])) for t in range(sf.STEPS)]
    got = sf.selective_decay(-2.0, 1.0)
    assert got == pytest.approx(expected, rel=1e-12)
    fig = delta_frame(-2.0, 1.0)
    line = fig.axes[1].get_lines()[0]
    assert list(line.get_ydata()) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="negative"):
        sf.selective_decay(-2.0, 1.0, a=0.5)
