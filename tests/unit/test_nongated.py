"""Part V's non-gated cells against references, their derivations against autograd, and
truncated backpropagation against its definition."""

import math

import pytest
import sympy as sp
import torch
from torch import nn

from conftest import adam_replay
from rnngrad import probe, train
from rnngrad.cells import unroll
from rnngrad.cells.init import chrono_init_, memory_time
from rnngrad.cells.nongated import (
    DeepIndRNN,
    IndRNN,
    LeakyRNN,
    OrthogonalRNN,
    StepModule,
    check_leak,
    indrnn_bound,
    irnn_init_,
)
from rnngrad.core.tasks import AddingProblem, CopyTask
from rnngrad.derive import nongated as sym
from rnngrad.measure.reach import deep_reach
from rnngrad.models import Truncated, cell_names, make_model
from rnngrad.models.truncate import truncate

F64 = torch.float64


def _leaky_reference(x, w_ih, w_hh, b_ih, b_hh, alpha):
    """The leaky recurrence written independently: one unit at a time, plain loops."""
    B, T, _ = x.shape
    H = w_hh.shape[0]
    h = [[torch.zeros((), dtype=F64) for _ in range(H)] for _ in range(B)]
    out = []
    for t in range(T):
        new = []
        for b in range(B):
            row = []
            for j in range(H):
                a = b_ih[j] + b_hh[j] + sum(w_ih[j, i] * x[b, t, i] for i in range(x.shape[2]))
                a = a + sum(w_hh[j, k] * h[b][k] for k in range(H))
                row.append(alpha[j] * h[b][j] + (1 - alpha[j]) * torch.tanh(a))
            new.append(row)
        h = new
        out.append(torch.stack([torch.stack(r) for r in h]))
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("seed", [0, 1])
def test_leaky_rnn_matches_independent_float64_autograd(seed):
    torch.manual_seed(seed)
    H = 3
    cell = LeakyRNN(2, H, leak=torch.tensor([0.2, 0.5, 0.9])).to(F64)
    x = torch.randn(2, 4, 2, dtype=F64)
    out, h_n = cell(x)
    out.sin().sum().backward()
    grads = [p.grad.clone() for p in cell.parameters()]
    params = [p.detach().clone().requires_grad_() for p in cell.parameters()]
    ref = _leaky_reference(x, *params, cell.leak)
    ref.sin().sum().backward()
    torch.testing.assert_close(out, ref, atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(h_n[0], ref[:, -1])
    for mine, theirs in zip(grads, [p.grad for p in params], strict=True):
        torch.testing.assert_close(mine, theirs, atol=1e-12, rtol=1e-12)
    # planted bug: the reference is sensitive to swapping alpha and 1 - alpha
    swapped = _leaky_reference(x, *[p.detach() for p in params], 1 - cell.leak)
    assert (swapped - out).abs().max() > 1e-3


@pytest.mark.parametrize("dtype", [F64, torch.float32])
def test_indrnn_matches_fused_relu_rnn_with_diagonal_weight(dtype):
    """IndRNN is nn.RNN(ReLU) with W_hh = diag(u) and no hidden bias."""
    torch.manual_seed(0)
    ind = IndRNN(3, 5).to(dtype)
    fused = nn.RNN(3, 5, nonlinearity="relu", batch_first=True).to(dtype)
    with torch.no_grad():
        fused.weight_ih_l0.copy_(ind.weight_ih_l0)
        fused.bias_ih_l0.copy_(ind.bias_ih_l0)
        fused.weight_hh_l0.copy_(torch.diag(ind.weight_hh_l0))
        fused.bias_hh_l0.zero_()
    x = torch.randn(4, 9, 3, dtype=dtype)
    for module in (ind, fused):
        out, h_n = module(x)
        (out.sin().sum() + h_n.sum()).backward()
    tol = 1e-10 if dtype == F64 else 1e-5
    torch.testing.assert_close(ind(x)[0], fused(x)[0], atol=tol, rtol=tol)
    torch.testing.assert_close(ind.weight_ih_l0.grad, fused.weight_ih_l0.grad, atol=tol, rtol=tol)
    torch.testing.assert_close(
        ind.weight_hh_l0.grad, torch.diagonal(fused.weight_hh_l0.grad), atol=tol, rtol=tol
    )
    # the step-by-step path (used by trace) agrees with the vectorised forward
    h = torch.zeros(4, 5, dtype=dtype)
    for x_t in x.unbind(1):
        h = ind.step(x_t, h)
    torch.testing.assert_close(h, ind(x)[1][0], atol=tol, rtol=tol)


def test_deep_indrnn_matches_a_multilayer_fused_relu_rnn():
    """A stack of IndRNN layers is nn.RNN(ReLU, num_layers=L) with every W_hh diagonal.
    Catches a stack that feeds x to every layer, or returns h_n in the wrong order."""
    torch.manual_seed(0)
    deep = DeepIndRNN(3, 5, layers=3).to(F64)
    fused = nn.RNN(3, 5, num_layers=3, nonlinearity="relu", batch_first=True).to(F64)
    with torch.no_grad():
        for k, layer in enumerate(deep.layers):
            getattr(fused, f"weight_ih_l{k}").copy_(layer.weight_ih_l0)
            getattr(fused, f"bias_ih_l{k}").copy_(layer.bias_ih_l0)
            getattr(fused, f"weight_hh_l{k}").copy_(torch.diag(layer.weight_hh_l0))
            getattr(fused, f"bias_hh_l{k}").zero_()
    x = torch.randn(4, 9, 3, dtype=F64)
    h0 = torch.rand(3, 4, 5, dtype=F64)
    for mine, theirs in zip(deep(x, h0), fused(x, h0), strict=True):
        torch.testing.assert_close(mine, theirs, atol=1e-12, rtol=1e-12)
    model = make_model("indrnn", AddingProblem(20), 8, bound=indrnn_bound(20), num_layers=2)
    assert isinstance(model.rnn, DeepIndRNN) and len(model.rnn.layers) == 2
    assert all(layer.bound == indrnn_bound(20) for layer in model.rnn.layers)
    with pytest.raises(ValueError, match="layers"):
        DeepIndRNN(3, 5, layers=0)
    with pytest.raises(ValueError, match="one layer"):
        make_model("leaky", AddingProblem(20), num_layers=2)


def test_indrnn_bound_clamps_the_recurrent_weight():
    ind = IndRNN(1, 4, bound=indrnn_bound(10, 2.0))
    with torch.no_grad():
        ind.weight_hh_l0.copy_(torch.tensor([-3.0, 0.5, 1.2, 5.0]))
    b = 2.0 ** (1 / 10)
    assert ind.recurrent_weight.tolist() == pytest.approx([-b, 0.5, b, b])


def test_orthogonal_rnn_stays_orthogonal_and_replays():
    torch.manual_seed(0)
    rnn = OrthogonalRNN(2, 6).to(F64)
    x = torch.randn(3, 7, 2, dtype=F64)
    opt = torch.optim.SGD(rnn.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        rnn(x)[0].pow(2).sum().backward()
        opt.step()
    q = rnn.weight_hh_l0
    # (the base was made in float32 before .to(F64): orthogonal to float32 accuracy)
    torch.testing.assert_close(q.T @ q, torch.eye(6, dtype=F64), atol=1e-6, rtol=0)
    # the fused forward uses the current orthogonal matrix: the textbook replay agrees
    torch.testing.assert_close(rnn(x)[0], unroll(rnn, x)[0], atol=1e-10, rtol=1e-10)


def test_irnn_start():
    rnn = irnn_init_(nn.RNN(2, 4, nonlinearity="relu"))
    assert torch.equal(rnn.weight_hh_l0, torch.eye(4))
    assert not rnn.bias_ih_l0.any() and not rnn.bias_hh_l0.any()
    with pytest.raises(ValueError, match="ReLU"):
        irnn_init_(nn.RNN(2, 4))


@pytest.mark.parametrize("cell", cell_names("classic") + cell_names("non-gated"))
def test_every_variant_trains_in_the_shared_loop(cell):
    """Three steps of ``train`` equal three Adam steps written out here, bit for bit, and
    every parameter moves. Catches: a cell with a parameter no gradient reaches (e.g. a
    detached recurrent weight), a loop that draws its batches or held-out set from other
    generators, or an update other than one Adam step per batch."""
    task = CopyTask(2) if cell == "leaky" else AddingProblem(T=6)
    torch.manual_seed(0)
    model = make_model(cell, task, hidden_size=8)
    assert model.cell == cell
    history = train(
        model, task, 3, batch_size=8, eval_batch=16, eval_every=3, progress=False, device="cpu"
    )
    assert history.steps == 3 and math.isfinite(history.loss[-1])
    # The same three steps replayed by hand: Adam (lr 2e-3) on batches of 8 from a generator
    # seeded 0, then the metric on 16 held-out sequences from a generator seeded 10,000.
    torch.manual_seed(0)
    replay = make_model(cell, task, hidden_size=8)
    start = [p.detach().clone() for p in replay.parameters()]
    losses = adam_replay(replay, task, 3, batch=8, lr=2e-3)
    assert history.loss == losses
    replay.eval()
    with torch.no_grad():
        x, y = task.sample(16, torch.Generator().manual_seed(10_000))
        assert history.eval_metric == [task.metric(replay(x), y)]
    for (name, p), q, p0 in zip(model.named_parameters(), replay.parameters(), start, strict=True):
        assert torch.equal(p, q), name  # the loop trained exactly these parameters
        assert not torch.equal(p0, q), f"{name} never moved: no gradient reaches it"


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru", "orthogonal"])
def test_step_by_step_probe_is_the_replay(cell):
    task = AddingProblem(T=8)
    torch.manual_seed(0)
    model = make_model(cell, task, hidden_size=5).double()
    x, y = (t.double() for t in task.sample(4, torch.Generator().manual_seed(0)))
    # one step at a time (a cut after the last step changes nothing) against the replay
    ours, theirs = probe(model, task, x, y, truncate=task.length), probe(model, task, x, y)
    torch.testing.assert_close(ours.dL_dh, theirs.dL_dh)
    assert ours.loss == pytest.approx(theirs.loss)


@pytest.mark.parametrize("cell", ["lstm", "indrnn", "leaky"])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_truncation_cuts_the_gradient_at_k(cell, k):
    """BPTT(k) of a last-step loss reaches x_{T-k+1}..x_T and nothing earlier; the forward
    pass is unchanged; probe(truncate=k) shows the same cut on dL/dh_t."""
    T = 9
    task = AddingProblem(T=T)
    torch.manual_seed(1)
    model = make_model(cell, task, hidden_size=6).double()
    x, y = (t.double() for t in task.sample(5, torch.Generator().manual_seed(1)))
    x.requires_grad_()
    cut = Truncated(model, k)
    torch.testing.assert_close(cut(x), model(x))
    (g,) = torch.autograd.grad(task.loss(cut(x), y), x)
    per_step = g.abs().sum(dim=(0, 2))
    assert (per_step[: T - k] == 0).all()
    assert (per_step[T - k :] > 0).all()
    tr = probe(model, task, x.detach(), y, truncate=k).gradient_norms()
    assert (tr[: T - k] == 0).all() and (tr[T - k :] > 0).all()


def test_truncation_longer_than_the_sequence_is_full_bptt():
    task = AddingProblem(T=6)
    torch.manual_seed(0)
    model = make_model("gru", task, hidden_size=4).double()
    x, y = (t.double() for t in task.sample(3, torch.Generator().manual_seed(0)))
    full = torch.autograd.grad(task.loss(model(x), y), list(model.parameters()))
    cut = torch.autograd.grad(task.loss(Truncated(model, 6)(x), y), list(model.parameters()))
    for a, b in zip(full, cut, strict=True):
        torch.testing.assert_close(a, b)
    assert truncate(model, None) is model


def test_truncated_model_trains_in_the_shared_loop():
    task = AddingProblem(T=12)
    torch.manual_seed(0)
    model = make_model("lstm", task, hidden_size=8)
    before = [p.detach().clone() for p in model.parameters()]
    history = train(Truncated(model, 4), task, 3, batch_size=8, eval_batch=16, progress=False)
    assert history.steps == 3
    assert any(not torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))


@pytest.mark.parametrize("leak", [0, 1, 1.5, -0.1, math.nan, [0.5, 1.0]])
def test_leak_outside_open_interval_raises(leak):
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        check_leak(leak)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        LeakyRNN(1, 2, leak=leak)


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_truncation_k_below_one_raises(k):
    model = make_model("rnn", AddingProblem(T=4), hidden_size=2)
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        Truncated(model, k)
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        truncate(model, k)


def test_negative_bound_and_bad_arguments_raise():
    with pytest.raises(ValueError, match="bound must be"):
        IndRNN(1, 2, bound=-0.5)
    with pytest.raises(ValueError, match="gamma"):
        indrnn_bound(10, -1.0)
    with pytest.raises(ValueError, match="steps"):
        indrnn_bound(0)
    with pytest.raises(ValueError, match="unknown cell"):
        make_model("unitary", AddingProblem(T=4))
    with pytest.raises(ValueError, match="one number or 3"):
        LeakyRNN(1, 3, leak=[0.5, 0.5])


# -- derivations against autograd -------------------------------------------------------


def _values(symbols, seed):
    g = torch.Generator().manual_seed(seed)
    return {s: float(torch.rand((), generator=g, dtype=F64)) * 0.8 + 0.1 for s in symbols}


@pytest.mark.parametrize("seed", range(3))
def test_leaky_jacobian_against_autograd(seed):
    s, _, total, written = sym.leaky_scalar()
    v = _values(s.values(), seed)
    p = {k: v[sym_] for k, sym_ in s.items()}
    h = torch.tensor(p["h"], dtype=F64, requires_grad=True)
    out = p["alpha"] * h + (1 - p["alpha"]) * torch.tanh(p["w"] * h + p["u"] * p["x"] + p["b"])
    out.backward()
    assert float(total.subs(v)) == pytest.approx(h.grad.item(), abs=1e-12)
    assert sp.simplify(total - written) == 0


@pytest.mark.parametrize("seed", range(4))
def test_leaky_jacobian_lower_bound(seed):
    """Every singular value of diag(alpha) + (1 - alpha) D W (D = tanh', entries in [0, 1],
    ||W||_2 = s) is at least alpha - (1 - alpha) s; W = -I, D = I attains it."""
    g = torch.Generator().manual_seed(seed)
    alpha, n = 0.9, 16
    for s in (0.5, 1.0, 3.0, 8.0):
        w = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=F64))[0] * s
        d = torch.diag(torch.rand(n, generator=g, dtype=F64))
        jac = alpha * torch.eye(n, dtype=F64) + (1 - alpha) * d @ w
        smallest = torch.linalg.svdvals(jac).min().item()
        assert smallest >= alpha - (1 - alpha) * s - 1e-12
    # the bound is attained: W = -s I, D = I
    for s in (0.5, 1.0, 3.0):
        jac = alpha * torch.eye(n, dtype=F64) - (1 - alpha) * s * torch.eye(n, dtype=F64)
        assert torch.linalg.svdvals(jac).min().item() == pytest.approx(alpha - (1 - alpha) * s)


def test_gru_as_leaky_is_pytorchs_gru():
    """The symbolic GRU is nn.GRUCell's: frozen z = alpha, r = 1 (huge gate biases, zero gate
    weights) gives the leaky unit with bias b_in + b_hn."""
    gru, leaky, _ = sym.gru_as_leaky()
    cell = torch.nn.GRUCell(1, 1).to(F64)
    w, u, b_in, b_hn, alpha = 0.7, -1.3, 0.2, -0.4, 0.8
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor([[0.0], [0.0], [u]], dtype=F64))
        cell.weight_hh.copy_(torch.tensor([[0.0], [0.0], [w]], dtype=F64))
        cell.bias_ih.copy_(torch.tensor([40.0, math.log(alpha / (1 - alpha)), b_in], dtype=F64))
        cell.bias_hh.copy_(torch.tensor([0.0, 0.0, b_hn], dtype=F64))
    x, h = torch.tensor([[0.3]], dtype=F64), torch.tensor([[-0.5]], dtype=F64)
    names = {str(s): s for s in leaky.free_symbols}
    values = {names["alpha"]: alpha, names["w"]: w, names["u"]: u, names["b_{in}"]: b_in,
              names["b_{hn}"]: b_hn, names["h_{t-1}"]: -0.5, names["x_t"]: 0.3}  # fmt: skip
    assert cell(x, h).item() == pytest.approx(float(leaky.subs(values)), abs=1e-12)


def test_efolding_time_against_decay():
    alpha, k, tau, series = sym.efolding_time()
    for a in (0.5, 0.9, 0.99):
        t = float(tau.subs(alpha, a))
        assert a**t == pytest.approx(math.exp(-1))  # after tau_e steps, a factor e is lost
        assert float(series.subs(alpha, a)) == pytest.approx(t, rel=(1 - a) ** 2 + 1e-3)
        assert float(series.subs(alpha, a)) == pytest.approx(1 / (1 - a) - 0.5)  # memory time - 1/2
    # measured on a LeakyRNN with no recurrent weight: dh_T/dh_0 = alpha^T per unit
    cell = LeakyRNN(1, 3, leak=torch.tensor([0.5, 0.8, 0.95])).to(F64)
    with torch.no_grad():
        cell.weight_hh_l0.zero_()
    h0 = torch.zeros(1, 1, 3, dtype=F64, requires_grad=True)
    _, h_n = cell(torch.randn(1, 10, 1, dtype=F64), h0)
    (g,) = torch.autograd.grad(h_n.sum(), h0)
    torch.testing.assert_close(g.flatten(), cell.leak**10)


def test_gates_are_learned_leaks_and_time_warping():
    assert sym.gru_as_leaky()[2] == 0
    assert sym.time_warping()[3] == 0


def test_chrono_bias_against_chrono_init():
    tau, b_f, input_gate = sym.chrono_bias()
    assert b_f == sp.log(tau - 1) and sp.simplify(input_gate - 1 / tau) == 0
    lstm = nn.LSTM(1, 16)
    chrono_init_(lstm, t_max=50, generator=torch.Generator().manual_seed(0))
    bias_f = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[16:32].detach().double()
    bias_i = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[:16].detach().double()
    times = memory_time(torch.sigmoid(bias_f))
    predicted = torch.tensor([float(b_f.subs(tau, float(t))) for t in times], dtype=F64)
    torch.testing.assert_close(bias_f, predicted, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(torch.sigmoid(bias_i), 1 / times, atol=1e-5, rtol=1e-5)
    assert times.min() >= 2 - 1e-5 and times.max() <= 50 + 1e-4


@pytest.mark.parametrize("steps", [1, 4, 12])
def test_indrnn_gain_against_autograd(steps):
    (u_sym, *_), gain, u_max = sym.indrnn_gradient(steps)
    assert gain == u_sym**steps
    cell = IndRNN(1, 4).to(F64)
    with torch.no_grad():
        cell.weight_ih_l0.fill_(1.0)
        cell.bias_ih_l0.fill_(0.1)
        cell.weight_hh_l0.copy_(torch.tensor([0.3, 0.9, 1.0, 1.1], dtype=F64))
    h0 = torch.full((1, 1, 4), 0.5, dtype=F64, requires_grad=True)
    _, h_n = cell(torch.rand(1, steps, 1, dtype=F64), h0)  # positive: every ReLU passes
    (g,) = torch.autograd.grad(h_n.sum(), h0)
    expected = [float(gain.subs(u_sym, u)) for u in cell.weight_hh_l0.tolist()]
    torch.testing.assert_close(g.flatten(), torch.tensor(expected, dtype=F64))
    gamma, T = sp.symbols("gamma T", positive=True)
    assert float(u_max.subs({gamma: 2.0, T: steps})) == pytest.approx(indrnn_bound(steps, 2.0))
    assert indrnn_bound(steps, 2.0) ** steps == pytest.approx(2.0)


def test_rotation_against_matrix_exp():
    theta, Q, QtQ, gap = sym.rotation()
    assert QtQ == sp.eye(2) and gap == 0
    a = 0.7
    skew = torch.tensor([[0.0, -a], [a, 0.0]], dtype=F64)
    numeric = torch.tensor(sp.matrix2numpy(Q.subs(theta, a), dtype=float))
    torch.testing.assert_close(torch.linalg.matrix_exp(skew), numeric)


def test_leaky_reach_figure_measures_alpha_to_the_k_without_recurrent_weights():
    from rnngrad.measure.reach import leaky_gradient_reach
    from rnngrad.notebook.frames import jacobian_shrink_frame, leaky_reach_frame

    reach = leaky_gradient_reach(0.8, 0.0, steps=20)
    torch.testing.assert_close(reach, 0.8 ** torch.arange(20, dtype=F64))
    assert leaky_reach_frame(0.8, 1.0, steps=20).axes
    assert jacobian_shrink_frame(1.0, steps=10, hidden=4).axes


def _deep_reach_written_out(cell, layers, steps, hidden, batch, seed=0, gamma=2.0, eps=0.01):
    """deep_reach's measurement with the stack's equations written out here: the same seeded
    weights, input and read-out, each layer a loop h_t = phi(W x_t + b + U h_{t-1}) (U: the
    full matrix for the tanh RNN, the diagonal u for the ReLU IndRNN), then autograd of
    r . h_T(top) with respect to every x_t; ||dL/dx_t|| over the batch, over the last one's."""
    torch.manual_seed(seed)
    if cell == "indrnn":
        stack = DeepIndRNN(1, hidden, layers, bound=gamma ** (1 / steps))
        with torch.no_grad():
            for layer in stack.layers:
                layer.weight_hh_l0.uniform_(eps ** (1 / steps), gamma ** (1 / steps))
        weights = [
            (layer.weight_ih_l0, layer.bias_ih_l0, torch.diag(layer.weight_hh_l0), 0.0)
            for layer in stack.layers
        ]
        phi = torch.relu
    else:
        stack = nn.RNN(1, hidden, num_layers=layers, batch_first=True)
        weights = [
            tuple(getattr(stack, f"{n}_l{k}") for n in ("weight_ih", "bias_ih", "weight_hh"))
            + (getattr(stack, f"bias_hh_l{k}"),)
            for k in range(layers)
        ]
        phi = torch.tanh
    x = torch.rand(batch, steps, 1, dtype=torch.float64, requires_grad=True)
    readout = torch.randn(hidden, dtype=torch.float64)
    inputs = [x[:, t] for t in range(steps)]
    for w_ih, b_ih, w_hh, b_hh in weights:
        w_ih, b_ih, w_hh = w_ih.double(), b_ih.double(), w_hh.double()
        b_hh = b_hh.double() if torch.is_tensor(b_hh) else b_hh
        h, outs = torch.zeros(batch, hidden, dtype=torch.float64), []
        for inp in inputs:
            h = phi(inp @ w_ih.T + b_ih + h @ w_hh.T + b_hh)
            outs.append(h)
        inputs = outs
    (grad,) = torch.autograd.grad((inputs[-1] @ readout).sum(), x)
    norms = torch.stack([grad[:, t].pow(2).sum().sqrt() for t in range(steps)])
    return (norms / norms[-1]).detach()


@pytest.mark.parametrize("cell, layers", [("indrnn", 2), ("rnn", 2), ("rnn", 1)])
def test_deep_reach_is_autograd_of_the_stack_written_out(cell, layers):
    """Catches: a reach through the first layer only, taken from the wrong end (x_T over
    x_1), normalised by the first step, a batch mean where the chapter uses the norm over the
    batch, or an IndRNN band [eps^(1/T), gamma^(1/T)] not applied."""
    reach = deep_reach(cell, layers, 20, hidden_size=4, batch=3)
    expected = _deep_reach_written_out(cell, layers, 20, hidden=4, batch=3)
    assert reach.shape == (20,) and reach[-1].item() == pytest.approx(1.0)
    torch.testing.assert_close(reach, expected, rtol=1e-9, atol=1e-300)


def test_deep_reach_arguments():
    with pytest.raises(ValueError, match="indrnn"):
        deep_reach("lstm", 1, 5)
    with pytest.raises(ValueError, match="ints"):
        deep_reach("rnn", 0, 5)


@pytest.mark.parametrize("b", [-0.3, 0.3])
@pytest.mark.parametrize("r", [0.05, 0.5, 2.0])
def test_modrelu_passes_the_modulus_and_scales_the_tangent_by_one_plus_b_over_r(r, b):
    """Chapter 12's derivation: an active modReLU unit, z = r e^{i theta}, maps a radial
    displacement with slope 1 and a tangential one (r d theta) with (r + b)/r, below 1 for
    b < 0 and above 1, unbounded as r -> 0+, for b > 0; a unit with r + b < 0 has Jacobian 0.
    Checked against autograd's 2x2 real Jacobian. Catches: modReLU written without the
    division by |z| (the radial slope would no longer be 1), and a tangential factor claimed
    below 1 for either sign of b."""
    from rnngrad.cells.nongated import modrelu

    theta = 0.7

    def real_map(v):
        out = modrelu(torch.complex(v[0], v[1]), torch.tensor(b, dtype=F64))
        return torch.stack([out.real, out.imag])

    point = torch.tensor([r * math.cos(theta), r * math.sin(theta)], dtype=F64)
    jac = torch.autograd.functional.jacobian(real_map, point)
    radial = torch.tensor([math.cos(theta), math.sin(theta)], dtype=F64)
    tangent = torch.tensor([-math.sin(theta), math.cos(theta)], dtype=F64)
    if r + b <= 0:
        assert torch.all(jac == 0)
        return
    assert torch.allclose(jac @ radial, radial, atol=1e-12)
    assert torch.allclose(jac @ tangent, (r + b) / r * tangent, atol=1e-12)


def test_modrelu_rejects_real_input():
    from rnngrad.cells.nongated import modrelu

    with pytest.raises(ValueError, match="complex"):
        modrelu(torch.ones(3), 0.1)


def test_a_mask_keeps_the_norm_of_an_orthogonal_product_with_an_invariant_subspace():
    """Chapter 12, exercise 1: ||(DQ)^k||_2 stays 1 for every k exactly when Q has an invariant
    subspace inside the active coordinates; commuting with D is not needed. Q = diag(1, R) and
    D = diag(1, 1, 0) keep e_1 although DQ != QD; a Q that mixes every axis into the inactive
    one loses norm. Catches the claim 'only when the mask and Q commute'."""
    c, s = math.cos(0.4), math.sin(0.4)
    q = torch.tensor([[1, 0, 0], [0, c, -s], [0, s, c]], dtype=F64)
    d = torch.diag(torch.tensor([1.0, 1.0, 0.0], dtype=F64))
    assert not torch.allclose(d @ q, q @ d)
    power = torch.linalg.matrix_power(d @ q, 50)
    assert torch.linalg.matrix_norm(power, 2).item() == pytest.approx(1.0, abs=1e-12)
    assert torch.allclose(
        power @ torch.tensor([1.0, 0, 0], dtype=F64), torch.tensor([1.0, 0, 0], dtype=F64)
    )
    mixing = torch.linalg.matrix_exp(
        torch.tensor([[0, -0.5, 0.3], [0.5, 0, -0.4], [-0.3, 0.4, 0]], dtype=F64)
    )
    assert torch.linalg.matrix_norm(torch.linalg.matrix_power(d @ mixing, 50), 2).item() < 0.5


# -- the modules' contracts, written out (each test names the wrong implementations it catches) --


@pytest.mark.parametrize("make", [lambda: LeakyRNN(3, 4, leak=0.7), lambda: IndRNN(3, 4)])
def test_step_by_step_forward_equals_the_vectorised_forward(make):
    """The probe runs these cells through ``step`` (``StepModule.forward`` and ``leaky_step``),
    training through their vectorised ``forward``: both must be the same recurrence, from a
    zero start and from a given h0. Catches a step that subtracts the recurrent term, drops
    either bias, writes (1 + alpha) or (2 - alpha) for (1 - alpha) or subtracts the tanh term,
    and a base forward that loses h0, the stacking axis or h_n."""
    torch.manual_seed(0)
    cell = make().to(F64)
    x = torch.randn(2, 5, 3, dtype=F64)
    h0 = torch.rand(1, 2, 4, dtype=F64) - 0.5
    for start in (None, h0):
        out, h_n = cell(x, start)
        base_out, base_h_n = StepModule.forward(cell, x, start)
        torch.testing.assert_close(base_out, out, atol=1e-12, rtol=1e-12)
        torch.testing.assert_close(base_h_n, h_n, atol=1e-12, rtol=1e-12)
        assert base_out.shape == (2, 5, 4) and base_h_n.shape == (1, 2, 4)
    if isinstance(cell, LeakyRNN):  # leaky_step against the plain formula, biases included
        h = h0[0]
        a = x[:, 0] @ cell.weight_ih_l0.T + cell.bias_ih_l0 + h @ cell.weight_hh_l0.T
        expected = cell.leak * h + (1 - cell.leak) * torch.tanh(a + cell.bias_hh_l0)
        torch.testing.assert_close(cell.step(x[:, 0], h), expected, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("cell", [LeakyRNN(3, 4), IndRNN(3, 4)])
@pytest.mark.parametrize("forward", ["own", "base"])
def test_an_input_of_the_wrong_shape_is_refused_with_its_shape(cell, forward):
    """x must be (B, T, input_size): catches a check that needs both the rank and the width
    wrong (``and`` for ``or``) and a message that loses the shape it was given."""
    run = cell if forward == "own" else lambda x: StepModule.forward(cell, x)
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, 3\), got \(5, 3\)"):
        run(torch.zeros(5, 3))
    with pytest.raises(ValueError, match=r"x must have shape \(B, T, 3\), got \(2, 5, 2\)"):
        run(torch.zeros(2, 5, 2))


def test_a_float64_leak_is_stored_in_the_default_dtype():
    """A leak given as a float64 tensor must not turn a float32 module's outputs float64.
    Catches ``check_leak`` keeping the caller's dtype."""
    leak = torch.tensor([0.5, 0.8], dtype=F64)
    assert check_leak(leak).dtype == torch.get_default_dtype()
    cell = LeakyRNN(1, 2, leak=leak)
    assert cell.leak.dtype == torch.float32
    assert cell(torch.zeros(1, 3, 1))[0].dtype == torch.float32


def test_leak_defaults_and_shapes():
    """The default leak is 0.9 for every unit; a leak of the right size but rank 2 is refused.
    Catches another default and a rank check that lets (1, H) through to ``expand``."""
    assert LeakyRNN(1, 3).leak.tolist() == pytest.approx([0.9] * 3)
    with pytest.raises(ValueError, match="one number or 3"):
        LeakyRNN(1, 3, leak=[[0.5, 0.5, 0.5]])


def test_indrnn_bound_default_gamma_and_gammas_below_one():
    """gamma defaults to 2 (Li et al.); any gamma > 0 is allowed, 0 is not. Catches another
    default gamma, a check that lets gamma = 0 through, or one that refuses gamma < 1 (a bound
    that makes the gradient shrink)."""
    assert indrnn_bound(10) == pytest.approx(2 ** (1 / 10))
    assert indrnn_bound(4, 0.5) == pytest.approx(0.5**0.25)
    with pytest.raises(ValueError, match="gamma"):
        indrnn_bound(10, 0.0)


def test_weights_start_uniform_within_one_over_root_h():
    """nn.RNN's start, U(-1/sqrt(H), 1/sqrt(H)) for every weight and bias: every draw inside
    the bound and both ends of it reached. Catches a bound of sqrt(H) or 2/sqrt(H), a draw
    from [bound, 1) or [-bound, 1), and a constant fill at the bound."""
    torch.manual_seed(0)
    H = 16
    bound = 1 / math.sqrt(H)
    leaky, ind = LeakyRNN(8, H), IndRNN(8, H)
    tensors = list(leaky.parameters()) + [ind.weight_ih_l0, ind.bias_ih_l0]
    for t in tensors:
        assert t.abs().max() <= bound
    values = torch.cat([t.detach().flatten() for t in tensors])
    assert values.min() < -0.9 * bound and values.max() > 0.9 * bound


def test_indrnn_recurrent_weights_start_in_zero_to_the_bound():
    """u starts from U(0, 1) without a bound and U(0, bound) with one; bounds 0 and 0.5 are
    allowed. Catches u drawn from [0, 2) or as a constant 1, a bound ignored at the start,
    and a check that refuses bounds in [0, 1)."""
    torch.manual_seed(0)
    u = IndRNN(1, 256).weight_hh_l0
    assert 0 <= u.min() < 0.1 and 0.9 < u.max() <= 1
    u = IndRNN(1, 256, bound=0.5).weight_hh_l0
    assert 0 <= u.min() < 0.05 and 0.45 < u.max() <= 0.5
    assert not IndRNN(1, 4, bound=0.0).recurrent_weight.any()


def test_deep_indrnn_of_one_layer_is_an_indrnn():
    """``layers=1`` is allowed and is one IndRNN. Catches a check ``layers <= 1``/``< 2``."""
    torch.manual_seed(0)
    deep = DeepIndRNN(3, 4, layers=1)
    x = torch.randn(2, 5, 3)
    out, h_n = deep(x)
    torch.testing.assert_close(out, deep.layers[0](x)[0])
    assert h_n.shape == (1, 2, 4)


def test_orthogonal_rnn_takes_its_nonlinearity_map_and_batch_first_layout():
    """OrthogonalRNN is batch first, with the nonlinearity and orthogonal map it is given:
    its output against the recurrence written out over (B, T, d) with B != T. Catches the
    nonlinearity or the map dropped (tanh and matrix_exp, the defaults) and a time-first
    module."""
    torch.manual_seed(0)
    rnn = OrthogonalRNN(2, 3, nonlinearity="relu", orthogonal_map="cayley").to(F64)
    assert rnn.nonlinearity == "relu" and rnn.batch_first
    assert rnn.parametrizations.weight_hh_l0[0].orthogonal_map.name == "cayley"
    x = torch.randn(4, 6, 2, dtype=F64)
    h, outs = torch.zeros(4, 3, dtype=F64), []
    for t in range(6):
        a = x[:, t] @ rnn.weight_ih_l0.T + rnn.bias_ih_l0 + h @ rnn.weight_hh_l0.T
        h = torch.relu(a + rnn.bias_hh_l0)
        outs.append(h)
    torch.testing.assert_close(rnn(x)[0], torch.stack(outs, 1), atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("b", [-0.3, 0.3])
def test_modrelu_at_zero_is_zero_with_a_finite_gradient(b):
    """At z = 0 the output is 0 and backpropagation stays finite (0 for b < 0, where modReLU
    is 0 around the origin). Catches the division by |z| left unguarded at z = 0 (0/0 or b/0
    in the branch ``where`` discards, which still poisons the gradient with NaN)."""
    from rnngrad.cells.nongated import modrelu

    z = torch.tensor([0j, 0.5 + 0.2j], dtype=torch.complex128, requires_grad=True)
    out = modrelu(z, b)
    (out.real.sum() + out.imag.sum()).backward()
    assert out[0] == 0
    assert torch.isfinite(torch.view_as_real(z.grad)).all()
    if b < 0:
        assert z.grad[0] == 0
