"""The shipped DJSCC ladder (data/djscc): checkpoints, fitted curves, the trends of the paper."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest

from semcodec.djscc import SHIPPED_CURVES, load_djscc, load_djscc_curves, measure_djscc, nearest_c
from semcodec.djscc.ladder import SHIPPED_DJSCC, shipped_checkpoints, validation_images

REPO = Path(__file__).resolve().parent.parent
TRAIN_SNRS = (0.0, 10.0)


@pytest.fixture(scope="module")
def curves():
    return {c.name: c for c in load_djscc_curves()}


def test_ladder_covers_the_ascc_figure_abrs_at_two_training_snrs(curves):
    with open(REPO / "data" / "scenarios" / "issc_ascc.toml", "rb") as fh:
        abrs = tomllib.load(fh)["ascc"]["abr"]
    ckpts = shipped_checkpoints()
    have = set()
    for ck in ckpts:
        model, meta = load_djscc(ck)
        lo, hi = meta["train_snr_db"]
        assert lo == hi and lo in TRAIN_SNRS
        assert ck.stem == f"c{model.c}_snr{lo:g}" and ck.stem in curves
        assert curves[ck.stem].checkpoint == ck.name
        assert 0 < meta["eval"]["ms_ssim"] <= 1 and meta["eval"]["n_images"] == 22
        have.add((model.c, lo))
    assert {(nearest_c(a), s) for a in abrs for s in TRAIN_SNRS} <= have
    assert len(curves) == len(ckpts)


def test_fitted_curves_reproduce_their_measured_points(curves):
    for cur in curves.values():
        x = np.array([p["snr_db"] for p in cur.points])
        y = np.array([p["ms_ssim"] for p in cur.points])
        assert x.min() <= -5 and x.max() >= 20 and x.size >= 10
        assert np.max(np.abs(cur.predict_msssim(x) - y)) < 0.01, cur.name
        assert cur.r2 > 0.99, cur.name


def test_a_fresh_measurement_with_other_noise_matches_the_curve():
    """Re-measure one shipped model at two SNRs with another noise seed (independent draws)."""
    cur = {c.name: c for c in load_djscc_curves()}["c5_snr10"]
    model, _ = load_djscc(SHIPPED_DJSCC / cur.checkpoint)
    rows = measure_djscc(model, validation_images(), [1.0, 16.0], trials=1, seed=777)
    for r in rows:
        assert abs(r["ms_ssim"] - float(cur.predict_msssim(r["snr_db"]))) < 0.01, r


def test_graceful_degradation_and_the_trends_of_the_paper(curves):
    """Bourtsoulatze et al. 2019, Figs. 4-5: quality rises with SNR (no cliff), more
    bandwidth helps, and the model trained at the higher SNR wins at high SNR and
    loses at low SNR."""
    cs = sorted({c.c for c in curves.values()})
    for cur in curves.values():
        y = np.array([p["ms_ssim"] for p in cur.points])
        assert np.all(np.diff(y) > -0.002), cur.name  # non-decreasing up to noise
        assert np.all(np.diff(y) < 0.15), cur.name  # no cliff: at most 0.15 per 2.5 dB
    for s in TRAIN_SNRS:
        for lo, hi in zip(cs, cs[1:]):
            a, b = curves[f"c{lo}_snr{s:g}"], curves[f"c{hi}_snr{s:g}"]
            assert float(b.predict_msssim(s)) > float(a.predict_msssim(s)), (lo, hi, s)
    for c in cs:
        low, high = curves[f"c{c}_snr0"], curves[f"c{c}_snr10"]
        assert float(high.predict_msssim(20.0)) > float(low.predict_msssim(20.0)), c
        assert float(low.predict_msssim(-5.0)) > float(high.predict_msssim(-5.0)), c


def test_shipped_curves_file_is_the_default():
    assert SHIPPED_CURVES == SHIPPED_DJSCC / "curves.json"
