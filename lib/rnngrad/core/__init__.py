"""Layer 1, the floor: what every experiment stands on and nothing of the book's own.

* ``device``   device choice (cuda > mps > cpu), seeds, threads, progress bars
* ``tasks``    adding, copy, agreement, echo, word-sense, tone and seasonal tasks, with baselines
* ``recall``   selective copying, associative recall and MQAR, with their chance baselines
* ``automata`` parity and a toggle-reset automaton, trained short and tested long
* ``growing``  the growing-sequence task
* ``teacher``  the curse of memory's teacher task and its AR(1) inputs
* ``scan``     the parallel scan of a linear recurrence, and the loop it must equal

May import: torch, numpy and the standard library only (no other layer of ``rnngrad``).
"""

from . import automata, device, growing, recall, scan, tasks, teacher

__all__ = ["automata", "device", "growing", "recall", "scan", "tasks", "teacher"]
