"""The prose may not say what the data no longer support.

``prose_check.data_sentences`` finds every sentence that pastes a glued number and compares
something. Each must be listed in ``CLAIMS`` with the rule that makes it true (checked here
against the executed chapters in the build's cache), or with the reason it compares nothing
the data decide. A rebuild that turns a rule false, or a new comparing sentence with no rule,
fails the test suite: the build cannot silently publish a sentence its own numbers contradict.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from prose_check import Sentence, as_number, as_text, data_sentences, glued_values

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
        ("ch1_replay_error", "ch1_replay_numbers"),
        "over all numbers of the last state, replay and fused module agree within float32 rounding",
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
        ("ch3_wleft50_b3", "ch3_wsteps_few"),
        "most of the W-paths at lag 50 pass W on at most a few of the 50 steps: what those "
        "paths leave out is under half",
        lambda v: v["ch3_wleft50_b3"] < 0.5 and v["ch3_wsteps_few"] <= 10,
    ),
    Claim(
        "03",
        ("ch3_wleft99_b3",),
        "farther back the paths that pass W more often take over: the few-pass paths leave out "
        "more than half at lag 99, more than at lag 50",
        lambda v: v["ch3_wleft99_b3"] > 0.5 and v["ch3_wleft99_b3"] > v["ch3_wleft50_b3"],
    ),
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
        ("ch4_rest50_big", "ch4_share50_b0", "ch4_share50_b3", "03_lstm.ipynb::ch3_rest50_big"),
        "b_z = 3 carries more than b_z = 0; W-paths grow, the LSTM's (chapter 3, same setting) "
        "far more: at least five times as much",
        lambda v: (
            v["ch4_share50_b3"] > v["ch4_share50_b0"]
            and 1 < v["ch4_rest50_big"]
            and v["ch3_rest50_big"] >= 5 * v["ch4_rest50_big"]
        ),
    ),
    Claim(
        "04",
        ("03_lstm.ipynb::ch3_rest50_big",),
        "section 4.4, point 6: the LSTM's W-paths grow further than the GRU's at the same setting",
        lambda v: v["ch3_rest50_big"] > v["ch4_rest50_big_1"] > 1,
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
    Claim(
        "12",
        ("ch12_T_adding", "ch12_reach_rnn_200"),
        "the tanh RNN's reach at T = 200 is below float32's smallest normal number",
        lambda v: v["ch12_reach_rnn_200"] < 1.1754944e-38,
    ),
    Claim(
        "12",
        ("ch12_reach_orth_gap", "ch12_shrink_tanh"),
        "the orthogonal-W RNN on the adding problem keeps far more than the driven tanh probe",
        lambda v: v["ch12_reach_orth_gap"] > 1e3 * v["ch12_shrink_tanh"],
    ),
    Claim(
        "12",
        ("ch12_ex3_lr",),
        "the exercise's learning rate, read from the archived row",
        exempt="a setting read from the archive",
    ),
    Claim(
        "12",
        ("ch12_ex3_minutes",),
        "the exercise's cost",
        exempt="a cost estimate: three times the records' own run time",
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
    Claim(
        "04",
        ("ch4_reach_0", "ch4_reach_1", "ch4_reach_3"),
        "the reach grows with the update bias",
        lambda v: v["ch4_reach_0"] < v["ch4_reach_1"] < v["ch4_reach_3"],
    ),
    Claim(
        "13",
        ("ch13_above_one", "ch13_n_phases"),
        "no modulus above 1",
        lambda v: v["ch13_above_one"] == 0,
    ),
    Claim(
        "13",
        ("ch13_max32", "ch13_nu_edge32", "ch13_phases_at_one32", "ch13_tau_edge32"),
        "float32 reaches exactly 1 at some phases, only at a huge timescale",
        lambda v: v["ch13_max32"] < 1 and v["ch13_tau_edge32"] > 1e6,
    ),
    Claim(
        "13",
        ("ch13_stack_1", "ch13_stack_4", "ch13_stack_err"),
        "a stack of four passes more than one layer; autograd matches the binomial",
        lambda v: v["ch13_stack_4"] > 1 > v["ch13_stack_1"] and v["ch13_stack_err"] < 1e-8,
    ),
    Claim(
        "11",
        ("ch11_T", "ch11_hidden", "ch11_seeds", "ch11_steps"),
        "the budget box",
        exempt="settings, not measurements",
    ),
    Claim(
        "12",
        (
            "ch12_modrelu_0.01_pos",
            "ch12_modrelu_0.1_pos",
            "ch12_modrelu_1_neg",
            "ch12_modrelu_1_pos",
            "ch12_modrelu_radial",
        ),
        "modReLU's tangential gain is below 1 for b < 0, above 1 and growing as r falls for b > 0",
        lambda v: (
            v["ch12_modrelu_1_neg"] < 1 < v["ch12_modrelu_1_pos"]
            and v["ch12_modrelu_1_pos"] < v["ch12_modrelu_0.1_pos"] < v["ch12_modrelu_0.01_pos"]
            and v["ch12_modrelu_radial"] < 1e-10
        ),
    ),
    Claim(
        "12",
        ("ch12_acc_k8_10",),
        "the truncated LSTM scored above chance beyond k",
        lambda v: v["ch12_acc_k8_10"] > 0.5,
    ),
    Claim("14", ("ch14_lam_max",), "the projection's margin", exempt="a setting"),
    Claim(
        "14",
        ("ch14_batch", "ch14_lrs", "ch14_seeds", "ch14_steps"),
        "the sweep's size",
        exempt="settings, not measurements",
    ),
    Claim(
        "14",
        ("ch14_eval_every", "ch14_learnt_sgd", "ch14_lr_list", "ch14_target", "ch14_zero_mse"),
        "predicting 0 scores below 1",
        lambda v: v["ch14_zero_mse"] < 1,
    ),
    Claim(
        "14",
        ("ch14_best_sgd", "ch14_bestlr_sgd", "ch14_ok_sgd"),
        "each student's best rate, steps and final MSE",
        exempt="reports values; the verdicts compare",
    ),
    Claim(
        "14",
        ("ch14_free_diverged", "ch14_free_past", "ch14_free_stuck"),
        "the unprotected students past 1 are stuck where predicting 0 is",
        lambda v: abs(v["ch14_free_stuck"] - v["ch14_zero_mse"]) < 0.05,
    ),
    Claim(
        "14",
        ("ch14_steps",),
        "Adam learns a projected lambda, with or without gamma; SGD does not",
        lambda v: (
            v["ch14_learnt_adam"] > 0
            and v["ch14_learnt_norm"] > 0
            and v["ch14_best_sgd"] > v["ch14_target"]
        ),
    ),
    Claim("14", ("ch14_seeds",), "what was not run", exempt="a setting"),
    Claim(
        "15",
        ("ch15_reach_slstm_r0",),
        "with R = 0 the gradient at h_1 is exactly 0",
        lambda v: v["ch15_reach_slstm_r0"] == 0,
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
    ),  # -- sentences the wider checker found (chapters 1 to 10) --
    Claim(
        "01",
        ("ch1_scalar_error",),
        "the hand derivative and autograd agree to float64 rounding",
        lambda v: v["ch1_scalar_error"] < 1e-12,
    ),
    Claim(
        "01",
        ("ch1_ex_large", "ch1_ex_small"),
        "0.9^50 is small and 1.1^50 large (the printed powers)",
        lambda v: abs(v["ch1_ex_small"] - 0.9**50) < 1e-4 and abs(v["ch1_ex_large"] - 1.1**50) < 1,
    ),
    Claim(
        "02",
        ("ch2_latch_grad_0.9", "ch2_latch_kept_0.9"),
        "at w = 0.9 the bit is a coin flip (about half kept) and the gradient decays",
        lambda v: 0.35 < v["ch2_latch_kept_0.9"] < 0.65 and v["ch2_latch_grad_0.9"] < 1e-3,
    ),
    Claim(
        "02",
        ("ch2_power50", "ch2_power_ratio", "ch2_rho"),
        "spectral radius below sigma_max = 0.9; the power far below 0.9^50, ratio as stated",
        lambda v: (
            v["ch2_rho"] < 0.9
            and v["ch2_power_ratio"] < 1e-3
            and abs(v["ch2_power50"] / 0.9**50 / v["ch2_power_ratio"] - 1) < 0.5
        ),
    ),
    Claim(
        "02",
        ("ch2_departure",),
        "Henrici's departure lies in [0, 1]",
        lambda v: 0 <= v["ch2_departure"] <= 1,
    ),
    Claim(
        "02",
        ("ch2_saturation_linear",),
        "the linear RNN's gradient grows (explodes) over the 60 steps",
        lambda v: v["ch2_saturation_linear"] > 10,
    ),
    Claim(
        "02",
        ("ch2_saturation_0.1", "ch2_saturation_3.0"),
        "small inputs end near 1 at most a few; large inputs vanish",
        lambda v: v["ch2_saturation_0.1"] < 10 and v["ch2_saturation_3.0"] < 1e-6,
    ),
    Claim(
        "02",
        ("ch2_chi_err",),
        "prediction and measurement differ by at most the glued amount",
        exempt="the glued number is itself the largest difference measured",
    ),
    Claim(
        "02",
        ("ch2_chi8",),
        "chi at sigma_w = 8 is above 1 (both sentences: large weights still explode)",
        lambda v: v["ch2_chi8"] > 1,
    ),
    Claim(
        "02",
        ("ch2_ans1_linear", "ch2_ans1_tanh"),
        "at sigma_1 = 1 both decay, the tanh RNN's further",
        lambda v: v["ch2_ans1_linear"] < 1 and v["ch2_ans1_tanh"] < v["ch2_ans1_linear"],
    ),
    Claim(
        "02",
        ("ch2_ans2_linear", "ch2_ans2_tanh"),
        "at sigma_1 = 1.4 the linear RNN explodes, the tanh RNN ends small",
        lambda v: v["ch2_ans2_linear"] > 100 and v["ch2_ans2_tanh"] < 1,
    ),
    Claim(
        "02",
        ("ch2_ans2_linear", "ch2_ans3_linear16", "ch2_ans3_tanh16"),
        "the 16 x 16 matrix's linear RNN grows far less than the 2 x 2; its tanh RNN ends small",
        lambda v: v["ch2_ans3_linear16"] < v["ch2_ans2_linear"] / 100 and v["ch2_ans3_tanh16"] < 1,
    ),
    Claim(
        "02",
        ("ch2_echo_baseline",),
        "predicting 0 scores the glued MSE",
        exempt="the task's baseline, a property of its definition",
    ),
    Claim(
        "02",
        ("ch2_max_norm", "ch2_shown_max_norm"),
        "the largest finite norm over all unclipped runs is at least the drawn run's",
        lambda v: v["ch2_max_norm"] >= v["ch2_shown_max_norm"],
    ),
    Claim(
        "02",
        ("ch2_fisher_p",),
        "suggestive, not a verdict: the split's probability is above 5 %",
        lambda v: v["ch2_fisher_p"] > 0.05,
    ),
    Claim(
        "02",
        ("ch2_best_mse", "ch2_clip_mse", "ch2_echo_baseline", "ch2_survived_mse"),
        "clipping did not make runs learn: the best run stays above a tenth of the baseline",
        lambda v: (
            v["ch2_best_mse"] > 0.1 * v["ch2_echo_baseline"]
            and v["ch2_best_mse"] <= min(v["ch2_clip_mse"], v["ch2_survived_mse"])
        ),
    ),
    Claim(
        "02",
        ("ch2_clip_fired",),
        "clipping fires on most steps",
        lambda v: v["ch2_clip_fired"] > 0.5,
    ),
    Claim(
        "02",
        ("ch2_grow_norm_200", "ch2_grow_norm_25"),
        "the normalised gradient stays near 1 at every length",
        lambda v: all(0.5 < v[k] < 2 for k in ("ch2_grow_norm_25", "ch2_grow_norm_200")),
    ),
    Claim(
        "02",
        ("ch2_ex5_smax",),
        "sigma_max at a = 4, about a",
        lambda v: 3.5 < v["ch2_ex5_smax"] < 4.5,
    ),
    Claim(
        "02",
        ("ch2_ex5_k10", "ch2_ex5_k2", "ch2_ex5_smax"),
        "the powers' norms: large at first, then falling",
        lambda v: v["ch2_ex5_k10"] < 1 < v["ch2_ex5_k2"] <= v["ch2_ex5_smax"] ** 2,
    ),
    Claim(
        "02",
        ("ch2_ex5_rho10",),
        "0.5^10",
        lambda v: abs(v["ch2_ex5_rho10"] - 0.5**10) < 1e-5,
    ),
    Claim(
        "02",
        ("ch2_ex5_bound10",),
        "the bound sigma_max^10 is far above the power's norm",
        lambda v: v["ch2_ex5_bound10"] > 1e3 * v["ch2_ex5_k10"],
    ),
    Claim(
        "03",
        ("ch3_share10_b0", "ch3_share50_b0"),
        "at the default bias the diagonal share dies within a few dozen steps",
        lambda v: v["ch3_share50_b0"] < 0.01 < v["ch3_share10_b0"],
    ),
    Claim(
        "03",
        ("ch3_rest50_big", "ch3_share50_big"),
        "with singular values 4 the W-paths explode; the diagonal share is small",
        lambda v: v["ch3_rest50_big"] > 1 and v["ch3_share50_big"] < 0.1,
    ),
    Claim(
        "03",
        ("ch3_lstm_reach8",),
        "at scale 8 the first step receives more than the last: an explosion",
        lambda v: v["ch3_lstm_reach8"] > 100,
    ),
    Claim(
        "03",
        ("ch3_relu_overflow",),
        "the ReLU RNN overflows from a scale on",
        exempt="reports the first scale at which the float32 forward pass overflowed",
    ),
    Claim(
        "03",
        ("ch3_relu_on_always", "ch3_relu_on_mean"),
        "not every path meets a switched-off unit: some units are on at every step",
        lambda v: v["ch3_relu_on_always"] > 0 and 0 < v["ch3_relu_on_mean"] < 64,
    ),
    Claim(
        "03",
        ("ch3_lstm_cmax8",),
        "the cell state exceeds 1 (no gate bounds it)",
        lambda v: v["ch3_lstm_cmax8"] > 1,
    ),
    Claim(
        "03",
        ("ch3_c_over_h",),
        "the cell's gradient at the first step, a multiple of h's",
        exempt="reports a measured ratio; nothing is compared with it",
    ),
    Claim(
        "03",
        ("ch3_memory_time_0",),
        "1/(1 - sigma(0)) = 2",
        lambda v: abs(v["ch3_memory_time_0"] - 2) < 0.05,
    ),
    Claim(
        "04",
        ("ch4_product_error",),
        "the product agrees with autograd to float64 rounding",
        lambda v: v["ch4_product_error"] < 1e-10,
    ),
    Claim(
        "04",
        ("ch4_T", "ch4_f_left", "ch4_sigma3_100"),
        "f < 1 still forgets: b_f = 3 keeps less than 1 % over 100 steps",
        lambda v: v["ch4_f_left"] < 1 and v["ch4_sigma3_100"] < 0.01,
    ),
    Claim(
        "04",
        ("ch4_rest50_big_1", "ch4_rest_per_step"),
        "the W-paths grow, slowly (a few per cent a step at most; glued in per cent)",
        lambda v: v["ch4_rest50_big_1"] > 1 and 0 < v["ch4_rest_per_step"] < 5,
    ),
    Claim(
        "05",
        ("ch5_arch_T",),
        "the longest length with every run stored",
        exempt="names which setting the verdicts use, chosen by the stated rule",
    ),
    Claim(
        "05",
        ("ch5_gate_sequences", "ch5_gate_units"),
        "sizes of the replay",
        exempt="settings of the measurement",
    ),
    Claim(
        "05",
        (
            "ch5_gate_f_memory",
            "ch5_gate_f_min",
            "ch5_gate_i_mark",
            "ch5_gate_i_other",
            "ch5_gate_writer",
            "ch5_hear_T",
        ),
        "the writer opens at the marks, stays shut elsewhere; its memory time is beyond T",
        lambda v: (
            v["ch5_gate_i_mark"] > 5 * v["ch5_gate_i_other"]
            and v["ch5_gate_f_min"] > 0.99
            and v["ch5_gate_f_memory"] > v["ch5_hear_T"]
        ),
    ),
    Claim(
        "05",
        ("ch5_gate_openers", "ch5_gate_units"),
        "a few of the units open at the marks",
        lambda v: 0 < v["ch5_gate_openers"] < v["ch5_gate_units"] / 4,
    ),
    Claim("06", ("ch6_mt_0",), "bias 0's memory time", exempt="a derived constant"),
    Claim("06", ("ch6_chrono_T",), "the chrono start's T_max", exempt="a setting"),
    Claim(
        "06",
        ("ch6_adam_steps",),
        "1 / (2 lr) steps move the two summed biases by 1",
        exempt="a consequence of the learning rate (a setting), labelled a hypothesis",
    ),
    Claim("06", ("ch6_sv_budget",), "the step budget", exempt="a setting"),
    Claim(
        "06",
        ("ch6_start_lstm", "ch6_start_rnn"),
        "the RNN at sigma = 1 reaches about as far as the LSTM at b_f = 1 (within a factor 1.5)",
        lambda v: 2 / 3 <= v["ch6_start_rnn"] / v["ch6_start_lstm"] <= 1.5,
    ),
    Claim(
        "07",
        ("ch7_rnn_none_max",),
        "the largest gradient norm seen is huge",
        lambda v: v["ch7_rnn_none_max"] > 1e6,
    ),
    Claim(
        "07",
        ("ch7_lstm_none_div", "ch7_lstm_none_max", "ch7_lstm_none_mse"),
        "the LSTM did not diverge, its norm stayed moderate, its MSE at the baseline",
        lambda v: (
            v["ch7_lstm_none_div"] == 0
            and v["ch7_lstm_none_max"] < 1e3
            and v["ch7_lstm_none_mse"] > 0.9 / 6
        ),
    ),
    Claim(
        "07",
        ("ch7_rnn_0.1_mse", "ch7_rnn_1_mse"),
        "both clipped RNNs' medians at or above the baseline",
        lambda v: min(v["ch7_rnn_0.1_mse"], v["ch7_rnn_1_mse"]) > 0.9 / 6,
    ),
    Claim(
        "08",
        ("ch8_add_T", "ch8_add_rnn", "ch8_adding_baseline", "ch8_bound_worst"),
        "the bound holds; the simulated baseline is 1/6; the RNN stays near it",
        lambda v: (
            v["ch8_bound_worst"] <= 1
            and abs(v["ch8_adding_baseline"] - 1 / 6) < 0.005
            and v["ch8_add_rnn"] > v["ch8_adding_baseline"] / 2
        ),
    ),
    Claim("09", ("ch9_steps",), "the step budget", exempt="a setting"),
    Claim(
        "10",
        (
            "ch10_n3",
            "ch10_sense_learnt",
            "ch10_sense_acc",
            "ch10_sense_budget",
            "ch10_sense_lr",
        ),
        "little gradient reached the cue, and RNN seeds still learnt it (95 %)",
        lambda v: (
            v["ch10_n3"] < 1e-3 and v["ch10_sense_learnt"] >= 1 and v["ch10_sense_acc"] >= 0.95
        ),
    ),
    Claim(
        "10",
        ("ch10_keep_units", "ch10_kept_1000"),
        "the most retentive unit still loses part of a value over 1000 steps",
        lambda v: 0 < v["ch10_kept_1000"] < 1,
    ),
    Claim(
        "10",
        ("05_benchmarks.ipynb::ch5_gate_f_memory",),
        "chapter 5's measure of the same network",
        exempt="another measure of the same network, quoted with how it is taken",
    ),
    Claim(
        "10",
        ("09_applications.ipynb::ch9_steps", "ch10_sense_budget"),
        "chapter 9's budget is smaller than this study's",
        lambda v: v["ch9_steps"] < v["ch10_sense_budget"],
    ),
    Claim(
        "10",
        (
            "ch10_cue_moved",
            "ch10_cue_moved_max",
            "ch10_filler_moved",
            "ch10_lr_steps",
            "ch10_sense_lr",
            "ch10_sense_steps",
        ),
        "the cue's weights moved more than the fillers'; lr x steps is the run's lr x steps; the "
        "largest move is within Kingma and Ba's sparse-case bound over the run",
        lambda v: (
            v["ch10_cue_moved"] > 3 * v["ch10_filler_moved"]
            and v["ch10_cue_moved"] <= v["ch10_cue_moved_max"]
            and abs(v["ch10_lr_steps"] - v["ch10_sense_lr"] * v["ch10_sense_steps"]) < 0.006
            and v["ch10_cue_moved_max"] <= v["ch10_adam_sparse"] * v["ch10_lr_steps"]
        ),
    ),
    Claim(
        "10",
        ("ch10_path_error",),
        "the path exists: at fixed h one step's Jacobian is diag(f) to float64 rounding",
        lambda v: v["ch10_path_error"] < 1e-12,
    ),
    Claim(
        "10",
        ("ch10_adam_eps",),
        "Adam's step is about lr as long as the gradient is well above eps",
        exempt="eps is Adam's setting; the gradient's size against it is ruled in the next sentence",
    ),
    Claim(
        "10",
        ("ch10_adam_beta1", "ch10_adam_beta2", "ch10_adam_sparse"),
        "Kingma and Ba's sparse-case factor (1 - beta1)/sqrt(1 - beta2), above 1",
        lambda v: (
            abs(
                v["ch10_adam_sparse"]
                - (1 - v["ch10_adam_beta1"]) / math.sqrt(1 - v["ch10_adam_beta2"])
            )
            < 0.05
            and v["ch10_adam_sparse"] > 1
        ),
    ),
    Claim(
        "10",
        ("ch10_cue_grad", "ch10_cue_grad_eps"),
        "the cue words' gradient at initialisation is above eps, by the stated factor",
        lambda v: (
            v["ch10_cue_grad"] > v["ch10_adam_eps"]
            and abs(v["ch10_cue_grad"] / v["ch10_adam_eps"] - v["ch10_cue_grad_eps"])
            <= 0.1 * v["ch10_cue_grad_eps"]
        ),
    ),
    Claim(
        "10",
        ("ch10_n3", "ch10_reach_after"),
        "after training far more of the gradient reached the cue than at the start",
        lambda v: v["ch10_reach_after"] > 100 * v["ch10_n3"],
    ),
    Claim("10", ("ch10_sig_max",), "sigma' <= 1/4", exempt="a mathematical bound"),
    Claim(
        "10",
        ("ch10_gate_0_cos", "ch10_gate_0_ratio"),
        "at the default bias the gradient shrinks and turns",
        lambda v: v["ch10_gate_0_ratio"] < 1e-3 and v["ch10_gate_0_cos"] < 0.9,
    ),
    Claim(
        "10",
        ("ch10_gate_5_cos", "ch10_gate_5_ratio"),
        "with every gate near 1 the gradient is nearly preserved",
        lambda v: v["ch10_gate_5_ratio"] > 0.5 and v["ch10_gate_5_cos"] > 0.95,
    ),
    Claim(
        "10",
        ("ch10_sv_bound", "ch10_sv_shrink"),
        "the measured shrink is under the bound",
        lambda v: v["ch10_sv_shrink"] <= v["ch10_sv_bound"],
    ),
    Claim("10", ("ch10_n9",), "3/4 of the parameters", exempt="an exact count by construction"),
    Claim(
        "10",
        ("ch10_s7",),
        "the cell is directly affected by its inputs: the derivative is not zero",
        lambda v: v["ch10_s7"] > 0,
    ),
    # -- chapters 11 to 18, exercises and the sentences added since --
    Claim(
        "01",
        ("ch1_ex3_factor", "ch1_ex3_fixed"),
        "at the fixed point each factor w(1 - h*^2) is below 1",
        lambda v: 0 < v["ch1_ex3_fixed"] < 1 and v["ch1_ex3_factor"] < 1,
    ),
    Claim(
        "01",
        ("ch1_ex3_geo", "ch1_ex3_max", "ch1_ex3_min"),
        "the factors' range holds their geometric mean, the largest near w (the gradient is "
        "above, and the geometric mean to the 50th power is about it)",
        lambda v: (
            v["ch1_ex3_min"] < v["ch1_ex3_geo"] < v["ch1_ex3_max"] <= 1.1
            and 0.5 < v["ch1_ex3_geo"] ** 50 / v["ch1_ex3_grad"] < 2
        ),
    ),
    Claim(
        "01",
        ("ch1_ex3_fixed50",),
        "every factor at the fixed point's value: its 50th power",
        lambda v: 0.5 < v["ch1_ex3_fixed50"] / v["ch1_ex3_factor"] ** 50 < 2,
    ),
    Claim(
        "03",
        ("ch3_ex1_b50", "ch3_ex1_b500", "ch3_ex1_f50", "ch3_ex1_f500"),
        "b = ln(n - 1) for a memory time of n; f = 1 - 1/n",
        lambda v: (
            abs(v["ch3_ex1_b50"] - math.log(49)) < 0.01
            and abs(v["ch3_ex1_b500"] - math.log(499)) < 0.01
            and abs(v["ch3_ex1_f50"] - 0.98) < 0.005
            and abs(v["ch3_ex1_f500"] - 0.998) < 0.0005
        ),
    ),
    Claim(
        "04",
        ("ch4_ex2_h", "ch4_ex2_hint", "ch4_ex2_p_gru", "ch4_ex2_p_lstm", "ch4_ex2_p_next"),
        "the GRU width solving 3(H^2 + 3H) = 4(64^2 + 3 64); at most the floor of it fits "
        "(its count at or under the LSTM's, one unit more over it)",
        lambda v: (
            abs(3 * (v["ch4_ex2_h"] ** 2 + 3 * v["ch4_ex2_h"]) - 4 * (64**2 + 3 * 64)) < 50
            and v["ch4_ex2_hint"] == math.floor(v["ch4_ex2_h"])
            and v["ch4_ex2_p_gru"] <= v["ch4_ex2_p_lstm"] < v["ch4_ex2_p_next"]
        ),
    ),
    Claim(
        "04",
        ("ch4_ex4_0", "ch4_ex4_1", "ch4_ex4_m1"),
        "the horizon grows with the update bias",
        lambda v: v["ch4_ex4_m1"] < v["ch4_ex4_0"] < v["ch4_ex4_1"],
    ),
    Claim(
        "05",
        ("ch5_reach_lstm_cell_c_after", "ch5_reach_lstm_cell_c_before"),
        "on the cell the trained ratio is far above the untrained one",
        lambda v: v["ch5_reach_lstm_cell_c_after"] > 10 * v["ch5_reach_lstm_cell_c_before"],
    ),
    Claim(
        "05",
        ("ch5_gate_f_mean", "ch5_gate_f_median", "ch5_gate_mean_i_mark", "ch5_gate_mean_i_other"),
        "averaged over units, marks and other steps look alike",
        lambda v: abs(v["ch5_gate_mean_i_mark"] - v["ch5_gate_mean_i_other"]) < 0.05,
    ),
    Claim(
        "09",
        ("ch9_src_T", "ch9_src_hidden"),
        "the source-code study's sizes: hidden units and the window's length",
        exempt="settings of the study, not measurements",
    ),
    Claim(
        "07",
        ("03_lstm.ipynb::ch3_lstm_reach8",),
        "exercise 7.3: at singular values 8 the LSTM's gradient explodes (first step above last)",
        lambda v: v["ch3_lstm_reach8"] > 1,
    ),
    Claim(
        "08",
        ("ch8_ex1_copy",),
        "10 ln 8 / 70",
        lambda v: abs(v["ch8_ex1_copy"] - 10 * math.log(8) / 70) < 0.001,
    ),
    Claim(
        "11",
        ("ch11_lag", "ch11_reach_s0", "ch11_reach_s0_err"),
        "the measured share equals alpha^k to rounding",
        lambda v: v["ch11_reach_s0_err"] < 1e-10,
    ),
    Claim("11", ("ch11_steps",), "the step budget", exempt="a setting"),
    Claim(
        "11",
        ("ch11_chrono_range",),
        "the chrono start's memory times, reported",
        exempt="reports the spread; nothing is compared with it",
    ),
    Claim(
        "11",
        ("ch11_chrono_ratio", "ch11_chrono_rho", "ch11_chrono_within"),
        "measured and derived timescales agree: median ratio near 1, most units within 10 %",
        lambda v: (
            0.9 < v["ch11_chrono_ratio"] < 1.1
            and v["ch11_chrono_within"] > 0.5
            and v["ch11_chrono_rho"] > 0.9
        ),
    ),
    Claim("12", ("ch12_fit_T", "ch12_steps"), "the budget box", exempt="settings"),
    Claim(
        "12",
        ("ch12_expm_err", "ch12_sv_dev"),
        "SymPy's rotation and the orthogonal parametrisation agree to rounding",
        lambda v: v["ch12_expm_err"] < 1e-12 and v["ch12_sv_dev"] < 1e-5,
    ),
    Claim(
        "12",
        ("ch12_bound30", "ch12_lower30"),
        "the band for |u| lies just around 1",
        lambda v: 0.5 < v["ch12_lower30"] < 1 < v["ch12_bound30"] < 1.1,
    ),
    Claim(
        "12",
        ("ch12_cue_cut", "ch12_cue_full", "ch12_zero_steps"),
        "full BPTT reaches the cue, truncation gives it nothing",
        lambda v: v["ch12_cue_full"] > 0 and v["ch12_cue_cut"] == 0 and v["ch12_zero_steps"] > 0,
    ),
    Claim(
        "12",
        ("ch12_acc_full_10", "ch12_acc_k8_10"),
        "full BPTT learns the cue, BPTT(8) stays near chance",
        lambda v: v["ch12_acc_full_10"] > 0.9 and v["ch12_acc_k8_10"] < 0.75,
    ),
    Claim(
        "13",
        ("ch13_power_099", "ch13_power_norm_099"),
        "gamma normalises the state's power near 1; without it the power is large",
        lambda v: abs(v["ch13_power_norm_099"] - 1) < 0.1 and v["ch13_power_099"] > 10,
    ),
    Claim(
        "13",
        ("ch13_scan_error",),
        "the scan and the loop agree to rounding",
        lambda v: v["ch13_scan_error"] < 1e-12,
    ),
    Claim(
        "13",
        ("ch13_T_best", "ch13_T_long", "ch13_ratio_best", "ch13_ratio_long", "ch13_ratio_short"),
        "the largest ratio is at least the long one; at T = 16 the word says which is faster "
        "(the loop's time over the scan's above 1: the scan is faster)",
        lambda v: (
            v["ch13_ratio_best"] >= v["ch13_ratio_long"]
            and v["ch13_short_word"]
            == (
                "faster"
                if v["ch13_ratio_short"] > 1.05
                else "slower"
                if v["ch13_ratio_short"] < 0.95
                else "about as fast"
            )
        ),
    ),
    Claim("13", ("ch13_seeds", "ch13_steps"), "the set-up", exempt="settings"),
    Claim(
        "13",
        ("ch13_half_far", "ch13_reach_far", "ch13_reach_near"),
        "only the near ring reaches; the far ring stays under its bound",
        lambda v: v["ch13_reach_near"] > 1e-3 and v["ch13_reach_far"] <= v["ch13_half_far"],
    ),
    Claim(
        "11",
        ("ch11_ex4_05_leak", "ch11_ex4_09_leak"),
        "exercise 11.4: alpha^k falls below 1e-3 after ln(1e-3)/ln(alpha) steps (W = 0), and "
        "the measured horizons are longer",
        lambda v: (
            abs(v["ch11_ex4_09_leak"] - math.log(1e-3) / math.log(0.9)) <= 1
            and abs(v["ch11_ex4_05_leak"] - math.log(1e-3) / math.log(0.5)) <= 1
            and v["ch11_ex4_09"] > v["ch11_ex4_09_leak"]
            and v["ch11_ex4_05"] > v["ch11_ex4_05_leak"]
        ),
    ),
    Claim(
        "12",
        ("ch12_ex4_01", "ch12_ex4_1"),
        "exercise 12.4: at input scale 0.1 much closer to 1 than at 1, and still vanishing",
        lambda v: v["ch12_ex4_1"] < 1e-3 * v["ch12_ex4_01"] and v["ch12_ex4_01"] < 0.1,
    ),
    Claim(
        "12",
        ("ch12_ex4_slope01", "ch12_ex4_slope1"),
        "exercise 12.4: the mean slope is nearer 1 at the smaller input scale",
        lambda v: v["ch12_ex4_slope1"] < v["ch12_ex4_slope01"] < 1,
    ),
    Claim(
        "13",
        ("ch13_ex3_abs_down", "ch13_ex3_abs_up", "ch13_ex3_size"),
        "exercise 13.3: above 1 the states grow, and the absolute difference with them",
        lambda v: v["ch13_ex3_size"] > 1e3 and v["ch13_ex3_abs_up"] > 1e3 * v["ch13_ex3_abs_down"],
    ),
    Claim(
        "13",
        ("ch13_ex3_rel_down", "ch13_ex3_rel_up"),
        "exercise 13.3: relative to the state the difference stays at float32's precision",
        lambda v: v["ch13_ex3_rel_up"] < 1e-4 and v["ch13_ex3_rel_down"] < 1e-4,
    ),
    Claim(
        "13",
        ("ch13_ex4_09", "ch13_ex4_099"),
        "ten times as many lags at 0.99 as at 0.9",
        lambda v: 9 < v["ch13_ex4_099"] / v["ch13_ex4_09"] < 11,
    ),
    Claim(
        "14",
        ("ch14_sim_worst",),
        "simulation and SymPy agree within a few per cent",
        lambda v: v["ch14_sim_worst"] < 0.05,
    ),
    Claim(
        "14",
        ("ch14_gain_05", "ch14_gain_09"),
        "(1 + rho)/(1 - rho) at 0.5 and 0.9",
        lambda v: abs(v["ch14_gain_05"] - 3) < 0.5 and abs(v["ch14_gain_09"] - 19) < 0.5,
    ),
    Claim(
        "14",
        ("ch14_rel_sim",),
        "the simulation agrees with the forms within a few per cent",
        lambda v: v["ch14_rel_sim"] < 0.05,
    ),
    Claim(
        "14", ("ch14_lstm_abs_rate",), "a derived rate", exempt="a closed form, not a measurement"
    ),
    Claim(
        "15",
        ("ch15_scan_error", "ch15_scan_grad_error"),
        "the scan and the loop agree to rounding, states and gradients",
        lambda v: v["ch15_scan_error"] < 1e-12 and v["ch15_scan_grad_error"] < 1e-12,
    ),
    Claim(
        "15",
        ("ch15_depth_T", "ch15_depth_rounds"),
        "floor(log2 T) levels",
        lambda v: v["ch15_depth_rounds"] == math.floor(math.log2(v["ch15_depth_T"])),
    ),
    Claim(
        "15",
        (
            "ch15_copy_chance",
            "ch15_med_copy_gru",
            "ch15_med_copy_lstm",
            "ch15_med_copy_mingru",
            "ch15_med_copy_minlstm",
            "ch15_med_copy_slstm",
            "ch15_med_copy_ssm",
        ),
        "cells whose gates read the state score above those whose gates read only x_t; all above chance",
        lambda v: (
            min(v[f"ch15_med_copy_{c}"] for c in ("lstm", "gru", "slstm"))
            > max(v[f"ch15_med_copy_{c}"] for c in ("mingru", "minlstm", "ssm"))
            > v["ch15_copy_chance"]
        ),
    ),
    Claim(
        "15",
        ("ch15_ex3_hold", "ch15_ex3_reset"),
        "the reset forgets: less kept than with every Delta small",
        lambda v: v["ch15_ex3_reset"] < v["ch15_ex3_hold"],
    ),
    Claim(
        "18",
        ("05_benchmarks.ipynb::ch5_arch_T",),
        "the LSTM against the IRNN, quoted",
        exempt="a verdict by the book's rule, quoted with its length",
    ),
    Claim(
        "13",
        ("ch13_steps",),
        "the scale of the ring comparison",
        exempt="a setting",
    ),
    Claim(
        "13",
        ("ch13_T",),
        "what the ring section does not say",
        exempt="a setting",
    ),
    Claim(
        "18",
        (
            "05_benchmarks.ipynb::ch5_hear_T",
            "05_benchmarks.ipynb::ch5_reach_gru_before",
            "10_popular_claims.ipynb::ch10_n3",
        ),
        "tiny reaches that still learnt",
        lambda v: v["ch5_reach_gru_before"] < 1e-3 and v["ch10_n3"] < 1e-3,
    ),
    Claim(
        "18",
        ("ch18_ex1_b",),
        "ln 199",
        lambda v: abs(v["ch18_ex1_b"] - math.log(199)) < 0.01,
    ),
    Claim(
        "18",
        ("ch18_ex3_1", "ch18_ex3_3"),
        "a larger forget bias lets more of the gradient reach the first step",
        lambda v: v["ch18_ex3_3"] > v["ch18_ex3_1"],
    ),
    # -- the last sentences: exercise 2.3, chapter 8's table, Part VI, the summary's rows --
    Claim(
        "02",
        ("ch2_ex3_large", "ch2_ex3_linear", "ch2_ex3_small"),
        "the linear RNN does not grow; the tanh RNN vanishes at both scales, more at the larger",
        lambda v: v["ch2_ex3_linear"] < 1 and v["ch2_ex3_large"] < v["ch2_ex3_small"] < 1e-3,
    ),
    Claim(
        "08",
        (
            "ch8_add_T",
            "ch8_add_bias0",
            "ch8_add_chrono",
            "ch8_add_lstm",
            "ch8_chrono_median",
            "ch8_chrono_range",
            "ch8_copy_baseline",
            "ch8_copy_theory",
        ),
        "the simulated copy baseline matches the formula; chrono's memory times in [2, T_max]",
        lambda v: (
            abs(v["ch8_copy_baseline"] - v["ch8_copy_theory"]) < 0.005
            and 2 <= v["ch8_chrono_median"] <= 100
        ),
    ),
    Claim(
        "08",
        ("ch8_add_T", "ch8_add_lstm", "ch8_irnn_solved"),
        "table cells: the verdict words beside them are computed by the chapter's stated rules",
        exempt="the row's verdicts (ch8_lstm_solves, ch8_irnn_verdict) are glued from rules",
    ),
    Claim(
        "16",
        (
            "ch16_la_growth",
            "ch16_reach_delta_in",
            "ch16_reach_delta_out",
            "ch16_rewrite_delta_8",
            "ch16_rewrite_sum_8",
        ),
        "the state grows; the delta rule keeps the gradient away from its keys, erases along them, "
        "and recalls rewritten keys better than the sum",
        lambda v: (
            v["ch16_la_growth"] > 1
            and v["ch16_reach_delta_out"] > 0.5 > v["ch16_reach_delta_in"]
            and v["ch16_rewrite_delta_8"] > v["ch16_rewrite_sum_8"]
        ),
    ),
    Claim(
        "17",
        ("ch17_scan_errors",),
        "a factor of -1 tracks the parity: the one-unit scan made no error",
        lambda v: v["ch17_scan_errors"] == 0,
    ),
    Claim(
        "17",
        ("ch17_diag_pos_256", "ch17_diag_shared_256"),
        "on the same weights the signed diagonal gate keeps less at the start",
        lambda v: v["ch17_diag_shared_256"] < v["ch17_diag_pos_256"],
    ),
    Claim(
        "18",
        (
            "12_nongated_recurrences.ipynb::ch12_T_adding",
            "12_nongated_recurrences.ipynb::ch12_reach_rnn",
        ),
        "the tanh RNN's reach at the start is small",
        lambda v: v["ch12_reach_rnn"] < 1e-3,
    ),
    Claim(
        "18",
        (
            "04_gru.ipynb::ch4_share50_b3",
            "12_nongated_recurrences.ipynb::ch12_T_adding",
            "12_nongated_recurrences.ipynb::ch12_ind_gain",
            "12_nongated_recurrences.ipynb::ch12_reach_irnn",
            "12_nongated_recurrences.ipynb::ch12_shrink_tanh",
            "13_linear_recurrences.ipynb::ch13_T",
            "13_linear_recurrences.ipynb::ch13_near",
            "14_curse_of_memory.ipynb::ch14_gain_09",
            "15_selective_gates.ipynb::ch15_med_adding_mingru",
            "15_selective_gates.ipynb::ch15_med_copy_ssm",
        ),
        "the table's rows report each chapter's measurement",
        exempt="each row quotes its chapter's number; the comparisons are ruled in those chapters",
    ),
    Claim(
        "18",
        (
            "15_selective_gates.ipynb::ch15_med_recall_slstm",
            "16_matrix_memories.ipynb::ch16_la_growth",
            "16_matrix_memories.ipynb::ch16_la_jac_error",
            "16_matrix_memories.ipynb::ch16_la_steps",
            "16_matrix_memories.ipynb::ch16_reach_delta_in",
            "16_matrix_memories.ipynb::ch16_reach_delta_out",
            "16_matrix_memories.ipynb::ch16_reach_mamba",
            "16_matrix_memories.ipynb::ch16_reach_retnet",
        ),
        "linear attention's Jacobian is the identity to rounding and its state grows; the delta "
        "rule keeps more away from its keys than RetNet and Mamba-2 keep anywhere",
        lambda v: (
            v["ch16_la_jac_error"] < 1e-12
            and v["ch16_la_growth"] > 1
            and v["ch16_reach_delta_out"] > max(v["ch16_reach_retnet"], v["ch16_reach_mamba"])
        ),
    ),
    Claim(
        "18",
        (
            "17_eigenvalue_range.ipynb::ch17_diag_pos_256",
            "17_eigenvalue_range.ipynb::ch17_diag_same_256",
            "17_eigenvalue_range.ipynb::ch17_diag_shared_256",
            "17_eigenvalue_range.ipynb::ch17_scan_errors",
        ),
        "the parity scan makes no error; on the same weights the signed gate keeps less at the "
        "start, from the same start the same (so the start sets it, not the range)",
        lambda v: (
            v["ch17_scan_errors"] == 0
            and v["ch17_diag_shared_256"] < v["ch17_diag_pos_256"]
            and abs(v["ch17_diag_same_256"] - v["ch17_diag_pos_256"])
            <= 0.05 * v["ch17_diag_pos_256"]
        ),
    ),
    Claim(
        "18",
        ("16_matrix_memories.ipynb::ch16_la_growth",),
        "linear attention's state kept growing",
        lambda v: v["ch16_la_growth"] > 1,
    ),
    Claim(
        "18",
        (
            "16_matrix_memories.ipynb::ch16_reach_delta_in",
            "16_matrix_memories.ipynb::ch16_reach_delta_out",
        ),
        "the delta rule erases only along its keys: most kept outside their span, little inside",
        lambda v: v["ch16_reach_delta_out"] > 0.5 > v["ch16_reach_delta_in"],
    ),
    Claim(
        "18",
        ("17_eigenvalue_range.ipynb::ch17_scan_errors",),
        "a factor of -1 tracks the parity: the one-unit scan made no error",
        lambda v: v["ch17_scan_errors"] == 0,
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
        "16",
        ("ch16_la_draws", "ch16_la_growth", "ch16_la_growth_low", "ch16_la_growth_high"),
        "the state grows like sqrt(t): the median 1,000/10 ratio near sqrt(100) = 10, inside the "
        "middle 80 % of draws",
        holds=lambda v: (
            5 < v["ch16_la_growth"] < 20 and v["ch16_la_growth_low"] < 10 < v["ch16_la_growth_high"]
        ),
    ),
    Claim(
        "16",
        ("ch16_la_first_weight",),
        "the first write's weight in o_1000 is close to 1/t = 1e-3",
        holds=lambda v: 0.5e-3 < v["ch16_la_first_weight"] < 2e-3,
    ),
    Claim(
        "16",
        ("ch16_delta_steps", "ch16_full_span_kept"),
        "keys that span every direction leave DeltaNet's product almost nothing in any direction",
        holds=lambda v: v["ch16_full_span_kept"] < 1e-3,
    ),
    Claim(
        "16",
        ("ch16_ex4_unit", "ch16_ex4_long"),
        "a unit key with beta = 1 erases (0); a key of length 1.5 grows the gradient as 1.25^20",
        holds=lambda v: v["ch16_ex4_unit"] < 1e-12 and abs(v["ch16_ex4_long"] - 1.25**20) < 0.1,
    ),
    Claim(
        "17",
        ("ch17_diag_pos_16", "ch17_diag_shared_16", "ch17_diag_pos_256", "ch17_diag_shared_256"),
        "on the same weights the signed diagonal gate starts with shorter memories: it keeps less "
        "over 16 and over 256 steps",
        holds=lambda v: (
            v["ch17_diag_shared_16"] < v["ch17_diag_pos_16"]
            and v["ch17_diag_shared_256"] < v["ch17_diag_pos_256"]
        ),
    ),
    Claim(
        "17",
        (
            "ch17_beta_low",
            "ch17_beta_high",
            "ch17_dn_pos_small_16",
            "ch17_dn_shared_small_16",
            "ch17_dn_pos_large_16",
            "ch17_dn_shared_large_16",
        ),
        "beta starts above 2/3, so the doubled beta keeps more along the weakest direction on the "
        "keys' plane, while the strongest direction keeps less",
        holds=lambda v: (
            v["ch17_beta_low"] > 2 / 3
            and v["ch17_dn_shared_small_16"] > v["ch17_dn_pos_small_16"]
            and v["ch17_dn_shared_large_16"] < v["ch17_dn_pos_large_16"]
        ),
    ),
    Claim(
        "17",
        ("ch17_same_gap", "ch17_diag_same_256"),
        "from the same start the signed arms' gates equal the [0, 1] arms' to rounding, and the "
        "median unit keeps what the [0, 1] unit keeps",
        holds=lambda v: (
            v["ch17_same_gap"] < 1e-5
            and abs(v["ch17_diag_same_256"] - v["ch17_diag_pos_256"])
            <= 0.05 * v["ch17_diag_pos_256"]
        ),
    ),
    Claim(
        "17",
        ("ch17_train_length", "ch17_test_length", "ch17_length_ratio"),
        "the test length is the stated multiple of the training length",
        holds=lambda v: v["ch17_length_ratio"] == v["ch17_test_length"] / v["ch17_train_length"],
    ),
    Claim(
        "17",
        ("ch17_majority", "ch17_chance"),
        "the last-symbol rule beats always answering 0, so it is the chance level",
        holds=lambda v: v["ch17_chance"] > v["ch17_majority"],
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


def _value(record: str) -> float | str:
    """A glued value for a rule: its number, or its words where it states none."""
    number = as_number(record)
    return as_text(record) if number is None else number


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
        # other values its chapter glued (numbers as numbers, words as the page prints them).
        context = {k: _value(r) for k, r in glued_values(executed[s.chapter]).items()}
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
