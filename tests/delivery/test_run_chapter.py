"""scripts/run_chapter.py runs a chapter's code cells as one script, in order."""

import json
import subprocess
import sys

from conftest import ROOT


def test_runs_code_cells_in_order(tmp_path):
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# A chapter"]},
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["x = 40\n"],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["print('answer', x + 2)"],
        },
    ]
    path = tmp_path / "chapter.ipynb"
    path.write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_chapter.py"), str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "answer 42" in result.stdout and "chapter.ipynb:" in result.stdout
