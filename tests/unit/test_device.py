"""Device choice: the environment override, and what a chapter prints."""

import torch

from rnngrad import describe, pick_device


def test_environment_override_and_argument(monkeypatch):
    """RNNGRAD_DEVICE forces the device; an explicit argument wins over it. Catches: an
    override read once at import, or ignored when CUDA is present."""
    monkeypatch.setenv("RNNGRAD_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # as on a GPU machine
    assert pick_device() == torch.device("cpu")
    monkeypatch.setenv("RNNGRAD_DEVICE", "meta")
    assert pick_device() == torch.device("meta")
    assert pick_device("cpu") == torch.device("cpu")


def test_default_order_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("RNNGRAD_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert pick_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    mps = getattr(torch.backends, "mps", None)
    if mps is not None:
        monkeypatch.setattr(mps, "is_available", lambda: True)
        assert pick_device() == torch.device("mps")
        monkeypatch.setattr(mps, "is_available", lambda: False)
    assert pick_device() == torch.device("cpu")


def test_describe_names_the_threads_on_cpu():
    assert describe(torch.device("cpu")) == f"cpu ({torch.get_num_threads()} threads)"
