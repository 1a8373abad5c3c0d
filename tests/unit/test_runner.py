"""One experiment type and one runner: a ``RunSpec`` gives the same run wherever it executes
(this process, joblib's worker processes, a Dask cluster), and the registry builds every cell.

Each test names the wrong implementation it catches."""

import math

import pytest
import torch
from torch import nn

import rnngrad
from rnngrad import AddingProblem, RunSpec, lstm_forget_bias
from rnngrad.models import CELLS, cell_names, make_model
from rnngrad.training.runner import run
from rnngrad.training.spec import execute


def _specs():
    task = AddingProblem(6)
    start = lstm_forget_bias(1.5)  # a closure, as chapters write them: workers must take it
    return [
        RunSpec(cell, task, steps=4, seed=seed, setting=cell, model={"hidden_size": 4},
                train={"eval_every": 2, "device": "cpu", "lr": 3e-3}, start=start)
        for cell in ("rnn", "lstm")
        for seed in (0, 1)
    ]  # fmt: skip


def _same(a, b):
    assert [(r.cell, r.seed) for r in a] == [(r.cell, r.seed) for r in b]
    for x, y in zip(a, b, strict=True):
        assert x.history.loss == y.history.loss
        for (k, p), q in zip(
            x.model.state_dict().items(), y.model.state_dict().values(), strict=True
        ):
            assert torch.equal(p, q), k


def test_worker_processes_give_the_runs_of_one_process():
    """Catches: a worker that trains with another thread count or seed (other numbers), a
    model rebuilt in the parent without its trained weights, runs returned out of order."""
    serial = run(_specs(), backend="serial", progress=False)
    _same(serial, run(_specs(), backend="processes", workers=2, progress=False))
    lstm = serial[2].model.rnn
    assert serial[2].cell == "lstm" and lstm.bias_ih_l0.shape == (16,)
    assert serial[0].history.loss != serial[1].history.loss  # the seed matters


def test_a_dask_cluster_gives_the_runs_of_one_process():
    """Catches: a backend name that is accepted but runs elsewhere, or a spec that does not
    survive the trip to a Dask worker and back."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        remote = run(_specs(), backend="dask", progress=False)
    _same(run(_specs(), backend="serial", progress=False), remote)


def test_spec_builds_under_its_seed_and_applies_its_start():
    """Catches: a start applied before building (no effect) or a model built without the seed."""
    spec = _specs()[2]
    a, b = spec.build(), spec.build()
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    f = a.rnn.bias_ih_l0[4:8] + a.rnn.bias_hh_l0[4:8]
    torch.testing.assert_close(f, torch.full((4,), 1.5))
    model, history = execute(spec)
    assert history.steps == 4 and math.isfinite(history.final_metric)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: RunSpec("lstm", AddingProblem(3), steps=0), "steps"),
        (lambda: RunSpec("lstm", AddingProblem(3), steps=2, train={"seed": 1}), "set by the spec"),
        (lambda: run([]), "at least one"),
        (lambda: run([RunSpec("lstm", AddingProblem(3), 1)], backend="mpi"), "unknown backend"),
        (lambda: run([RunSpec("lstm", AddingProblem(3), 1)], workers=0), "workers"),
    ],
)
def test_bad_specs_and_runner_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_registry_lists_every_cell_once_and_rejects_unknown_names():
    """Catches: a family left out of the registry, or an error that hides the known names."""
    assert set(cell_names()) == {
        "rnn", "lstm", "gru", "irnn", "orthogonal", "indrnn", "leaky", "lru", "student",
        "ssm", "mingru", "minlstm", "slstm", "diagonal_gate", "linear_attention", "retnet",
        "mamba2", "gla", "mlstm", "deltanet", "gated_deltanet",
    }  # fmt: skip
    assert {CELLS[c].family for c in cell_names()} == set(rnngrad.models.FAMILIES)
    with pytest.raises(ValueError, match="unknown cell 'mamba'.*'lstm'"):
        make_model("mamba", AddingProblem(4))
    with pytest.raises(ValueError, match=r"takes \['leak'\], not \['bound'\]"):
        make_model("leaky", AddingProblem(4), bound=1.0)
    with pytest.raises(ValueError, match="hidden_size"):
        make_model("gru", AddingProblem(4), hidden_size=0)


def test_registry_keeps_the_draw_order_each_seed_had():
    """Each seed gives the model the book's numbers were made with: the non-gated and
    selective cells draw a placeholder's weights first. Catches: a registry that composes
    the model in another order (every trained number in chapters 11-15 would change)."""
    task = AddingProblem(5)
    torch.manual_seed(3)
    nn.RNN(task.input_size, 8, batch_first=True)  # the old builder's fused placeholder
    head = nn.Linear(8, task.output_size)
    leaky = rnngrad.cells.nongated.LeakyRNN(task.input_size, 8, 0.9)
    model = make_model("leaky", task, 8, leak=0.9, seed=3)
    torch.testing.assert_close(model.head.weight, head.weight)
    torch.testing.assert_close(model.rnn.weight_hh_l0, leaky.weight_hh_l0)
    torch.manual_seed(4)
    nn.RNN(1, 1, batch_first=True), nn.Linear(1, task.output_size)  # the old placeholder
    gru = rnngrad.cells.selective.MinGRU(task.input_size, 8)
    head = nn.Linear(8, task.output_size)
    model = make_model("mingru", task, 8, seed=4)
    torch.testing.assert_close(model.rnn.linear_z.weight, gru.linear_z.weight)
    torch.testing.assert_close(model.head.weight, head.weight)
