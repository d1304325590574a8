"""The shipped default ladder and its fitted S-curves: present, intact, and sound."""

from __future__ import annotations

import json

import numpy as np
import pytest

from semcodec.checkpoint import load_codec
from semcodec.distortion_model import SHIPPED_FITS, DistortionModel
from semcodec.ladder import SHIPPED_CODECS, shipped_ladder
from semcodec.zoo import DEFAULT_LAMBDAS, PRESETS


@pytest.fixture(scope="module")
def ladder():
    return [load_codec(p) for p in shipped_ladder()]


def test_six_intact_codecs_at_the_default_lambdas(ladder):
    assert len(ladder) == 6
    assert [m["lambda"] for _, m in ladder] == list(DEFAULT_LAMBDAS)
    # q6 and q5 were grown into the larger preset (docs/semcodec_codecs.md, stages 10 and 11)
    assert [m["preset"] for _, m in ladder] == ["compact"] * 4 + ["bmshj2018"] * 2
    # q5's last stage grew it; q6 grew one stage earlier (lineage checked below)
    assert ladder[4][1]["widened_from"] == "compact"
    # four compact codecs of 3.3 MiB and two bmshj2018 ones of 10.5 MiB (float32 weights)
    total = sum(p.stat().st_size for p in SHIPPED_CODECS.glob("*.ckpt"))
    assert total <= 36 * 2**20


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
        stage = m
        while stage:
            assert stage["steps"] > 0 and stage["command"].startswith("issc train")
            stage = stage.get("init_from")
    card = (SHIPPED_CODECS / "README.md").read_text()
    assert card.count("issc train") >= 6
    # each grown codec names, in its lineage, the one stage that grew it
    assert card.count("preset bmshj2018, grown from compact") == 2
    for _, m in ladder[4:]:
        stages, stage = [], m
        while stage:
            stages.append(stage["config"]["preset"])
            stage = stage.get("init_from")
        assert stages[0] == "bmshj2018" and stages[-1] == "compact"
        # widths never shrink from the first stage to the last
        assert sorted(stages, key=lambda p: PRESETS[p]["M"]) == stages[::-1]


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


def test_codec_eval_writes_per_image_rows_against_jpeg(tmp_path):
    import csv

    from PIL import Image

    from scripts.cmd_codec_eval import plot_rd
    from semcodec.codec_eval import run_codec_eval
    from semcodec.datasets import shipped_photos

    imgs = tmp_path / "imgs"
    imgs.mkdir()
    src = shipped_photos("test", None).files[0]
    Image.open(src).crop((0, 0, 192, 160)).save(imgs / "a.png")
    summary = run_codec_eval(tmp_path / "out", str(imgs))
    plot_rd(summary, tmp_path / "out" / "rd.png")  # what issc codec-eval draws
    rows = list(csv.DictReader(open(tmp_path / "out" / "results.csv")))
    assert len(rows) == 6 and [int(r["model"]) for r in rows] == [1, 2, 3, 4, 5, 6]
    for r in rows:
        assert abs(float(r["jpeg_bpp"]) - float(r["bpp"])) < 0.5 * float(r["bpp"])
    assert [s["bpp"] for s in summary] == sorted(s["bpp"] for s in summary)
    assert (tmp_path / "out" / "rd.png").stat().st_size > 0
    assert (tmp_path / "out" / "meta.json").is_file()
