"""Part III, chapter 8: the reproduced-results table, asserted at small, fast sizes."""

import math

import pytest
import torch

import rnngrad
from rnngrad.training.sweep import compare_runs


def test_vanishing_bound_holds_on_random_matrices():
    """Pascanu et al. (2013): ||dh_t/dh_0|| <= sigma_max^t for the tanh RNN."""
    g = torch.Generator().manual_seed(1)
    for draw in range(30):
        sigma = torch.rand(8, generator=g, dtype=torch.float64) * 0.99
        w = rnngrad.with_singular_values(sigma.tolist(), generator=g)
        norms = rnngrad.rnn_jacobian_norms(w, 20, input_scale=1.0, seed=draw)
        bound = sigma.max() ** torch.arange(1, 21, dtype=torch.float64)
        assert (norms <= bound * (1 + 1e-9)).all()
        assert (norms > 0).all()  # a function returning zeros would satisfy the bound


def test_adding_and_copy_baselines_by_simulation():
    adding = rnngrad.AddingProblem(40)
    _, y = adding.sample(100_000, torch.Generator().manual_seed(0))
    assert torch.mean((y - 1.0) ** 2).item() == pytest.approx(1 / 6, rel=0.01)
    copy = rnngrad.CopyTask(30)
    _, y = copy.sample(500, torch.Generator().manual_seed(0))
    memoryless = torch.full((500, 50, copy.output_size), -1e9)
    memoryless[:, :40, 0] = 0.0
    memoryless[:, 40:, 1:] = 0.0
    assert copy.loss(memoryless, y).item() == pytest.approx(10 * math.log(8) / 50, rel=1e-6)


def test_chrono_memory_times_spread_over_the_range():
    lstm = torch.nn.LSTM(1, 1000)
    rnngrad.chrono_init_(lstm, t_max=50, generator=torch.Generator().manual_seed(0))
    b_f = (lstm.bias_ih_l0 + lstm.bias_hh_l0)[1000:2000].detach().double()
    times = rnngrad.memory_time(torch.sigmoid(b_f))
    assert 2 - 1e-6 <= times.min() and times.max() <= 50 + 1e-6
    # 1 + u with u ~ U[1, 49]: the median is near 26.
    assert abs(times.median().item() - 26) < 3


def _reach_of_cell_path(init, T=60, seed=0):
    task = rnngrad.AddingProblem(T)
    x, y = task.sample(64, torch.Generator().manual_seed(0))
    torch.manual_seed(seed)
    model = rnngrad.make_model("lstm", task, hidden_size=16)
    init(model.rnn)
    dc = rnngrad.probe(model, task, x, y).dL_dc.norm(dim=-1).mean(0)
    return (dc[0] / dc[-1]).item()


def test_forget_bias_one_and_chrono_open_the_cell_path():
    """The mechanism behind Jozefowicz et al. (2015) and Tallec & Ollivier (2018)."""
    bias0 = _reach_of_cell_path(lambda m: rnngrad.set_forget_bias_(m, 0.0))
    bias1 = _reach_of_cell_path(lambda m: rnngrad.set_forget_bias_(m, 1.0))
    chrono = _reach_of_cell_path(
        lambda m: rnngrad.chrono_init_(m, 60, generator=torch.Generator().manual_seed(0))
    )
    assert bias1 > 100 * bias0
    assert chrono > 100 * bias1


def test_lstm_beats_the_rnn_on_a_short_adding_problem():
    """Hochreiter & Schmidhuber (1997), Arjovsky et al. (2016), at T = 25, judged as chapter 5
    judges it: five seeds a cell, the shared verdict rule on the final MSE."""
    task = rnngrad.AddingProblem(25)
    runs = rnngrad.grid(
        ["rnn", "lstm"],
        {25: task},
        steps=600,
        seeds=range(5),
        hidden_size=32,
        init=rnngrad.lstm_forget_bias(1.0),
        lr=1e-2,
        target=0.02,
        eval_every=50,
        eval_batch=256,
        device="cpu",
        progress=False,
    )
    verdict = compare_runs(runs, {"cell": "lstm"}, {"cell": "rnn"}, by="metric")
    assert verdict.winner == "LSTM", (verdict, verdict.a, verdict.b)
    assert verdict.b.median > 0.1  # the RNN stays near the baseline 1/6
