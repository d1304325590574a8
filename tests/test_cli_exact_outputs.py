"""CLI outputs equal, to the bit, what an independent in-process computation gives.

The references are built from CompressAI's own ``compress`` / ``decompress``,
Pillow's JPEG coder and numpy, never from the code path the verb runs, so a
verb that writes an unscaled image, ignores its seed or picks the wrong JPEG
quality fails here.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from linksim.farfield import ISSCScenario, covariance
from scripts.cli import main
from semcodec.anchors import jpeg_at_bpp
from semcodec.channel import flip_bits
from semcodec.checkpoint import load_codec
from semcodec.datasets import load_image, shipped_photos
from semcodec.evaluate import pad_to_multiple
from semcodec.ladder import SHIPPED_CODECS, shipped_ladder
from semcodec.payload import Payload
from semcodec.robust_decode import RobustDecoder


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """A 144 x 112 crop of a shipped test photo, saved as PNG (lossless)."""
    src = shipped_photos("test", None).files[0]
    path = tmp_path_factory.mktemp("img") / "crop.png"
    Image.open(src).convert("RGB").crop((40, 24, 184, 136)).save(path)
    return path


def _to_png_pixels(img: torch.Tensor) -> np.ndarray:
    """(3, H, W) float32 in [0, 1] -> uint8 (H, W, 3): round(255 x), written out by hand.

    In float32, the precision of the decoded image (in float64 one pixel of the
    test photo lands on the other side of a .5 and the levels differ by one).
    """
    x = img.detach().numpy().transpose(1, 2, 0)
    assert x.dtype == np.float32
    return np.clip(np.rint(x * np.float32(255.0)), 0, 255).astype(np.uint8)


def _compressai_reference(ckpt, img: torch.Tensor, threads: int | None = None):
    """(body bytes, reconstruction) by CompressAI; ``threads``: torch threads of the decode.

    The synthesis transform's float sums depend on the thread count (measured:
    up to 4e-7 between 1 and 2 threads, enough to move a pixel by one level), so
    the reference of the isolated decode (its worker runs one thread) uses one.
    """
    model, _ = load_codec(ckpt)
    h, w = img.shape[-2:]
    before = torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        with torch.no_grad():
            enc = model.compress(pad_to_multiple(img[None]))
            x_hat = model.decompress(enc["strings"], enc["shape"])["x_hat"]
    finally:
        torch.set_num_threads(before)
    return enc["strings"][0][0] + enc["strings"][1][0], x_hat[0, :, :h, :w].clamp(0, 1)


def test_encode_then_decode_equal_compressai_bit_for_bit(photo, tmp_path, capsys):
    ckpt = shipped_ladder(SHIPPED_CODECS)[0]
    body, x_here = _compressai_reference(ckpt, load_image(photo))
    _, x_worker = _compressai_reference(ckpt, load_image(photo), threads=1)
    pay = tmp_path / "a.issc"
    assert main(["encode", "--model", "1", "--image", str(photo), "--out", str(pay)]) == 0
    p = Payload.from_bytes(pay.read_bytes())
    assert p.body == body  # the entropy-coded bytes CompressAI writes, y then z
    assert (p.header.height, p.header.width, p.header.model_index) == (112, 144, 1)

    for extra, x_hat in (([], x_worker), (["--in-process"], x_here)):
        png = tmp_path / f"dec{len(extra)}.png"
        assert main(["decode", "--payload", str(pay), "--out", str(png), *extra]) == 0
        got = np.asarray(Image.open(png))
        assert got.dtype == np.uint8 and got.shape == (112, 144, 3)
        assert np.array_equal(got, _to_png_pixels(x_hat))
    assert "0 of" in capsys.readouterr().out  # no bit flipped at --ber 0


def test_decode_with_flips_equals_the_in_process_channel_and_decoder(photo, tmp_path):
    ckpt = shipped_ladder(SHIPPED_CODECS)[0]
    pay = tmp_path / "a.issc"
    assert main(["encode", "--model", str(ckpt), "--image", str(photo), "--out", str(pay)]) == 0
    p = Payload.from_bytes(pay.read_bytes())
    body, k = flip_bits(p.body, 2e-3, np.random.default_rng(7))
    assert k > 0
    ref, _ = RobustDecoder(load_codec(ckpt)[0]).safe_decode(p.header, body)
    png = tmp_path / "d.png"
    assert main(["decode", "--payload", str(pay), "--out", str(png), "--ber", "2e-3",
                 "--seed", "7", "--in-process"]) == 0
    assert np.array_equal(np.asarray(Image.open(png)), _to_png_pixels(ref))
    png8 = tmp_path / "d8.png"  # another seed flips other bits: another image
    assert main(["decode", "--payload", str(pay), "--out", str(png8), "--ber", "2e-3",
                 "--seed", "8", "--in-process"]) == 0
    assert not np.array_equal(np.asarray(Image.open(png8)), np.asarray(Image.open(png)))


def _jpeg_bits(img: torch.Tensor, q: int) -> int:
    arr = _to_png_pixels(img)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="JPEG", quality=q, optimize=True)
    return 8 * len(buf.getvalue())


def test_jpeg_matcher_picks_the_closest_quality_by_brute_force(photo):
    img = load_image(photo)
    npix = img.shape[-1] * img.shape[-2]
    bpp = np.array([_jpeg_bits(img, q) / npix for q in range(1, 96)])
    assert np.all(np.diff(bpp) >= 0)  # precondition of the bisection on this image
    targets = [0.5 * (bpp[9] + bpp[10]) + 1e-3, bpp[40] - 1e-3, 1.0, 2.5, 0.0, 50.0]
    for target in targets:
        _, got_bpp, got_q = jpeg_at_bpp(img, target)
        dist = np.abs(bpp - target)
        best_q = int(np.flatnonzero(dist == dist.min())[0]) + 1
        assert got_q == best_q, (target, got_q, best_q)
        assert got_bpp == bpp[got_q - 1]


def test_codec_eval_rows_equal_independent_measurements(photo, tmp_path):
    ladder = tmp_path / "ladder"
    ladder.mkdir()
    ckpt = shipped_ladder(SHIPPED_CODECS)[1]
    (ladder / "q1.ckpt").write_bytes(ckpt.read_bytes())
    imgs = tmp_path / "imgs"
    imgs.mkdir()
    (imgs / "crop.png").write_bytes(photo.read_bytes())
    out = tmp_path / "out"
    assert main(["codec-eval", "--images", str(imgs), "--models", str(ladder),
                 "--out", str(out)]) == 0
    (row,) = list(csv.DictReader(open(out / "results.csv")))
    img = load_image(photo)
    npix = img.shape[-1] * img.shape[-2]
    body, x_hat = _compressai_reference(ckpt, img)
    mse = float(torch.mean((x_hat.double() - img.double()) ** 2))
    assert float(row["bpp"]) == 8 * len(body) / npix
    assert float(row["psnr"]) == pytest.approx(10 * math.log10(1 / mse), rel=1e-12)
    q = int(row["jpeg_quality"])
    assert float(row["jpeg_bpp"]) == _jpeg_bits(img, q) / npix
    near = [abs(_jpeg_bits(img, k) / npix - float(row["bpp"])) for k in range(1, 96)]
    assert abs(float(row["jpeg_bpp"]) - float(row["bpp"])) == min(near)


def test_hcrb_csv_equals_the_inverse_of_the_hybrid_fim(tmp_path):
    out = tmp_path / "h"
    assert main(["hcrb", "--points", "3", "--pt-dbm", "20", "60", "--comm-fraction", "0.25",
                 "--mc-pt-dbm", "--out", str(out)]) == 0
    rows = list(csv.reader(open(out / "hcrb_vs_pt.csv")))
    assert rows[0] == ["pt_dbm", "tr_hcrb_m2", "tr_crb_m2", "tr_ts_penalty_m2", "sinr_db"]
    scn = ISSCScenario()
    hc = scn.h_c
    u_c = hc / np.linalg.norm(hc)
    for r, pt_dbm in zip(rows[1:], (20.0, 40.0, 60.0)):
        p_w = 10 ** ((pt_dbm - 30) / 10)
        w_c = math.sqrt(0.25 * p_w) * u_c
        w_0 = math.sqrt(0.75 * p_w) * np.exp(1j * math.pi * np.arange(4) * math.sin(
            math.atan2(50.0, 100.0))) / 2.0  # steered to the target at [100, 50]
        j = scn.fim(covariance(w_c, w_0))
        inv = np.linalg.inv(j)
        assert float(r[0]) == pt_dbm
        assert float(r[1]) == pytest.approx(np.trace(inv[:2, :2]), rel=1e-8)
        assert float(r[2]) == pytest.approx(np.trace(np.linalg.inv(j[:2, :2])), rel=1e-8)
        assert float(r[3]) == pytest.approx(float(r[1]) - float(r[2]), rel=1e-6)
        sinr = 0.25 * p_w * np.linalg.norm(hc) ** 2 / (
            abs(np.vdot(hc, w_0)) ** 2 + 1e-8)
        assert float(r[4]) == pytest.approx(10 * math.log10(sinr), rel=1e-8)
