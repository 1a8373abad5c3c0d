"""Layer 6 (beside ``figures``, independent of it): the book's training studies, declared once, run outside the build, archived.

* ``studies``  each study's arms (cell and start), settings, seeds, budgets, and the stated
               rule that picks each arm's learning rate from a pilot on separate seeds
* ``store``    the results archive: one record per run in ``results/<study>.csv``
* ``archive``  run what is missing (resumable), status and staleness, the CI reproduction,
               provenance lines
* ``power``    the verdict rule's power at a study's seed count, simulated
* ``specimens`` a few archived runs kept whole (weights and history) for a chapter to probe
* ``summary``  what a chapter shows: tables, comparisons with effect, interval and power,
               curves, the budget rule's check

``make experiments`` runs the studies (``scripts/experiments.py``); the chapters read the
records and compute their tables, figures and verdicts from them.

May import: ``rnngrad.core``, ``rnngrad.cells``, ``rnngrad.models``, ``rnngrad.measure``,
``rnngrad.training``.
"""

from . import archive, power, specimens, store, studies, summary
from .archive import TOLERANCE, provenance, reproduce, run_study, specs, status, study_named
from .power import detectable
from .power import power as verdict_power
from .store import read, results_dir, spec_hash
from .studies import LR_RULE, STUDIES, Arm, Study, choose_lrs

__all__ = [
    "LR_RULE",
    "STUDIES",
    "TOLERANCE",
    "Arm",
    "Study",
    "archive",
    "choose_lrs",
    "detectable",
    "power",
    "provenance",
    "read",
    "reproduce",
    "run_study",
    "results_dir",
    "spec_hash",
    "specimens",
    "specs",
    "status",
    "store",
    "studies",
    "summary",
    "study_named",
    "verdict_power",
]
