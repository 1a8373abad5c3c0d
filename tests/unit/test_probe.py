"""The probe's gradients and Jacobians agree with independent autograd computations."""

import copy

import numpy as np
import pytest
import torch

from rnngrad import (
    AddingProblem,
    CopyTask,
    make_model,
    probe,
    rnn_jacobian_norms,
    set_recurrent_singular_values_,
    with_singular_values,
)


def _split_run(model, x, t):
    """Run the *fused* module up to step t, then from a leaf state (h_t, c_t) to the end."""
    lstm = model.cell == "lstm"
    with torch.no_grad():
        _, state = model.rnn(x[:, : t + 1])
    h = state[0].clone().requires_grad_() if lstm else state.clone().requires_grad_()
    c = state[1].clone().requires_grad_() if lstm else None
    rest = x[:, t + 1 :]
    if rest.shape[1] == 0:
        out = h[-1].unsqueeze(1)
    else:
        out, _ = model.rnn(rest, (h, c) if lstm else h)
    return h, c, out


def _float64_setup(cell, task, hidden_size, batch, data_seed, num_layers=1):
    """A seeded float64 model for ``task`` and one float64 batch of it."""
    torch.manual_seed(0)
    model = make_model(cell, task, hidden_size=hidden_size, num_layers=num_layers).double()
    x, y = task.sample(batch, torch.Generator().manual_seed(data_seed))
    return model, x.double(), y.double() if y.is_floating_point() else y


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_dL_dh_matches_fused_autograd(cell, layers):
    """On two layers the trace is the last layer's. Catches: a probe that replays only the
    first layer, or feeds the wrong layer's states to the read-out."""
    task = AddingProblem(T=12)
    model, x, y = _float64_setup(cell, task, hidden_size=5, batch=3, data_seed=1, num_layers=layers)
    trace = probe(model, task, x, y)
    for t in (0, 5, 11):
        h, c, out = _split_run(model, x, t)
        task.loss(model.head(out[:, -1]), y).backward()
        torch.testing.assert_close(trace.dL_dh[:, t], h.grad[-1], atol=1e-10, rtol=1e-8)
        if cell == "lstm":
            # The split run treats h_t and c_t as independent leaves; the probe reports the
            # total derivative, which adds the path h_t = o_t tanh(c_t):
            # dL/dc_t = dL/dc_t|_h + dL/dh_t * o_t * (1 - tanh(c_t)^2), with o_t = h_t / tanh(c_t).
            h_t, c_t = h.detach()[-1], c.detach()[-1]
            o_t = h_t / torch.tanh(c_t)
            partial = c.grad[-1] if c.grad is not None else torch.zeros_like(c_t)  # last step
            total = partial + h.grad[-1] * o_t * (1 - torch.tanh(c_t) ** 2)
            torch.testing.assert_close(trace.dL_dc[:, t], total, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_dL_dh_per_step_task(cell):
    """Many-to-many read-out (copy task): every step's output feeds the loss, so dL/dh_t is
    the read-out's own term plus everything that flows back from later steps.
    Checked at *every* step against an independent autograd computation (the last step
    alone cannot tell the total derivative from the read-out's partial one).
    Catches: a probe that returns the read-out's partial derivative, or one that builds
    the loss from the last step only."""
    task = CopyTask(gap=3)
    model, x, y = _float64_setup(cell, task, hidden_size=6, batch=2, data_seed=0)
    trace = probe(model, task, x, y)
    assert trace.dL_dh.shape == (2, task.length, 6)
    assert trace.gradient_norms().shape == (task.length,)
    with torch.no_grad():
        prefix, _ = model.rnn(x)  # outputs before t do not depend on h_t
    partial_only = 0
    for t in range(task.length):
        h, _, rest = _split_run(model, x, t)
        outputs = [prefix[:, :t], h[-1].unsqueeze(1)]
        if t + 1 < task.length:
            outputs.append(rest)
        task.loss(model.head(torch.cat(outputs, dim=1)), y).backward()
        torch.testing.assert_close(trace.dL_dh[:, t], h.grad[-1], atol=1e-12, rtol=1e-9)
        # The read-out's partial derivative alone differs before the last step.
        out = prefix.clone().requires_grad_()
        task.loss(model.head(out), y).backward()
        partial_only += not torch.allclose(out.grad[:, t], h.grad[-1], atol=1e-9)
    assert partial_only >= task.length // 2


@pytest.mark.parametrize("layers", [1, 2])
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_jacobians_match_functional_jacobian(cell, layers):
    task = AddingProblem(T=8)
    model, x, y = _float64_setup(cell, task, hidden_size=4, batch=2, data_seed=2, num_layers=layers)
    trace = probe(model, task, x, y, jacobians=True)
    lstm = cell == "lstm"
    for t in (0, 3, 7):
        with torch.no_grad():
            _, state = model.rnn(x[:1, : t + 1])
        h_all = state[0] if lstm else state  # (layers, 1, H)
        c_t = state[1] if lstm else None

        def h_T(h_t, t=t, c_t=c_t, h_all=h_all):
            rest = x[:1, t + 1 :]
            if rest.shape[1] == 0:
                return h_t.reshape(-1)
            # Only the last layer's h_t varies; the layers below keep their state at t.
            s = torch.cat([h_all[:-1], h_t.reshape(1, 1, -1)])
            _, final = model.rnn(rest, (s, c_t) if lstm else s)
            return (final[0] if lstm else final)[-1].reshape(-1)

        h_t = h_all[-1].reshape(-1)
        expected = torch.autograd.functional.jacobian(h_T, h_t)
        torch.testing.assert_close(trace.jacobians[t], expected, atol=1e-10, rtol=1e-8)
        torch.testing.assert_close(trace.singular_values[t], torch.linalg.svdvals(expected))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu", "linear"])
def test_rnn_jacobian_norms_match_autograd(nonlinearity):
    """Catches: a ReLU derivative taken at the output instead of the pre-activation, or the
    noise drawn in another order than the run it describes."""
    g = torch.Generator().manual_seed(0)
    w = with_singular_values([1.3, 0.7, 0.4], generator=g)
    norms = rnn_jacobian_norms(w, 6, nonlinearity=nonlinearity, input_scale=0.5, seed=4)
    noise = torch.Generator().manual_seed(4)
    inputs = [0.5 * torch.randn(3, generator=noise, dtype=w.dtype) for _ in range(6)]
    phi = {"tanh": torch.tanh, "relu": torch.relu, "linear": lambda a: a}[nonlinearity]

    def run(h0, steps):
        h = h0
        for u in inputs[:steps]:
            h = phi(w @ h + u)
        return h

    for steps in (1, 3, 6):
        jac = torch.autograd.functional.jacobian(
            lambda h, steps=steps: run(h, steps), torch.zeros(3, dtype=w.dtype)
        )
        assert norms[steps - 1].item() == pytest.approx(
            torch.linalg.matrix_norm(jac, 2).item(), rel=1e-10
        )
    if nonlinearity == "relu":
        # Some units are off at some step (else ReLU would be no test of the derivative).
        a = [w @ run(torch.zeros(3, dtype=w.dtype), k) + inputs[k] for k in range(6)]
        assert any((ak <= 0).any() for ak in a) and any((ak > 0).any() for ak in a)


@pytest.mark.parametrize("seed", range(5))
def test_tanh_norm_bound_on_random_matrices(seed):
    """||dh_T/dh_0|| <= sigma_max^T for the tanh RNN (Pascanu et al., 2013), gamma = 1."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(8, 8, generator=g, dtype=torch.float64) * 0.5
    sigma_max = torch.linalg.matrix_norm(w, 2)
    norms = rnn_jacobian_norms(w, 40, nonlinearity="tanh", seed=seed)
    bound = sigma_max ** torch.arange(1, 41, dtype=torch.float64)
    assert (norms <= bound * (1 + 1e-9)).all()
    assert (norms > 0).all()  # a function returning zeros meets every upper bound
    linear = rnn_jacobian_norms(w, 40, nonlinearity="linear")
    torch.testing.assert_close(
        linear[-1], torch.linalg.matrix_norm(torch.linalg.matrix_power(w, 40), 2)
    )


def test_linear_norms_attain_the_bound_for_a_scaled_orthogonal_matrix():
    """||(gamma Q)^t|| = gamma^t exactly: the bound is attained. Catches: a function that
    returns zeros (or anything below the bound) for the linear case."""
    q = with_singular_values([0.9] * 6, generator=torch.Generator().manual_seed(3))
    norms = rnn_jacobian_norms(q, 30, nonlinearity="linear")
    torch.testing.assert_close(norms, 0.9 ** torch.arange(1, 31, dtype=torch.float64))


def test_bad_arguments():
    with pytest.raises(ValueError, match="square"):
        rnn_jacobian_norms(torch.zeros(2, 3), 4)
    with pytest.raises(ValueError, match="steps"):
        rnn_jacobian_norms(torch.eye(2), 0)
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn_jacobian_norms(torch.eye(2), 3, nonlinearity="gelu")
    task = AddingProblem(T=4)
    with pytest.raises(ValueError, match="x must have shape"):
        probe(make_model("rnn", task), task, torch.zeros(4, 2), torch.zeros(4))


def test_gradient_norms_and_reach_of_a_one_unit_linear_rnn():
    """A one-unit RNN that stays linear (ReLU with positive weights and inputs):
    h_t = w . x_t + b + u h_{t-1}, so dL/dh_t = u^(T-t) dL/dh_T, with dL/dh_T = 2 (v h_T + c
    - y) v / B for the MSE of the read-out v h_T + c. Then ``gradient_norms()[t]`` is
    u^(T-t) times the batch mean of |dL/dh_T| and ``reach()`` is u^(T-1), all written out.
    Catches: norms in the wrong time order, reach taken as last / first, a norm of the
    batch mean instead of the mean of the norms, a missing 1/B or factor 2."""
    T, B, u, v, c = 8, 5, 0.8, 1.5, -0.2
    task = AddingProblem(T=T)
    model = make_model("rnn", task, hidden_size=1, nonlinearity="relu", seed=0).double()
    with torch.no_grad():
        model.rnn.weight_ih_l0.copy_(torch.tensor([[0.3, 0.2]], dtype=torch.float64))
        model.rnn.weight_hh_l0.fill_(u)
        model.rnn.bias_ih_l0.fill_(0.1)
        model.rnn.bias_hh_l0.fill_(0.0)
        model.head.weight.fill_(v)
        model.head.bias.fill_(c)
    x, y = task.sample(B, torch.Generator().manual_seed(7))
    x, y = x.double(), y.double()
    dL_dh_T = []
    for b in range(B):
        h = 0.0
        for t in range(T):
            h = 0.3 * x[b, t, 0].item() + 0.2 * x[b, t, 1].item() + 0.1 + u * h
        dL_dh_T.append(2 * (v * h + c - y[b].item()) * v / B)
    mean_abs = sum(abs(g) for g in dL_dh_T) / B
    expected = [u ** (T - 1 - t) * mean_abs for t in range(T)]  # t = 0..T-1: steps 1..T
    trace = probe(model, task, x, y)
    for t in range(T):
        assert trace.gradient_norms()[t].item() == pytest.approx(expected[t], rel=1e-10)
    assert trace.reach() == pytest.approx(u ** (T - 1), rel=1e-10)


def test_gradient_norms_average_the_norms_over_the_batch():
    """Norms per sequence, then the batch mean: (5 + 5) / 2 and (1 + 2) / 2; reach is
    first / last = 5 / 1.5. Catches: the norm of the batch-mean gradient (4 and 1.118 here),
    a sum over the batch, reach inverted (last / first)."""
    from rnngrad.measure.probe import Trace

    dL_dh = torch.tensor([[[3.0, 4.0], [0.0, 1.0]], [[-3.0, 4.0], [2.0, 0.0]]])  # (B, T, H)
    trace = Trace(h=torch.zeros_like(dL_dh), dL_dh=dL_dh, loss=0.0)
    torch.testing.assert_close(
        trace.gradient_norms(), torch.tensor([5.0, 1.5], dtype=torch.float64)
    )
    assert trace.reach() == pytest.approx(5.0 / 1.5)


def _relu_rnn_reach_in_numpy(model, x, y) -> float:
    """||dL/dh_1|| / ||dL/dh_T|| (batch means of per-sequence norms) of a one-layer ReLU
    ``nn.RNN`` with a read-out of h_T and the MSE, by a hand-written backward pass in float64
    NumPy: the forward states from the parameters, dL/dh_T = 2 (v.h_T + c - y) v / B, then
    dL/dh_{t-1} = W^T (1[a_t > 0] * dL/dh_t). Shares no code with the probe."""
    rnn = model.rnn
    W, U = (p.detach().double().numpy() for p in (rnn.weight_hh_l0, rnn.weight_ih_l0))
    b = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().double().numpy()
    v, c = model.head.weight.detach().double().numpy()[0], model.head.bias.item()
    X, Y = x.double().numpy(), y.double().numpy()
    h, pre = np.zeros((X.shape[0], W.shape[0])), []
    for t in range(X.shape[1]):
        pre.append(X[:, t] @ U.T + h @ W.T + b)
        h = np.maximum(pre[-1], 0.0)
    g = 2 / X.shape[0] * (h @ v + c - Y)[:, None] * v[None, :]
    last = np.linalg.norm(g, axis=1).mean()
    for a in reversed(pre[1:]):
        g = (g * (a > 0)) @ W
    return float(np.linalg.norm(g, axis=1).mean() / last)


def _chapter3_relu_rnn(scale):
    """Chapter 3's set-up: a 64-unit ReLU RNN (float32), every recurrent singular value
    ``scale``, on 128 adding-problem sequences of length 50."""
    task = AddingProblem(T=50)
    x, y = task.sample(128, torch.Generator().manual_seed(0))
    model = make_model("rnn", task, hidden_size=64, nonlinearity="relu", seed=0)
    set_recurrent_singular_values_(model.rnn, scale, generator=torch.Generator().manual_seed(0))
    return task, model, x, y


def test_reach_of_a_float32_model_is_not_a_float32_underflow():
    """Chapter 3's ReLU RNN at scale 0.5 once read "reach exactly 0": every entry of its
    float32 dL/dh_1 is non-zero (about 4e-25), but their squares (1e-50) are not float32
    numbers, so a float32 norm is 0. The reach must be positive, finite and equal to an
    independent float64 computation (2.2e-23). Catches gradient norms summed in the model's
    float32 (reach 0), and a reach taken as last / first (4e22)."""
    task, model, x, y = _chapter3_relu_rnn(0.5)
    trace = probe(model, task, x, y)
    assert trace.dL_dh.dtype == torch.float32
    assert bool((trace.dL_dh[:, 0] != 0).all())  # the gradient itself did not underflow ...
    assert trace.dL_dh[:, 0].norm(dim=-1).max().item() == 0.0  # ... only its float32 squares
    expected = _relu_rnn_reach_in_numpy(model, x, y)
    assert 1e-25 < expected < 1e-20
    assert trace.gradient_norms().dtype == torch.float64
    assert trace.reach() == pytest.approx(expected, rel=1e-4, abs=0)  # abs=0: 0 is not near 2e-23


def test_a_float64_probe_keeps_a_product_that_float32_cannot_hold():
    """At scale 0.1 the same RNN's dL/dh_1 is about 1e-60, below float32's smallest number:
    the float32 backward pass itself flushes it to 0, and only a float64 probe
    (``dtype=torch.float64``) measures it. Catches a ``dtype`` that is ignored (reach 0) or
    applied to the parameters but not to the inputs (a dtype error)."""
    task, model, x, y = _chapter3_relu_rnn(0.1)
    assert probe(model, task, x, y).reach() == 0.0  # float32: the product underflowed
    expected = _relu_rnn_reach_in_numpy(model, x, y)
    assert 0 < expected < 1e-45
    assert probe(model, task, x, y, dtype=torch.float64).reach() == pytest.approx(
        expected, rel=1e-8, abs=0
    )


def test_the_weight_gradient_is_a_sum_over_time():
    """Chapter 1: dL/dW_hh = sum_t (phi'(a_t) * dL/dh_t) h_{t-1}^T, built from the probe's states
    and total gradients, equals autograd's gradient of the fused module. Catches a probe that
    returns partial instead of total dL/dh_t (only the last step's term would survive), and
    states shifted by one step (h_t in place of h_{t-1})."""
    task = AddingProblem(T=15)
    model, x, y = _float64_setup("rnn", task, hidden_size=6, batch=4, data_seed=3)
    trace = probe(model, task, x, y)
    previous = torch.cat([torch.zeros_like(trace.h[:, :1]), trace.h[:, :-1]], dim=1)
    summed = torch.einsum("bti,btj->ij", (1 - trace.h**2) * trace.dL_dh, previous)
    model.zero_grad()
    task.loss(model(x), y).backward()
    torch.testing.assert_close(summed, model.rnn.weight_hh_l0.grad, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "cell, options",
    [("lru", {}), ("mingru", {}), ("indrnn", {"num_layers": 3}), ("leaky", {})],
)
def test_every_path_of_the_probe_traces_the_states_the_read_out_takes(cell, options):
    """The probe's other ways in: a model that unrolls itself (the LRU, complex states), a
    selective layer (the SSM), the top layer of a three-layer IndRNN (the two below run
    whole) and a step-by-step cell (the leaky unit). Its states are those the model's own
    read-out takes (same loss as the model's forward pass), and dL/dh_T is autograd's
    gradient of that loss at h_T. Catches: a probe that misses a path (the LRU sent to
    ``model.rnn``), feeds the top IndRNN layer the first layer's output or takes the middle
    layer as the top (possible only with three layers), or unrolls the input as None."""
    task = AddingProblem(T=7)
    model = make_model(cell, task, hidden_size=4, seed=0, **options).double()
    x, y = task.sample(3, torch.Generator().manual_seed(0))
    x, y = x.double(), y.double()
    trace = probe(model, task, x, y)
    assert trace.dL_dh.shape[:2] == (3, 7)
    hidden = trace.h.clone().requires_grad_()
    loss = task.loss(model.readout(hidden), y)
    (grad,) = torch.autograd.grad(loss, hidden)
    assert trace.loss == pytest.approx(task.loss(model(x), y).item(), rel=1e-12)
    assert loss.item() == pytest.approx(trace.loss, rel=1e-12)
    torch.testing.assert_close(trace.dL_dh[:, -1], grad[:, -1], rtol=1e-10, atol=1e-12)
    assert (trace.gradient_norms() > 0).all()
    if cell in ("lru", "mingru"):
        with pytest.raises(ValueError, match="step-by-step cells, not"):
            probe(model, task, x, y, truncate=2)


@pytest.mark.parametrize("cell", ["lstm", "gru", "leaky"])
@pytest.mark.parametrize("k", [1, 4])
def test_truncated_probe_is_the_full_gradient_on_the_last_chunk_and_zero_before(cell, k):
    """BPTT(k) of a last-step loss: the chunks are counted back from the last step, so
    dL/dh_t (and dL/dc_t for the LSTM) is the full gradient for the last k steps and exactly 0
    before; the states themselves are those of the full run. T = 9 is no multiple of k = 4,
    so chunks counted from the first step (a cut after step 8) would show here. Catches: a
    truncation that is ignored, cut from the front, or that never resets the LSTM's cell."""
    T = 9
    task = AddingProblem(T=T)
    model, x, y = _float64_setup(cell, task, hidden_size=5, batch=3, data_seed=4)
    full, cut = probe(model, task, x, y), probe(model, task, x, y, truncate=k)
    torch.testing.assert_close(cut.h, full.h, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(cut.dL_dh[:, T - k :], full.dL_dh[:, T - k :])
    assert (cut.dL_dh[:, : T - k] == 0).all()
    assert (full.dL_dh[:, : T - k].abs() > 0).any()
    if cell == "lstm":
        torch.testing.assert_close(cut.c, full.c, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(cut.dL_dc[:, T - k :], full.dL_dc[:, T - k :])
        assert (cut.dL_dc[:, : T - k] == 0).all()


def test_jacobians_of_a_truncated_probe_are_zero_behind_the_cut():
    """With ``truncate=k`` the states before the last chunk are cut off from h_T: their
    Jacobians are exactly zero (autograd reports no path, not an error), the last k equal the
    full probe's. One sequence (B = 1), so a zero block shaped from another row of the batch
    fails. Catches: ``allow_unused`` dropped (an error) or None gradients not replaced by
    zeros of the state's shape."""
    task = AddingProblem(T=6)
    model, x, y = _float64_setup("gru", task, hidden_size=3, batch=1, data_seed=5)
    full = probe(model, task, x, y, jacobians=True)
    cut = probe(model, task, x, y, jacobians=True, truncate=2)
    assert cut.jacobians.shape == (6, 3, 3)
    assert (cut.jacobians[:4] == 0).all()
    torch.testing.assert_close(cut.jacobians[4:], full.jacobians[4:])


def test_truncated_probing_of_a_two_layer_fused_model_raises():
    task = AddingProblem(T=5)
    model, x, y = _float64_setup("gru", task, hidden_size=3, batch=2, data_seed=0, num_layers=2)
    with pytest.raises(ValueError, match="^truncated probing takes one-layer models$"):
        probe(model, task, x, y, truncate=2)


def test_a_model_the_probe_cannot_look_inside_raises_a_type_error():
    task = AddingProblem(T=4)
    model = make_model("rnn", task, hidden_size=2, seed=0)
    model.rnn = torch.nn.Linear(2, 2)
    x, y = task.sample(2, torch.Generator().manual_seed(0))
    with pytest.raises(TypeError, match="cannot look inside Linear"):
        probe(model, task, x, y)


def test_cell_gradient_norms_are_the_lstms_and_only_the_lstm_has_them():
    """Catches: cell norms taken from dL/dh, a trace that drops the LSTM's cell states, or a
    trace without a cell that does not say so."""
    from rnngrad.measure.probe import gradient_norms

    task = AddingProblem(T=6)
    model, x, y = _float64_setup("lstm", task, hidden_size=4, batch=2, data_seed=0)
    trace = probe(model, task, x, y)
    _, (_, c_n) = model.rnn(x)
    torch.testing.assert_close(trace.c[:, -1], c_n[-1])  # the cell states are kept too
    torch.testing.assert_close(trace.cell_gradient_norms(), gradient_norms(trace.dL_dc))
    assert not torch.allclose(trace.cell_gradient_norms(), trace.gradient_norms())
    model, x, y = _float64_setup("gru", task, hidden_size=4, batch=2, data_seed=0)
    with pytest.raises(
        ValueError, match=r"^this trace has no cell state \(only the LSTM's has one\)$"
    ):
        probe(model, task, x, y).cell_gradient_norms()


def test_gradient_norms_of_complex_states_are_of_the_moduli_and_shapes_are_checked():
    """|3 + 4i| = 5 and |1 - 1i| = sqrt 2. Catches: complex gradients cast to float64
    (their imaginary parts dropped: 3 and 1)."""
    from rnngrad.measure.probe import gradient_norms

    grads = torch.tensor([[[3 + 4j], [1 - 1j]]], dtype=torch.complex64)  # (B=1, T=2, H=1)
    torch.testing.assert_close(
        gradient_norms(grads), torch.tensor([5.0, 2**0.5], dtype=torch.float64)
    )
    with pytest.raises(ValueError, match=r"grads must have shape \(B, T, H\), got \(2, 3\)"):
        gradient_norms(torch.zeros(2, 3))


def test_rnn_jacobian_norms_defaults_and_a_single_step():
    """The defaults are the tanh RNN with unit-variance inputs and seed 0, and one step is a
    valid run: ||diag(tanh'(u_1)) W||. At a pre-activation of exactly 0 (no input) the ReLU's
    slope is taken as 0, like autograd's. Catches: other defaults, steps = 1 refused, a ReLU
    slope of 1 at 0."""
    w = with_singular_values([1.2, 0.5], generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(
        rnn_jacobian_norms(w, 5),
        rnn_jacobian_norms(w, 5, nonlinearity="tanh", input_scale=1.0, seed=0),
    )
    u = torch.randn(2, generator=torch.Generator().manual_seed(0), dtype=w.dtype)
    one = torch.linalg.matrix_norm((1 - torch.tanh(u) ** 2)[:, None] * w, 2)
    torch.testing.assert_close(rnn_jacobian_norms(w, 1), one.reshape(1))
    relu = rnn_jacobian_norms(w, 1, nonlinearity="relu", input_scale=0.0)
    assert relu.tolist() == [0.0]


def test_a_probe_in_another_precision_leaves_the_model_as_it_was():
    """``dtype`` probes a *copy*: the model keeps its float32 parameters, class targets stay
    integers (a per-step copy task), and no Jacobians are asked for unless requested.
    Catches: a shallow copy (``nn.Module.to`` converts the model in place), integer targets
    cast to float64 (cross-entropy then reads them as probabilities), an unchecked
    ``truncate``, and empty-string Jacobian fields instead of None."""
    task = CopyTask(gap=2)
    model = make_model("gru", task, hidden_size=4, seed=0)
    x, y = task.sample(2, torch.Generator().manual_seed(0))
    trace = probe(model, task, x, y, dtype=torch.float64)
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert trace.h.dtype == torch.float64
    reference = copy.deepcopy(model).double()
    assert trace.loss == pytest.approx(task.loss(reference(x.double()), y).item(), rel=1e-12)
    assert trace.jacobians is None and trace.singular_values is None
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        probe(model, task, x, y, truncate=0)
