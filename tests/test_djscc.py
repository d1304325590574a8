"""DJSCC (Bourtsoulatze et al., IEEE TCCN 2019): model, analog channel, checkpoints, curves."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from semcodec.checkpoint import CheckpointError, load_codec, save_checkpoint
from semcodec.distortion_model import scurve
from semcodec.djscc import (
    DeepJSCC,
    DJSCCCurve,
    awgn,
    c_for_abr,
    fit_djscc_curve,
    from_complex,
    load_djscc,
    load_djscc_curves,
    nearest_c,
    power_normalise,
    save_djscc,
    save_djscc_curves,
    select_curve,
    to_complex,
)
from semcodec.zoo import build_model


def _images(b: int = 2, h: int = 32, w: int = 48, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    base = torch.rand(b, 3, h // 8, w // 8, generator=g)
    return torch.nn.functional.interpolate(base, size=(h, w), mode="bilinear")


def test_power_normalise_is_unit_power_per_complex_use_exactly():
    g = torch.Generator().manual_seed(1)
    z = torch.randn(4, 6, 5, 7, generator=g, dtype=torch.float64) * torch.tensor(
        [0.01, 1.0, 30.0, 1e4], dtype=torch.float64).view(-1, 1, 1, 1)
    zn = power_normalise(z)
    zc = to_complex(zn)
    assert zc.shape == (4, 6 * 5 * 7 // 2)
    power = (zc.abs() ** 2).mean(dim=1)  # (1/k) sum_i |z_i|^2 per image
    assert torch.allclose(power, torch.ones(4, dtype=torch.float64), rtol=0, atol=1e-12)
    # a pure scaling per image: the direction of each image's symbol vector is kept
    cos = torch.nn.functional.cosine_similarity(z.flatten(1), zn.flatten(1), dim=1)
    assert torch.allclose(cos, torch.ones(4, dtype=torch.float64), atol=1e-12)


def test_model_encoder_output_has_unit_power_per_image():
    m = DeepJSCC(7)
    z = m.encode(_images(3, 32, 32))
    power = (to_complex(z.double()).abs() ** 2).mean(dim=1)
    assert torch.allclose(power, torch.ones(3, dtype=torch.float64), atol=1e-5)


def test_complex_pairing_layout_and_round_trip():
    z = torch.arange(2 * 4 * 2 * 2, dtype=torch.float32).view(2, 4, 2, 2)
    zc = to_complex(z)
    assert zc.dtype == torch.complex64 and zc.shape == (2, 8)
    assert zc[0, 0] == complex(0, 1) and zc[1, 3] == complex(22, 23)
    assert torch.equal(from_complex(zc, z.shape), z)
    with pytest.raises(ValueError, match="odd number"):
        to_complex(torch.zeros(1, 3))


@pytest.mark.parametrize("c,h,w", [(1, 32, 32), (5, 64, 32), (10, 32, 48), (19, 64, 64)])
def test_bandwidth_ratio_counts_channel_uses(c, h, w):
    m = DeepJSCC(c)
    z = m.encode(_images(1, h, w))
    k = to_complex(z).shape[1]  # complex channel uses actually produced
    n = 3 * h * w  # source dimensions
    assert k == m.channel_uses(h, w)
    assert 32 * k == h * w * c  # by hand: (h/4)(w/4) c real symbols, two per use
    assert k / n == pytest.approx(m.abr, rel=1e-12) and m.abr == pytest.approx(c / 96)
    assert DeepJSCC.for_abr(c / 96).c == c


def test_awgn_noise_variance_matches_snr_monte_carlo():
    n = 400_000
    for snr_db in (-5.0, 3.0, 17.0):
        g = torch.Generator().manual_seed(int(snr_db) + 10)
        zc = torch.zeros(1, n, dtype=torch.complex128)
        noise = awgn(zc, snr_db, generator=g)[0]
        var = 10 ** (-snr_db / 10)
        est = float((noise.abs() ** 2).mean())
        # |n|^2 ~ var * Exp(1): the mean has standard error var / sqrt(n); 5 sigma decides
        assert abs(est - var) < 5 * var / math.sqrt(n), (snr_db, est, var)
        # circular: real and imaginary parts carry var / 2 each, uncorrelated
        assert abs(float(noise.real.var()) - var / 2) < 5 * var / 2 * math.sqrt(2 / n)
        assert abs(float((noise.real * noise.imag).mean())) < 5 * (var / 2) / math.sqrt(n)
    # real paired layout: the same law per complex use
    g = torch.Generator().manual_seed(3)
    zr = torch.zeros(1, 2 * n, dtype=torch.float64)
    est = float((to_complex(awgn(zr, 0.0, generator=g)).abs() ** 2).mean())
    assert abs(est - 1.0) < 5 / math.sqrt(n)


def test_awgn_per_image_snr_and_reproducible():
    z = torch.zeros(2, 200_000, dtype=torch.float64)
    y = awgn(z, torch.tensor([0.0, 20.0]), generator=torch.Generator().manual_seed(0))
    p = (y ** 2).mean(dim=1) * 2  # power per complex use
    assert p[0] == pytest.approx(1.0, rel=0.02) and p[1] == pytest.approx(0.01, rel=0.02)
    y2 = awgn(z, torch.tensor([0.0, 20.0]), generator=torch.Generator().manual_seed(0))
    assert torch.equal(y, y2)


def test_zero_noise_gives_the_models_clean_reconstruction():
    torch.manual_seed(0)
    m = DeepJSCC(8).eval()
    x = _images(2, 32, 32)
    with torch.no_grad():
        clean = m.decode(m.encode(x))
        high = m(x, 200.0, generator=torch.Generator().manual_seed(1))
        low = m(x, -5.0, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(clean, high, atol=1e-6)
    assert float((low - clean).abs().max()) > 1e-3  # the channel is really there
    assert clean.shape == x.shape and float(clean.min()) >= 0 and float(clean.max()) <= 1


@pytest.mark.parametrize("abr", [0.05, 0.1, 0.2, 0.0, -1 / 96, float("nan"), float("inf")])
def test_unrealisable_abr_is_refused_with_valid_values(abr):
    with pytest.raises(ValueError, match=r"abr=.* is invalid.*k/96 for integer k >= 1") as e:
        DeepJSCC.for_abr(abr)
    assert "\n" not in str(e.value)


def test_nearest_c_of_the_ascc_abrs():
    assert [nearest_c(a) for a in (0.05, 0.1, 0.2)] == [5, 10, 19]
    assert c_for_abr(10 / 96) == 10
    assert c_for_abr(0.0520833) == 5  # the 5/96 that the error message prints
    with pytest.raises(ValueError, match="k/96"):
        c_for_abr(0.05209)
    with pytest.raises(ValueError, match="c=0 is invalid"):
        DeepJSCC(0)


@pytest.mark.parametrize("snr", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_snr_is_refused(snr):
    m = DeepJSCC(4)
    with pytest.raises(ValueError, match="snr_db=.* is invalid") as e:
        m(_images(1, 32, 32), snr)
    assert "\n" not in str(e.value)
    with pytest.raises(ValueError, match="is invalid"):
        awgn(torch.zeros(2, 4), torch.tensor([1.0, snr]))


def test_checkpoint_round_trip_same_outputs(tmp_path):
    torch.manual_seed(2)
    m = DeepJSCC(6).eval()
    digest = save_djscc(tmp_path / "a.ckpt", m, {"steps": 3})
    loaded, meta = load_djscc(tmp_path / "a.ckpt")
    assert meta["kind"] == "djscc" and meta["c"] == 6 and meta["abr"] == pytest.approx(6 / 96)
    assert meta["sha256"] == digest and meta["steps"] == 3
    # the file stores float16 weights: the loaded model is the float16-rounded original
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(p.half().float())
    x = _images(2, 32, 32)
    with torch.no_grad():
        for s in (0.0, 10.0):
            a = m(x, s, generator=torch.Generator().manual_seed(5))
            b = loaded(x, s, generator=torch.Generator().manual_seed(5))
            assert torch.equal(a, b)
    # a second save of the loaded model is the same file content
    assert save_djscc(tmp_path / "b.ckpt", loaded, {"steps": 3}) == digest


def test_checkpoint_kinds_refuse_each_other(tmp_path):
    codec = build_model("compact").eval()
    codec.update(force=True)
    save_checkpoint(tmp_path / "codec.ckpt", codec, {"preset": "compact", "lambda": 0.01})
    with pytest.raises(CheckpointError, match="is a digital codec checkpoint.*not a DJSCC") as e:
        load_djscc(tmp_path / "codec.ckpt")
    assert "\n" not in str(e.value)
    save_djscc(tmp_path / "dj.ckpt", DeepJSCC(3), {})
    with pytest.raises(CheckpointError, match="is a djscc checkpoint, not a digital codec"):
        load_codec(tmp_path / "dj.ckpt")
    raw = (tmp_path / "dj.ckpt").read_bytes()
    (tmp_path / "bad.ckpt").write_bytes(raw[:-3] + b"xyz")
    with pytest.raises(CheckpointError, match="damaged"):
        load_djscc(tmp_path / "bad.ckpt")


def test_curve_fit_reproduces_points_and_round_trips(tmp_path):
    snr = np.arange(-5.0, 26.0, 2.5)
    true = (0.45, 0.5, 0.35, 4.0)
    rng = np.random.default_rng(0)
    ms = scurve(snr, *true) + rng.normal(0, 0.002, snr.size)
    pts = [{"snr_db": float(s), "ms_ssim": float(v)} for s, v in zip(snr, ms)]
    cur = fit_djscc_curve("c4_snr0", "c4_snr0.ckpt", DeepJSCC(4), (0.0, 0.0), pts)
    assert cur.rmse < 0.004 and cur.r2 > 0.999
    assert np.max(np.abs(cur.predict_msssim(snr) - ms)) < 0.01
    assert cur.predict_msssim(np.array([-100.0, 100.0])).tolist() == pytest.approx(
        [true[0], true[0] + true[1]], abs=0.02)
    save_djscc_curves([cur], tmp_path / "curves.json", {"note": "t"})
    back = load_djscc_curves(tmp_path / "curves.json")
    assert back == [cur]
    other = DJSCCCurve("c4_snr10", "x", 4, 4 / 96, (10.0, 10.0), (0.2, 0.78, 0.4, 8.0), 1, 0)
    assert select_curve([cur, other], 4 / 96, 20.0).name == "c4_snr10"
    assert select_curve([cur, other], 0.04, -5.0).name == "c4_snr0"
    with pytest.raises(ValueError, match="c=10"):
        select_curve([cur, other], 0.1, 0.0)


def test_measure_batches_images_like_a_per_image_loop():
    from semcodec.djscc import measure_djscc
    from semcodec.evaluate import ms_ssim, mse, psnr_from_mse

    torch.manual_seed(3)
    m = DeepJSCC(6).eval()
    imgs = [_images(1, 32, 32, seed=s)[0] for s in range(3)] + [_images(1, 32, 48, seed=9)[0]]
    row = measure_djscc(m, imgs, [200.0], trials=1)[0]
    with torch.no_grad():
        rec = [m.decode(m.encode(x[None])) for x in imgs]
    assert row["ms_ssim"] == pytest.approx(np.mean([ms_ssim(r, x[None]) for r, x in
                                                    zip(rec, imgs)]), abs=1e-5)
    mean_mse = np.mean([mse(r, x[None]) for r, x in zip(rec, imgs)])
    assert row["mse"] == pytest.approx(mean_mse, rel=1e-4)
    assert row["psnr_db"] == pytest.approx(psnr_from_mse(mean_mse), abs=1e-3)
    assert row["n_images"] == 4 and row["trials"] == 1


def test_transmit_any_size_pads_and_crops_back():
    torch.manual_seed(4)
    m = DeepJSCC(5).eval()
    img = _images(1, 40, 48)[0][:, :37, :45]  # not multiples of 4 nor 8
    out, k = m.transmit(img, 200.0, generator=torch.Generator().manual_seed(0))
    assert out.shape == img.shape and k == m.channel_uses(40, 48) == 10 * 12 * 5 // 2
    padded = torch.nn.functional.pad(img[None], (0, 3, 0, 3), mode="replicate")
    with torch.no_grad():
        ref = m.decode(m.encode(padded))[0, :, :37, :45]
    assert torch.allclose(out, ref, atol=1e-6)
    with pytest.raises(ValueError, match="expected \\(3, H, W\\)"):
        m.transmit(img[None], 0.0)
