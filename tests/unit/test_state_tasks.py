"""Part VI's tasks and studies: parity and the toggle-reset automaton (rnngrad.core.automata),
multi-query associative recall (rnngrad.core.recall.MultiQueryRecallTask), their chance
levels by simulation, the training loop's held-out sequences, and one spec of each declared
study (rnngrad.experiments.studies) run for a few steps. Each test names the plausible wrong
implementation it catches."""

import dataclasses
import math

import pytest
import torch

import rnngrad
from rnngrad import experiments
from rnngrad.core.automata import RESET, TOGGLE, ParityTask, ToggleResetTask, make_automaton
from rnngrad.core.recall import MultiQueryRecallTask
from rnngrad.experiments import store
from rnngrad.models.starts import Start
from rnngrad.training.spec import execute


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_parity_and_toggle_reset_labels_follow_the_automaton():
    """Catches: a parity label shifted by one step (the state before the symbol), a reset that
    sets the state to 1, a toggle applied after a reset in the same step."""
    x, y = ParityTask(train_length=12).sample(64, _gen())
    bits = x.argmax(-1).tolist()
    for row, labels in zip(bits, y.tolist(), strict=True):
        assert labels == [sum(row[: t + 1]) % 2 for t in range(12)]
    task = ToggleResetTask(train_length=40, reset_rate=0.2)
    x, y = task.sample(64, _gen(1))
    for row, labels in zip(x.argmax(-1).tolist(), y.tolist(), strict=True):
        state, want = 0, []
        for s in row:
            state = 1 - state if s == TOGGLE else 0 if s == RESET else state
            want.append(state)
        assert labels == want


def test_held_out_sequences_are_the_test_length_and_only_the_last_step_scores():
    """Catches: held-out sequences drawn at the training length (no length generalisation
    tested), a metric averaging every step (most steps of a 256-step sequence lie past
    nothing: the score would hide a failure at the end)."""
    task = make_automaton("parity", train_length=8, test_length=50)
    x, y = task.held_out(16, _gen())
    assert x.shape == (16, 50, 2) and y.shape == (16, 50)
    assert task.sample(16, _gen())[0].shape == (16, 8, 2)
    pred = torch.nn.functional.one_hot(y, 2).float()
    pred[:, -1] = 1 - pred[:, -1]  # right everywhere but the last step
    assert task.metric(pred, y) == 0.0


def test_toggle_reset_chance_is_the_last_symbol_predictor():
    """Catches: a chance level that forgets the reset (1/2), counts it twice, or takes the
    majority class (always 0) for the best rule that reads the last symbol. Simulated: always 0
    scores ``majority``; 0 after a reset or a keep and 1 after a toggle scores ``chance``,
    each within sampling error, and the second is the better."""
    task = ToggleResetTask(test_length=64, reset_rate=0.25)
    x, y = task.held_out(40_000, _gen(2))
    last = x[:, -1].argmax(-1)
    always_zero = float((y[:, -1] == 0).float().mean())
    guess = torch.where(last == TOGGLE, 1, 0)
    accuracy = float((guess == y[:, -1]).float().mean())
    assert abs(always_zero - task.majority) < 4 * math.sqrt(0.25 / 40_000)
    assert abs(accuracy - task.chance) < 4 * math.sqrt(0.25 / 40_000)
    assert task.chance > task.majority


def test_mqar_labels_are_the_values_of_the_queried_keys_and_chance_holds():
    """Catches: a label taken from the wrong pair (gather over the wrong axis), a query that
    repeats a key, a value channel left in a query step (the answer would be in the input).
    Simulated chance: a memoryless guess scores 1/values; a guess among the context's values
    about 1/pairs."""
    task = MultiQueryRecallTask(pairs=6, keys=10, values=12)
    x, y = task.sample(4000, _gen(4))
    n, K = task.pairs, task.keys
    keys, values = x[:, :n, :K].argmax(-1), x[:, :n, K:].argmax(-1)
    queries = x[:, n:, :K].argmax(-1)
    assert x[:, n:, K:].abs().sum() == 0
    assert all(len(set(q)) == n for q in queries.tolist())
    for b in range(50):
        lookup = dict(zip(keys[b].tolist(), values[b].tolist(), strict=True))
        assert y[b].tolist() == [lookup[q] for q in queries[b].tolist()]
    blind = torch.randint(0, task.values, y.shape, generator=_gen(5))
    assert abs(float((blind == y).float().mean()) - task.chance) < 0.01
    pick = values.gather(1, torch.randint(0, n, y.shape, generator=_gen(6)))
    assert abs(float((pick == y).float().mean()) - task.unbound) < 0.03


def test_the_training_loop_evaluates_on_held_out_sequences():
    """Catches: the loop evaluating on ``sample`` (training-length sequences), so a model that
    only fits 16 steps would be reported as generalising."""
    seen = []

    @dataclasses.dataclass
    class Spy(ParityTask):
        def metric(self, pred, y):
            seen.append(pred.shape[1])
            return super().metric(pred, y)

    task = Spy(train_length=4, test_length=30)
    model = rnngrad.make_model("gru", task, hidden_size=4, seed=0)
    rnngrad.train(model, task, 2, eval_every=1, eval_batch=8, progress=False)
    assert seen == [30, 30]


def test_eigenvalue_start_sets_the_range_and_names_the_arm():
    """Catches: the two ranges of one cell sharing an arm label (the pilot's learning rates and
    the archive's records would mix them), a start that leaves the range unchanged."""
    for study in (experiments.STUDIES["state-tracking"], experiments.STUDIES["mqar"]):
        labels = [a.label for a in study.arms]
        assert len(set(labels)) == len(labels)
    task = ParityTask()
    for value, allowed in ((0.0, False), (-1.0, True)):
        for cell in ("deltanet", "diagonal_gate"):
            model = rnngrad.make_model(cell, task, hidden_size=4, seed=0)
            Start("eigenvalues", value)(model, "parity", 0)
            assert model.rnn.allow_neg_eigval is allowed
    with pytest.raises(ValueError, match="0 or -1"):
        Start("eigenvalues", 0.5)


@pytest.mark.parametrize("cell", ["diagonal_gate", "deltanet", "gated_deltanet"])
def test_matched_start_widens_the_range_from_the_same_transitions(cell):
    """Catches: a signed arm that starts from other transitions than its [0, 1] arm (the shared
    bias: 2 sigma - 1 < sigma for the gate, 2 sigma > sigma for beta), so that the range is not
    the one difference; a matched start that leaves the range at [0, 1]; one that moves any
    other weight. On the zero input and on every one-hot input, the gates (DeltaNet's beta)
    equal the [0, 1] model's of the same seed; the shared-bias start does not."""
    task = make_automaton("toggle_reset")
    inputs = torch.cat([torch.zeros(1, task.symbols), torch.eye(task.symbols)]).unsqueeze(0)

    def gates(start):
        model = rnngrad.make_model(cell, task, hidden_size=6, seed=3)
        if start is not None:
            start(model, "toggle_reset", 3)
        with torch.no_grad():
            if cell == "diagonal_gate":
                return model, model.rnn.coefficients(inputs)[0]
            return model, model.rnn.memory(inputs)[3]

    base, positive = gates(Start("eigenvalues", 0.0))
    matched_model, matched = gates(Start("matched_eigenvalues", -1.0))
    _, shared = gates(Start("eigenvalues", -1.0))
    assert matched_model.rnn.allow_neg_eigval
    torch.testing.assert_close(matched, positive, atol=1e-6, rtol=0)
    assert (shared - positive).abs().max() > 0.05
    layer = "linear_a" if cell == "diagonal_gate" else "beta"
    changed = {
        k for k, v in matched_model.state_dict().items() if not torch.equal(v, base.state_dict()[k])
    }
    assert changed <= {f"rnn.{layer}.weight", f"rnn.{layer}.bias"}
    with pytest.raises(ValueError, match="widens to -1"):
        Start("matched_eigenvalues", 0.0)


@pytest.mark.parametrize("name", ["state-tracking", "mqar"])
def test_one_spec_of_each_new_study_runs(name):
    """Catches: a declared study whose task, arm options or start make_model or the loop
    rejects, or whose record cannot be written. Every arm's pilot spec is built and one of them
    trained for a few steps into an archive record."""
    study = experiments.STUDIES[name]
    specs = study.pilot_specs()
    assert len(specs) == len(study.arms) * len(study.lrs) * len(study.pilot_seeds)
    for arm in study.arms:
        study.pilot_spec(arm, study.pilot_seeds[0], study.lrs[0]).build()
    assert len(study.main_specs({a.label: 1e-3 for a in study.arms})) == (
        len(study.arms) * len(study.settings) * len(study.seeds)
    )
    arm = study.arms[-3] if name == "state-tracking" else study.arms[4]  # a DeltaNet arm
    spec = dataclasses.replace(
        study.pilot_spec(arm, study.pilot_seeds[0], 1e-3),
        steps=3,
        train={**study.train, "lr": 1e-3, "eval_every": 3, "eval_batch": 16},
    )
    model, history = execute(spec)
    record = store.make_record(name, spec, model, history)
    assert record["steps_run"] == 3 and 0 <= record["final_metric"] <= 1
    assert record["hidden_size"] == dict(arm.options).get("hidden_size", study.hidden_size)
