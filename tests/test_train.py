"""The training loop: repeatable, guarded against blow-ups, clipping as advertised."""

import math

import pytest
import torch

from rnngrad import AddingProblem, AgreementTask, make_model, set_recurrent_singular_values_, train


def _run(seed=0, **kw):
    task = AddingProblem(T=10)
    torch.manual_seed(seed)
    model = make_model(kw.pop("cell", "lstm"), task, hidden_size=8)
    return train(
        model,
        task,
        steps=kw.pop("steps", 30),
        eval_every=10,
        progress=False,
        device="cpu",
        seed=seed,
        **kw,
    )


def test_same_seed_same_numbers():
    a, b = _run(), _run()
    assert a.loss == b.loss and a.grad_norm == b.grad_norm and a.eval_metric == b.eval_metric
    assert _run(seed=1).loss != a.loss


def test_non_finite_loss_stops_cleanly():
    task = AddingProblem(T=60)
    torch.manual_seed(0)
    model = make_model("rnn", task, hidden_size=16, nonlinearity="relu")
    set_recurrent_singular_values_(model.rnn, 3.0)
    history = train(model, task, steps=50, lr=0.1, optimizer="sgd", progress=False, device="cpu")
    assert history.diverged and history.stopped.reason.startswith("non-finite")
    assert not math.isfinite(history.loss[-1]) or not math.isfinite(history.grad_norm[-1])


def test_clipping_bounds_the_update_not_the_measurement():
    h = _run(clip=1e-3, steps=5)
    assert max(h.grad_norm) > 1e-3  # grad_norm is measured before clipping
    torch.manual_seed(0)
    task = AddingProblem(T=10)
    model = make_model("lstm", task, hidden_size=8)
    before = [p.detach().clone() for p in model.parameters()]
    train(model, task, steps=1, lr=1.0, optimizer="sgd", clip=1e-3, progress=False, device="cpu")
    step = torch.cat(
        [(p.detach() - q).flatten() for p, q in zip(model.parameters(), before, strict=True)]
    )
    assert step.norm().item() == pytest.approx(1e-3, rel=1e-3)


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


def test_stop_reads_as_a_sentence():
    """The typed stop prints as the chapters show it. Catches a display that drops the step
    or says "finished" for a run that simply used its budget."""
    from rnngrad.train import Stop

    assert str(Stop("budget", 1500)) == "budget spent (1500 steps)"
    assert str(Stop("target", 300)) == "target reached at step 300"
    assert str(Stop("non-finite gradient", 7)) == "non-finite gradient at step 7"
