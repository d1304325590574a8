"""``issc figure djscc-vs-digital --quick``: files, measured rows, crossings, resume."""

from __future__ import annotations

import csv
import json
import math

import pytest
from djscc_tiny import build_tiny_ladder

from scripts.cli import main
from scripts.fig_djscc import crossings


def test_crossings_interpolate_sign_changes():
    assert crossings([0, 10], [0.2, 0.9], [0.5, 0.6]) == pytest.approx([5.0])
    assert crossings([0, 10, 20], [0.9, 0.9, 0.9], [0.5, 0.5, 0.5]) == []
    assert crossings([0, 5, 10], [0.1, 0.5, 0.9], [0.3, 0.5, 0.3]) == pytest.approx([5.0])


def test_quick_figure_writes_measured_table(tmp_path):
    lad = build_tiny_ladder(tmp_path / "djscc", steps=20)
    out = tmp_path / "fig"
    argv = ["figure", "djscc-vs-digital", "--quick", "--djscc", str(lad.parent), "--workers",
            "1", "--out", str(out)]
    assert main(argv) in (0, None)
    for f in ("djscc_vs_digital.png", "djscc_vs_digital.pdf", "djscc_vs_digital.csv",
              "crossings.json", "meta.json"):
        assert (out / f).stat().st_size > 0
    with open(out / "djscc_vs_digital.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * 3  # digital + two DJSCC models at 2 SINRs
    dig = {float(r["sinr_db"]): r for r in rows if r["family"] == "digital"}
    # the cliff: at -5 dB every LDPC codeword fails; at 20 dB none does
    assert float(dig[-5.0]["bler_meas"]) == 1.0 and float(dig[20.0]["bler_meas"]) == 0.0
    assert float(dig[20.0]["msssim_meas"]) > float(dig[-5.0]["msssim_meas"]) + 0.3
    assert all(math.isnan(float(r["bler_meas"])) for r in rows if r["family"] == "djscc")
    cross = json.loads((out / "crossings.json").read_text())["0.1"]
    assert len(cross["digital"]) == 2 and len(cross["djscc_best"]) == 2
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["figure"] == "djscc-vs-digital"
    # resumable: the rerun finds every trial done
    assert main(argv) in (0, None)
    counts = json.loads((out / "meta.json").read_text())["counts"]
    assert sum(c["resumed_rows"] for c in counts.values()) == 6
