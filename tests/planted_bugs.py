"""Plant known bugs in the library, one at a time, and run the tests that must catch each.

    python tests/planted_bugs.py            # every plant
    python tests/planted_bugs.py 3 8        # only plants 3 and 8

Each plant edits one line of ``lib/rnngrad`` in this checkout, runs its tests with pytest,
and restores the file (also on Ctrl-C). A plant is *caught* when at least one of its tests
fails; the report names them. A plant whose line is no longer in the library (the code
moved) is reported as such, not run: update its ``old`` text. Plants 1-8 are the audit's
(``tests/planted-bugs.md`` records the last run); the others are the plants that showed each
strengthened test can fail. Not collected by pytest (no ``test_`` prefix); not part of CI:
it runs the named tests once per plant, minutes in all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "rnngrad"


@dataclass(frozen=True)
class Plant:
    what: str  # the plausible wrong implementation
    file: str  # under lib/rnngrad
    old: str  # the right code (must occur exactly once)
    new: str  # the bug
    tests: tuple[str, ...]  # pytest node ids that must catch it


_CARRY_BACK = "tests/chapters/test_popular_claims.py::"
PLANTS: dict[int, Plant] = {
    # -- the audit's eight --
    1: Plant(
        "the PDF still drawn at the slider's first value, not the default",
        "notebook/explore.py",
        "        return self.figure_png()\n\n    def frame_data",
        "        return self.figure_png(**{s.name: float(s.values[0]) for s in self.sliders})"
        "\n\n    def frame_data",
        ("tests/unit/test_explore.py",),
    ),
    2: Plant(
        "one_thread never restores the thread count",
        "core/device.py",
        "    finally:\n        torch.set_num_threads(threads)",
        "    finally:\n        pass",
        ("tests/unit/test_device.py", "tests/unit/test_sweep.py"),
    ),
    3: Plant(
        "the gating product in the wrong order (first gates first)",
        "measure/claims.py",
        "torch.cumprod(forget.flip(0), dim=0)",
        "torch.cumprod(forget, dim=0)",
        (
            "tests/unit/test_claims.py",
            "tests/unit/test_explorer_figures.py",
            _CARRY_BACK + "test_5_elementwise_gating_changes_length_and_direction",
            _CARRY_BACK + "test_gating_explorer_figure",
        ),
    ),
    4: Plant(
        "compare_runs ignores the accuracy direction (higher is better)",
        "training/sweep.py",
        '    higher = by == "metric" and group_a[0].task.higher_is_better',
        "    higher = False",
        ("tests/unit/test_sweep.py", "tests/unit/test_verdict.py"),
    ),
    5: Plant(
        "grid ignores setting_kwargs",
        "training/sweep.py",
        "{**train_kwargs, **extra.get(setting, {})}",
        "{**train_kwargs}",
        ("tests/unit/test_sweep.py",),
    ),
    6: Plant(
        "minLSTM without its normalisation",
        "cells/selective.py",
        "return f / total, (i / total) * affine(x, w_h, b_h)",
        "return f, i * affine(x, w_h, b_h)",
        ("tests/unit/test_selective.py", "tests/unit/test_selective_models.py"),
    ),
    7: Plant(
        "the held-out set drawn with the training seed",
        "training/loop.py",
        "torch.Generator().manual_seed(seed + 10_000)",
        "torch.Generator().manual_seed(seed)",
        ("tests/unit/test_train.py",),
    ),
    8: Plant(
        "forget_gate_decay never sets the forget bias",
        "measure/claims.py",
        "    set_forget_bias_(model.rnn, forget_bias)\n",
        "",
        ("tests/unit/test_claims.py", "tests/unit/test_explorer_figures.py"),
    ),
    # -- plants for the strengthened tests --
    9: Plant(
        "reach taken last over first",
        "measure/probe.py",
        "(norms[0] / norms[-1])",
        "(norms[-1] / norms[0])",
        (
            "tests/unit/test_linear_rnn.py::test_trace_gives_total_gradients_through_time",
            "tests/unit/test_selective_models.py::test_trace_is_autograd_of_the_models_loss_for_every_cell",
        ),
    ),
    10: Plant(
        "gradient_norms summed over the batch instead of averaged",
        "measure/probe.py",
        "torch.linalg.vector_norm(wide, dim=-1).mean(0)",
        "torch.linalg.vector_norm(wide, dim=-1).sum(0)",
        (
            "tests/unit/test_linear_rnn.py::test_trace_gives_total_gradients_through_time",
            "tests/unit/test_selective_models.py::test_trace_is_autograd_of_the_models_loss_for_every_cell",
        ),
    ),
    11: Plant(
        "the LRU's eigenvalues conjugated (phase -e^theta)",
        "cells/linear.py",
        "torch.complex(-torch.exp(nu_log), torch.exp(theta_log))",
        "torch.complex(-torch.exp(nu_log), -torch.exp(theta_log))",
        ("tests/unit/test_linear_rnn.py::test_lru_float32_gradients_match_float64_autograd",),
    ),
    12: Plant(
        "a student whose gradient never reaches its parameters",
        "models/student.py",
        "return self.readout(linear_scan(self.lam, x))",
        "return self.readout(linear_scan(self.lam, x)).detach() + 0 * self.c",
        ("tests/unit/test_memory.py::test_sgd_with_a_large_step_on_raw_lambda_diverges_cleanly",),
    ),
    13: Plant(
        "deep_reach as a batch mean of norms (not the norm over the batch)",
        "measure/reach.py",
        "norms = grad.norm(dim=(0, 2))  # (T,)",
        "norms = grad.norm(dim=2).mean(0)",
        ("tests/unit/test_nongated.py",),
    ),
    14: Plant(
        "deep_reach's IndRNN band never applied",
        "measure/reach.py",
        "                layer.weight_hh_l0.uniform_(low, high)\n",
        "                pass\n",
        ("tests/unit/test_nongated.py",),
    ),
    15: Plant(
        "the training loop skips the first update",
        "training/loop.py",
        "        opt.step()\n",
        "        if step > 1:\n            opt.step()\n",
        ("tests/unit/test_nongated.py::test_every_variant_trains_in_the_shared_loop",),
    ),
    16: Plant(
        "the IndRNN's recurrent weight detached (never trained)",
        "cells/nongated.py",
        "        u = self.recurrent_weight\n",
        "        u = self.recurrent_weight.detach()\n",
        ("tests/unit/test_nongated.py::test_every_variant_trains_in_the_shared_loop",),
    ),
    17: Plant(
        "the LRU's phase detached (never trained)",
        "cells/linear.py",
        "return lru_lambda(self.nu_log, self.theta_log)",
        "return lru_lambda(self.nu_log, self.theta_log.detach())",
        ("tests/unit/test_linear_rnn.py::test_train_runs_an_lru_model",),
    ),
    18: Plant(
        "the eigenvalue explorer takes the phase in radians, not units of pi",
        "measure/reach.py",
        "math.pi * phase_over_pi, lags",
        "phase_over_pi, lags",
        ("tests/unit/test_linear_rnn.py::test_eigenvalue_figure_plots_lambda_to_the_k",),
    ),
    19: Plant(
        "the lr-sweep figure plots the mean, not the median",
        "figures/linear.py",
        "mid = np.nanmedian(values, axis=1)",
        "mid = np.nanmean(values, axis=1)",
        ("tests/unit/test_memory.py::test_lr_sweep_figure_plots_medians_ranges_and_divergences",),
    ),
    20: Plant(
        "the memory explorer ignores rho",
        "measure/reach.py",
        "curves = {key: funcs[key](lam, rho) for key in MEMORY_KEYS}",
        "curves = {key: funcs[key](lam, 0.0) for key in MEMORY_KEYS}",
        ("tests/unit/test_memory.py::test_sensitivity_figure_plots_the_published_closed_forms",),
    ),
    21: Plant(
        "minGRU's candidate weight detached (never trained)",
        "cells/selective.py",
        "return 1 - z, z * affine(x, w_h, b_h)",
        "return 1 - z, z * affine(x, w_h.detach(), b_h)",
        ("tests/unit/test_selective_models.py::test_training_lowers_the_loss_of_every_new_cell",),
    ),
    22: Plant(
        "make_model(forget_bias=) sets the first layer only",
        "models/registry.py",
        "        set_forget_bias_(model.rnn, forget_bias)\n",
        "        set_forget_bias_(model.rnn, forget_bias, layer=0)\n",
        ("tests/unit/test_train.py::test_make_model_sets_the_forget_bias_of_every_lstm_layer",),
    ),
    23: Plant(
        "train accepts lr <= 0",
        "training/loop.py",
        "    if not lr > 0:\n",
        "    if lr is None:\n",
        ("tests/unit/test_train.py::test_bad_arguments",),
    ),
    24: Plant(
        "the live widget starts at the slider's first value",
        "notebook/explore.py",
        "                value=float(s.values[s.default_index]),\n",
        "                value=float(s.values[0]),\n",
        ("tests/unit/test_explore.py::test_live_widget_redraws_on_change",),
    ),
    25: Plant(
        "the live widget redraws at the defaults, not the slider's value",
        "notebook/explore.py",
        "**{s.name: sl.value for s, sl in zip(self.sliders, sliders, strict=True)}",
        "**{}",
        ("tests/unit/test_explore.py::test_live_widget_redraws_on_change",),
    ),
    26: Plant(
        "the delta rule's state Jacobian with its Kronecker product in the wrong order (I kron A^T)",
        "cells/delta.py",
        "    return torch.kron(\n"
        "        A.transpose(-1, -2).contiguous(), torch.eye(d_v, dtype=k.dtype, device=k.device)\n"
        "    )",
        "    return torch.kron(\n"
        "        torch.eye(d_v, dtype=k.dtype, device=k.device), A.transpose(-1, -2).contiguous()\n"
        "    )",
        (
            "tests/unit/test_matrix_cells.py::"
            "test_delta_state_jacobian_matches_autograd_one_step_and_over_many",
        ),
    ),
}


def run(number: int, plant: Plant) -> str:
    path = LIB / plant.file
    source = path.read_text()
    if source.count(plant.old) != 1:
        return f"plant {number}: its line is not (once) in {plant.file}; the code moved"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib"), "OMP_NUM_THREADS": "1"}
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *plant.tests]
    path.write_text(source.replace(plant.old, plant.new))
    try:
        result = subprocess.run(pytest, cwd=ROOT, env=env, capture_output=True, text=True)
    finally:
        path.write_text(source)
    failed = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("FAILED")]
    verdict = "caught by " + ", ".join(failed) if failed else "SURVIVED"
    return f"plant {number} ({plant.what}): {verdict}"


if __name__ == "__main__":
    chosen = [int(a) for a in sys.argv[1:]] or list(PLANTS)
    survived = 0
    for number in chosen:
        line = run(number, PLANTS[number])
        survived += "SURVIVED" in line
        print(line, flush=True)
    sys.exit(1 if survived else 0)
