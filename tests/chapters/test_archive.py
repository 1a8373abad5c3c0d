"""The results archive can be trusted: every stored study is current (no record under a spec
the study no longer declares) and a fixed sample of its runs (one of the pilot's that chose
the learning rates, and the study's list of main runs), re-run here on the CPU for its
full length, gives the stored result back (``rnngrad.experiments.TOLERANCE``).

Catches: a study edited after its runs were stored (stale numbers on the page), and a record
changed by hand or produced by other code than the library's (the reproduction differs).
Both were planted once (tests/unit/test_experiments.py keeps them as unit tests)."""

import pytest

from rnngrad import experiments

STORED = [
    name
    for name, study in experiments.STUDIES.items()
    if not experiments.read(name).empty or not experiments.read(study.pilot_name).empty
]


def test_the_archive_holds_at_least_one_study():
    assert STORED, "results/ holds no study: run `make experiments`"


@pytest.mark.parametrize("name", STORED)
def test_no_stored_run_is_stale(name):
    for status in experiments.status(experiments.STUDIES[name]):
        assert status.stale == 0, (
            f"{name} {status.part}: {status.stale} stored runs no longer match the study's "
            "specs; run `make experiments` again (the stale records must be removed first)"
        )


@pytest.mark.parametrize("name", STORED)
def test_a_sample_of_every_study_reproduces(name):
    study = experiments.STUDIES[name]
    for r in experiments.reproduce(study):  # a pilot run, and the main runs' sample once stored
        assert r.agrees, (
            f"{name}, {r.label}: stored {r.stored['final_metric']} after {r.stored['steps_run']}"
            f" steps, re-run {r.again['final_metric']} after {r.again['steps_run']} "
            f"({'exact' if r.exact else 'tolerance'} check)"
        )
