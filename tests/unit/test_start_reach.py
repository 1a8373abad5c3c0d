"""Chapter 6's explorer compares a tanh RNN and an LSTM at the start of training: both curves
must be the same quantity, ||dL/dh_{T-k}|| / ||dL/dh_T||, measured the same way."""

import pytest
import torch
from torch import nn

from rnngrad.cells.init import set_forget_bias_, set_recurrent_singular_values_
from rnngrad.measure.reach import lstm_start_reach, rnn_start_reach


def _stepwise(module: nn.RNNBase, steps: int, seed: int):
    """The same profile written independently: PyTorch's own *Cell, one step at a time."""
    cell_type = nn.LSTMCell if isinstance(module, nn.LSTM) else nn.RNNCell
    cell = cell_type(module.input_size, module.hidden_size).double()
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in module.state_dict().items()})
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(steps, 16, module.input_size, generator=g, dtype=torch.float64)
    h = torch.zeros(16, module.hidden_size, dtype=torch.float64)
    c, hs = torch.zeros_like(h), []
    for t in range(steps):
        if cell_type is nn.LSTMCell:
            h, c = cell(x[t], (h, c))
        else:
            h = cell(x[t], h)
        hs.append(h)
    loss = (hs[-1] @ torch.randn(module.hidden_size, generator=g, dtype=torch.float64)).sum()
    norms = torch.stack([gr.norm(dim=-1).mean() for gr in torch.autograd.grad(loss, hs)])
    return (norms / norms[-1]).flip(0).numpy()


@pytest.mark.parametrize("sigma", [0.7, 1.3])
def test_rnn_start_profile(sigma):
    """Catches: the RNN's curve measured on another quantity (a Jacobian's spectral norm, as
    before), the singular values not set, or the profile read from the wrong end."""
    torch.manual_seed(0)
    rnn = nn.RNN(8, 8).double()
    with torch.no_grad():
        set_recurrent_singular_values_(rnn, sigma, generator=torch.Generator().manual_seed(0))
    expected = _stepwise(rnn, 12, 0)
    torch.testing.assert_close(rnn_start_reach(sigma, 12, hidden=8), expected)


@pytest.mark.parametrize("forget_bias", [0.0, 2.0])
def test_lstm_start_profile(forget_bias):
    """Catches: the LSTM's curve on the cell state instead of h (not the RNN's quantity),
    or the forget bias not set."""
    torch.manual_seed(0)
    lstm = nn.LSTM(8, 8).double()
    with torch.no_grad():
        set_forget_bias_(lstm, forget_bias)
    expected = _stepwise(lstm, 12, 0)
    torch.testing.assert_close(lstm_start_reach(forget_bias, 12, hidden=8), expected)
