"""The training loop: repeatable, guarded against blow-ups, clipping as advertised."""

import math

import pytest
import torch

from rnngrad import AddingProblem, AgreementTask, make_model, set_recurrent_singular_values_, train


def _run_model(seed=0, **kw):
    """(trained model, history) of a small LSTM on the adding problem (T = 10)."""
    task = AddingProblem(T=10)
    torch.manual_seed(seed)
    model = make_model(kw.pop("cell", "lstm"), task, hidden_size=8)
    history = train(
        model,
        task,
        steps=kw.pop("steps", 30),
        eval_every=10,
        progress=False,
        device="cpu",
        seed=seed,
        **kw,
    )
    return model, history


def _run(seed=0, **kw):
    return _run_model(seed, **kw)[1]


def _held_out_mse(model, data_seed, batch=512, T=10):
    """The MSE of ``model`` on ``batch`` adding-problem sequences (T = 10) drawn from a fresh
    generator seeded ``data_seed``, written out here."""
    x, y = AddingProblem(T=T).sample(batch, torch.Generator().manual_seed(data_seed))
    model.eval()
    with torch.no_grad():
        pred = model(x).squeeze(-1)
    model.train()
    return ((pred - y) ** 2).mean().item()


def test_same_seed_same_numbers():
    """Catches: an unseeded run, and a held-out set drawn from anything but seed + 10_000
    (the last evaluation is the trained model's MSE on exactly that set)."""
    (model_a, a), (_, b) = _run_model(), _run_model()
    assert a.loss == b.loss and a.grad_norm == b.grad_norm and a.eval_metric == b.eval_metric
    model_1, one = _run_model(seed=1)
    assert one.loss != a.loss
    assert a.final_metric == pytest.approx(_held_out_mse(model_a, 10_000), rel=1e-6)
    assert one.final_metric == pytest.approx(_held_out_mse(model_1, 10_001), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 3])
def test_held_out_set_is_drawn_with_seed_plus_10000(seed):
    """The evaluation scores the model on a held-out set from its own generator seeded
    ``seed + 10_000``, not from the training seed: after one step the recorded metric is the
    trained model's MSE on that set, and not on the set ``manual_seed(seed)`` gives.
    Catches: the held-out set drawn with the training seed (the first training batch's
    numbers), or from the training generator after the batches."""
    task = AddingProblem(T=10)
    model = make_model("lstm", task, hidden_size=8, seed=seed)
    history = train(model, task, steps=1, seed=seed, progress=False, device="cpu")
    assert history.eval_step == [1]
    assert history.final_metric == pytest.approx(_held_out_mse(model, seed + 10_000), rel=1e-6)
    assert history.final_metric != pytest.approx(_held_out_mse(model, seed), rel=1e-3)


def _assert_stopped_before_the_update(history, model, finite_params):
    """The run ended at the step whose loss or gradient was non-finite, before opt.step():
    every parameter is finite and equal to what it was after the previous step, and no
    evaluation ran at or after that step."""
    stop = history.stopped
    assert history.diverged and history.steps == stop.step
    assert all(math.isfinite(v) for v in history.loss[:-1] + history.grad_norm[:-1])
    assert all(step < stop.step for step in history.eval_step)
    for p, q in zip(model.parameters(), finite_params, strict=True):
        assert torch.isfinite(p).all()
        assert torch.equal(p.detach(), q), "the non-finite step updated the parameters"


def test_non_finite_loss_stops_cleanly():
    """Catches: the guard placed after opt.step() (NaN/inf parameters), an evaluation run on
    the broken step, and a stop that is not reported as one."""
    task = AddingProblem(T=60)
    kw = dict(lr=0.1, optimizer="sgd", eval_every=1, progress=False, device="cpu")
    model = make_model("rnn", task, hidden_size=16, nonlinearity="relu", seed=0)
    set_recurrent_singular_values_(model.rnn, 1.5)
    history = train(model, task, steps=50, **kw)
    assert history.stopped.reason == "non-finite loss" and history.stopped.step > 1
    assert not math.isfinite(history.loss[-1])
    assert str(history.stopped) == f"non-finite loss at step {history.stopped.step}"
    # The same run, given one step fewer, ends where the diverged run stood before its
    # last step: the parameters the stop must have left untouched.
    again = make_model("rnn", task, hidden_size=16, nonlinearity="relu", seed=0)
    set_recurrent_singular_values_(again.rnn, 1.5)
    before = train(again, task, steps=history.stopped.step - 1, **kw)
    assert before.stopped.reason == "budget"
    _assert_stopped_before_the_update(history, model, [p.detach() for p in again.parameters()])


def test_infinite_gradient_with_a_finite_loss_stops_cleanly():
    """A finite loss whose gradient is infinite (here: from step 3 on, through a hook).
    Catches: a guard that looks at the loss only."""
    task = AddingProblem(T=10)
    kw = dict(lr=0.1, optimizer="adam", eval_every=1, progress=False, device="cpu")
    model = make_model("gru", task, hidden_size=8, seed=0)
    calls = []

    def poison(grad):
        calls.append(1)
        return grad * math.inf if len(calls) >= 3 else grad

    model.head.weight.register_hook(poison)
    history = train(model, task, steps=10, **kw)
    assert history.stopped.reason == "non-finite gradient" and history.stopped.step == 3
    assert math.isfinite(history.loss[-1]) and not math.isfinite(history.grad_norm[-1])
    assert history.eval_step == [1, 2]
    reference = make_model("gru", task, hidden_size=8, seed=0)
    train(reference, task, steps=2, **kw)
    _assert_stopped_before_the_update(history, model, [p.detach() for p in reference.parameters()])


def test_a_run_that_uses_its_budget_says_so():
    h = _run(steps=12)
    assert h.stopped.reason == "budget" and h.stopped.step == 12 and h.steps == 12
    assert h.solved_at is None and not h.diverged
    assert h.eval_step == [10, 12]  # every eval_every steps, and the last step


def _one_sgd_step(clip):
    """The parameter update of one SGD step (lr 1) of a fixed model on a fixed batch."""
    task = AddingProblem(T=10)
    model = make_model("lstm", task, hidden_size=8, seed=0)
    before = [p.detach().clone() for p in model.parameters()]
    h = train(
        model, task, steps=1, lr=1.0, optimizer="sgd", clip=clip, progress=False, device="cpu"
    )
    step = torch.cat(
        [(p.detach() - q).flatten() for p, q in zip(model.parameters(), before, strict=True)]
    )
    return step, h.grad_norm[0]


def test_clipping_bounds_the_update_not_the_measurement():
    h = _run(clip=1e-3, steps=5)
    assert max(h.grad_norm) > 1e-3  # grad_norm is measured before clipping
    step, norm = _one_sgd_step(clip=1e-3)
    assert norm > 1e-3
    assert step.norm().item() == pytest.approx(1e-3, rel=1e-3)
    # Clipping rescales: the direction is the unclipped gradient's (up to float32 rounding
    # of parameter + update).
    free, _ = _one_sgd_step(clip=None)
    assert torch.nn.functional.cosine_similarity(step, free, dim=0).item() > 1 - 1e-6


def test_clipping_leaves_a_small_gradient_alone():
    """Below the threshold the update is the unclipped one.
    Catches: clipping that normalises every gradient to the threshold."""
    free, norm = _one_sgd_step(clip=None)
    clip = 10 * norm
    step, measured = _one_sgd_step(clip=clip)
    assert measured == norm < clip
    torch.testing.assert_close(step, free, rtol=0, atol=0)
    assert step.norm().item() == pytest.approx(norm, rel=1e-5)  # SGD, lr 1: the gradient


def test_target_stops_early_and_lstm_learns():
    task = AgreementTask(clauses=1)
    torch.manual_seed(0)
    model = make_model("lstm", task, hidden_size=16)
    history = train(
        model, task, steps=400, lr=1e-2, target=0.99, eval_every=20, progress=False, device="cpu"
    )
    assert history.stopped.reason == "target" and history.solved_at == history.steps
    assert history.final_metric >= 0.99


def test_bad_arguments():
    with pytest.raises(ValueError, match="steps"):
        _run(steps=0)
    with pytest.raises(ValueError, match="unknown optimizer"):
        _run(optimizer="lbfgs")
    with pytest.raises(ValueError, match="clip"):
        _run(clip=-1.0)
    with pytest.raises(ValueError, match="unknown cell 'transformer'"):
        make_model("transformer", AddingProblem(T=5))
    with pytest.raises(ValueError, match="hidden_size"):
        make_model("gru", AddingProblem(T=5), hidden_size=0)
    for lr in (0.0, -1e-3, float("nan")):
        with pytest.raises(ValueError, match="lr must be positive"):
            _run(lr=lr)
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        _run(seed=-1)


def test_make_model_sets_the_forget_bias_of_every_lstm_layer():
    """``forget_bias`` makes b_if + b_hf equal the value in every layer (rows H..2H of
    PyTorch's i, f, g, o), leaves the other gates' biases as drawn, and is ignored by cells
    without a forget gate (the same weights as without it).
    Catches: a keyword that is dropped, set in the first layer only, written into the input
    gate's rows, or added to the drawn bias instead of replacing the total."""
    task, H = AddingProblem(T=5), 6
    plain = make_model("lstm", task, hidden_size=H, num_layers=2, seed=3)
    biased = make_model("lstm", task, hidden_size=H, num_layers=2, seed=3, forget_bias=2.5)
    for k in range(2):
        total = getattr(biased.rnn, f"bias_ih_l{k}") + getattr(biased.rnn, f"bias_hh_l{k}")
        drawn = getattr(plain.rnn, f"bias_ih_l{k}") + getattr(plain.rnn, f"bias_hh_l{k}")
        torch.testing.assert_close(total[H : 2 * H], torch.full((H,), 2.5))
        torch.testing.assert_close(total[:H], drawn[:H], rtol=0, atol=0)
        torch.testing.assert_close(total[2 * H :], drawn[2 * H :], rtol=0, atol=0)
    gru = make_model("gru", task, hidden_size=H, seed=3, forget_bias=2.5)
    same = make_model("gru", task, hidden_size=H, seed=3)
    for (name, p), q in zip(gru.named_parameters(), same.parameters(), strict=True):
        assert torch.equal(p, q), name


def test_stop_reads_as_a_sentence():
    """The typed stop prints as the chapters show it. Catches a display that drops the step
    or says "finished" for a run that simply used its budget."""
    from rnngrad.training.loop import Stop

    assert str(Stop("budget", 1500)) == "budget spent (1500 steps)"
    assert str(Stop("target", 300)) == "target reached at step 300"
    assert str(Stop("non-finite gradient", 7)) == "non-finite gradient at step 7"


def test_train_truncate_option():
    """train(..., truncate=k) is truncated BPTT: the same update as training the Truncated
    wrapper. Catches an option that is accepted but ignored (a full-BPTT update differs)."""
    import copy

    from rnngrad.models import Truncated, make_model

    task = AddingProblem(T=12)
    torch.manual_seed(0)
    a = make_model("lstm", task, hidden_size=8)
    b, full = copy.deepcopy(a), copy.deepcopy(a)
    kw = dict(batch_size=8, eval_batch=8, progress=False)
    train(a, task, 1, truncate=4, **kw)
    train(Truncated(b, 4), task, 1, **kw)
    train(full, task, 1, **kw)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        torch.testing.assert_close(p, q)
    assert any(
        not torch.equal(p, q) for p, q in zip(a.parameters(), full.parameters(), strict=True)
    )
    with pytest.raises(ValueError, match="k must be"):
        train(a, task, 1, truncate=0, progress=False)


def test_train_defaults_are_the_documented_ones():
    """batch 64, evaluation every 100 steps, seed 0: a run with the defaults is the run with
    them written out; a clip of 0 is refused (it would zero every gradient). Catches other
    defaults and a clip check that lets 0 through."""
    task = AddingProblem(T=4)
    runs = []
    for kwargs in ({}, {"batch_size": 64, "eval_every": 100, "seed": 0}):
        model = make_model("rnn", task, hidden_size=3, seed=0)
        runs.append(train(model, task, 150, eval_batch=16, progress=False, **kwargs))
    assert runs[0].loss == runs[1].loss
    assert runs[0].eval_step == runs[1].eval_step == [100, 150]
    with pytest.raises(ValueError, match="clip must be a positive number or None, got 0"):
        train(make_model("rnn", task, hidden_size=3, seed=0), task, 1, clip=0, progress=False)


@pytest.mark.parametrize("cell_task", ["adding", "agreement"])
def test_target_is_reached_at_equality_in_the_tasks_direction(cell_task):
    """A run stops at the first evaluation whose metric reaches the target, equality
    included: lower is better for the adding problem's MSE, higher for accuracy. The target
    is a metric the same run measured at step 2. ``seconds`` is the run's wall time.
    Catches: a comparison in the wrong direction for regression, strict inequalities, a
    time that is not elapsed time."""
    import time

    task = AddingProblem(T=4) if cell_task == "adding" else AgreementTask(clauses=1)

    def run(target):
        model = make_model("rnn", task, hidden_size=3, seed=0)
        return train(model, task, 6, eval_every=2, eval_batch=16, target=target, progress=False)

    start = time.perf_counter()
    first = run(None)
    elapsed = time.perf_counter() - start
    assert 0 <= first.seconds <= elapsed
    hit = run(first.eval_metric[0])
    assert str(hit.stopped) == "target reached at step 2"
    easy, impossible = (1e9, -1.0) if cell_task == "adding" else (0.0, 2.0)
    assert run(easy).solved_at == 2
    assert str(run(impossible).stopped) == "budget spent (6 steps)"


def test_the_stop_names_the_loss_when_a_later_loss_turns_infinite():
    """Catches a stop reason read from an earlier step's loss (``history.loss[1]`` for
    ``[-1]``): a run whose loss turns infinite after its third step (its gradient too) stops as a
    non-finite loss, not as a non-finite gradient."""
    import math

    from rnngrad import AddingProblem, make_model, train

    class ThirdBatchBroken(AddingProblem):
        calls = 0

        def sample(self, batch, generator=None):
            x, y = super().sample(batch, generator)
            ThirdBatchBroken.calls += 1
            return x, (y * math.inf if ThirdBatchBroken.calls == 5 else y)  # a later batch

    task = ThirdBatchBroken(5)
    history = train(make_model("rnn", task, hidden_size=4), task, 10, seed=0, progress=False)
    # (the held-out set is drawn first, so the fifth draw is a training step after the third)
    assert history.stopped.reason == "non-finite loss" and history.stopped.step >= 3
