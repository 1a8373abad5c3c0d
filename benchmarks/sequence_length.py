"""Why the bigger sweeps (``RNNGRAD_FULL=1``) are meant for a GPU: the cost of one training
step against the sequence length, for each cell, on the CPU and (when present) the GPU.

Prints milliseconds per step (forward, backward, Adam; 32 units, 64 sequences) and, from the
same run, how the cost grows from the shortest to the longest sequence, and the GPU's
speed-up over the CPU at each length.
"""

from __future__ import annotations

import torch
from common import best_seconds

import rnngrad

LENGTHS = (25, 100, 400)


def step_seconds(cell: str, T: int, device: torch.device) -> float:
    task = rnngrad.AddingProblem(T)
    torch.manual_seed(0)
    model = rnngrad.make_model(cell, task, hidden_size=32).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = (t.to(device) for t in task.sample(64, torch.Generator().manual_seed(0)))

    def step() -> None:
        loss = task.loss(model(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return best_seconds(step, repeats=3, number=5, device=device)


def main() -> None:
    rnngrad.set_threads()
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    times = {
        (d.type, cell, T): step_seconds(cell, T, d)
        for d in devices
        for cell in rnngrad.cells.CELL_TYPES
        for T in LENGTHS
    }
    for d in devices:
        print(f"{rnngrad.describe(d)}: ms per training step")
        for cell in rnngrad.cells.CELL_TYPES:
            row = "  ".join(f"T={T}: {times[d.type, cell, T] * 1e3:7.2f}" for T in LENGTHS)
            growth = times[d.type, cell, LENGTHS[-1]] / times[d.type, cell, LENGTHS[0]]
            print(f"  {cell:4}  {row}   T={LENGTHS[-1]} / T={LENGTHS[0]}: {growth:.1f}x")
    if len(devices) > 1:
        print("GPU speed-up over the CPU")
        for cell in rnngrad.cells.CELL_TYPES:
            row = "  ".join(
                f"T={T}: {times['cpu', cell, T] / times['cuda', cell, T]:5.1f}x" for T in LENGTHS
            )
            print(f"  {cell:4}  {row}")


if __name__ == "__main__":
    main()
