"""Classical anchors (JPEG, WebP, AVIF) at matched bpp, and ``issc codec-eval`` with them."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from scripts.cli import main
from semcodec.anchors import ANCHORS, AVIF_SPEED, MATCH_TOLERANCE, get_anchors
from semcodec.codec_eval import FIELDS, format_summary, run_codec_eval
from semcodec.datasets import load_image, shipped_photos
from semcodec.evaluate import psnr
from semcodec.ladder import SHIPPED_CODECS, shipped_ladder


@pytest.fixture(scope="module")
def crop(tmp_path_factory):
    """A 192 x 160 crop of a shipped test photo, as a PNG file and as a tensor."""
    d = tmp_path_factory.mktemp("anchors")
    src = shipped_photos("test", None).files[0]
    path = d / "crop.png"
    Image.open(src).convert("RGB").crop((40, 30, 232, 190)).save(path)
    return path, load_image(path)


def _pillow_bytes(img: torch.Tensor, fmt: str, q: int) -> bytes:
    """An independent Pillow encoding with the settings the anchors document."""
    arr = (img.permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)
    buf = io.BytesIO()
    if fmt == "jpeg":
        Image.fromarray(arr).save(buf, format="JPEG", quality=q, optimize=True)
    elif fmt == "avif":
        Image.fromarray(arr).save(buf, format="AVIF", quality=q, speed=AVIF_SPEED,
                                  subsampling="4:2:0")
    else:
        Image.fromarray(arr).save(buf, format="WEBP", quality=q, method=6)
    return buf.getvalue()


@pytest.mark.parametrize("name,fmt", [("jpeg", "JPEG"), ("webp", "WEBP"), ("avif", "AVIF")])
def test_roundtrip_decodes_to_the_independent_encoding(crop, name, fmt):
    _, img = crop
    a = ANCHORS[name]
    for q in (a.q_min, 50, a.q_max):
        rec, nbits = a.roundtrip(img, q)
        data = _pillow_bytes(img, name, q)
        assert nbits == 8 * len(data)
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == fmt
            ref = torch.from_numpy(np.asarray(im.convert("RGB")).copy()).permute(2, 0, 1) / 255.0
        assert rec.shape == img.shape and torch.equal(rec, ref.float())
    hi, lo = psnr(img, a.roundtrip(img, a.q_max)[0]), psnr(img, a.roundtrip(img, a.q_min)[0])
    assert hi > 35 and hi > lo + 8  # decodes to the image, and quality means fidelity


@pytest.mark.parametrize("name", list(ANCHORS))
def test_match_lands_within_2_percent_or_reports_the_bracket(crop, name):
    _, img = crop
    a = ANCHORS[name]
    npix = img.shape[-1] * img.shape[-2]
    qs = np.arange(a.q_min, a.q_max + 1)
    sizes = np.array([8 * len(_pillow_bytes(img, name, int(q))) / npix for q in qs])  # brute
    mid = 0.5 * (sizes[10] + sizes[11])
    targets = [0.3, 0.75, 1.5, mid, sizes[len(qs) // 2], 0.0, 50.0]
    landed = 0
    for t in targets:
        m = a.at_bpp(img, t)
        assert m.bpp == sizes[m.quality - a.q_min]  # the bpp reported is the one encoded
        ql, bl, qh, bh = m.bracket
        if ql is not None:
            assert bl == sizes[ql - a.q_min] and bl <= t
        if qh is not None:
            assert bh == sizes[qh - a.q_min] and bh > t
        if ql is not None and qh is not None:
            assert qh == ql + 1 and m.quality in (ql, qh)
            assert abs(m.bpp - t) == min(abs(bl - t), abs(bh - t))
        if m.within_tolerance:
            landed += 1
            assert abs(m.bpp - t) <= MATCH_TOLERANCE * t
        else:  # no quality next to the target gets within 2%: the bracket shows it
            assert all(abs(b - t) > MATCH_TOLERANCE * t for b in (bl, bh) if b is not None)
    assert landed >= 2  # an exact size (and 0.3 / 0.75 / 1.5 bpp on a photo) lands
    assert a.at_bpp(img, 0.0).bracket[:2] == (None, None)  # below the smallest encoding
    assert a.at_bpp(img, 50.0).bracket[2:] == (None, None)  # above the largest


def test_unknown_anchor_is_refused_in_one_line(tmp_path):
    with pytest.raises(ValueError,
                       match=r"anchor 'bpg' is invalid: must be one of jpeg, webp, avif"):
        get_anchors(["jpeg", "bpg"])
    with pytest.raises(ValueError, match="jpeg, webp, avif"):
        get_anchors("")
    with pytest.raises(ValueError, match="'bpg'"):
        run_codec_eval(tmp_path / "out", anchors="bpg")
    assert not (tmp_path / "out").exists()  # refused before any work
    assert [a.name for a in get_anchors("WebP, jpeg,webp")] == ["webp", "jpeg"]


def test_codec_eval_with_both_anchors_keeps_the_jpeg_columns(crop, tmp_path, capsys):
    path, img = crop
    ladder = tmp_path / "ladder"
    ladder.mkdir()
    (ladder / "q1.ckpt").write_bytes(shipped_ladder(SHIPPED_CODECS)[2].read_bytes())
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    (imgs / "crop.png").write_bytes(path.read_bytes())
    both, jpeg = tmp_path / "both", tmp_path / "jpeg"
    assert main(["codec-eval", "--images", str(imgs), "--models", str(ladder),
                 "--out", str(both)]) == 0
    printed = capsys.readouterr().out
    assert "JPEG bpp" in printed and "WEBP bpp" in printed
    assert main(["codec-eval", "--images", str(imgs), "--models", str(ladder), "--anchors",
                 "jpeg", "--out", str(jpeg)]) == 0
    with open(both / "results.csv") as f:
        header = next(csv.reader(f))
    assert header == FIELDS + ["jpeg_matched", "webp_matched"]
    assert FIELDS[6:] == ["jpeg_bpp", "jpeg_psnr", "jpeg_ms_ssim", "jpeg_quality",
                          "webp_bpp", "webp_psnr", "webp_ms_ssim", "webp_quality"]
    (rb,) = list(csv.DictReader(open(both / "results.csv")))
    (rj,) = list(csv.DictReader(open(jpeg / "results.csv")))
    assert {k: rb[k] for k in rj} == rj  # adding WebP changes no JPEG column
    npix = img.shape[-1] * img.shape[-2]
    q = int(rb["webp_quality"])
    assert float(rb["webp_bpp"]) == 8 * len(_pillow_bytes(img, "webp", q)) / npix
    near = [abs(8 * len(_pillow_bytes(img, "webp", k)) / npix - float(rb["bpp"]))
            for k in (q - 1, q, q + 1) if 0 <= k <= 100]
    assert abs(float(rb["webp_bpp"]) - float(rb["bpp"])) == min(near)
    (s,) = json.loads((both / "summary.json").read_text())
    assert s["webp_psnr_gain_db"] == pytest.approx(s["psnr"] - float(rb["webp_psnr"]))
    assert s["psnr_gain_db"] == pytest.approx(s["psnr"] - float(rb["jpeg_psnr"]))
    assert s["webp_ms_ssim_gain"] == pytest.approx(s["ms_ssim"] - float(rb["webp_ms_ssim"]))
    assert "webp" not in format_summary(json.loads((jpeg / "summary.json").read_text())).lower()
    meta = json.loads((both / "meta.json").read_text())
    assert meta["anchors"] == ["jpeg", "webp"]


def test_avif_is_a_third_anchor_on_request(crop, tmp_path, capsys):
    """``--anchors jpeg,webp,avif``: AVIF columns after the other two, matched as they are,
    its gains in the summary and the printed table; the default stays JPEG and WebP."""
    path, img = crop
    ladder, imgs, out = tmp_path / "ladder", tmp_path / "imgs", tmp_path / "out"
    ladder.mkdir()
    imgs.mkdir()
    (ladder / "q1.ckpt").write_bytes(shipped_ladder(SHIPPED_CODECS)[2].read_bytes())
    (imgs / "crop.png").write_bytes(path.read_bytes())
    assert main(["codec-eval", "--images", str(imgs), "--models", str(ladder), "--anchors",
                 "jpeg,webp,avif", "--out", str(out)]) == 0
    assert "AVIF bpp" in capsys.readouterr().out
    (r,) = list(csv.DictReader(open(out / "results.csv")))
    assert list(r)[-7:] == ["avif_bpp", "avif_psnr", "avif_ms_ssim", "avif_quality",
                            "jpeg_matched", "webp_matched", "avif_matched"]
    npix = img.shape[-1] * img.shape[-2]
    q = int(r["avif_quality"])
    assert float(r["avif_bpp"]) == 8 * len(_pillow_bytes(img, "avif", q)) / npix
    near = [abs(8 * len(_pillow_bytes(img, "avif", k)) / npix - float(r["bpp"]))
            for k in (q - 1, q, q + 1) if 0 <= k <= 100]
    assert abs(float(r["avif_bpp"]) - float(r["bpp"])) == min(near)
    (s,) = json.loads((out / "summary.json").read_text())
    assert s["avif_psnr_gain_db"] == pytest.approx(s["psnr"] - float(r["avif_psnr"]))
    assert s["avif_ms_ssim_gain"] == pytest.approx(s["ms_ssim"] - float(r["avif_ms_ssim"]))
    assert json.loads((out / "meta.json").read_text())["anchors"] == ["jpeg", "webp", "avif"]
