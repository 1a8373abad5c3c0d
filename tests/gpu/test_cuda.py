"""The GPU path, run where a CUDA device is present: ``make test-gpu`` (not collected by
``make test``: its folder is outside ``testpaths``, and CI has no GPU).

Each test names the wrong implementation it catches."""

import math

import pytest
import torch

import rnngrad

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_fused_cudnn_equals_the_step_by_step_replay(cell):
    """Catches: a replay whose gate order or bias placement differs from cuDNN's kernels (the
    CPU tests compare against PyTorch's CPU kernels only)."""
    task = rnngrad.AddingProblem(20)
    model = rnngrad.make_model(cell, task, hidden_size=16, num_layers=2, seed=0).cuda().double()
    x, _ = task.sample(8, torch.Generator().manual_seed(0))
    x = x.cuda().double()
    fused, _ = model.rnn(x)
    replayed, _ = rnngrad.unroll(model.rnn, x)
    torch.testing.assert_close(fused, replayed, rtol=1e-10, atol=1e-10)


def test_training_moves_the_data_to_the_device():
    """Catches: batches left on the CPU while the model is on the GPU (a device error), or a
    held-out evaluation on the wrong device."""
    task = rnngrad.AddingProblem(30)
    model = rnngrad.make_model("lstm", task, hidden_size=32, seed=0, forget_bias=1.0)
    history = rnngrad.train(model, task, 50, device="cuda", eval_every=25, progress=False)
    assert next(model.parameters()).is_cuda
    assert history.steps == 50 and math.isfinite(history.final_metric)


def test_the_device_report_names_the_gpu():
    """Catches: a report that says CPU on a GPU machine (the chapters print it)."""
    device = rnngrad.pick_device()
    assert device.type == "cuda"
    assert torch.cuda.get_device_name(device).split()[0] in rnngrad.describe(device)
