"""The README's Python blocks run as they stand (the newcomer tasks: a photo through bit flips
and LDPC, an HCRB, one ASCC design, one NF design), each at most 6 lines."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)


def test_the_readme_has_the_four_tasks():
    assert len(BLOCKS) >= 4
    assert all(len(b.strip().splitlines()) <= 6 for b in BLOCKS), \
        [len(b.strip().splitlines()) for b in BLOCKS]


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_a_readme_block_runs_and_prints(code):
    # a fresh interpreter in the repository folder, as a reader would paste it
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=600, env={"PATH": "/usr/bin:/bin",
                                                      "OMP_NUM_THREADS": "1",
                                                      "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    printed = out.stdout.split()
    assert printed and "False" not in printed, out.stdout
