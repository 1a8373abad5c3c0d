"""The studies' archive: declared runs, resumable execution, staleness, the CI reproduction,
the learning-rate rule, the verdict rule's power and named starts.

Each test names the wrong implementation it catches."""

import json
import math
import platform
import re
from pathlib import Path

import pandas as pd
import pytest
import torch

from rnngrad import AddingProblem, experiments, make_model
from rnngrad.core.tasks import AgreementTask
from rnngrad.experiments import archive, store
from rnngrad.experiments.studies import Arm, Study, choose_lrs
from rnngrad.models import Start
from rnngrad.training.loop import History, Stop
from rnngrad.training.spec import RunSpec, execute


def _tiny(**changes) -> Study:
    fields = dict(
        name="tiny",
        title="tiny adding study",
        chapter=5,
        task=AddingProblem,
        settings=(4,),
        arms=(Arm("lstm"), Arm("lstm", Start("forget_bias", 1.0))),
        budget=lambda T: 6,
        seeds=(0, 1),
        hidden_size=4,
        train={"batch_size": 8, "eval_every": 2, "eval_batch": 16, "device": "cpu"},
        lrs=(1e-2, 3e-2),
        pilot_setting=4,
        pilot_seeds=(100,),
        pilot_budget=4,
        reproduce=((1, 4, 0),),
    )
    return Study(**{**fields, **changes})


def _run_all(study, directory):
    for part in ("pilot", "main"):
        archive.run_study(study, part, directory=directory, workers=1, progress=False)


def test_spec_hash_sees_what_computes_and_ignores_where():
    """Catches: a hash blind to the learning rate (a changed study would look current) or
    one that changes with the device (a GPU re-run would look stale)."""
    study = _tiny()
    spec = study.pilot_specs()[0]
    same = study.pilot_specs()[0]
    assert store.spec_hash(spec) == store.spec_hash(same)
    other = _tiny(lrs=(2e-2, 3e-2)).pilot_specs()[0]
    assert store.spec_hash(other) != store.spec_hash(spec)
    moved = _tiny(train={**study.train, "device": "cuda"}).pilot_specs()[0]
    assert store.spec_hash(moved) == store.spec_hash(spec)


def test_execute_is_resumable_and_complete(tmp_path):
    """Catches: a resume that runs stored runs again, or records missing their provenance."""
    study = _tiny()
    _run_all(study, tmp_path)
    frame = experiments.read("tiny", tmp_path)
    assert len(frame) == 4 and len(experiments.read("tiny-lr", tmp_path)) == 4
    assert {"device", "torch", "commit", "created", "seconds"} <= set(frame.columns)
    assert frame["torch"].eq(torch.__version__).all()
    assert archive.run_study(study, "main", directory=tmp_path, progress=False) == 0
    assert all(s.complete for s in archive.status(study, tmp_path))
    assert "4 runs on cpu" in archive.provenance(frame)


def test_a_changed_study_is_stale(tmp_path):
    """Catches: a spec change that the archive does not notice (old numbers under a new
    study). Planted: the budget changes after the runs were stored."""
    _run_all(_tiny(), tmp_path)
    changed = _tiny(budget=lambda T: 8)
    main = {s.part: s for s in archive.status(changed, tmp_path)}["main"]
    assert main.stale == 4 and main.missing == 4 and not main.complete


def test_a_tampered_record_fails_the_reproduction(tmp_path):
    """Catches: a reproduction check that compares a record with itself. Planted: one stored
    final metric edited by hand."""
    study = _tiny()
    _run_all(study, tmp_path)
    pilot, ok = archive.reproduce(study, tmp_path)
    assert ok.exact and ok.agrees and pilot.agrees and pilot.label.startswith("pilot")
    for name, which in (("tiny.csv", ok), ("tiny-lr.csv", pilot)):
        path = tmp_path / name
        frame = pd.read_csv(path)
        row = frame.index[frame["spec_hash"] == which.spec_hash][0]
        frame.loc[row, "final_metric"] = frame.loc[row, "final_metric"] * 0.5
        frame.to_csv(path, index=False)
    assert not any(r.agrees for r in archive.reproduce(study, tmp_path))


def test_a_study_with_only_its_pilot_stored_checks_a_pilot_run(tmp_path):
    """Catches: a reproduction that demands main runs before any exist (a committed pilot
    would fail CI) or that then checks nothing."""
    study = _tiny()
    archive.run_study(study, "pilot", directory=tmp_path, workers=1, progress=False)
    (pilot,) = archive.reproduce(study, tmp_path)
    assert pilot.exact and pilot.agrees


def test_the_learning_rate_rule_prefers_solving_then_speed():
    """Catches: a rule that ranks by final loss alone (a rate that never solves but ends a
    little lower would win) or ignores the solving step."""
    study = _tiny(lrs=(1e-3, 1e-2, 1e-1), pilot_seeds=(100, 101))
    rows = []
    for lr, solved, final in ((1e-3, [None, None], 0.01), (1e-2, [300, 500], 0.02),
                              (1e-1, [200, None], 0.001)):  # fmt: skip
        for arm in study.arms:
            for seed, step in zip((100, 101), solved, strict=True):
                rows.append({"cell": arm.cell, "start": arm.start.label, "lr": lr,
                             "seed": seed, "solved_at": step, "final_metric": final})  # fmt: skip
    chosen = choose_lrs(study, pd.DataFrame(rows))
    assert set(chosen.values()) == {1e-2}  # both seeds solved; 1e-1 solved once
    incomplete = pd.DataFrame(rows[:3])
    assert choose_lrs(study, incomplete) == {}


def test_the_verdict_rules_power_grows_with_the_effect_and_the_seeds():
    """Catches: a power that ignores the effect or the seed count, or counts either winner."""
    none, one, three = (experiments.verdict_power(8, e, sims=100) for e in (0.0, 1.0, 3.0))
    assert none <= 0.1 and none < one < three and three >= 0.8
    assert experiments.verdict_power(16, 1.0, sims=100) > one
    assert experiments.detectable(8) <= 3.0


@pytest.mark.parametrize(
    "start, cell, check",
    [
        (
            Start("forget_bias", 2.0),
            "lstm",
            lambda m: m.rnn.bias_ih_l0[4:8] + m.rnn.bias_hh_l0[4:8],
        ),
        (
            Start("update_bias", -1.0),
            "gru",
            lambda m: m.rnn.bias_ih_l0[4:8] + m.rnn.bias_hh_l0[4:8],
        ),
    ],
)
def test_named_starts_set_the_bias_they_name(start, cell, check):
    """Catches: a start that sets the wrong gate block (input gate instead of forget)."""
    model = make_model(cell, AddingProblem(4), 4, seed=0)
    start(model, None, 0)
    torch.testing.assert_close(check(model), torch.full((4,), start.value))


def test_chrono_without_a_value_takes_t_max_from_the_setting():
    """Catches: a chrono start that ignores the run's length (every T would get one T_max):
    its memory times 1 + u, u ~ U[1, T_max - 1], must stay below T_max = the setting."""
    for T in (5, 200):
        model = make_model("lstm", AddingProblem(T), 64, seed=0)
        Start("chrono")(model, T, 0)
        b_f = model.rnn.bias_ih_l0[64:128] + model.rnn.bias_hh_l0[64:128]
        times = 1 / (1 - torch.sigmoid(b_f.double()))
        assert times.min() >= 2 - 1e-6 and times.max() <= T + 1e-6 and times.max() > T / 2
    assert Start("chrono").label == "chrono (T_max = T)"


def test_orthogonal_and_chrono_starts():
    """Catches: an orthogonal start at the wrong scale, a chrono start that ignores T_max."""
    rnn = make_model("rnn", AddingProblem(4), 6, seed=0)
    Start("orthogonal", 0.5)(rnn, None, 0)
    sv = torch.linalg.svdvals(rnn.rnn.weight_hh_l0.detach())
    torch.testing.assert_close(sv, torch.full((6,), 0.5))
    lstm = make_model("lstm", AddingProblem(4), 6, seed=0)
    Start("chrono", 50.0)(lstm, None, 0)
    b_f = (lstm.rnn.bias_ih_l0[6:12] + lstm.rnn.bias_hh_l0[6:12]).detach()
    assert (b_f >= 0).all() and (b_f <= math.log(49) + 1e-6).all() and b_f.max() > math.log(10)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: Start("warm"), "unknown start"),
        (lambda: Start("forget_bias"), "takes a value"),
        (lambda: archive.study_named("nope"), "unknown study"),
        (lambda: experiments.verdict_power(0, 1.0), "positive int"),
        (lambda: _tiny().main_specs({}), "run the pilot first"),
    ],
)
def test_bad_arguments_raise_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def _frame(study, solved_steps):
    """A synthetic archive: ``solved_steps[arm label]`` gives each seed's step (None: never)."""
    rows = []
    for arm in study.arms:
        for seed, step in zip(study.seeds, solved_steps[arm.label], strict=True):
            rows.append({"cell": arm.cell, "start": arm.start.label, "setting": 4, "seed": seed,
                         "lr": 0.01, "params": 100, "solved_at": step, "steps": 3000,
                         "final_metric": 0.005 if step else 0.16, "diverged": False,
                         "curve": "[[2, 0.2], [6, 0.1]]"})  # fmt: skip
    return pd.DataFrame(rows).astype({"solved_at": float})


def test_summaries_compare_complete_arms_and_check_the_budget():
    """Catches: a table or verdict built from an arm with seeds missing, an effect with the
    wrong sign, and a budget rule that passes when the best arm needed most of the budget."""
    from rnngrad.experiments import summary

    study = _tiny(seeds=tuple(range(6)), budget=lambda T: 3000)
    fast, slow = [100, 120, 110, 130, 90, 105], [900, 1000, None, 950, 1100, 980]
    frame = _frame(study, {"LSTM, default": slow, "LSTM, b_f = 1": fast})
    assert summary.complete_settings(study, frame) == [4]
    assert summary.complete_settings(study, frame.iloc[1:]) == []
    c = summary.compare_arms(frame, "LSTM, b_f = 1", "LSTM, default", 4)
    assert c.verdict.winner == "LSTM, b_f = 1" and c.effect == pytest.approx(990 - 107.5)
    rows = summary.table(frame)
    assert rows[0][:5] == ["4", "LSTM, default", "100", "0.01", "5/6"]
    assert rows[0][-1] == "1 of 1" and rows[1][-1] == "–"  # its failed seed fell 0.2 -> 0.1
    check = summary.budget_check(study, frame)[4]
    assert check["arm"] == "LSTM, b_f = 1" and check["met"]  # 3 x 107.5 <= 3000
    tight = summary.budget_check(_tiny(seeds=tuple(range(6)), budget=lambda T: 300), frame)
    assert not tight[4]["met"]
    # the budget rule reads the median the table prints: over every seed, the unsolved one
    # counting as later than any (990, not 980, the median of the five that solved)
    slow_only = frame[frame["start"].eq("default")]
    assert summary.budget_check(study, slow_only)[4]["median_step"] == 990
    assert summary.table(slow_only)[0][5].startswith("990")


def test_a_verdict_sentence_can_name_the_arms_in_words():
    """Catches: prose that pastes the library's arm labels ("LSTM, b_f = 1 better") where the
    chapter asked for words, and a name given for one arm applied to the other."""
    from rnngrad.experiments import summary

    study = _tiny(seeds=tuple(range(6)), budget=lambda T: 3000)
    fast, slow = [100, 120, 110, 130, 90, 105], [900, 1000, None, 950, 1100, 980]
    frame = _frame(study, {"LSTM, default": slow, "LSTM, b_f = 1": fast})
    c = summary.compare_arms(frame, "LSTM, b_f = 1", "LSTM, default", 4)
    assert summary.across({4: c}) == "LSTM, b_f = 1 better at T = 4"
    names = {"LSTM, b_f = 1": "bias 1", "LSTM, default": "PyTorch's default"}
    assert summary.across({4: c, 8: c}, names=names) == "bias 1 better at T = 4 and 8"
    flipped = summary.compare_arms(frame, "LSTM, default", "LSTM, b_f = 1", 4)
    assert summary.across({4: flipped}, "gap", names) == "bias 1 better at gap = 4"


def test_still_improving_looks_at_the_last_quarter_only():
    """Catches: a rule that compares the end with the start (a run that fell early and then
    sat flat would count as improving) or ignores that accuracy rises."""
    from rnngrad.experiments.summary import still_improving

    steps = range(100, 4100, 100)
    flat_after_early_drop = [[s, 0.5 if s < 500 else 0.16] for s in steps]
    falling_late = [[s, 0.16 if s < 3500 else 0.08] for s in steps]
    assert not still_improving(flat_after_early_drop)
    assert still_improving(falling_late)
    rising_accuracy = [[s, 0.5 if s < 3500 else 0.8] for s in steps]
    assert still_improving(rising_accuracy, higher=True)
    assert not still_improving(rising_accuracy, higher=False)


def _pilot_rows(study, outcomes):
    """Pilot records: ``outcomes[lr]`` = (step or None) for every arm and pilot seed."""
    return pd.DataFrame([
        {"cell": arm.cell, "start": arm.start.label, "lr": lr, "seed": seed,
         "solved_at": step, "final_metric": 0.005 if step else 0.16}
        for lr, step in outcomes.items() for arm in study.arms for seed in study.pilot_seeds
    ]).astype({"solved_at": float})  # fmt: skip


def test_the_grid_widens_past_an_edge_only_on_a_real_signal():
    """Catches: a rule that keeps a rate the grid cut short (chosen at the edge where it
    solved fastest), or one that widens where nothing ever solved (no signal to follow)."""
    from rnngrad.experiments.studies import lr_grid

    study = _tiny(lrs=(1e-3, 1e-2))
    arm = study.arms[0]
    fastest_at_top = _pilot_rows(study, {1e-3: 300, 1e-2: 100})
    assert lr_grid(study, arm, fastest_at_top) == [1e-3, 1e-2, 3e-2]
    assert choose_lrs(study, fastest_at_top) == {}  # 3e-2 not run yet: nothing chosen
    slower_beyond = _pilot_rows(study, {1e-3: 300, 1e-2: 100, 3e-2: 200})
    assert lr_grid(study, arm, slower_beyond) == [1e-3, 1e-2, 3e-2]
    assert set(choose_lrs(study, slower_beyond).values()) == {1e-2}  # interior now
    never = _pilot_rows(study, {1e-3: None, 1e-2: None})
    assert lr_grid(study, arm, never) == [1e-3, 1e-2]
    assert set(choose_lrs(study, never).values()) == {1e-3}  # ties: the smaller rate


def test_pruning_removes_only_the_records_no_spec_declares(tmp_path):
    """Catches: a prune that drops current records with the stale ones, or rewrites the
    kept rows differently (a diff on every line)."""
    study = _tiny()
    _run_all(study, tmp_path)
    path = tmp_path / "tiny.csv"
    before = path.read_text()
    assert archive.prune_stale(study, tmp_path) == 0 and path.read_text() == before
    changed = _tiny(budget=lambda T: 8)
    assert archive.prune_stale(changed, tmp_path) == 4
    assert experiments.read("tiny", tmp_path).empty
    assert len(experiments.read("tiny-lr", tmp_path)) == 4  # the pilot is still current


def test_two_censored_arms_are_not_given_a_difference():
    """Catches: a verdict line that prints 'difference of medians 0 (interval unbounded to 0)'
    when neither arm's median seed reached the target (nothing to compare)."""
    from rnngrad.experiments import summary

    study = _tiny(seeds=tuple(range(6)))
    never = [None, None, None, None, 3000, None]
    frame = _frame(study, {"LSTM, default": never, "LSTM, b_f = 1": never[::-1]})
    c = summary.compare_arms(frame, "LSTM, b_f = 1", "LSTM, default", 4)
    assert c.both_censored and "both censored" in c.words(",.0f", "steps")
    assert "difference of medians" not in c.words(",.0f", "steps")


def test_either_compares_steps_where_one_arm_of_the_pair_reached_the_target():
    """Catches: "either" deciding on the whole setting (a third arm's success switching a
    failing pair to steps, where both are censored) or on one arm only (an arm that never
    reached the target compared on the loss against one that did), and a verdict that does
    not say which outcome it compared."""
    from rnngrad.experiments import summary

    study = _tiny(seeds=tuple(range(6)))
    frame = _frame(study, {"LSTM, default": [None] * 6, "LSTM, b_f = 1": [None] * 6})
    frame.loc[frame["start"].eq("default"), "final_metric"] = 0.16
    frame.loc[frame["start"].eq("b_f = 1"), "final_metric"] = [0.05, 0.06, 0.04, 0.05, 0.07, 0.05]
    third = frame[frame["start"].eq("default")].assign(cell="gru", start="b_z = 1", solved_at=500.0)
    c = summary.compare_arms(
        pd.concat([frame, third]), "LSTM, b_f = 1", "LSTM, default", 4, by="either"
    )
    assert c.by == "final_metric" and c.verdict.winner == "LSTM, b_f = 1"
    assert not c.both_censored
    one = frame.copy()
    one.loc[one["start"].eq("b_f = 1"), "solved_at"] = 900.0
    c = summary.compare_arms(one, "LSTM, default", "LSTM, b_f = 1", 4, by="either")
    assert c.by == "solved_at" and c.verdict.winner == "LSTM, b_f = 1"
    assert summary.compare_arms(one, "LSTM, default", "LSTM, b_f = 1", 4).by == "solved_at"
    with pytest.raises(
        ValueError, match="by must be 'solved_at', 'final_metric' or 'either', not 'loss'"
    ):
        summary.compare_arms(one, "LSTM, default", "LSTM, b_f = 1", 4, by="loss")


def test_an_arms_steps_and_solved_count_are_read_at_its_own_setting():
    """Catches: a helper that mixes arms (the other arm's seeds counted) or ignores the
    unsolved seed (5/6 read as 6/6, or its NaN pulling the median)."""
    from rnngrad.experiments import summary

    study = _tiny(seeds=tuple(range(6)))
    frame = _frame(study, {"LSTM, default": [900, 1000, None, 950, 1100, 980],
                           "LSTM, b_f = 1": [100, 120, 110, 130, 90, 105]})  # fmt: skip
    assert summary.solved(frame, "LSTM, default", 4) == (5, 6)
    assert summary.solved(frame, "LSTM, b_f = 1", 4) == (6, 6)
    assert summary.steps_to_target(frame, "LSTM, default", 4) == "990 (900–1,100), 5/6"
    assert summary.steps_to_target(frame, "LSTM, b_f = 1", 4) == "108 (90–130), 6/6"


def test_a_missing_archive_is_an_error_and_a_study_not_run_is_empty(tmp_path):
    """Catches a library installed without its repository (Colab installing the package from
    git) that shows every archived study as "not run yet": a missing archive must say so."""
    assert experiments.read("never-run", tmp_path).empty
    with pytest.raises(FileNotFoundError, match="RNNGRAD_RESULTS"):
        experiments.read("adding", tmp_path / "absent")


def test_a_specimen_is_the_archived_run_kept_whole(tmp_path):
    """Catches: a specimen saved from another run than its record (wrong seed or rate), weights
    or history lost on the way back, a cut-short specimen checked at the wrong step, and a
    specimen made from a re-run that differs from its record."""
    from rnngrad.experiments import specimens

    labels = [arm.label for arm in _tiny().arms]
    study = _tiny(specimens=((labels[1], 4, 1, None), (labels[0], 4, 0, 4)))
    _run_all(study, tmp_path)
    lrs = choose_lrs(study, experiments.read("tiny-lr", tmp_path))
    assert all(line.endswith("saved") for line in specimens.make(study, lrs, tmp_path))
    assert all(line.endswith("kept already") for line in specimens.make(study, lrs, tmp_path))
    full, short = specimens.specs(study, lrs)
    assert short.steps == 4 and full.seed == 1
    model, history = specimens.kept(full, tmp_path)
    again, fresh = execute(full)
    x, _ = full.task.sample(3, torch.Generator().manual_seed(5))
    assert torch.equal(model(x), again(x))
    assert history.eval_metric == fresh.eval_metric and history.solved_at == fresh.solved_at
    records = experiments.read("tiny", tmp_path)
    record = records[records["spec_hash"].eq(store.spec_hash(full))].iloc[0]
    assert specimens.agrees(history, record) is True
    tampered = record.copy()
    tampered["curve"] = record["curve"].replace(str(round(history.eval_metric[-1], 6)), "9.5")
    assert specimens.agrees(history, tampered) is False
    assert specimens.agrees(history, None) is None


def test_arm_labels_name_each_cell_as_the_chapters_do():
    """Catches an arm labelled by its registry name ('INDRNN, default'), and two arms of one
    study that a table could not tell apart."""
    from rnngrad.experiments.studies import arm_label

    assert arm_label("indrnn", "default") == "IndRNN, default"
    assert arm_label("orthogonal", "default") == "orthogonal-W RNN, default"
    assert arm_label("irnn", "default") == "IRNN, W_hh = I"
    assert arm_label("lstm", "b_f = 1") == "LSTM, b_f = 1"
    for study in experiments.STUDIES.values():
        labels = [arm.label for arm in study.arms]
        assert len(set(labels)) == len(labels), study.name


def test_in_words_names_the_longest_label_first():
    """Catches a replacement in dictionary order, which turns 'orthogonal-W RNN, default'
    into 'orthogonal-W the tanh RNN', and a verdict left with its table label."""
    from rnngrad.experiments.summary import ARM_WORDS, in_words

    assert in_words("orthogonal-W RNN, default better") == "the orthogonal-W RNN better"
    assert in_words("LSTM, b_f = 1 better at T = 100") == "the LSTM (b_f = 1) better at T = 100"
    assert in_words("RNN, default better", {"RNN, default": "the RNN"}) == "the RNN better"
    assert in_words("inconclusive") == "inconclusive"
    quoted = ("adding", "copy", "agreement", "source-code", "nongated-adding", "nongated-copy")
    for name in quoted:  # the studies whose verdicts the prose quotes: every arm has its words
        for arm in experiments.STUDIES[name].arms:
            assert arm.label in ARM_WORDS, (name, arm.label)


def test_provenance_says_minutes_for_a_short_study():
    """Catches a duration printed in hours to one decimal for studies that took minutes
    ('0.0 hours of run time' for sixteen runs)."""
    row = {"created": "2026-12-07T10:00:00Z", "commit": "abc", "device": "cpu", "torch": "2"}
    short = pd.DataFrame([{**row, "seconds": 30.0}, {**row, "seconds": 90.0}])
    assert archive.provenance(short).endswith("2 minutes of run time")
    tiny = pd.DataFrame([{**row, "seconds": 3.0}])
    assert archive.provenance(tiny).endswith("1 minutes of run time") is False
    assert archive.provenance(tiny).endswith("1 minute of run time")
    long = pd.DataFrame([{**row, "seconds": 7200.0}])
    assert archive.provenance(long).endswith("2.0 hours of run time")


def test_a_difference_censored_both_ways_is_not_printed_as_unbounded_to_unbounded():
    """Catches the machine wording 'unbounded (95 % interval unbounded to unbounded)' for two
    arms whose median seed failed in some resamples each."""
    from rnngrad.experiments.summary import compare_arms

    # one arm solves on four seeds of eight, the other on five: the median seed of either
    # arm fails in some resamples
    rows = [
        {"cell": "rnn", "start": start, "setting": 50, "solved_at": step, "final_metric": 0.1}
        for start, solved in (("default", 4), ("orthogonal, sigma = 1", 5))
        for step in [100.0 * (i + 1) for i in range(solved)] + [math.nan] * (8 - solved)
    ]
    frame = pd.DataFrame(rows)
    c = compare_arms(frame, "RNN, default", "RNN, orthogonal, sigma = 1", 50)
    assert math.isinf(c.interval[0]) and math.isinf(c.interval[1]), c.interval
    words = c.words(unit="steps")
    assert "unbounded to unbounded" not in words
    assert "censored at the budget both ways" in words


# -- the results store: paths, hashes, records (rnngrad.experiments.store) ------------------


def test_the_archive_is_results_beside_lib_unless_the_environment_names_one(monkeypatch, tmp_path):
    """Catches: the folder one level off (the repository's parent), and an empty
    RNNGRAD_RESULTS taken as a path (the current directory)."""
    monkeypatch.setenv("RNNGRAD_RESULTS", str(tmp_path))
    assert store.results_dir() == tmp_path
    beside_lib = Path(store.__file__).resolve().parents[2].parent / "results"
    monkeypatch.setenv("RNNGRAD_RESULTS", "")
    assert store.results_dir() == beside_lib
    monkeypatch.delenv("RNNGRAD_RESULTS")
    assert store.results_dir() == beside_lib


def _spec(**changes) -> RunSpec:
    fields = dict(cell="lstm", task=AddingProblem(7), steps=5, seed=2, setting=7,
                  model={"num_layers": 1, "hidden_size": 3},
                  train={"lr": 0.1, "device": "cpu", "batch_size": 4},
                  start=Start("forget_bias", 1.0))  # fmt: skip
    return RunSpec(**(fields | changes))


def test_a_spec_is_described_and_hashed_by_what_it_computes():
    """Catches: a description missing the task's class or fields or any part of the spec,
    unsorted options (the same spec hashed differently when its dicts were written in another
    order), the device counted in, and a hash blind to any part."""
    spec = _spec()
    assert store.describe_spec(spec) == {
        "cell": "lstm",
        "task": {"class": "AddingProblem", "T": 7},
        "steps": 5,
        "seed": 2,
        "setting": 7,
        "model": {"hidden_size": 3, "num_layers": 1},
        "train": {"batch_size": 4, "lr": 0.1},
        "start": "Start(kind='forget_bias', value=1.0)",
    }
    assert list(store.describe_spec(spec)["model"]) == ["hidden_size", "num_layers"]
    assert list(store.describe_spec(spec)["train"]) == ["batch_size", "lr"]
    h = store.spec_hash(spec)
    assert re.fullmatch("[0-9a-f]{16}", h)
    assert store.spec_hash(_spec(model={"hidden_size": 3, "num_layers": 1})) == h
    assert store.spec_hash(_spec(train={"batch_size": 4, "lr": 0.1})) == h
    for changed in ({"seed": 3}, {"steps": 6}, {"setting": 8}, {"cell": "gru"}, {"start": None},
                    {"task": AddingProblem(8)}, {"model": {"hidden_size": 4}}):  # fmt: skip
        assert store.spec_hash(_spec(**changed)) != h, changed


def test_a_record_says_where_it_ran():
    """Catches: git run outside the repository or its output not read as text, and a CPU
    named by an empty processor string ('cpu ()') where the platform gives none."""
    assert re.fullmatch("[0-9a-f]{40}", store._git("rev-parse", "HEAD"))
    inside = store.device_name("cpu")[len("cpu (") : -1]
    assert store.device_name("cpu") == f"cpu ({inside})"
    assert inside and inside == (platform.processor() or platform.machine())


def _history(metrics, stopped=None, seconds=1.234):
    stopped = stopped or Stop("budget", len(metrics))
    steps = list(range(1, len(metrics) + 1))
    return History(loss=[0.5] * len(metrics), eval_step=steps, eval_metric=list(metrics),
                   stopped=stopped, seconds=seconds)  # fmt: skip


def test_a_curve_keeps_at_most_its_points_the_last_always():
    """Catches: a curve cut at one point too few or too many, thinned with another stride,
    the last evaluation dropped, short curves thinned, or metrics rounded coarser than 6
    decimals."""
    assert store.curve(_history([0.123456789, 0.5])) == [[1, 0.123457], [2, 0.5]]
    exact = _history([i / 1000 for i in range(50)])
    assert store.curve(exact) == [[i + 1, i / 1000] for i in range(50)]
    long = _history([i / 1000 for i in range(150)])  # stride ceil(150 / 50) = 3
    thinned = [[1 + 3 * k, 3 * k / 1000] for k in range(49)] + [[150, 0.149]]
    assert store.curve(long) == thinned
    assert store.curve(long, points=10) == [[1 + 15 * k, 15 * k / 1000] for k in range(9)] + [
        [150, 0.149]
    ]


def test_a_record_holds_the_spec_the_run_and_its_provenance():
    """Catches: any field taken from the wrong place, the best metric taken the wrong way
    round or polluted by a non-finite evaluation, a diverged run's last evaluation kept as its
    result, an unsolved run's step not left blank, the defaults of ``lr`` and ``hidden_size``
    not train's and make_model's, and a start's label lost."""
    spec = _spec()
    model = spec.build()
    record = store.make_record("s", spec, model, _history([0.4, math.nan, 0.1, 0.2]))
    assert {k: record[k] for k in ("study", "spec_hash", "cell", "start", "setting", "lr")} == {
        "study": "s", "spec_hash": store.spec_hash(spec), "cell": "lstm", "start": "b_f = 1",
        "setting": 7, "lr": 0.1,
    }  # fmt: skip
    assert (record["seed"], record["steps"], record["hidden_size"]) == (2, 5, 3)
    assert record["params"] == sum(p.numel() for p in model.parameters())
    assert (record["final_metric"], record["best_metric"], record["solved_at"]) == (0.2, 0.1, "")
    assert (record["steps_run"], record["diverged"], record["seconds"]) == (4, False, 1.23)
    assert json.loads(record["curve"])[-1] == [4, 0.2]
    assert record["device"] == store.device_name("cpu") and record["torch"] == torch.__version__
    assert record["commit"] == store.commit()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["created"])
    assert list(record) == list(store.COLUMNS)

    plain = RunSpec("lstm", AddingProblem(7), steps=5)
    record = store.make_record("s", plain, plain.build(), _history([0.3], Stop("target", 1)))
    assert (record["start"], record["lr"], record["hidden_size"], record["solved_at"]) == (
        "default",
        2e-3,
        64,
        1,
    )
    blown = store.make_record("s", plain, plain.build(), _history([0.3, math.nan], Stop("non-finite loss", 2)))  # fmt: skip
    assert math.isnan(blown["final_metric"]) and blown["best_metric"] == 0.3 and blown["diverged"]
    lost = store.make_record("s", plain, plain.build(), _history([math.nan]))
    assert math.isnan(lost["best_metric"])

    def start(model, setting, seed):
        pass

    accuracy = RunSpec("gru", AgreementTask(), steps=5, start=start)
    record = store.make_record("s", accuracy, accuracy.build(), _history([0.6, 0.9, 0.8]))
    assert record["best_metric"] == 0.9 and record["start"] == repr(start)


def test_records_append_under_one_header_and_read_back(tmp_path):
    """Catches: a header written before every record (or never), the archive's folder not
    created, the blank step to target not read as NaN, and the archive's path returned
    wrong."""
    spec = RunSpec("lstm", AddingProblem(7), steps=5)
    folder = tmp_path / "new" / "archive"
    solved = store.make_record("s", spec, spec.build(), _history([0.3], Stop("target", 1)))
    unsolved = store.make_record("s", spec, spec.build(), _history([0.3, 0.2]))
    assert store.append(solved, folder) == folder / "s.csv"
    assert store.append(unsolved, folder) == folder / "s.csv"
    assert (folder / "s.csv").read_text().count("study,spec_hash") == 1
    frame = store.read("s", folder)
    assert list(frame.columns) == list(store.COLUMNS) and len(frame) == 2
    assert frame["solved_at"].iloc[0] == 1 and math.isnan(frame["solved_at"].iloc[1])
    assert frame["final_metric"].tolist() == [0.3, 0.2]
    # a diverged run's NaN result reads back as a float NaN, not the text "nan"
    blown = store.make_record("s", spec, spec.build(), _history([0.3], Stop("non-finite loss", 1)))
    store.append(blown, folder)
    frame = store.read("s", folder)
    assert frame["final_metric"].dtype == float and math.isnan(frame["final_metric"].iloc[2])


def test_a_record_is_stamped_in_utc_whatever_the_local_zone(monkeypatch):
    """Catches the creation time taken in the machine's own zone while it says Z (UTC)."""
    import time
    from datetime import datetime, timedelta, timezone

    monkeypatch.setenv("TZ", "Asia/Tokyo")  # UTC+9, no daylight saving
    time.tzset()
    try:
        spec = RunSpec("lstm", AddingProblem(7), steps=5)
        record = store.make_record("s", spec, spec.build(), _history([0.3]))
    finally:
        monkeypatch.undo()
        time.tzset()
    stamped = datetime.strptime(record["created"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=timezone.utc
    )
    assert abs(datetime.now(timezone.utc) - stamped) < timedelta(minutes=5)


def test_a_specs_hash_is_pinned():
    """Catches a change to how a spec is hashed (keys unsorted, another separator, another
    field), which would make every archived record stale at once, silently."""
    from rnngrad.training.spec import RunSpec

    spec = RunSpec("rnn", AddingProblem(10), 5, seed=0, setting=10, model={"hidden_size": 8},
                   train={"lr": 0.01})  # fmt: skip
    assert store.spec_hash(spec) == "43b5017879a31c2b"


def test_a_diverged_runs_result_is_nan_even_when_its_last_evaluation_was_finite():
    """A run that stopped on a non-finite loss between two evaluations has a finite last
    held-out metric; the record's result is still NaN (it did not finish), its best metric
    the best finite evaluation, and it is marked diverged. Catches the last evaluation kept
    as a diverged run's result, and the best taken from the diverged flag's other branch."""
    spec = RunSpec("lstm", AddingProblem(7), steps=5)
    record = store.make_record(
        "s", spec, spec.build(), _history([0.3, 0.2], Stop("non-finite loss", 3))
    )
    assert math.isnan(record["final_metric"]) and record["best_metric"] == 0.2
    assert record["diverged"] is True and record["solved_at"] == "" and record["steps_run"] == 2


def test_the_missing_archive_says_where_it_looked_and_what_to_do(tmp_path):
    """Catches the message's advice cut or garbled (it is all a reader in Colab sees)."""
    absent = tmp_path / "absent"
    expected = (
        f"the results archive is not at {absent}: the chapters read the studies archived in "
        "the repository's results/. Install the library from a clone of the repository (as the "
        "chapters' first cell does), or set RNNGRAD_RESULTS to that folder."
    )
    with pytest.raises(FileNotFoundError) as raised:
        store.read("adding", absent)
    assert str(raised.value) == expected


def test_the_commit_is_read_from_git_beside_the_library(monkeypatch, tmp_path):
    """``_git`` runs git in the library's repository whatever the working directory, and
    returns its output as stripped text; ``commit`` is HEAD's 12-character hash, with "+"
    exactly when git lists changes under lib/, and '' when git is missing or fails.
    Catches: git run in the caller's directory (a chapter's, a temporary one), bytes or an
    unstripped line returned, another length of hash, the "+" added for a clean library or
    to an empty commit, and a failing git raising instead of giving ''."""
    monkeypatch.chdir(tmp_path)  # not a repository: git must run beside the library
    head = store._git("rev-parse", "--short=12", "HEAD")
    root = Path(store.__file__).resolve().parents[3]
    if any((p / ".git").exists() for p in (root, *root.parents)):  # a clone, as CI's
        assert isinstance(head, str) and re.fullmatch(r"[0-9a-f]{12}", head), head
        assert store._git("rev-parse", "--is-inside-work-tree") == "true"
    else:  # a source tree without git: no commit to name
        assert head == ""

    calls = []

    def fake(outputs):
        def _git(*args):
            calls.append(args)
            return outputs[args[0]]

        return _git

    for status, expected in ((" M lib/rnngrad/x.py", "0123456789ab+"), ("", "0123456789ab")):
        monkeypatch.setattr(store, "_git", fake({"rev-parse": "0123456789ab", "status": status}))
        store.commit.cache_clear()
        assert store.commit() == expected
    assert calls[:2] == [("rev-parse", "--short=12", "HEAD"), ("status", "--porcelain", "lib")]
    monkeypatch.setattr(store, "_git", fake({"rev-parse": "", "status": " M lib/x.py"}))
    store.commit.cache_clear()
    assert store.commit() == ""

    def broken(*args):
        raise OSError("no git here")

    monkeypatch.setattr(store, "_git", broken)
    store.commit.cache_clear()
    assert store.commit() == ""
    store.commit.cache_clear()  # the next caller reads the real repository again
