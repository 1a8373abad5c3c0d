"""(3) The fused nn.LSTM/GRU/RNN (cuDNN on a GPU) against unrolling the same parameters through
rnngrad.cells: forward + backward, speed-up measured in one run (meant for a GPU; runs anywhere)."""

from __future__ import annotations

import torch
from common import best_seconds

import rnngrad
from rnngrad.cells import unroll

T, BATCH, HIDDEN = 100, 64, 128


def main() -> None:
    device = rnngrad.pick_device()
    rnngrad.set_threads()
    print(f"device: {rnngrad.describe(device)}")
    for kind, module in (("rnn", torch.nn.RNN), ("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU)):
        torch.manual_seed(0)
        rnn = module(HIDDEN, HIDDEN, batch_first=True).to(device)
        x = torch.randn(BATCH, T, HIDDEN, device=device)

        def fused(rnn=rnn, x=x) -> None:
            rnn(x)[0].sum().backward()

        def cells(rnn=rnn, x=x) -> None:
            unroll(rnn, x)[0].sum().backward()

        t_fused = best_seconds(fused, device=device, number=10)
        t_cells = best_seconds(cells, device=device, number=3)
        print(
            f"{kind}: fused {t_fused * 1e3:.2f} ms, cells {t_cells * 1e3:.2f} ms, "
            f"fused speed-up {t_cells / t_fused:.1f}x"
        )


if __name__ == "__main__":
    main()
