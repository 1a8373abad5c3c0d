"""Each explorer's frame: a measurement from ``rnngrad.measure`` drawn by its figure in
``rnngrad.figures``. A frame function takes the slider values (its parameter names are the
sliders') and returns a matplotlib Figure."""

from __future__ import annotations
