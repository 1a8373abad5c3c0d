"""The prose may not say what the data no longer support.

``prose_check.data_sentences`` finds every sentence that pastes a glued number and compares
something. Each must be listed in ``CLAIMS`` with the rule that makes it true (checked here
against the executed chapters in the build's cache), or with the reason it compares nothing
the data decide. A rebuild that turns a rule false, or a new comparing sentence with no rule,
fails the test suite: the build cannot silently publish a sentence its own numbers contradict.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from prose_check import Sentence, as_number, data_sentences, glued_values

from conftest import chapter_notebooks, executed_notebooks, need

V = dict[str, float]


@dataclass(frozen=True)
class Claim:
    chapter: str  # the notebook's two-digit number
    keys: tuple[str, ...]  # the glue keys the sentence pastes
    says: str  # what the sentence asserts, in words
    holds: Callable[[V], bool] | None = None  # the rule that makes it true
    exempt: str = ""  # or: why the sentence compares nothing the data decide

    def __post_init__(self) -> None:
        if (self.holds is None) == (not self.exempt):
            raise ValueError(f"{self.keys}: give a rule or a reason for exemption, not both")


CLAIMS: list[Claim] = [
    # -- chapter 1 --
    Claim(
        "01",
        ("ch1_lstm_reach", "ch1_rnn_reach"),
        "reported side by side; the LSTM keeps more",
        lambda v: v["ch1_lstm_reach"] > 100 * v["ch1_rnn_reach"],
    ),
    Claim(
        "01",
        ("ch1_replay_error",),
        "replay and fused module agree within float32 rounding",
        lambda v: v["ch1_replay_error"] < 1e-5,
    ),
    Claim(
        "01",
        ("ch1_product_error", "ch1_steps_back"),
        "the chained product and autograd agree within float32 rounding",
        lambda v: v["ch1_product_error"] < 1e-5,
    ),
    Claim(
        "01",
        ("ch1_first_half", "ch1_second_half"),
        "where the adding problem's two marks fall",
        exempt="settings of the task, not measurements",
    ),
    Claim(
        "01",
        ("ch1_sum_error",),
        "the weight gradient summed over time agrees with autograd",
        lambda v: v["ch1_sum_error"] < 1e-5,
    ),
    # -- chapter 2 --
    Claim(
        "02",
        ("ch2_latch_fixed_slope_0.9", "ch2_w09_T50"),
        "0.9^50 is far less than 1, slope 0.9 < 1",
        lambda v: v["ch2_w09_T50"] < 0.01 and v["ch2_latch_fixed_slope_0.9"] < 1,
    ),
    Claim(
        "02",
        ("ch2_latch_grad_1.5", "ch2_latch_kept_1.5"),
        "w = 1.5 sits between 0.9 and 3 in reliability and in gradient",
        lambda v: (
            v["ch2_latch_kept_0.9"] < v["ch2_latch_kept_1.5"] < v["ch2_latch_kept_3"]
            and v["ch2_latch_grad_3"] < v["ch2_latch_grad_1.5"] < v["ch2_latch_grad_0.9"]
        ),
    ),
    Claim(
        "02",
        ("ch2_bound", "ch2_bound_max_ratio", "ch2_bound_median_ratio", "ch2_n_matrices"),
        "every matrix under the bound (measured / bound <= 1); the typical one far below it "
        "(the median ratio at least ten times under the bound)",
        lambda v: v["ch2_bound_max_ratio"] <= 1 and v["ch2_bound_median_ratio"] <= 0.1,
    ),
    Claim(
        "02",
        ("ch2_reach_lstm0",),
        "the bias-0 LSTM does no better than the RNN",
        lambda v: v["ch2_reach_lstm0"] <= 10 * v["ch2_reach_rnn"],
    ),
    Claim(
        "02",
        (
            "ch2_grow_relu_power",
            "ch2_grow_relu_power_last",
            "ch2_grow_tanh_power",
            "ch2_grow_tanh_power_last",
        ),
        "the gradient grows like a power of T: the last doubling's slope does not steepen",
        lambda v: all(
            0 < v[f"ch2_grow_{k}_power"] < 3
            and v[f"ch2_grow_{k}_power_last"] < 1.5 * v[f"ch2_grow_{k}_power"]
            for k in ("relu", "tanh")
        ),
    ),
    Claim(
        "02",
        ("ch2_active",),
        "ReLU switches off about half the units",
        lambda v: 0.35 < v["ch2_active"] < 0.65,
    ),
    Claim(
        "02",
        ("ch2_h50_init",),
        "a statement of a measured size",
        exempt="no comparison between data",
    ),
    Claim(
        "02",
        ("ch2_late_steps", "ch2_sigma_init", "ch2_sigma_late"),
        "SGD pushed sigma_max higher",
        lambda v: v["ch2_sigma_late"] > v["ch2_sigma_init"],
    ),
    Claim(
        "02",
        ("ch2_grow_relu_200", "ch2_grow_relu_25", "ch2_grow_relu_h200"),
        "ReLU RNN's gradient grows with T",
        lambda v: v["ch2_grow_relu_200"] > v["ch2_grow_relu_25"],
    ),
    Claim(
        "02",
        ("ch2_grow_tanh_200", "ch2_grow_tanh_25"),
        "tanh RNN's gradient still grows with T",
        lambda v: v["ch2_grow_tanh_200"] > v["ch2_grow_tanh_25"],
    ),
    Claim(
        "02",
        ("ch2_ex5_first", "ch2_ex5_peak", "ch2_ex5_peak_k"),
        "||W^k|| rises before it decays",
        lambda v: v["ch2_ex5_peak"] > v["ch2_ex5_first"] and v["ch2_ex5_peak_k"] > 1,
    ),
    # -- chapter 3 --
    Claim(
        "03",
        ("ch3_gap_diag",),
        "the diagonal path's norm is far above the closed form",
        lambda v: v["ch3_gap_diag"] > 2 * v["ch3_gap_closed"],
    ),
    Claim(
        "03",
        ("ch3_tanh_reach8",),
        "the LSTM's explosion is milder than the tanh RNN's and still one",
        lambda v: 1 < v["ch3_lstm_reach8"] < v["ch3_tanh_reach8"],
    ),
    Claim(
        "03",
        ("ch3_relu_entry05",),
        "float32 holds the entries (above its smallest subnormal) but not their squares",
        lambda v: 1.4e-45 < v["ch3_relu_entry05"] and v["ch3_relu_entry05"] ** 2 < 1.4e-45,
    ),
    Claim(
        "03",
        ("ch3_relu_meanfield05", "ch3_relu_step05"),
        "each step shrinks the gradient, close to the mean-field factor",
        lambda v: (
            v["ch3_relu_step05"] < 1
            and abs(v["ch3_relu_step05"] - v["ch3_relu_meanfield05"]) < 0.05
            and v["ch3_relu_reach05"] > 0
        ),
    ),
    Claim(
        "03",
        ("ch3_lstm_norm1", "ch3_lstm_norm8"),
        "the LSTM's whole parameter gradient grows from scale 1 to 8",
        lambda v: v["ch3_lstm_norm8"] > v["ch3_lstm_norm1"],
    ),
    Claim("03", ("ch3_lstm_left",), "a step count", exempt="no comparison between data"),
    Claim(
        "03",
        ("ch3_trained_share",),
        "a share came along the diagonal path and a rest (not none) left through W: strictly "
        "between 0 and 1 as glued (a share glued as 1.00 leaves no rest)",
        lambda v: 0 < v["ch3_trained_share"] < 1,
    ),
    Claim(
        "03",
        ("ch3_fp_1", "ch3_memory_time_1", "ch3_memory_time_3"),
        "bias 3 remembers longer than bias 1; sigma(1)^100 tiny",
        lambda v: v["ch3_memory_time_3"] > v["ch3_memory_time_1"] and v["ch3_fp_1"] < 1e-6,
    ),
    # -- chapter 4 --
    Claim(
        "04",
        ("ch4_rest50_big", "ch4_share50_b0", "ch4_share50_b3"),
        "b_z = 3 carries more than b_z = 0; W-paths grow",
        lambda v: v["ch4_share50_b3"] > v["ch4_share50_b0"] and v["ch4_rest50_big"] > 1,
    ),
    Claim("04", ("ch4_lstm_left",), "a step count", exempt="no comparison between data"),
    # -- chapters 5 to 10 --
    Claim("06", ("ch6_mt_1",), "bias 1's memory time", exempt="a derived constant"),
    Claim(
        "06",
        ("ch6_reach_sigma2",),
        "the sigma = 2 start's gradient grows backwards",
        lambda v: v["ch6_reach_sigma2"] > 1,
    ),
    Claim(
        "07",
        ("ch7_rnn_0.1_clipped", "ch7_step_01", "ch7_step_1", "ch7_steps"),
        "clipping at 0.1 fires on most steps (the data's part; the two step sizes are the "
        "settings lr x tau, smaller at 0.1 by construction, so no rule compares them)",
        lambda v: v["ch7_rnn_0.1_clipped"] > 0.5,
    ),
    Claim("09", ("ch9_noise",), "a setting", exempt="a setting, not a measurement"),
    Claim(
        "10",
        ("ch10_share_b3",),
        "with the gate open the share is more than one half (the criterion)",
        lambda v: v["ch10_share_b3"] > 0.5,
    ),
    Claim(
        "10",
        ("ch10_n6", "ch10_sv_linear"),
        "linear explodes, tanh with the same matrix does not",
        lambda v: v["ch10_sv_linear"] > 1 > v["ch10_n6"],
    ),
    Claim(
        "10",
        (
            "ch10_below_sigma",
            "ch10_cross_sigma",
            "ch10_growth_1",
            "ch10_growth_8_50",
            "ch10_growth_cross",
            "ch10_n8",
        ),
        "vanishes at 1 (factor < 1), grows mildly at the crossing and fast at 8",
        lambda v: (
            v["ch10_growth_1"] < 1 < v["ch10_growth_cross"] <= v["ch10_n8"]
            and v["ch10_growth_8_50"] > 1
            and v["ch10_below_sigma"] < v["ch10_cross_sigma"]
        ),
    ),
    # -- Part V --
    Claim("11", ("ch11_e_inv",), "e^-1", exempt="a constant"),
    Claim("11", ("ch11_mem_95",), "a setting", exempt="a derived setting"),
    Claim(
        "11",
        ("ch11_chrono_definitional", "ch11_chrono_vs_memory"),
        "the definitions account for part of the ratio",
        lambda v: v["ch11_chrono_vs_memory"] < 1 and v["ch11_chrono_definitional"] < 1,
    ),
    Claim(
        "12",
        ("ch12_ind_gain",),
        "the gain at the bound equals the derived 2",
        lambda v: abs(v["ch12_ind_gain"] - 2) < 1e-3,
    ),
    Claim(
        "12",
        ("ch12_deep_IndRNN_1", "ch12_deep_IndRNN_4", "ch12_deep_tanh_1", "ch12_deep_tanh_4"),
        "deep IndRNN keeps (and grows) the gradient; tanh loses it",
        lambda v: (
            v["ch12_deep_IndRNN_4"] > v["ch12_deep_IndRNN_1"] > v["ch12_deep_tanh_1"]
            and v["ch12_deep_tanh_4"] < 1e-100
        ),
    ),
    Claim("12", ("ch12_steps",), "a setting", exempt="a setting, not a measurement"),
    Claim("12", ("ch12_copy_steps",), "a setting", exempt="a setting, not a measurement"),
    Claim(
        "12",
        ("ch12_copy_gap", "ch12_copy_n", "ch12_copy_symbols"),
        "the copy task's size",
        exempt="settings, not measurements",
    ),
    Claim(
        "12",
        ("ch12_fit_T", "ch12_fit_layers", "ch12_fit_steps"),
        "the stack's settings",
        exempt="settings, not measurements",
    ),
    Claim(
        "12",
        ("ch12_fit_layers", "ch12_fit_many_learnt", "ch12_fit_one_learnt"),
        "seed counts below the baseline, reported",
        exempt="counts reported; the verdict sentence after it compares",
    ),
    Claim("12", ("ch12_fit_ratio",), "a ratio of two lengths", exempt="a ratio of two settings"),
    Claim(
        "04",
        ("ch4_reach_0", "ch4_reach_1", "ch4_reach_3"),
        "the reach grows with the update bias",
        lambda v: v["ch4_reach_0"] < v["ch4_reach_1"] < v["ch4_reach_3"],
    ),
    Claim(
        "13",
        ("ch13_above_one", "ch13_max32"),
        "no modulus above 1",
        lambda v: v["ch13_above_one"] == 0 and v["ch13_max32"] <= 1,
    ),
    Claim(
        "13",
        ("ch13_nu_edge64", "ch13_tau_edge64"),
        "float64 rounds to 1 at a huge timescale",
        lambda v: v["ch13_tau_edge64"] > 1e10,
    ),
    Claim(
        "18",
        ("12_nongated_recurrences.ipynb::ch12_shrink_tanh",),
        "the nonlinearity still shrinks the gradient",
        lambda v: v["ch12_shrink_tanh"] < 1e-3,
    ),
    Claim(
        "15",
        (
            "ch15_reach_T",
            "ch15_reach_gru",
            "ch15_reach_lstm",
            "ch15_reach_mingru",
            "ch15_reach_minlstm",
            "ch15_reach_slstm",
            "ch15_reach_ssm",
        ),
        "each cell's reach at the start, side by side",
        exempt="reports values; the parenthesis explains the SSM's from its start",
    ),
    # -- chapters 16 and 17 --
    Claim(
        "16",
        ("ch16_reach_retnet", "ch16_reach_mamba"),
        "RetNet and Mamba-2 kept far less than the delta rule's untouched directions (1)",
        holds=lambda v: v["ch16_reach_retnet"] < 0.1 and v["ch16_reach_mamba"] < 0.1,
    ),
    Claim(
        "16",
        (
            "ch16_recall_sum_16",
            "ch16_recall_delta_16",
            "ch16_recall_sum_32",
            "ch16_recall_delta_32",
        ),
        "written once, the sum recalls more than the delta rule at 16 and at 32 pairs",
        holds=lambda v: (
            v["ch16_recall_sum_16"] > v["ch16_recall_delta_16"]
            and v["ch16_recall_sum_32"] > v["ch16_recall_delta_32"]
        ),
    ),
    Claim(
        "17",
        ("ch17_diag_pos_16", "ch17_diag_neg_16", "ch17_diag_pos_256", "ch17_diag_neg_256"),
        "the gates in [-1, 1] keep less of the gradient at the start than those in [0, 1]",
        holds=lambda v: (
            v["ch17_diag_neg_16"] < v["ch17_diag_pos_16"]
            and v["ch17_diag_neg_256"] < v["ch17_diag_pos_256"]
        ),
    ),
]


def _index(claims: list[Claim]) -> dict[tuple[str, frozenset[str]], Claim]:
    index = {}
    for claim in claims:
        key = (claim.chapter, frozenset(claim.keys))
        assert key not in index, f"two claims for {key}"
        index[key] = claim
    return index


def _values_of(executed: dict[str, dict]) -> Callable[[str], str | None]:
    by_chapter = {stem: glued_values(nb) for stem, nb in executed.items()}
    merged = {k: v for values in by_chapter.values() for k, v in values.items()}

    def values_of(key: str) -> str | None:
        notebook, sep, name = key.rpartition("::")
        if sep:
            return by_chapter.get(notebook.removesuffix(".ipynb"), {}).get(name)
        return merged.get(key)

    return values_of


def find_sentences(executed: dict[str, dict]) -> list[Sentence]:
    values_of = _values_of(executed)
    return [s for stem, nb in executed.items() for s in data_sentences(stem, nb, values_of)]


def check(executed: dict[str, dict], claims: list[Claim]) -> list[str]:
    """Every problem: a comparing sentence with no claim, a claim whose rule is false on the
    data, a claim no sentence matches any more."""
    index, values_of, problems, used = _index(claims), _values_of(executed), [], set()
    for s in find_sentences(executed):
        key = (s.chapter[:2], s.keys)
        claim = index.get(key)
        if claim is None:
            problems.append(f"{s.chapter} [{s.cell}] no rule for: {s.text}")
            continue
        used.add(key)
        if claim.holds is None:
            continue
        numbers = {k: as_number(values_of(k) or "") for k in s.keys}
        missing = [k for k, v in numbers.items() if v is None]
        # The rule reads the sentence's numbers and, for what it compares them with, the
        # other numbers its chapter glued.
        context = {k: as_number(r) for k, r in glued_values(executed[s.chapter]).items()}
        if missing:
            problems.append(f"{s.chapter}: no number for {missing} in: {s.text}")
        elif not claim.holds(context | {k.rpartition("::")[2]: v for k, v in numbers.items()}):
            problems.append(f"{s.chapter} [{s.cell}] false ({claim.says}): {s.text}")
    for key in set(index) - used:
        problems.append(f"stale claim (no sentence pastes exactly {sorted(key[1])}): {key[0]}")
    return problems


@pytest.fixture(scope="module")
def executed() -> dict[str, dict]:
    """Each chapter's prose (its markdown cells, from the source) with the outputs of its
    newest execution (the build's cache keeps code cells only)."""
    by_path = executed_notebooks()
    chapters = {}
    for nb in chapter_notebooks():
        need(nb.resolve() in by_path, f"{nb.name} has no executed copy in the cache (make book)")
        prose = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "markdown"]
        chapters[nb.stem] = {"cells": prose + list(by_path[nb.resolve()]["cells"])}
    return chapters


def test_every_comparing_sentence_holds_on_the_data(executed):
    problems = check(executed, CLAIMS)
    assert not problems, "\n".join(problems)


# -- the checker itself can fail -----------------------------------------------------------


def _notebook(markdown: str, **glued: str) -> dict:
    outputs = [
        {
            "output_type": "display_data",
            "data": {"application/papermill.record/text/plain": repr(v)},
            "metadata": {"scrapbook": {"name": k}},
        }
        for k, v in glued.items()
    ]
    return {
        "cells": [
            {"cell_type": "code", "id": "c1", "source": "", "outputs": outputs},
            {"cell_type": "markdown", "id": "m1", "source": markdown},
        ]
    }


SENTENCE = "The gradient falls from {glue:text}`a` to {glue:text}`b:.1e` over the run."
FALLS = Claim("99", ("a", "b"), "it falls", holds=lambda v: v["b"] < v["a"])


def test_a_sentence_the_data_contradict_is_caught():
    """Catches a checker that never evaluates the rule (or evaluates it on the wrong keys)."""
    true = {"99_demo": _notebook(SENTENCE, a="3e-02", b="1e-05")}
    false = {"99_demo": _notebook(SENTENCE, a="3e-02", b="4e-01")}
    assert check(true, [FALLS]) == []
    assert any("false (it falls)" in p for p in check(false, [FALLS]))


def test_a_comparing_sentence_without_a_rule_is_caught():
    """Catches a checker that lets unregistered comparisons through, or a stale rule stay."""
    book = {"99_demo": _notebook(SENTENCE, a="3e-02", b="1e-05")}
    assert any("no rule for" in p for p in check(book, []))
    other = Claim("99", ("a", "c"), "stale", holds=lambda v: True)
    assert any("stale claim" in p for p in check(book, [FALLS, other]))


def test_computed_wording_and_plain_numbers_need_no_rule():
    """A pasted verdict word makes the wording data-driven; a number with no comparison
    states a measurement. Catches a scanner so eager that every number needs a rule."""
    words = "The LSTM is {glue:text}`v` than the RNN."
    plain = "The run ended at {glue:text}`a` after 100 steps."
    book = {"99_demo": _notebook(words + "\n\n" + plain, v="faster", a="0.12")}
    assert check(book, []) == []


def test_one_pasted_word_does_not_exempt_the_numbers_beside_it():
    """Catches the old exemption: a verdict word pasted next to a number let the whole
    sentence through, so the number's comparison went unchecked."""
    mixed = "The LSTM is {glue:text}`v` than the RNN, which ends {glue:text}`a` below the baseline."
    problems = check({"99_demo": _notebook(mixed, v="faster", a="0.12")}, [])
    assert any("no rule for" in p for p in problems)
    rule = Claim("99", ("a",), "below the baseline", holds=lambda v: v["a"] < 1 / 6)
    assert check({"99_demo": _notebook(mixed, v="faster", a="0.12")}, [rule]) == []


@pytest.mark.parametrize(
    "sentence",
    [
        "The reach is {glue:text}`a` here, so $\\rho > 1$ is not needed.",
        "The gradient stays $\\gg 1$ at {glue:text}`a`.",
        "Only {glue:text}`a` of the seeds learnt it.",
        "It took at most {glue:text}`a` steps.",
        "The norm grew {glue:text}`a` times.",
        "The gradient explodes to {glue:text}`a`.",
        "Every seed ended within {glue:text}`a` of the target.",
        "The LSTM was never ahead at {glue:text}`a`.",
    ],
)
def test_math_relations_and_quantifiers_compare(sentence):
    """Catches a scanner that sees only comparative adjectives: relations in the maths
    ($>$, \\gg) and words such as "only", "at most", "times", "explodes", "within",
    "every", "never" and "ahead" state comparisons the data must support."""
    assert any("no rule for" in p for p in check({"99_demo": _notebook(sentence, a="0.12")}, []))


@pytest.mark.parametrize(
    ("record", "number"),
    [
        ("'89%'", 0.89),
        ("'×1.28'", 1.28),
        ("'2e+05'", 2e5),
        ("'0.49 (0.46–0.52)'", 0.49),
        ("'4,000'", 4000.0),
        ("'−3.5'", -3.5),
        ("800", 800.0),
        ("'inconclusive'", None),
        ("'exactly 0'", 0.0),
    ],
)
def test_glued_values_read_as_numbers(record, number):
    """Catches a parser that drops a percent sign, a leading ×, a thousands comma or a
    Unicode minus, and one that reads a verdict word as a number."""
    assert as_number(record) == number
