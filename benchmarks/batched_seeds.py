"""Several seeds of a study in one process as one batched computation, against one process
per run (what ``make experiments`` does: a worker per core, one thread each).

K = 8 LSTMs (hidden 32, batch 64, the adding problem at T = 100, Adam) train for STEPS
steps either as K separate runs of ``nn.LSTM`` on one thread each, two at a time (this
machine's 2 cores), or as one model whose weights carry a leading seed dimension (a
hand-written LSTM step with ``torch.bmm``, every seed's batch in one call), on 2 threads.
Prints the wall time per step of all K seeds for each, and their ratio, measured in this
run. The faster one is what the studies should use; run it with nothing else on the CPU.
"""

from __future__ import annotations

import time

import torch
from joblib import Parallel, delayed

import rnngrad

T, BATCH, HIDDEN, K, STEPS = 100, 64, 32, 8, 60


def one_run(seed: int) -> float:
    """One seed's STEPS training steps of the fused module on one thread; seconds taken."""
    torch.set_num_threads(1)
    task = rnngrad.AddingProblem(T)
    model = rnngrad.make_model("lstm", task, HIDDEN, seed=seed)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(STEPS):
        x, y = task.sample(BATCH, g)
        loss = task.loss(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return time.perf_counter() - start


class BatchedLSTM(torch.nn.Module):
    """K independent LSTMs (and linear heads) as one module: every weight has a leading
    dimension K, and one step is a batched matrix product over the seeds."""

    def __init__(self, k: int, inputs: int, hidden: int) -> None:
        super().__init__()
        bound = hidden**-0.5
        self.w_ih = torch.nn.Parameter(torch.empty(k, inputs, 4 * hidden).uniform_(-bound, bound))
        self.w_hh = torch.nn.Parameter(torch.empty(k, hidden, 4 * hidden).uniform_(-bound, bound))
        self.b = torch.nn.Parameter(torch.empty(k, 1, 4 * hidden).uniform_(-bound, bound))
        self.head = torch.nn.Parameter(torch.empty(k, hidden, 1).uniform_(-bound, bound))
        self.hidden = hidden

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (K, batch, T, inputs)
        k, batch = x.shape[:2]
        h = x.new_zeros(k, batch, self.hidden)
        c = torch.zeros_like(h)
        xs = torch.matmul(x, self.w_ih.unsqueeze(1)) + self.b.unsqueeze(1)  # (K, batch, T, 4H)
        for t in range(x.shape[2]):
            gates = xs[:, :, t] + torch.bmm(h, self.w_hh)
            i, f, g, o = gates.chunk(4, dim=-1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        return torch.bmm(h, self.head).squeeze(-1)  # (K, batch)


def batched() -> float:
    """All K seeds' STEPS steps as one computation on 2 threads; seconds taken."""
    torch.set_num_threads(2)
    task = rnngrad.AddingProblem(T)
    torch.manual_seed(0)
    model = BatchedLSTM(K, task.input_size, HIDDEN)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gens = [torch.Generator().manual_seed(s) for s in range(K)]
    start = time.perf_counter()
    for _ in range(STEPS):
        xs, ys = zip(*(task.sample(BATCH, g) for g in gens), strict=True)
        loss = torch.nn.functional.mse_loss(
            model(torch.stack(xs)), torch.stack(ys), reduction="sum"
        )
        opt.zero_grad()
        loss.backward()  # the seeds' losses are independent: one backward gives each its own
        opt.step()
    return time.perf_counter() - start


def main() -> None:
    separate = batched_time = float("inf")
    for _ in range(3):  # interleaved rounds, best of each
        start = time.perf_counter()
        Parallel(n_jobs=2, backend="loky")(delayed(one_run)(s) for s in range(K))
        separate = min(separate, time.perf_counter() - start)
        batched_time = min(batched_time, batched())
    print(f"{K} seeds x {STEPS} steps, LSTM hidden {HIDDEN}, batch {BATCH}, T = {T}")
    print(
        f"one process per run (2 workers, 1 thread each): {1e3 * separate / STEPS:.1f} ms a step of all seeds"
    )
    print(
        f"one batched computation (2 threads):            {1e3 * batched_time / STEPS:.1f} ms a step of all seeds"
    )
    print(f"batched / separate: {batched_time / separate:.2f} (below 1: batching is faster)")


if __name__ == "__main__":
    main()
