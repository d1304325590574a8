"""ASCC eq. (7) fit: recovery of known parameters, DistortionModel, fit-scurves on a sweep."""

import csv
import json

import numpy as np
import pytest

from scripts.cmd_fit_scurves import plot_fig2
from semcodec.distortion_model import DistortionModel, fit_scurve, fit_scurves, scurve
from semcodec.sweep import CLEAN_COLUMNS, RESULT_COLUMNS

TRUE = {"q1": (-2.2, 1.5, 2.5, -4.0), "q2": (-2.8, 2.0, 1.8, -5.0), "q3": (-3.3, 2.4, 2.2, -5.8)}
X = np.linspace(-8, -1, 15)


def test_noiseless_fit_recovers_the_parameters():
    for p in TRUE.values():
        f = fit_scurve(X, scurve(X, *p))
        assert np.allclose(f.params, p, atol=1e-4), (f.params, p)
        assert f.r2 > 0.999999 and f.rmse < 1e-5 and f.n_points == 15


def test_noisy_fit_recovers_the_parameters_within_noise():
    rng = np.random.default_rng(0)
    errs = []
    for _ in range(20):
        y = scurve(X, *TRUE["q2"]) + rng.normal(0, 0.02, X.size)
        errs.append(np.subtract(fit_scurve(X, y).params, TRUE["q2"]))
    errs = np.abs(np.mean(errs, axis=0))
    assert np.all(errs < [0.02, 0.03, 0.15, 0.05])


def test_falling_ms_ssim_curve_is_fitted_with_negative_rise():
    p = (0.95, -0.8, 2.0, -4.5)
    f = fit_scurve(X, scurve(X, *p), rising=False)
    assert np.allclose(f.params, p, atol=1e-4) and f.d_c < 0


def test_fit_refuses_too_few_points():
    with pytest.raises(ValueError, match="n_points"):
        fit_scurve(X[:3], X[:3])


def _fake_sweep(path, rng):
    """A sweep folder whose per-point mean MSE follows TRUE (lognormal image spread)."""
    path.mkdir()
    bers = [float(b) for b in 10 ** X]
    images = [f"im{i}.png" for i in range(4)]
    with open(path / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(RESULT_COLUMNS)
        for k, (name, p) in enumerate(TRUE.items()):
            for b in bers:
                mean = 10 ** scurve(np.log10(b), *p)
                vals = mean * np.exp(rng.normal(0, 0.01, 8))
                vals *= mean / vals.mean()  # exact mean per point
                for j, v in enumerate(vals):
                    ms = float(scurve(np.log10(b), 0.97 - 0.02 * k, -0.8, 2.0, p[3]))
                    w.writerow([name, 0.01 * (k + 1), 1000 * (k + 1), 0.1 * (k + 1), repr(b),
                                images[j % 4], j // 4, 1000 * (k + 1), 0, repr(float(v)),
                                10 * np.log10(1 / v), ms, 0, 0, 1.0])
    with open(path / "clean.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CLEAN_COLUMNS)
        for k, (name, p) in enumerate(TRUE.items()):
            for im in images:
                w.writerow([name, 0.01 * (k + 1), im, 1000 * (k + 1), 0.1 * (k + 1),
                            10 ** p[0], -10 * p[0], 0.97 - 0.02 * k])
    (path / "sweep.json").write_text(json.dumps({"image_names": images, "trials": 2,
                                                 "bers": bers, "seed": 0}))


def test_fit_scurves_on_a_sweep_and_distortion_model(tmp_path):
    _fake_sweep(tmp_path / "sweep", np.random.default_rng(1))
    paths = fit_scurves(tmp_path / "sweep", tmp_path / "fit")
    assert set(paths) == {"fits", "points"}  # the library draws nothing
    assert plot_fig2(tmp_path / "fit").stat().st_size > 10_000  # issc fit-scurves' figure
    doc = json.loads(paths["fits"].read_text())
    assert [m["model"] for m in doc["models"]] == ["q1", "q2", "q3"]
    for m in doc["models"]:
        f = m["mse_fit"]
        assert np.allclose([f["Ds"], f["Dc"], f["E1"], f["E2"]], TRUE[m["model"]], atol=1e-3)
        assert f["r2_log10"] > 0.9999 and f["n_points"] == 15
        assert m["ms_ssim_fit"]["r2"] > 0.9999
    assert doc["sweep"]["n_images"] == 4 and doc["sweep"]["decodes_per_point"] == [8]

    dm = DistortionModel.from_json(paths["fits"])
    assert dm.names == ["q1", "q2", "q3"] and np.all(np.diff(dm.rs_bits) > 0)
    ber = np.array([1e-9, 1e-5, 1e-3])
    for g, p in enumerate(TRUE.values()):
        assert np.allclose(dm.log10_mse(g, ber), scurve(np.log10(ber), *p), atol=1e-3)
    grid = dm.mse(np.arange(3)[:, None], ber[None, :])  # vectorised over models and rates
    assert grid.shape == (3, 3) and np.allclose(grid[1], dm.mse("q2", ber))
    assert np.allclose(dm.mse(0, 0.0), 10 ** dm.params(0)[0])  # rho_b = 0: the plateau
    ms = dm.ms_ssim(np.arange(3), 1e-9)
    assert ms.shape == (3,) and np.all((ms > 0.9) & (ms <= 1))
    assert np.all(np.diff(dm.mse(1, 10 ** X)) > 0)  # D_o rises with rho_b
    with pytest.raises(ValueError, match="ber"):
        dm.mse(0, 0.7)
    with pytest.raises(KeyError, match="q9"):
        dm.mse("q9", 1e-3)
    with pytest.raises(ValueError, match="model"):
        dm.mse(3, 1e-3)


def test_missing_sweep_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere"):
        fit_scurves(tmp_path / "nothere", tmp_path / "fit")


def test_conditional_sweep_is_weighted_by_the_flip_probability(tmp_path):
    from semcodec.distortion_model import aggregate_sweep

    d = tmp_path / "sw"
    d.mkdir()
    (d / "sweep.json").write_text(json.dumps({"image_names": ["a", "b"], "trials": 2,
                                              "bers": [1e-6], "seed": 0,
                                              "sampling": "conditional"}))
    with open(d / "clean.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CLEAN_COLUMNS)
        w.writerow(["q1", 0.01, "a", 1000, 0.1, 0.01, 20, 0.9])
        w.writerow(["q1", 0.01, "b", 2000, 0.2, 0.02, 17, 0.8])
    rows = [("a", 0, 0.2, 0.1, 0.001), ("a", 1, 0.4, 0.3, 0.001),
            ("b", 0, 0.3, 0.2, 0.002), ("b", 1, 0.3, 0.2, 0.002)]
    with open(d / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(RESULT_COLUMNS)
        for im, t, mse, ms, p in rows:
            w.writerow(["q1", 0.01, 1500, 0.1, 1e-6, im, t, 1000, 1, mse, 0, ms, 0, 0, p])
    points, info, _ = aggregate_sweep(d)
    want_a = 0.999 * 0.01 + 0.001 * 0.3
    want_b = 0.998 * 0.02 + 0.002 * 0.3
    assert len(points) == 1 and points[0]["n"] == 4
    assert np.isclose(points[0]["mse"], (want_a + want_b) / 2)
    ms_a, ms_b = 0.999 * 0.9 + 0.001 * 0.2, 0.998 * 0.8 + 0.002 * 0.2
    assert np.isclose(points[0]["ms_ssim"], (ms_a + ms_b) / 2)
    assert np.isclose(info["q1"]["clean_mse"], 0.015)
