"""One experiment type and one runner: a ``RunSpec`` gives the same run wherever it executes
(this process, joblib's worker processes, a Dask cluster), and the registry builds every cell.

Each test names the wrong implementation it catches."""

import math
import os
import sys

import pytest
import torch
from torch import nn

import rnngrad
from rnngrad import AddingProblem, RunSpec, lstm_forget_bias
from rnngrad.core.device import pick_device
from rnngrad.models import CELLS, cell_names, make_model
from rnngrad.training import runner
from rnngrad.training.loop import History, Stop, train
from rnngrad.training.runner import run, stream
from rnngrad.training.spec import Run, execute, execute_remote, rebuild


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


def _on_dask(specs):
    """The runs of ``specs`` on a local Dask cluster of two one-thread worker processes."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        return run(specs, backend="dask", progress=False)


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
    _same(run(_specs(), backend="serial", progress=False), _on_dask(_specs()))


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
        (lambda: run([]), "^run needs at least one RunSpec$"),
        (lambda: run([RunSpec("lstm", AddingProblem(3), 1)], backend="mpi"), "unknown backend"),
        (lambda: run([RunSpec("lstm", AddingProblem(3), 1)], workers=0), "workers"),
    ],
)
def test_bad_specs_and_runner_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"steps": 1.5}, "steps must be a positive int, got 1.5"),
        ({"steps": True}, "steps must be a positive int, got True"),
        ({"seed": 1.5}, "seed must be an int, got 1.5"),
        ({"seed": False}, "seed must be an int, got False"),
        ({"train": {"progress": True}}, "'progress' is set by the spec, not by its train"),
        ({"cell": "mamba"}, "unknown cell 'mamba'; expected one of .*'lstm'"),
    ],
)
def test_a_spec_refuses_what_it_cannot_run(changes, message):
    """Catches: a check joined with ``and`` where it needs ``or`` (a float or a bool taken as
    a number of steps or a seed), ``progress`` not reserved (the spec sets it), and errors
    without their messages. One step and a negative seed are valid."""
    fields = {"cell": "rnn", "task": AddingProblem(3), "steps": 2} | changes
    with pytest.raises(ValueError, match=message):
        RunSpec(**fields)
    assert RunSpec("rnn", AddingProblem(3), steps=1, seed=-3).steps == 1


def test_a_start_receives_the_model_the_setting_and_the_seed():
    """Catches: a start called without the spec's setting or seed (a start that reads its
    value from the setting, chrono's T_max, would set another bias)."""
    calls = []
    spec = RunSpec("rnn", AddingProblem(3), steps=1, seed=7, setting=("T", 3),
                   start=lambda model, setting, seed: calls.append((type(model), setting, seed)))  # fmt: skip
    spec.build()
    assert calls == [(type(make_model("rnn", AddingProblem(3))), ("T", 3), 7)]


def test_a_run_reads_its_spec_and_history():
    """Catches: a run that reports another field of its spec, a diverged run's last
    evaluation taken as its result, or a step to target reported for a run stopped otherwise."""
    spec = RunSpec("gru", AddingProblem(3), steps=9, seed=4, setting=0.5)
    solved = Run(spec, spec.build(), History(eval_metric=[0.3, 0.01], stopped=Stop("target", 6)))
    assert (solved.cell, solved.setting, solved.seed, solved.task) == ("gru", 0.5, 4, spec.task)
    assert (solved.metric, solved.solved_at) == (0.01, 6)
    blown = Run(spec, spec.build(), History(eval_metric=[0.3], stopped=Stop("non-finite loss", 3)))
    assert math.isnan(blown.metric) and blown.solved_at is None


def test_execute_trains_under_the_specs_seed():
    """``execute`` is ``train`` on the spec's model with the spec's seed (the batches it
    draws). Catches a run trained without its seed (other batches: other numbers) or
    under another spec's options."""
    spec = RunSpec("rnn", AddingProblem(4), steps=3, seed=5, model={"hidden_size": 4},
                   train={"eval_every": 3, "lr": 1e-2})  # fmt: skip
    model = spec.build()
    expected = train(model, spec.task, 3, seed=5, progress=False, eval_every=3, lr=1e-2)
    trained, history = execute(spec)
    assert history.loss == expected.loss and history.eval_metric == expected.eval_metric
    for p, q in zip(trained.parameters(), model.parameters(), strict=True):
        assert torch.equal(p, q)


def test_a_workers_weights_rebuild_the_trained_model():
    """What a worker sends back (``execute_remote``: NumPy weights and the history) rebuilds
    the model ``execute`` trains, in this process too (the runner calls both in workers,
    where a test's coverage does not see them). Catches weights of an untrained model sent
    back, or a rebuilt model that keeps its fresh start."""
    spec = RunSpec("gru", AddingProblem(4), steps=3, seed=2, model={"hidden_size": 3},
                   train={"eval_every": 3, "lr": 0.1})  # fmt: skip
    model, history = execute(spec)
    weights, sent = execute_remote(spec)
    assert sent.loss == history.loss
    rebuilt = rebuild(spec, weights)
    for (k, p), q in zip(model.state_dict().items(), rebuilt.state_dict().values(), strict=True):
        assert torch.equal(p, q), k
    assert not all(
        torch.equal(p, q)
        for p, q in zip(model.parameters(), spec.build().parameters(), strict=True)
    )


def test_default_workers_one_per_core_on_the_cpu_and_one_on_a_gpu():
    """Catches a count that swaps the two cases, ignores the device it is given, or gives
    a GPU more than the one process that shares it."""
    assert runner.default_workers("cpu") == (os.cpu_count() or 1)
    assert runner.default_workers(torch.device("cpu")) == (os.cpu_count() or 1)
    assert runner.default_workers("cuda") == 1
    assert runner.default_workers() == runner.default_workers(pick_device())


def test_the_worker_count_is_read_from_the_runs_device(monkeypatch):
    """Catches a default that ignores ``train["device"]`` (a GPU's runs spread over one
    process per core)."""
    seen = []
    monkeypatch.setattr(runner, "default_workers", lambda device: seen.append(device) or 1)
    spec = RunSpec("rnn", AddingProblem(3), steps=1, train={"device": "cpu", "eval_every": 1})
    run([spec], progress=False)
    assert seen == ["cpu"]


class _StaysHere:
    """A start that cannot be sent to a worker process (it refuses to be pickled)."""

    def __call__(self, model, setting, seed):
        pass

    def __reduce__(self):
        raise TypeError("this start stays in its process")


def test_auto_runs_here_only_for_one_worker():
    """``backend="auto"`` runs in this process when one worker is asked for or there is one
    spec, else in worker processes (to which a spec that cannot be pickled never gets).
    Catches: workers not capped at the number of specs, a floor of two workers, and "auto"
    that picks processes for one worker."""
    spec = RunSpec("rnn", AddingProblem(3), steps=1, start=_StaysHere(),
                   model={"hidden_size": 2}, train={"eval_every": 1})  # fmt: skip
    assert len(run([spec, spec], workers=1, progress=False)) == 2
    assert len(run([spec], workers=4, progress=False)) == 1
    with pytest.raises(Exception, match="pickle"):  # joblib: "Could not pickle the task"
        run([spec, spec], workers=2, progress=False)


def test_stream_yields_runs_or_their_positions():
    """Catches: ``stream`` yielding (position, run) pairs unasked (or bare runs when asked),
    and ``run`` returning the runs out of the specs' order."""
    specs = [RunSpec("rnn", AddingProblem(3), steps=1, seed=s, train={"eval_every": 1})
             for s in (2, 0, 1)]  # fmt: skip
    plain = list(stream(specs, backend="serial", progress=False))
    assert all(isinstance(r, Run) for r in plain) and [r.seed for r in plain] == [2, 0, 1]
    indexed = list(stream(specs, backend="serial", progress=False, indexed=True))
    assert [(i, r.seed) for i, r in indexed] == [(0, 2), (1, 0), (2, 1)]
    assert [r.seed for r in run(specs, backend="processes", workers=2, progress=False)] == [2, 0, 1]


def test_workers_train_at_the_parents_scale(monkeypatch):
    """Catches a worker that runs at the default share of its steps, not the share the
    parent's RNNGRAD_SCALE asks for."""
    monkeypatch.setenv("RNNGRAD_SCALE", "0.5")
    spec = RunSpec("rnn", AddingProblem(3), steps=8, model={"hidden_size": 2},
                   train={"eval_every": 4})  # fmt: skip
    runs = run([spec, spec], backend="processes", workers=2, progress=False)
    assert [r.history.steps for r in runs] == [4, 4]


def test_worker_processes_need_no_dask(monkeypatch):
    """Catches the Dask check run for every backend but Dask's (joblib's own processes then
    refuse to start where dask.distributed is not installed)."""
    monkeypatch.setitem(sys.modules, "distributed", None)
    spec = RunSpec("rnn", AddingProblem(3), steps=1, model={"hidden_size": 2},
                   train={"eval_every": 1})  # fmt: skip
    assert len(run([spec, spec], backend="processes", workers=2, progress=False)) == 2


def test_a_worker_task_runs_at_the_share_it_is_handed(monkeypatch):
    """What each worker process executes (``_indexed``, called here in this process): the run
    at the share of steps the parent handed over, whatever this process's switch says, and
    its position. Catches the share dropped or another spec executed."""
    monkeypatch.setenv("RNNGRAD_SCALE", "0.1")
    spec = RunSpec("rnn", AddingProblem(3), steps=8, model={"hidden_size": 2},
                   train={"eval_every": 4})  # fmt: skip
    i, weights, history = runner._indexed(5, spec, 0.5)
    assert (i, history.steps) == (5, 4) and set(weights) == set(spec.build().state_dict())


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda: run(["rnn"]), TypeError, "^run takes RunSpec objects$"),
        (lambda: run([RunSpec("rnn", AddingProblem(3), 1)], workers=1.5), ValueError, "workers"),
        (
            lambda: run([RunSpec("rnn", AddingProblem(3), 1)], backend="ray"),
            ImportError,
            r"^backend='ray' needs Ray: pip install 'ray\[default\]'$",
        ),
        (
            lambda: run([RunSpec("rnn", AddingProblem(3), 1)], backend="dask"),
            ImportError,
            "^backend='dask' needs dask.distributed and a Client$",
        ),
    ],
)
def test_the_runner_names_what_it_needs(monkeypatch, make, error, message):
    """Catches a check that lets anything but RunSpecs through, a fractional worker count
    taken, and a missing Ray or Dask reported without what to install (the modules are hidden
    here, installed or not)."""
    monkeypatch.setitem(sys.modules, "ray", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(error, match=message):
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


def _where(model, setting, seed):
    """A start that records where the run was built: the process and its OpenMP thread cap."""
    model.register_buffer("pid", torch.tensor(os.getpid()))
    model.register_buffer("omp", torch.tensor(int(os.environ.get("OMP_NUM_THREADS", "0"))))


def _located(n=2):
    return [RunSpec("rnn", AddingProblem(3), steps=1, seed=s, start=_where, model={"hidden_size": 2},
                    train={"eval_every": 1}) for s in range(n)]  # fmt: skip


def test_each_backend_trains_where_it_says(monkeypatch):
    """Serial runs train in this process; joblib's processes in worker processes capped at one
    BLAS/OpenMP thread each, as many as asked (one worker: joblib runs it here); a Dask cluster
    on its workers. Catches: the worker count not passed to joblib (all cores used), the
    thread cap dropped or not at 1, and a Dask run with one job (joblib then runs it here)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "3")  # what a worker would inherit uncapped
    here = os.getpid()
    assert [int(r.model.pid) for r in run(_located(), backend="serial", progress=False)] == [
        here
    ] * 2
    away = run(_located(), backend="processes", workers=2, progress=False)
    assert all(int(r.model.pid) != here for r in away)
    assert [int(r.model.omp) for r in away] == [1, 1]
    one = run(_located(), backend="processes", workers=1, progress=False)
    assert [int(r.model.pid) for r in one] == [here] * 2
    assert all(int(r.model.pid) != here for r in _on_dask(_located()))


def test_the_progress_bar_counts_the_runs(capsys, monkeypatch):
    """``stream`` and ``run`` show a bar named "runs" out of the number of specs by default,
    cleared when done, and none when ``progress=False``; ``stream``'s default backend is
    "auto". Catches: the bar off by default, without its total or name, left on the screen,
    shown when switched off, and ``run`` not passing ``progress`` on."""
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    specs = _located()
    assert len(list(stream(specs))) == 2  # the defaults: "auto", one process per core
    err = capsys.readouterr().err
    assert "runs:" in err and "0/2" in err and err.endswith("\r") and "\n" not in err
    run(specs, backend="serial")
    assert "runs:" in capsys.readouterr().err
    list(stream(specs, backend="serial", progress=False))
    run(specs, backend="serial", progress=False)
    assert capsys.readouterr().err == ""
