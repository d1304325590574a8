"""The shipped default ladder and its fitted S-curves: present, intact, and sound."""

from __future__ import annotations

import json

import numpy as np
import pytest

from semcodec.checkpoint import load_codec
from semcodec.distortion_model import SHIPPED_FITS, DistortionModel
from semcodec.ladder import SHIPPED_CODECS, shipped_ladder
from semcodec.zoo import DEFAULT_LAMBDAS


@pytest.fixture(scope="module")
def ladder():
    return [load_codec(p) for p in shipped_ladder()]


def test_six_intact_compact_codecs_at_the_default_lambdas(ladder):
    assert len(ladder) == 6
    assert [m["lambda"] for _, m in ladder] == list(DEFAULT_LAMBDAS)
    assert all(m["preset"] == "compact" for _, m in ladder)
    total = sum(p.stat().st_size for p in SHIPPED_CODECS.glob("*.ckpt"))
    assert total <= 30 * 2**20


def test_rate_and_quality_increase_along_the_ladder(ladder):
    ev = [m["eval"] for _, m in ladder]
    bpp = [e["bpp"] for e in ev]
    psnr = [e["psnr"] for e in ev]
    assert all(a < b for a, b in zip(bpp, bpp[1:])), bpp
    assert all(a < b for a, b in zip(psnr, psnr[1:])), psnr
    rs = [e["rs_bits"] for e in ev]
    assert all(a < b for a, b in zip(rs, rs[1:])), rs


def test_metadata_records_how_each_codec_was_trained(ladder):
    for _, m in ladder:
        assert m["command"].startswith("issc train")
        stage, n = m, 0
        while stage:
            assert stage["steps"] > 0 and stage["command"].startswith("issc train")
            stage, n = stage.get("init_from"), n + 1
        assert n >= 1
    card = (SHIPPED_CODECS / "README.md").read_text()
    assert card.count("issc train") >= 6


def test_shipped_fits_match_the_ladder_and_have_the_s_shape(ladder):
    doc = json.loads(SHIPPED_FITS.read_text())
    dm = DistortionModel.from_json()
    assert dm.names == [f"q{i}" for i in range(1, 7)]
    assert list(dm.lambdas) == pytest.approx([m["lambda"] for _, m in ladder])
    assert np.all(np.diff(dm.rs_bits) > 0)
    for m in doc["models"]:
        assert m["mse_fit"]["r2_log10"] >= 0.98, m["model"]
    low, high = 1e-9, 1e-1
    clean = dm.mse(np.arange(6), low)
    assert np.all(np.diff(clean) < 0)  # higher R_s sits lower at low rho_b
    assert np.all(dm.mse(np.arange(6), high) > 3 * clean)  # and saturates far above it
