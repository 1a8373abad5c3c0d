"""The source-code corpus: real text shipped with the interpreter, split by file, with the
bracket spans chapter 9 measures. Each test names the wrong implementation it catches."""

import math

import torch

from rnngrad.core.corpus import (
    ALPHABET,
    OTHER,
    SourceCode,
    _corpus,
    closing_brackets,
    decode,
    encode,
)


def _folder(tmp_path, texts):
    for i, text in enumerate(texts):
        (tmp_path / f"m{i:02d}.py").write_text(text)
    _corpus.cache_clear()
    return str(tmp_path)


def test_encoding_keeps_source_and_marks_the_rest():
    """Catches an alphabet off by one (newline or '~' lost) or a foreign character mapped
    onto a real one (it must be OTHER, not '?')."""
    text = "def f(x):\n    return x[0] + {'a': 1}  # ~\n"
    assert decode(encode(text)) == text
    assert encode("é\t")[0] == OTHER == encode("\t")[0] != encode("?")[0]
    assert len(ALPHABET) == OTHER == 96


def test_held_out_files_are_never_trained_on(tmp_path):
    """Catches a held-out set drawn from the training stream (the windows a run is measured
    on must come from files it never saw): file 0 (every tenth) is held out."""
    texts = ["HELD" * 200] + [f"train{i} " * 100 for i in range(1, 10)]
    task = SourceCode(T=20, root=_folder(tmp_path, texts))
    x, _ = task.held_out(64, torch.Generator().manual_seed(0))
    held = {decode(row.argmax(-1)) for row in x}
    assert all(set(w) <= set("HELD\n") for w in held)
    x, _ = task.sample(64, torch.Generator().manual_seed(0))
    assert not any("HELD" in decode(row.argmax(-1)) for row in x)


def test_targets_are_the_next_characters_and_baseline_is_unigram(tmp_path):
    """Catches targets aligned with the inputs instead of one ahead, and a baseline that is
    not the training frequencies' cross-entropy on the held-out text."""
    texts = ["ab" * 300] + ["aab" * 200 for _ in range(9)]
    task = SourceCode(T=10, root=_folder(tmp_path, texts))
    x, y = task.sample(8, torch.Generator().manual_seed(1))
    assert torch.equal(x.argmax(-1)[:, 1:], y[:, :-1])
    train = "\n".join("aab" * 200 for _ in range(9))
    held = "ab" * 300
    counts = {c: train.count(c) + 1 for c in ALPHABET}
    counts["\N{REPLACEMENT CHARACTER}"] = 1
    total = sum(counts.values())
    expected = -sum(math.log(counts[c] / total) for c in held) / len(held)
    assert math.isclose(task.baseline, expected, rel_tol=1e-9)


def test_the_corpus_is_named_by_its_text(tmp_path):
    """Catches a corpus id that ignores the text (a record made on another interpreter's
    library would look current) and a spec hash blind to it."""
    from rnngrad.experiments.store import describe_spec
    from rnngrad.training.spec import RunSpec

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = SourceCode(T=10, root=_folder(tmp_path / "a", ["x = (1)\n" * 50] * 10))
    two = SourceCode(T=10, root=_folder(tmp_path / "b", ["y = [2]\n" * 50] * 10))
    assert one.corpus_id != two.corpus_id
    spec = RunSpec(cell="lstm", task=one, steps=1, seed=0, setting=10)
    assert describe_spec(spec)["task"]["corpus_id"] == one.corpus_id


def test_closing_brackets_measure_the_span_back_to_their_opener():
    """Catches a matcher that pairs a closer with the outermost opener, counts distance from
    the window's start, or pairs mismatched kinds."""
    text = "f(a[1], (b))x]("
    rows, pos, dist = closing_brackets(encode(text)[None])
    pairs = sorted(zip(pos.tolist(), dist.tolist(), strict=True))
    # ']' at 5 closes '[' at 3; ')' at 10 closes '(' at 8; ')' at 11 closes '(' at 1
    assert pairs == [(5, 2), (10, 2), (11, 10)]
    assert rows.tolist() == [0, 0, 0]
    rows, pos, dist = closing_brackets(encode("(]")[None])
    assert len(pos) == 0


def test_loss_by_span_averages_the_closers_own_loss():
    """Catches a loss read at the opener's position (or the step before the closer) instead of
    the closer's, and bins that drop their upper edge."""
    import torch.nn.functional as F
    from torch import nn

    from rnngrad.measure.spans import loss_by_span

    text = "f(a[1], (b))x]("
    codes = encode(text)
    x = F.one_hot(codes, OTHER + 1).float()[None]
    y = codes[None]
    logits = torch.randn(1, len(text), OTHER + 1, generator=torch.Generator().manual_seed(0))

    class Fixed(nn.Module):
        def forward(self, _):
            return logits

    nats = F.cross_entropy(logits[0], y[0], reduction="none")
    bins = loss_by_span(Fixed(), x, y, edges=[1, 3, 11])
    assert bins[0][:3] == (1, 2, 2) and math.isclose(
        bins[0][3], float(nats[[5, 10]].mean()), rel_tol=1e-6
    )
    assert bins[1][:3] == (3, 10, 1) and math.isclose(bins[1][3], float(nats[11]), rel_tol=1e-6)


def test_depth_and_the_unit_that_tracks_it():
    """Catches a depth that goes negative at a window starting inside brackets, or that counts
    a closer before the opener it closes; and a correlation that is not scale-free."""
    from torch import nn

    from rnngrad.measure.spans import depth, depth_units

    assert depth(encode("a)(b[c]))")[None]).tolist() == [[0, 0, 1, 1, 2, 2, 1, 0, 0]]
    codes = encode("(a(b)c)d((e))")[None]
    tracked = depth(codes).double()

    class Tracker(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = lambda x: (
                torch.stack([3 * tracked, -tracked, torch.ones_like(tracked)], -1),
                None,
            )

    corr = depth_units(Tracker(), _one_hot(codes))
    assert torch.allclose(corr, torch.tensor([1.0, -1.0, 0.0], dtype=corr.dtype), atol=1e-9)


def _one_hot(codes):
    import torch.nn.functional as F

    return F.one_hot(codes, OTHER + 1).float()


def test_last_step_reach_is_the_gradient_of_the_last_loss_only():
    """Catches a reach taken from the mean loss over every step (each input then gets its own
    step's gradient, and nothing decays), or normalised by the first input instead of the last."""
    import torch.nn.functional as F
    from torch import nn

    from rnngrad.measure.spans import last_step_reach

    class Decay(nn.Module):  # output at t: sum over s <= t of 0.5^(t - s) x_s, on every logit
        def forward(self, x):
            weights = torch.tensor([0.5 ** (x.shape[1] - 1 - s) for s in range(x.shape[1])])
            cum = torch.cumsum(x * weights[None, :, None], dim=1) / weights[None, :, None]
            return cum[..., :1].expand(*x.shape[:2], 3) * torch.tensor([1.0, -1.0, 0.0])

    codes = torch.tensor([[0, 1, 2, 1, 0]])
    x = F.one_hot(codes, 3).float()
    reach = last_step_reach(Decay(), x, codes)
    assert reach[-1] == 1 and torch.allclose(
        reach, torch.tensor([0.5**4, 0.5**3, 0.25, 0.5, 1.0], dtype=reach.dtype)
    )
