"""ASCC eq. (7) fit with the plateau anchored to the measured clean point (issue 30, part 1).

Synthetic sweeps with a known answer: points drawn from a known S-curve with a known clean
plateau (the fit must recover it), and a crafted ladder whose points follow the physical
flip law ``clean - d (1 - (1 - rho_b)^R)`` (not a logistic): there a free plateau drifts
away from the clean value and inverts the ladder, the anchored fit keeps the measured order.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from semcodec.distortion_model import (
    DistortionModel,
    aggregate_sweep,
    fit_scurve,
    fit_scurves,
    scurve,
)
from semcodec.sweep import CLEAN_COLUMNS, RESULT_COLUMNS

REPO = Path(__file__).resolve().parent.parent
X = np.linspace(-9, -1, 16)
IMAGES = ("a.png", "b.png")


def write_sweep(path: Path, models: dict, x: np.ndarray = X, skip_clean: str = "") -> Path:
    """A ber-sweep folder: ``models[name] = (rs_bits, clean_mse, clean_ms, mse(x), ms(x))``;
    both images get the same values, so each point's mean is the given function exactly."""
    path.mkdir()
    bers = [float(b) for b in 10 ** x]
    with open(path / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(RESULT_COLUMNS)
        for k, (name, (rs, _, _, mse, ms)) in enumerate(models.items()):
            for b, xb in zip(bers, x):
                for im in IMAGES:
                    v = float(mse(xb))
                    w.writerow([name, 0.01 * (k + 1), rs, 0.1 * (k + 1), repr(b), im, 0, rs, 0,
                                repr(v), 10 * np.log10(1 / v), repr(float(ms(xb))), 0, 0, 1.0])
    with open(path / "clean.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CLEAN_COLUMNS)
        for k, (name, (rs, c_mse, c_ms, _, _)) in enumerate(models.items()):
            if name == skip_clean:
                continue
            for im in IMAGES:
                w.writerow([name, 0.01 * (k + 1), im, rs, 0.1 * (k + 1), repr(c_mse),
                            10 * np.log10(1 / c_mse), repr(c_ms)])
    (path / "sweep.json").write_text(json.dumps({"image_names": list(IMAGES), "trials": 1,
                                                 "bers": bers, "seed": 0}))
    return path


KNOWN = {  # name: (rs_bits, (Ds, Dc, E1, E2) of log10 MSE, (S, C, E1, E2) of MS-SSIM)
    "q1": (1000, (-2.6, 1.9, 1.7, -4.7), (0.927, -0.8, 2.0, -4.5)),
    "q2": (2000, (-3.0, 2.2, 2.1, -5.3), (0.955, -0.85, 1.8, -5.0)),
}


def test_anchored_fit_recovers_a_known_curve_and_its_plateau(tmp_path):
    models = {n: (rs, 10 ** pm[0], ps[0], lambda x, p=pm: 10 ** scurve(x, *p),
                  lambda x, p=ps: scurve(x, *p)) for n, (rs, pm, ps) in KNOWN.items()}
    paths = fit_scurves(write_sweep(tmp_path / "sw", models), tmp_path / "fit")
    doc = json.loads(paths["fits"].read_text())
    for m in doc["models"]:
        _, pm, ps = KNOWN[m["model"]]
        f, g = m["mse_fit"], m["ms_ssim_fit"]
        assert f["Ds"] == pytest.approx(np.log10(m["clean_mse"]), abs=1e-12)
        assert np.allclose([f["Ds"], f["Dc"], f["E1"], f["E2"]], pm, atol=1e-4)
        assert np.allclose([g["S"], g["C"], g["E1"], g["E2"]], ps, atol=1e-4)
        assert abs(f["plateau_error"]) < 1e-15 and abs(g["plateau_error"]) < 1e-15
        assert f["r2_log10"] > 0.999999 and g["r2"] > 0.999999
        # the free fit on exact logistic data finds the same plateau: the anchor costs nothing
        assert abs(g["free_plateau_error"]) < 1e-4 and abs(f["free_plateau_error_rel"]) < 1e-3
    assert doc["clean_order"]["kept"] is True


def flip_law_ladder() -> dict:
    """Two codecs whose mean quality follows the flip law (any flip ruins an image): q6 is
    better clean but, at 1e7 body bits, breaks near the low end of the rho_b grid."""
    def ladder(rs, c_ms, c_mse):
        def p_any(x):  # probability that an image of rs bits takes a flip
            return 1 - np.exp(-rs * 10.0 ** x)
        return (rs, c_mse, c_ms, lambda x: c_mse + (0.08 - c_mse) * p_any(x),
                lambda x: c_ms - 0.6 * p_any(x))
    return {"q5": ladder(1e4, 0.982, 7.2e-4), "q6": ladder(1e7, 0.988, 4.7e-4)}


def test_anchor_keeps_the_measured_order_where_a_free_plateau_inverts_it(tmp_path):
    models = flip_law_ladder()
    paths = fit_scurves(write_sweep(tmp_path / "sw", models), tmp_path / "fit")
    doc = json.loads(paths["fits"].read_text())
    by = {m["model"]: m for m in doc["models"]}
    # the crafted case really breaks a free fit: plateau below clean, and q5 above q6
    free = {n: by[n]["ms_ssim_fit"]["free_plateau"] for n in by}
    assert free["q5"] > free["q6"], free
    assert abs(by["q6"]["mse_fit"]["free_plateau_error_rel"]) > 0.1  # free MSE plateau off
    assert doc["clean_order"]["free_kept"] is False
    # anchored: measured clean values exactly, the measured order, MS-SSIM in [0, clean]
    assert doc["clean_order"]["kept"] is True
    assert doc["clean_order"]["ms_ssim"]["fitted"] == ["q6", "q5"]
    dm = DistortionModel.from_json(paths["fits"])
    xs = np.linspace(-14, np.log10(0.5), 400)
    for g, name in enumerate(dm.names):
        _, c_mse, c_ms, _, _ = models[name]
        assert by[name]["ms_ssim_fit"]["S"] == c_ms
        p = dm._ms[g]
        ms = scurve(xs, *p)  # unclipped fitted MS-SSIM
        assert np.all(ms <= c_ms + 1e-15) and np.all(ms >= -1e-12) and p[0] + p[1] >= -1e-12
        assert np.all(dm.mse(g, 10.0 ** xs) >= c_mse * (1 - 1e-12))
        assert dm.mse(g, 0.0) == pytest.approx(c_mse, rel=1e-12)
    assert dm.ms_ssim(1, 1e-12) > dm.ms_ssim(0, 1e-12)  # q6 above q5 where both are clean


def test_ms_ssim_saturation_is_kept_at_or_above_zero():
    # a falling curve whose noisy tail dips below 0: a free fit saturates below 0
    rng = np.random.default_rng(3)
    y = scurve(X, 0.3, -0.3, 6.0, -3.0) + rng.normal(0, 0.01, X.size) - 0.02 * (X > -3)
    free = fit_scurve(X, y, rising=False)
    assert free.d_s + free.d_c < 0
    f = fit_scurve(X, y, rising=False, plateau=0.3, floor=0.0)
    assert f.d_s == 0.3 and f.d_s + f.d_c >= -1e-12 and f.d_c <= 0


def test_missing_clean_point_is_refused_naming_the_model(tmp_path):
    sweep = write_sweep(tmp_path / "sw", flip_law_ladder(), skip_clean="q6")
    with pytest.raises(ValueError, match="model 'q6' has no clean decode"):
        aggregate_sweep(sweep)
    out = tmp_path / "fit"
    r = subprocess.run([sys.executable, "-m", "scripts.cli", "fit-scurves", "--sweep",
                        str(sweep), "--out", str(out)], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "'q6'" in lines[0] and "clean.csv" in lines[0], r.stderr
    assert not out.exists() or not any(out.iterdir())


def test_fit_scurves_cli_prints_the_plateau_errors(tmp_path):
    models = {n: (rs, 10 ** pm[0], ps[0], lambda x, p=pm: 10 ** scurve(x, *p),
                  lambda x, p=ps: scurve(x, *p)) for n, (rs, pm, ps) in KNOWN.items()}
    sweep = write_sweep(tmp_path / "sw", models)
    r = subprocess.run([sys.executable, "-m", "scripts.cli", "fit-scurves", "--sweep",
                        str(sweep), "--out", str(tmp_path / "fit")], capture_output=True,
                       text=True, cwd=REPO)
    assert r.returncode == 0, r.stderr
    assert "plat.err" in r.stdout and "clean-quality order kept" in r.stdout
    meta = json.loads((tmp_path / "fit" / "meta.json").read_text())
    assert abs(meta["fits"]["q1"]["plateau_error_mse"]) < 1e-15
