"""(1) One training step through rnngrad.train against the same step as a plain PyTorch loop
over nn.LSTM, and (2) a probe over T = 100 against one training step. Prints ratios measured
in this run. Targets: (1) at most 1.1, (2) at most 3."""

from __future__ import annotations

import torch
from common import best_seconds

import rnngrad

T, BATCH, HIDDEN, STEPS = 100, 64, 64, 100


def main() -> None:
    device = rnngrad.pick_device()
    rnngrad.set_threads()
    task = rnngrad.AddingProblem(T=T)

    # rnngrad: the library's loop (data, step, clipping, history), STEPS steps per call.
    def library() -> None:
        torch.manual_seed(0)
        model = rnngrad.make_model("lstm", task, HIDDEN)
        rnngrad.train(
            model,
            task,
            STEPS,
            batch_size=BATCH,
            clip=1.0,
            eval_every=10**9,
            eval_batch=BATCH,
            progress=False,
            device=device,
        )

    # The same work written by hand: nn.LSTM + nn.Linear, Adam, clipping.
    def plain() -> None:
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(2, HIDDEN, batch_first=True).to(device)
        head = torch.nn.Linear(HIDDEN, 1).to(device)
        params = [*lstm.parameters(), *head.parameters()]
        opt = torch.optim.Adam(params, lr=2e-3)
        g = torch.Generator().manual_seed(0)
        task.sample(BATCH, torch.Generator().manual_seed(1))  # the held-out batch train() makes
        for _ in range(STEPS):
            x, y = (t.to(device) for t in task.sample(BATCH, g))
            out, _ = lstm(x)
            loss = torch.nn.functional.mse_loss(head(out[:, -1]).squeeze(-1), y)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            loss.item()
            opt.step()

    # Interleaved rounds, best of each: both see the same machine state.
    t_lib, t_plain = float("inf"), float("inf")
    for _ in range(5):
        t_lib = min(t_lib, best_seconds(library, repeats=1, number=1, device=device) / STEPS)
        t_plain = min(t_plain, best_seconds(plain, repeats=1, number=1, device=device) / STEPS)
    print(f"device: {rnngrad.describe(device)}")
    print(
        f"training step, T={T}: rnngrad {t_lib * 1e3:.2f} ms, plain PyTorch {t_plain * 1e3:.2f} ms, "
        f"ratio {t_lib / t_plain:.3f} (target <= 1.1)"
    )

    torch.manual_seed(0)
    model = rnngrad.make_model("lstm", task, HIDDEN).to(device)
    x, y = (t.to(device) for t in task.sample(BATCH, torch.Generator().manual_seed(0)))
    t_probe = best_seconds(
        lambda: rnngrad.probe(model, task, x, y), repeats=5, number=5, device=device
    )
    print(
        f"probe over T={T}: {t_probe * 1e3:.2f} ms, ratio to one training step "
        f"{t_probe / t_plain:.2f} (target <= 3)"
    )


if __name__ == "__main__":
    main()
