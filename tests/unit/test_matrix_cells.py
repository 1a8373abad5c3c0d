"""Matrix memories (rnngrad.cells.matrix, rnngrad.cells.delta) and the signed diagonal gate
(rnngrad.cells.signed): each step against a naive float64 loop written here from the paper's
equations, each against its parallel or chunked form, each layer against its unroll, and the
delta rule's derived state Jacobian against autograd over many steps. Each test names the
plausible wrong implementation it catches."""

import math
import re

import numpy as np
import pytest
import sympy as sp
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import rnngrad
from rnngrad.cells import delta, matrix, signed
from rnngrad.core import scan
from rnngrad.derive import delta as derive_delta

F64 = torch.float64
MATRIX = rnngrad.cell_names("matrix")


def _randn(*shape, seed=0, scale=1.0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=F64) * scale


def _qkv(B=2, T=11, d_k=3, d_v=4, seed=0):
    return (
        _randn(B, T, d_k, seed=seed),
        _randn(B, T, d_k, seed=seed + 1),
        _randn(B, T, d_v, seed=seed + 2),
    )


# -- linear attention and its decays --------------------------------------------------------


def _naive_decayed(q, k, v, decay):
    """S_t = S_{t-1} diag(decay_t) + v_t k_t^T element by element; decay (B, T, d_k)."""
    B, T, d_k = k.shape
    S = torch.zeros(B, v.shape[-1], d_k, dtype=F64)
    out = torch.zeros(B, T, v.shape[-1], dtype=F64)
    for b in range(B):
        for t in range(T):
            for i in range(v.shape[-1]):
                for j in range(d_k):
                    S[b, i, j] = decay[b, t, j] * S[b, i, j] + v[b, t, i] * k[b, t, j]
            out[b, t] = S[b] @ q[b, t]
    return out


@pytest.mark.parametrize("kind", ["none", "fixed", "scalar", "channel"])
def test_decayed_linear_attention_loop_and_parallel_equal_the_equations(kind):
    """Catches: the decay applied after the write (S = a (S + v k^T)), a scalar decay applied
    along the value rows, the parallel form's decay product off by one step
    (prod_{r=s}^{t} instead of prod_{r=s+1}^{t}), or its mask letting the future in."""
    q, k, v = _qkv()
    B, T, d_k = k.shape
    log = {
        "none": None,
        "fixed": math.log(0.9),
        "scalar": -F.softplus(_randn(B, T, seed=5)),
        "channel": -F.softplus(_randn(B, T, d_k, seed=6)),
    }[kind]
    full = matrix._log_decay(log, k).exp()
    want = _naive_decayed(q, k, v, full)
    loop, _ = matrix.linear_attention_loop(q, k, v, log)
    par = matrix.linear_attention_parallel(q, k, v, log)
    torch.testing.assert_close(loop, want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(par, want, rtol=1e-10, atol=1e-10)


def test_linear_attention_with_normaliser_is_softmax_free_attention():
    """Catches: a normaliser summing keys after the query's step (or before its own key), the
    feature map left off the keys. Reference: Katharopoulos et al.'s eq. 3 as causal attention
    with similarity phi(q).phi(k), written directly."""
    q, k, v = _qkv(T=9, d_k=3, d_v=3, seed=3)
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    want = torch.zeros_like(v)
    for t in range(9):
        sim = (fk[:, : t + 1] * fq[:, t : t + 1]).sum(-1)  # (B, t+1)
        want[:, t] = (sim.unsqueeze(-1) * v[:, : t + 1]).sum(1) / sim.sum(1, keepdim=True)
    for mode in ("parallel", "loop"):
        got = matrix.normalised_linear_attention(q, k, v, mode)
        torch.testing.assert_close(got, want, rtol=1e-12, atol=1e-12)


def test_linear_attention_state_jacobian_is_the_identity_and_the_state_grows():
    """Catches: a hidden decay in linear attention (any a < 1 makes dS_T/dS_0 = a^T I, not I),
    a state that is renormalised (its norm would not grow with T)."""
    q, k, v = _qkv(B=1, T=60, d_k=2, d_v=2, seed=7)
    S0 = torch.zeros(1, 2, 2, dtype=F64, requires_grad=True)
    S = S0
    norms = []
    for t in range(60):
        _, S = matrix.outer_step(S, q[:, t], k[:, t], v[:, t])
        norms.append(float(S.detach().norm()))
    jac = torch.autograd.functional.jacobian(lambda s: _run_outer(s, q, k, v), S0.detach()).reshape(
        4, 4
    )
    torch.testing.assert_close(jac, torch.eye(4, dtype=F64))
    assert norms[-1] > 3 * norms[5]


def _run_outer(S, q, k, v):
    for t in range(q.shape[1]):
        _, S = matrix.outer_step(S, q[:, t], k[:, t], v[:, t])
    return S


# -- mLSTM ----------------------------------------------------------------------------------


def _naive_mlstm(q, k, v, i_raw, f_raw):
    """Beck et al.'s eqs. without the stabiliser, float64: C = f C + i v k^T, n = f n + i k,
    h = C q / max(|n.q|, 1), with i = exp(i~), f = sigmoid(f~) and k scaled by 1/sqrt(d)."""
    B, T, d = k.shape
    k = k / math.sqrt(d)
    C = torch.zeros(B, v.shape[-1], d, dtype=F64)
    n = torch.zeros(B, d, dtype=F64)
    out = []
    for t in range(T):
        i, f = torch.exp(i_raw[:, t]), torch.sigmoid(f_raw[:, t])
        C = f[:, None, None] * C + i[:, None, None] * torch.einsum("bi,bj->bij", v[:, t], k[:, t])
        n = f[:, None] * n + i[:, None] * k[:, t]
        below = torch.clamp((n * q[:, t]).sum(-1).abs(), min=1.0)
        out.append(torch.einsum("bij,bj->bi", C, q[:, t]) / below[:, None])
    return torch.stack(out, 1)


def test_mlstm_stabilised_loop_and_parallel_equal_the_naive_equations():
    """Catches: the stabiliser's max left out of the normaliser (max(|n q|, 1) where the
    stabilised state needs exp(-m)), the forget gate's log-sum in the parallel form off by
    one step, k's 1/sqrt(d) scale applied in one form only."""
    q, k, v = _qkv(T=13, d_k=4, d_v=3, seed=11)
    i_raw, f_raw = _randn(2, 13, seed=12, scale=2.0), _randn(2, 13, seed=13, scale=2.0) + 2
    want = _naive_mlstm(q, k, v, i_raw, f_raw)
    torch.testing.assert_close(matrix.mlstm_loop(q, k, v, i_raw, f_raw), want)
    torch.testing.assert_close(matrix.mlstm_parallel(q, k, v, i_raw, f_raw), want)


# -- the delta rule ---------------------------------------------------------------------------


def _naive_delta(q, k, v, beta, alpha=None):
    """The update form, entry by entry: u = beta (v - alpha S k), S = alpha S + u k^T."""
    B, T, d_k = k.shape
    d_v = v.shape[-1]
    S = torch.zeros(B, d_v, d_k, dtype=F64)
    out = torch.zeros(B, T, d_v, dtype=F64)
    for b in range(B):
        for t in range(T):
            a = 1.0 if alpha is None else float(alpha[b, t])
            recalled = [sum(a * S[b, i, j] * k[b, t, j] for j in range(d_k)) for i in range(d_v)]
            for i in range(d_v):
                u = beta[b, t] * (v[b, t, i] - recalled[i])
                for j in range(d_k):
                    S[b, i, j] = a * S[b, i, j] + u * k[b, t, j]
            out[b, t] = S[b] @ q[b, t]
    return out


@pytest.mark.parametrize("gated", [False, True])
@pytest.mark.parametrize("chunk", [1, 4, 16])
def test_delta_loop_and_chunked_equal_the_update_form(gated, chunk):
    """Catches: (I - beta k k^T) multiplied on the left of S (erasing along values, not keys),
    the gate alpha left off the erase term (alpha S - beta S k k^T), a chunked form whose
    triangular system drops the decay between positions, or whose
    state hand-over between chunks decays from the wrong end (T = 13 is not a multiple of the
    chunk)."""
    q, k, v = _qkv(T=13, d_k=3, d_v=2, seed=21)
    k = F.normalize(k, dim=-1)
    beta = 2 * torch.sigmoid(_randn(2, 13, seed=22))  # the whole (0, 2) range
    log_alpha = -F.softplus(_randn(2, 13, seed=23)) if gated else None
    want = _naive_delta(q, k, v, beta, None if log_alpha is None else log_alpha.exp())
    loop, S_loop = delta.delta_loop(q, k, v, beta, log_alpha)
    chunked, S_chunk = delta.delta_chunked(q, k, v, beta, log_alpha, chunk=chunk)
    torch.testing.assert_close(loop, want, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(chunked, want, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(S_chunk, S_loop, rtol=1e-10, atol=1e-10)


def test_symbolic_delta_jacobian_equals_its_closed_form_and_eigenvalues():
    """Catches: a Kronecker product in the wrong order (I kron A, the row-stacking
    convention), A instead of A^T, or eigenvalues (1 - beta) without alpha."""
    (S, k, v, alpha, beta), _, J, general = derive_delta.symbolic_delta_jacobian(2, 3)
    assert sp.simplify(J - general) == sp.zeros(6, 6)
    eig = derive_delta.symbolic_delta_eigenvalues(3, 2)
    assert {sp.simplify(e - alpha * (1 - beta)) == 0 for e in eig} == {True, False}
    assert eig[alpha] == 4 and sum(eig.values()) == 6


def test_delta_state_jacobian_matches_autograd_one_step_and_over_many():
    """Catches: the closed form vec-ordered by rows while autograd's (column-stacked) vec is by
    columns, a product over steps taken in the wrong order (A_1 ... A_T vs A_T ... A_1; the
    transitions do not commute), eigenvalues claimed as 1 - beta without alpha."""
    d_k, d_v, T = 3, 2, 40
    k = F.normalize(_randn(T, d_k, seed=31), dim=-1)
    v = _randn(T, d_v, seed=32)
    beta = 2 * torch.sigmoid(_randn(T, seed=33))
    alpha = torch.sigmoid(_randn(T, seed=34) + 3)

    def run(S0_vec, steps):
        S = S0_vec.reshape(d_k, d_v).T.unsqueeze(0)  # column-stacked vec -> (1, d_v, d_k)
        for t in range(steps):
            S = delta.delta_step(S, k[t : t + 1], v[t : t + 1], beta[t : t + 1], alpha[t : t + 1])
        return S[0].T.reshape(-1)

    S0 = _randn(d_v * d_k, seed=35)
    one = torch.autograd.functional.jacobian(lambda s: run(s, 1), S0)
    torch.testing.assert_close(one, delta.state_jacobian(k[0], beta[0], alpha[0], d_v))
    many = torch.autograd.functional.jacobian(lambda s: run(s, T), S0)
    product = torch.eye(d_v * d_k, dtype=F64)
    for t in range(T):
        product = delta.state_jacobian(k[t], beta[t], alpha[t], d_v) @ product
    torch.testing.assert_close(many, product, rtol=1e-10, atol=1e-12)
    eig = torch.linalg.eigvalsh(delta.state_jacobian(k[0], beta[0], alpha[0], d_v))
    want = torch.tensor([alpha[0] * (1 - beta[0])] * d_v + [alpha[0]] * (d_v * (d_k - 1)))
    torch.testing.assert_close(eig, want.sort().values.to(F64))


def test_delta_rule_keeps_the_gradient_orthogonal_to_the_keys():
    """Catches: an erase that shrinks every direction (beta I instead of beta k k^T). With
    alpha = 1 and every key in a plane, the direction orthogonal to that plane passes 200 steps
    unchanged while the in-plane directions shrink (beta = 0.5)."""
    T = 200
    angles = _randn(T, seed=41)
    k = torch.stack([angles.cos(), angles.sin(), torch.zeros(T, dtype=F64)], -1)
    product = torch.eye(3, dtype=F64)
    for t in range(T):
        product = product @ delta.transition(k[t], 0.5)
    out_of_plane = product @ torch.tensor([0.0, 0.0, 1.0], dtype=F64)
    torch.testing.assert_close(out_of_plane, torch.tensor([0.0, 0.0, 1.0], dtype=F64))
    assert product[:2, :2].norm() < 1e-6


# -- layers ------------------------------------------------------------------------------------


def _model(cell, hidden=4, **options):
    task = rnngrad.AddingProblem(T=10)
    model = rnngrad.make_model(cell, task, hidden_size=hidden, seed=0, **options).double()
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=F64))
    return model, task


@pytest.mark.parametrize("cell", [*MATRIX, "diagonal_gate"])
def test_layer_modes_and_unroll_agree(cell):
    """Catches: a layer whose parallel/chunked mode and step-by-step mode compute different
    recurrences, an unroll (the probe's path) that is not the layer's computation (e.g. the
    linear-attention normaliser or the mLSTM output gate left out of one)."""
    model, task = _model(cell)
    x = torch.randn(3, 21, task.input_size, dtype=F64, generator=torch.Generator().manual_seed(2))
    fast = model.rnn(x)[0]
    _, unrolled = model.rnn.unroll(x)
    model.rnn.mode = "loop"
    slow = model.rnn(x)[0]
    torch.testing.assert_close(fast, slow, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(fast, unrolled, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("cell", ["deltanet", "gated_deltanet", "diagonal_gate"])
def test_allow_neg_eigval_is_the_eigenvalue_range(cell):
    """Catches: the option ignored, or the range widened by flipping the sign (-beta) rather
    than doubling it. beta (or the gate) must fill (0, 2) (or (-1, 1)) with the option, and
    stay in (0, 1) without it."""
    x = 5 * torch.randn(64, 30, 2, dtype=F64, generator=torch.Generator().manual_seed(3))
    for allow, low, high in ((False, 0.0, 1.0), (True, 0.0, 2.0)):
        model, _ = _model(cell, hidden=4, allow_neg_eigval=allow)
        if cell == "diagonal_gate":
            a, _ = model.rnn.coefficients(x)
            low, high = (-1.0, 1.0) if allow else (0.0, 1.0)
            values = a
        else:
            values = model.rnn.memory(x)[3]
        assert values.min() >= low and values.max() <= high
        assert values.max() > low + 0.8 * (high - low) and values.min() < low + 0.2 * (high - low)


def test_signed_gate_computes_parity_at_any_length_and_positive_cannot():
    """Catches: a scan that mishandles negative coefficients (e.g. computing in log space,
    as some scans do for positive gates). h_t = (1 - 2 x_t) h_{t-1} + x_t is the running
    parity, exactly, over 1,000 steps; the best gate in [0, 1) on the same inputs is not."""
    x = torch.randint(0, 2, (8, 1000, 1), generator=torch.Generator().manual_seed(4)).to(F64)
    h = scan.linear_scan(1 - 2 * x, x)
    torch.testing.assert_close(h, x.cumsum(1) % 2)
    assert signed.gate(torch.tensor([-50.0, 50.0], dtype=F64), True).tolist() == [-1.0, 1.0]


def test_every_new_cell_registers_once_and_trains_a_step():
    """Catches: a new cell missing from the registry, registered under two families, or whose
    options make_model rejects."""
    for cell in (*MATRIX, "diagonal_gate"):
        assert list(rnngrad.models.CELLS).count(cell) == 1
    assert set(MATRIX) == {
        "linear_attention", "retnet", "mamba2", "gla", "mlstm", "deltanet", "gated_deltanet"
    }  # fmt: skip
    task = rnngrad.AddingProblem(T=8)
    for cell in (*MATRIX, "diagonal_gate"):
        history = rnngrad.train(
            rnngrad.make_model(cell, task, hidden_size=4, seed=0), task, 3, progress=False
        )
        assert len(history.loss) == 3 and all(math.isfinite(x) for x in history.loss)


# -- measurements behind the figures and explorers ---------------------------------------------


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 1.5, 2.0])
@pytest.mark.parametrize("angle", [0.0, 30.0, 90.0])
def test_reflection_reach_measured_equals_closed_form(beta, angle):
    """Catches: the explorer's closed form with (1 - beta)^n on the orthogonal component (or
    without the square), eigenvalues 1 - beta^2; the measured curve is the library's
    transition applied n times."""
    from rnngrad.measure import matrix as measures

    r = measures.reflection_reach(beta, angle, steps=30)
    np.testing.assert_allclose(r["measured"], r["closed"], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(r["eigenvalues"], sorted([1.0, 1.0 - beta]), atol=1e-12)
    theta = math.radians(angle)
    along = math.cos(theta) * (1 - beta) ** r["steps"].astype(float)
    np.testing.assert_allclose(r["along"], along, atol=1e-12)
    np.testing.assert_allclose(r["across"], -math.sin(theta), atol=1e-12)


def test_memory_reach_keeps_delta_rules_complement_and_one_unit_parity_is_exact():
    """Catches: a delta-rule transition that shrinks directions no key touched, a
    linear-attention factor that is not the identity, and a parity unit whose gradient factor
    is not |prod a| (at a(1) = -1, a(0) = 1 it must be 1 at every step, and the decision right
    at every step)."""
    from rnngrad.measure import matrix as measures

    reach = measures.memory_reach(steps=100, d=6, span=3, seed=1)
    np.testing.assert_allclose(reach["DeltaNet"]["outside"], 1.0, atol=1e-12)
    np.testing.assert_allclose(reach["linear attention"]["inside"], 1.0, atol=1e-12)
    assert reach["DeltaNet"]["inside"][-1] < 1e-3
    run = measures.one_unit_parity(-1.0, 1.0, steps=200)
    assert run["correct"] == 1.0 and np.all(run["gradient"] == 1.0)
    fading = measures.one_unit_parity(-0.5, 1.0, steps=200)
    ones_after = np.concatenate([np.cumsum(fading["bits"][::-1])[::-1][1:], [0]])
    np.testing.assert_allclose(fading["gradient"], 0.5**ones_after)


def test_key_plane_factors_are_exact_below_float64s_floor():
    """Catches: singular values read off a product multiplied out in float64 (or float32), which
    stop near 1e-16 (1e-8) of the directions that keep 1, presented as the product's; a product
    taken in the wrong order; a smallest value that is not |det| / largest. Two unit keys in
    R^5 written over 300 steps with beta near 1: the exact values (400-digit arithmetic) lie far
    below float64's floor, and key_plane_factors matches them; over 4 steps, where float64 is
    still exact, it matches float64's svdvals of the whole product."""
    import mpmath

    from rnngrad.measure import matrix as measures

    g = torch.Generator().manual_seed(7)
    pair = F.normalize(torch.randn(2, 5, generator=g, dtype=F64), dim=-1)
    which = torch.randint(0, 2, (300,), generator=g)
    k, beta = pair[which], 0.9 + 0.05 * torch.rand(300, generator=g, dtype=F64)
    got = measures.key_plane_factors(k, beta, steps=(4, 300))
    full = torch.eye(5, dtype=F64)
    for t in range(296, 300):
        full = full @ delta.transition(k[t], beta[t])
    s = torch.linalg.svdvals(full)
    assert got[4]["rank"] == 2
    assert math.isclose(got[4]["largest"], float(s[3]), rel_tol=1e-9)
    assert math.isclose(got[4]["smallest"], float(s[4]), rel_tol=1e-9)
    with mpmath.workdps(400):  # enough digits to resolve values far below 1e-100 next to 1
        P = mpmath.eye(5)
        for t in range(300):
            kk = mpmath.matrix([float(x) for x in k[t]])
            P = P * (mpmath.eye(5) - mpmath.mpf(float(beta[t])) * (kk * kk.T))
        exact = [float(v) for v in sorted(mpmath.svd_r(P, compute_uv=False))[:2]]
    assert exact[0] < 1e-100 and got[300]["float64"] > 1e-30  # float64 cannot see it
    assert math.isclose(got[300]["smallest"], exact[0], rel_tol=1e-6)
    assert math.isclose(got[300]["largest"], exact[1], rel_tol=1e-6)


def test_gate_factors_are_the_median_product_without_underflow():
    """Catches: the product over the first n steps instead of the last n, a mean in place of the
    median, and a product that underflows to 0 in float32 (0.5^200 = 6e-61)."""
    from rnngrad.measure import matrix as measures

    a = torch.full((3, 200, 2), 0.9, dtype=torch.float32)
    a[:, -16:, 0] = -0.5  # the last 16 steps of unit 0: |a| = 0.5
    a[0] = 0.5
    got = measures.gate_factors(a, steps=(16, 200))
    assert math.isclose(got[16], 0.5**16, rel_tol=1e-5)  # median of four 0.5^16 and two 0.9^16
    assert math.isclose(got[200], 0.9**184 * 0.5**16, rel_tol=1e-4)
    assert measures.gate_factors(torch.full((1, 200, 1), 0.5), steps=(200,))[200] > 0


@pytest.mark.parametrize("cell", [*MATRIX, "diagonal_gate"])
def test_float32_training_gradients_match_float64(cell):
    """Catches: a layer whose state grows without bound over 200 steps, so float32 and float64
    part ways (planted: DeltaNet's keys left unnormalised, k = 3 W_k x, which puts the erase's
    eigenvalue 1 - beta |k|^2 far below -1), and non-finite gradients in any form."""
    task = rnngrad.AddingProblem(T=200)
    model64 = rnngrad.make_model(cell, task, hidden_size=6, seed=0).double()
    model32 = rnngrad.make_model(cell, task, hidden_size=6, seed=0)
    x, y = task.sample(8, torch.Generator().manual_seed(0))
    g64 = torch.autograd.grad(
        task.loss(model64(x.double()), y.double()), list(model64.parameters())
    )
    g32 = torch.autograd.grad(task.loss(model32(x), y), list(model32.parameters()))
    for p, q in zip(g32, g64, strict=True):
        assert torch.isfinite(p).all()
        assert (p.double() - q).abs().max() <= 1e-3 * (q.abs().max() + 1e-6), cell


def test_parallel_forms_survive_strong_decays_in_float32():
    """Catches: a decay mask built as a ratio of cumulative products, exp(A_t) / exp(A_s),
    which underflows to 0 / 0 once the summed log decay passes float32's range (about -87):
    here about -1 a step over 300 steps. The library takes exp(A_t - A_s)."""
    B, T, d = 2, 300, 4
    q, k, v = (_randn(B, T, d, seed=s) for s in (51, 52, 53))
    log_decay = -F.softplus(_randn(B, T, seed=54)) - 0.5
    want, _ = matrix.linear_attention_loop(q, k, v, log_decay)
    got = matrix.linear_attention_parallel(q.float(), k.float(), v.float(), log_decay.float())
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got.double(), want, rtol=1e-4, atol=1e-4)
    i_raw, f_raw = _randn(B, T, seed=55, scale=5.0), _randn(B, T, seed=56) - 1
    want = matrix.mlstm_loop(q, k, v, i_raw, f_raw)
    got = matrix.mlstm_parallel(q.float(), k.float(), v.float(), i_raw.float(), f_raw.float())
    torch.testing.assert_close(got.double(), want, rtol=1e-3, atol=1e-3)


# -- the matrix memories' contracts, written out (each test names the wrong code it catches) --


def test_modes_pick_the_parallel_or_the_loop_form(monkeypatch):
    """ "parallel" runs the parallel form and "loop" the step-by-step one (they agree in value,
    so the choice is observed by substituting each), in ``normalised_linear_attention`` (default
    "parallel") and in every layer; "loop" is accepted when a layer is built. Catches a mode
    ignored, inverted or not passed on, another default, and "loop" refused by the check."""
    calls = []
    for name in ("linear_attention_parallel", "mlstm_parallel"):
        real = getattr(matrix, name)
        monkeypatch.setattr(
            matrix, name, lambda *a, real=real, name=name: calls.append("parallel") or real(*a)
        )
    for name in ("linear_attention_loop", "mlstm_loop"):
        real = getattr(matrix, name)
        monkeypatch.setattr(
            matrix, name, lambda *a, real=real, name=name: calls.append("loop") or real(*a)
        )
    q, k, v = _qkv(T=4)
    matrix.normalised_linear_attention(q, k, v)
    matrix.normalised_linear_attention(q, k, v, "loop")
    assert calls == ["parallel", "loop"]
    x = torch.randn(2, 4, 3)
    layers = [matrix.OuterProductLayer(3, 2, decay) for decay in ("none", "fixed")]
    for layer in [*layers, matrix.MLSTM(3, 2)]:
        for mode in ("parallel", "loop"):
            calls.clear()
            layer.mode = mode
            layer(x)
            assert calls == [mode], (layer, mode)
    assert matrix.OuterProductLayer(3, 2, mode="loop").mode == "loop"
    assert matrix.MLSTM(3, 2, mode="loop").mode == "loop"


def test_shapes_and_arguments_are_checked_with_clear_messages():
    """Each condition of the q, k, v check alone refuses its input, and each message carries
    the shapes or values it was given; the decay defaults to "none"; gamma = 1 is allowed,
    0 and 1.5 are not. Catches an ``and`` for an ``or`` in the checks, messages lost, a
    default other than "none", and gamma's bounds moved."""
    qkv = "need q, k \\(B, T, d_k\\) and v \\(B, T, d_v\\), got "
    good = torch.ones(2, 3, 4)
    cases = [
        ((torch.ones(2, 3), torch.ones(2, 3), torch.ones(2, 3, 4)), "(2, 3), (2, 3), (2, 3, 4)"),
        ((good, torch.ones(2, 3, 5), good), "(2, 3, 4), (2, 3, 5), (2, 3, 4)"),
        ((good, good, torch.ones(2, 3, 4, 1)), "(2, 3, 4), (2, 3, 4), (2, 3, 4, 1)"),
        ((good, good, torch.ones(2, 5, 4)), "(2, 3, 4), (2, 3, 4), (2, 5, 4)"),
    ]
    for args, shapes in cases:
        with pytest.raises(ValueError, match=qkv + re.escape(shapes) + "$"):
            matrix.linear_attention_loop(*args)
    with pytest.raises(
        ValueError,
        match=re.escape("log_decay must be a float, (B, T) or (B, T, d_k) = (2, 3, 4), got (3,)"),
    ):
        matrix.linear_attention_loop(good, good, good, torch.zeros(3))
    with pytest.raises(ValueError, match="^mode must be 'parallel' or 'loop', got 'fast'$"):
        matrix.MLSTM(3, 2, mode="fast")
    with pytest.raises(ValueError, match="^decay must be one of .*, got 'other'$"):
        matrix.OuterProductLayer(3, 2, "other")
    assert matrix.OuterProductLayer(3, 2).decay == "none"
    assert matrix.OuterProductLayer(3, 2, "fixed", gamma=1.0).gamma == 1.0
    for gamma in (0.0, 1.5):
        with pytest.raises(ValueError, match=re.escape(f"gamma must be in (0, 1], got {gamma}")):
            matrix.OuterProductLayer(3, 2, "fixed", gamma=gamma)


def test_layer_memories_are_their_papers_decays():
    """RetNet: keys scaled by 1/sqrt(d), log decay log gamma; Mamba-2: values times Delta, log
    decay -exp(A_log) Delta; GLA: log sigma(W_a x + b_a) / 16. Catches the fixed decay never
    taken (RetNet run as undecayed attention), k times sqrt(d), v divided by Delta, a log decay
    divided by Delta or of the wrong sign, and another temperature."""
    torch.manual_seed(0)
    x = torch.randn(2, 5, 3, dtype=F64)
    d = 4
    fixed = matrix.OuterProductLayer(3, d, "fixed", gamma=0.9).double()
    q, k, v, log = fixed.memory(x)
    torch.testing.assert_close(k, fixed.k(x) / 2.0)
    assert log == pytest.approx(math.log(0.9))
    scalar = matrix.OuterProductLayer(3, d, "scalar").double()
    q, k, v, log = scalar.memory(x)
    step = F.softplus(scalar.delta(x)).squeeze(-1)
    torch.testing.assert_close(v, scalar.v(x) * step.unsqueeze(-1))
    torch.testing.assert_close(log, -torch.exp(scalar.a_log) * step)
    channel = matrix.OuterProductLayer(3, d, "channel").double()
    torch.testing.assert_close(channel.memory(x)[3], F.logsigmoid(channel.alpha(x)) / 16)


def test_layer_starts_are_the_reference_codes():
    """Mamba-2's start for the scalar decay, A in [1, 16] and the step softplus(b) in [0.001,
    0.1] (log-uniform), and the mLSTM's forget bias in [3, 6], each over 300 layers: inside
    its range and near both ends. Catches ranges moved or cut and b not softplus's inverse."""
    torch.manual_seed(0)
    a, dt, f = [], [], []
    for _ in range(300):
        layer = matrix.OuterProductLayer(1, 1, "scalar")
        a.append(layer.a_log.exp().item())
        dt.append(F.softplus(layer.delta.bias).item())
        f.append(matrix.MLSTM(1, 1).f_gate.bias.item())
    for values, low, high in ((a, 1.0, 16.0), (dt, 1e-3, 0.1), (f, 3.0, 6.0)):
        assert low * (1 - 1e-5) <= min(values) < low * 1.2 and high * 0.85 < max(values) <= high * (
            1 + 1e-5
        )
    assert np.mean(np.log(dt)) == pytest.approx(math.log(0.01), abs=0.4)  # log-uniform


def test_unrolled_states_are_the_flattened_matrices():
    """The probe's states are S_t (or the mLSTM's C_t) as (B, d * d), the same matrices the
    step functions give. Catches a state list of None, of unflattened matrices, or of the
    mLSTM's normaliser n_t in place of C_t."""
    torch.manual_seed(0)
    x = torch.randn(2, 5, 3, dtype=F64)
    layer = matrix.OuterProductLayer(3, 4, "fixed").double()
    states, _ = layer.unroll(x)
    assert all(s.shape == (2, 16) for s in states)
    _, S_T = matrix.linear_attention_loop(*layer.memory(x))
    torch.testing.assert_close(states[-1], S_T.flatten(1))
    mlstm = matrix.MLSTM(3, 4).double()
    states, _ = mlstm.unroll(x)
    assert all(s.shape == (2, 16) for s in states)
    q, k, v, i, f = mlstm.gates(x)
    state = (x.new_zeros(2, 4, 4), x.new_zeros(2, 4), x.new_full((2,), -math.inf))
    for t in range(5):
        _, state = matrix.mlstm_step(q[:, t], k[:, t] / 2.0, v[:, t], i[:, t], f[:, t], state)
    torch.testing.assert_close(states[-1], state[0].flatten(1))


# -- the signed gate's contract, written out (each test names the wrong code it catches) --


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-30.0, max_value=30.0))
def test_same_signed_gate_gives_the_positive_gates_value(p):
    """2 sigma(p') - 1 = sigma(p) for p' = ``same_signed_gate(p)``, at every p. Catches
    log 2 subtracted, softplus left out, or another shift."""
    pre = torch.tensor(p, dtype=F64)
    torch.testing.assert_close(
        signed.gate(signed.same_signed_gate(pre), True),
        signed.gate(pre, False),
        rtol=1e-12,
        atol=1e-15,
    )


def test_diagonal_gate_start_and_widen_keep_every_one_hot_gate():
    """The gate biases start at linspace(1, 4, H); ``widen_`` switches the range once, keeps the
    gate on the zero input and on every one-hot input with ``same_start`` and leaves the layer
    as it was without it; a second ``widen_`` is refused. Catches another bias start, a flag
    not set, the rewrite skipped or done regardless, a second widening allowed and a mangled
    message; the default range is (0, 1)."""
    torch.manual_seed(0)
    layer = signed.DiagonalGate(3, 5)
    assert not layer.allow_neg_eigval
    torch.testing.assert_close(layer.linear_a.bias.detach(), torch.linspace(1.0, 4.0, 5))
    x = torch.cat([torch.zeros(1, 1, 3), torch.eye(3).unsqueeze(0)], 1)  # zero, then e_1..e_3
    before = layer.coefficients(x)[0]
    plain = signed.DiagonalGate(3, 5)
    plain.load_state_dict(layer.state_dict())
    plain.widen_(same_start=False)
    assert plain.allow_neg_eigval
    torch.testing.assert_close(plain.linear_a.weight, layer.linear_a.weight)
    layer.widen_()
    assert layer.allow_neg_eigval
    torch.testing.assert_close(layer.coefficients(x)[0], before, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"^the range is already \(-1, 1\)$"):
        layer.widen_()
    with pytest.raises(ValueError, match="mode"):
        signed.DiagonalGate(3, 5, mode="fast")


# -- the delta rule's contract, written out (each test names the wrong code it catches) --


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-30.0, max_value=30.0))
def test_same_doubled_beta_gives_the_plain_betas_value(p):
    """2 sigma(p') = sigma(p) for p' = ``same_doubled_beta(p)``, at every p. Catches the sign,
    log 2 or softplus changed."""
    pre = torch.tensor(p, dtype=F64)
    torch.testing.assert_close(
        2 * torch.sigmoid(delta.same_doubled_beta(pre)), torch.sigmoid(pre), rtol=1e-12, atol=1e-15
    )


def test_deltanet_widen_keeps_every_one_hot_beta():
    """``widen_`` doubles beta's range once; with ``same_start`` every beta on the zero input and
    on a one-hot input keeps its value, without it the beta layer is left as it was; a second
    ``widen_`` is refused. Catches a flag not set, the rewrite skipped or done regardless, a
    second widening allowed, a mangled message."""
    torch.manual_seed(0)
    layer = delta.DeltaNet(3, 4)
    x = torch.cat([torch.zeros(1, 1, 3), torch.eye(3).unsqueeze(0)], 1)
    before = layer.memory(x)[3]
    plain = delta.DeltaNet(3, 4)
    plain.load_state_dict(layer.state_dict())
    plain.widen_(same_start=False)
    assert plain.allow_neg_eigval
    torch.testing.assert_close(plain.beta.weight, layer.beta.weight)
    layer.widen_()
    assert layer.allow_neg_eigval
    torch.testing.assert_close(layer.memory(x)[3], before, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"^the range is already beta in \(0, 2\)$"):
        layer.widen_()


def test_delta_rule_shapes_defaults_dtypes_and_unrolled_states():
    """``delta_loop`` checks beta's and log alpha's shapes with their messages; the one-step
    Jacobian defaults to alpha = 1 and d_v = 1; a bfloat16 step and Jacobian stay bfloat16; the
    probe's states are S_t as (B, d * d), the matrices ``delta_loop`` ends on. Catches the gates
    left out of the check, other defaults, an identity built in the default dtype (which
    promotes a half-precision state to float32), and a state list of None or of unflattened
    matrices."""
    q, k, v = _qkv(T=3)
    with pytest.raises(
        ValueError, match="^" + re.escape("beta must be (B, T) = (2, 3), got (3,)") + "$"
    ):
        delta.delta_loop(q, k, v, torch.ones(3, dtype=F64))
    with pytest.raises(
        ValueError, match="^" + re.escape("log_alpha must be (B, T) = (2, 3), got (2, 3, 1)") + "$"
    ):
        delta.delta_loop(q, k, v, torch.ones(2, 3, dtype=F64), torch.zeros(2, 3, 1, dtype=F64))
    key = F.normalize(_randn(3, seed=60), dim=-1)
    torch.testing.assert_close(
        delta.state_jacobian(key, 0.5), delta.state_jacobian(key, 0.5, 1.0, 1)
    )
    assert delta.state_jacobian(key, 0.5).shape == (3, 3)
    half = torch.bfloat16
    assert delta.state_jacobian(key.to(half), 0.5, d_v=2).dtype == half
    S = delta.delta_step(
        torch.zeros(1, 2, 3, dtype=half), key.to(half)[None], torch.ones(1, 2, dtype=half),
        torch.full((1,), 0.5, dtype=half),
    )  # fmt: skip
    assert S.dtype == half
    torch.manual_seed(0)
    layer = delta.DeltaNet(3, 4).double()
    x = torch.randn(2, 5, 3, dtype=F64)
    states, _ = layer.unroll(x)
    assert all(s.shape == (2, 16) for s in states)
    _, S_T = delta.delta_loop(*layer.memory(x))
    torch.testing.assert_close(states[-1], S_T.flatten(1))


def test_delta_rule_checks_transitions_of_many_keys_and_the_layers_memory():
    """Each condition of the q, k, v check alone refuses its input, with the shapes in the
    message; ``transition`` of keys (T, d_k) is the stack of each key's; DeltaNet's q and k
    are unit vectors along their last axis and Gated DeltaNet's log alpha is
    -exp(A_log) softplus(w_alpha . x + b_alpha). Catches an ``and`` for an ``or`` in the check,
    messages lost, an outer product taken on the wrong axis, q or k normalised over another
    axis (or over everything), and log alpha divided by the step or of the wrong sign."""
    qkv = "^need q, k \\(B, T, d_k\\) and v \\(B, T, d_v\\), got "
    good, beta = torch.ones(2, 3, 4), torch.ones(2, 3)
    cases = [
        ((torch.ones(2, 3), torch.ones(2, 3), torch.ones(2, 3, 4)), "(2, 3), (2, 3), (2, 3, 4)"),
        ((good, torch.ones(2, 3, 5), good), "(2, 3, 4), (2, 3, 5), (2, 3, 4)"),
        ((good, good, torch.ones(2, 3, 4, 1)), "(2, 3, 4), (2, 3, 4), (2, 3, 4, 1)"),
        ((good, good, torch.ones(2, 5, 4)), "(2, 3, 4), (2, 3, 4), (2, 5, 4)"),
    ]
    for args, shapes in cases:
        with pytest.raises(ValueError, match=qkv + re.escape(shapes) + "$"):
            delta.delta_loop(*args, beta)
    keys = F.normalize(_randn(4, 3, seed=61), dim=-1)
    betas = torch.sigmoid(_randn(4, seed=62))
    torch.testing.assert_close(
        delta.transition(keys, betas),
        torch.stack([delta.transition(k, b) for k, b in zip(keys, betas, strict=True)]),
    )
    torch.manual_seed(0)
    layer = delta.DeltaNet(3, 4, gated=True).double()
    x = torch.randn(2, 5, 3, dtype=F64)
    q, k, _, _, log_alpha = layer.memory(x)
    for t in (q, k):
        torch.testing.assert_close(t.norm(dim=-1), torch.ones(2, 5, dtype=F64))
    step = F.softplus(layer.alpha(x)).squeeze(-1)
    torch.testing.assert_close(log_alpha, -torch.exp(layer.a_log) * step)


def test_deltanet_modes_chunk_checks_and_start(monkeypatch):
    """``delta_chunked`` checks beta, log alpha and ``chunk`` with their messages; DeltaNet is
    ungated by default, accepts "loop", runs the chunked form for "chunk" and the loop for
    "loop" (observed by substituting each), and starts Gated DeltaNet like Mamba-2 (A in
    [1, 16], softplus of the step bias in [0.001, 0.1]) over 300 layers. Catches the gates or
    the chunk left unchecked, a lost message, a gated default, "loop" refused, a mode ignored
    or inverted, and the start's ranges moved or its inverse softplus of the wrong sign."""
    q, k, v = _qkv(T=3)
    with pytest.raises(ValueError, match="^" + re.escape("beta must be (B, T) = (2, 3), got (3,)")):
        delta.delta_chunked(q, k, v, torch.ones(3, dtype=F64))
    with pytest.raises(
        ValueError, match="^" + re.escape("log_alpha must be (B, T) = (2, 3), got (3,)")
    ):
        delta.delta_chunked(q, k, v, torch.ones(2, 3, dtype=F64), torch.zeros(3, dtype=F64))
    for chunk in (0, 2.0):
        with pytest.raises(ValueError, match=f"^chunk must be a positive int, got {chunk!r}$"):
            delta.delta_chunked(q, k, v, torch.ones(2, 3, dtype=F64), chunk=chunk)
    assert not delta.DeltaNet(3, 2).gated
    with pytest.raises(ValueError, match="^mode must be 'chunk' or 'loop', got 'fast'$"):
        delta.DeltaNet(3, 2, mode="fast")
    calls = []
    for name in ("delta_chunked", "delta_loop"):
        real = getattr(delta, name)
        monkeypatch.setattr(
            delta, name, lambda *a, real=real, name=name: calls.append(name) or real(*a)
        )
    x = torch.randn(2, 4, 3)
    for mode in ("chunk", "loop"):
        delta.DeltaNet(3, 2, mode=mode)(x)
    assert calls == ["delta_chunked", "delta_loop"]
    torch.manual_seed(0)
    a, dt = [], []
    for _ in range(300):
        layer = delta.DeltaNet(1, 1, gated=True)
        a.append(layer.a_log.exp().item())
        dt.append(F.softplus(layer.alpha.bias).item())
    for values, low, high in ((a, 1.0, 16.0), (dt, 1e-3, 0.1)):
        assert low * (1 - 1e-5) <= min(values) < low * 1.2
        assert high * 0.85 < max(values) <= high * (1 + 1e-5)
