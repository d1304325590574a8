"""The nf-crb and nf-fresnel verbs and the studies behind them."""

import csv
import json

import numpy as np
import pytest

from linksim.nearfield import NFScenario
from linksim.nearfield.studies import binding_design, crb_limit_sweep, fresnel_error_sweep
from scripts.cli import main


def test_binding_design_meets_the_crb_limit_exactly():
    scn = NFScenario()
    W, R = binding_design(scn, 0.7)
    assert scn.crb(W @ W.conj().T + R) == pytest.approx(0.7, rel=1e-10)


def test_crb_sweep_rows_and_refusal():
    rows = list(crb_limit_sweep(NFScenario(), [0.4, 0.8], 40, np.random.default_rng(0)))
    assert [r["xi"] for r in rows] == [0.4, 0.8]
    assert all(r["crb_design"] == pytest.approx(r["xi"]) for r in rows)
    rows = list(crb_limit_sweep(NFScenario(), [0.5], 20, np.random.default_rng(0), frames=300))
    assert rows[0]["crb_design"] == pytest.approx(0.5) and rows[0]["frames"] == 300
    with pytest.raises(ValueError, match="xi=-1"):
        list(crb_limit_sweep(NFScenario(), [-1.0], 10, np.random.default_rng(0)))


def test_fresnel_sweep_errors_shrink_with_distance():
    rows = list(fresnel_error_sweep(NFScenario(), [5.0, 50.0, 500.0], n_angles=5))
    for model in ("fresnel", "fresnel_full", "planar"):
        errs = [r["max_phase_error_rad"] for r in rows if r["model"] == model]
        assert errs[0] > errs[1] > errs[2]


def test_verbs_write_csv_png_meta(tmp_path):
    assert main(["nf-crb", "--xi", "0.5", "--trials", "30", "--seed", "3",
                 "--out", str(tmp_path / "crb")]) == 0
    assert main(["nf-fresnel", "--points", "5", "--out", str(tmp_path / "fr")]) == 0
    for sub, png in (("crb", "nf_crb.png"), ("fr", "nf_fresnel.png")):
        folder = tmp_path / sub
        assert (folder / png).stat().st_size > 0
        assert json.loads((folder / "meta.json").read_text())["status"] == "ok"
        assert len(list(csv.DictReader((folder / "results.csv").open()))) > 0


def test_verbs_refuse_bad_input_in_one_line(tmp_path, capsys):
    assert main(["nf-crb", "--trials", "0", "--xi", "0.5", "--out", str(tmp_path / "a")]) == 2
    assert main(["nf-crb", "--frames", "5", "--xi", "0.5", "--out", str(tmp_path / "b")]) == 2
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("issc ")]
    assert len(err) == 2 and "trials=0" in err[0] and "frames=5" in err[1]
