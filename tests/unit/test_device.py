"""Device choice: the environment override, and what a chapter prints."""

import pytest
import torch

from rnngrad import describe, pick_device
from rnngrad.core.device import one_thread


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


@pytest.fixture
def three_threads():
    """Run the test at three intra-op threads (neither 1 nor a likely default), then put back
    the count the session had."""
    before = torch.get_num_threads()
    torch.set_num_threads(3)
    yield 3
    torch.set_num_threads(before)


def test_one_thread_restores_the_exact_thread_count(three_threads):
    """Catches: a ``one_thread`` that never restores the count (the process stays at one
    thread), or restores a default (``set_threads()``, ``os.cpu_count()``) instead of the
    count it found."""
    with one_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == three_threads


def test_one_thread_restores_the_count_when_the_block_raises(three_threads):
    """Catches: the restore written after ``yield`` but outside ``finally``."""
    with pytest.raises(RuntimeError, match="inside"):
        with one_thread():
            raise RuntimeError("inside")
    assert torch.get_num_threads() == three_threads
