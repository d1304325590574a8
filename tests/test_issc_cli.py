"""Smoke tests of the far-field verbs: outputs written, bad input -> one line, exit 2."""

import csv
import json

from scripts.cli import main


def test_hcrb_verb_writes_csv_png_meta(tmp_path):
    out = tmp_path / "h"
    assert main(["hcrb", "--points", "5", "--mc-pt-dbm", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "hcrb_vs_pt.csv")))
    assert len(rows) == 5
    tr = [float(r["tr_hcrb_m2"]) for r in rows]
    assert all(a > b for a, b in zip(tr, tr[1:]))
    assert all(float(r["tr_hcrb_m2"]) >= float(r["tr_crb_m2"]) for r in rows)
    assert (out / "hcrb_vs_pt.png").stat().st_size > 0
    assert json.loads((out / "meta.json").read_text())["status"] == "ok"


def test_phy_ber_verb_and_bad_rate(tmp_path, capsys):
    out = tmp_path / "p"
    assert main(["phy-ber", "--rc", "1.0", "--sinr-db", "6", "--max-blocks", "20",
                 "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert float(rows[0]["ber"]) == 0.0 and int(rows[0]["blocks"]) == 20
    assert (out / "phy_ber.png").exists()
    capsys.readouterr()  # drop the progress bar of the good run
    assert main(["phy-ber", "--rc", "1.95", "--out", str(tmp_path / "q")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "code_rate" in err[0]
