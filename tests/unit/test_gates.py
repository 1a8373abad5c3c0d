"""The gates a trained LSTM opens and closes, against PyTorch's own fused LSTM."""

import pytest
import torch

import rnngrad
from rnngrad.measure.gates import lstm_gates_over_time


@pytest.mark.parametrize("layers", [1, 2])
def test_gates_rebuild_the_fused_lstm(layers):
    """The gates, with g written here from PyTorch's documented equations, rebuild
    nn.LSTM's own output h_t at every step. Catches: the chunks read in another order
    (f taken as i), step t's gates fed h_t instead of h_{t-1}, or the first layer's
    gates reported for a stack."""
    torch.manual_seed(0)
    task = rnngrad.AddingProblem(9)
    model = rnngrad.models.make_model("lstm", task, 6, layers)
    x, _ = task.sample(5, torch.Generator().manual_seed(1))
    gates = lstm_gates_over_time(model, x)
    out, _ = model.rnn(x)  # the fused module
    below = x  # the last layer's input: x, or the first layer's output for a stack
    if layers == 2:
        first = torch.nn.LSTM(task.input_size, 6, batch_first=True)
        first.load_state_dict(
            {k: v for k, v in model.rnn.state_dict().items() if k.endswith("_l0")}
        )
        below, _ = first(x)
    last = layers - 1
    w_ih, w_hh = getattr(model.rnn, f"weight_ih_l{last}"), getattr(model.rnn, f"weight_hh_l{last}")
    b = getattr(model.rnn, f"bias_ih_l{last}") + getattr(model.rnn, f"bias_hh_l{last}")
    H = 6
    h = c = torch.zeros(5, H)
    with torch.no_grad():
        for t in range(x.shape[1]):
            g = torch.tanh(
                below[:, t] @ w_ih[2 * H : 3 * H].T + h @ w_hh[2 * H : 3 * H].T + b[2 * H : 3 * H]
            )
            c = gates["forget"][:, t] * c + gates["input"][:, t] * g
            h = gates["output"][:, t] * torch.tanh(c)
            torch.testing.assert_close(h, out[:, t], atol=1e-5, rtol=1e-5)


def test_gates_only_for_an_lstm():
    """Catches: silently returning a GRU's update gate as if it were a forget gate."""
    task = rnngrad.AddingProblem(5)
    model = rnngrad.models.make_model("gru", task, 4, 1)
    x, _ = task.sample(2, torch.Generator().manual_seed(0))
    with pytest.raises(TypeError, match="nn.LSTM"):
        lstm_gates_over_time(model, x)
