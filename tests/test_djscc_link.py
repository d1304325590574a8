"""DJSCC-WF-ZF with a trained deep JSCC (``--benchmark-codec djscc``) and the analog e2e path.

Designs are re-checked by code that did not make them (the scenario's own SINR, power and
HCRB); the analog link is checked against the model's clean reconstruction and for the
trend the DJSCC paper claims (quality rises with the SNR).
"""

from __future__ import annotations

import csv
import json
import math
import warnings

import numpy as np
import pytest
import torch
from djscc_tiny import TINY_ABR, build_tiny_ladder, crops

from linksim.farfield import ISSCScenario, covariance
from optim.ascc import load_designs, save_designs
from optim.ascc.benchmark import benchmark_beams
from optim.ascc.benchmark_djscc import djscc_benchmark_design, load_djscc_ladder
from optim.ascc.grid import run_grid
from optim.ascc.optimise import solve_point
from optim.ascc.problem import ASCCProblem
from optim.e2e import run_e2e
from optim.e2e.analog import djscc_files, load_model, send_image, trial_generator
from semcodec.distortion_model import DistortionModel
from semcodec.djscc import load_djscc_curves
from semcodec.sweep import image_metrics

warnings.filterwarnings("ignore", category=UserWarning)
SCN = ISSCScenario(reflection_model="path_length")
DM = DistortionModel.from_json()
PI = 400.0


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny ladder: two briefly trained c=10 models (training SNR 0 and 15 dB)."""
    return build_tiny_ladder(tmp_path_factory.mktemp("djscc"))


def _recheck(d, pt_dbm, pi):
    """Power, HCRB, zero forcing and the SINR from the scenario and the beams alone."""
    h = SCN.h_c
    sinr = abs(h.conj() @ d.w_c) ** 2 / (abs(h.conj() @ d.w_0) ** 2 + SCN.noise_cre_w)
    assert d.sinr == pytest.approx(sinr, rel=1e-9)
    assert abs(h.conj() @ d.w_0) <= 1e-9 * math.sqrt(10 ** ((pt_dbm - 30) / 10))  # ZF
    power = np.sum(np.abs(d.w_c) ** 2) + np.sum(np.abs(d.w_0) ** 2)
    assert power <= 10 ** ((pt_dbm - 30) / 10) * (1 + 1e-9)
    assert SCN.hcrb(covariance(d.w_c, d.w_0)).trace <= pi * (1 + 1e-6)
    assert d.constraints["power_w"].slack >= -1e-12
    assert d.constraints["hcrb_m2"].slack >= -1e-6 * pi


def test_grid_rows_rechecked_and_prediction_is_the_best_training_snr(tiny, tmp_path):
    pts = [-8.0, 0.0, 8.0]
    rows, designs = run_grid(SCN, DM, pts, [0.1], PI, tmp_path / "g", ["benchmark"],
                             progress=False, benchmark_codec="djscc", djscc_curves=tiny)
    curves = load_djscc_curves(tiny)
    assert [r["status"] for r in rows] == ["ok"] * 3
    for d, pt in zip(designs, pts):
        assert d.codec_kind == "djscc" and d.is_analog
        _recheck(d, pt, PI)
        # the beams are those of the digital benchmark's definition
        bb = benchmark_beams(SCN, 10 ** ((pt - 30) / 10), PI)
        np.testing.assert_allclose(d.w_c, bb.w_c, atol=1e-15)
        # the model: c = 10 (nearest 0.1), the training SNR predicting more at this SINR
        pred = {c.name: float(c.predict_msssim(d.sinr_db)) for c in curves}
        assert d.djscc_model == max(pred, key=pred.get)
        assert d.msssim_pred == pytest.approx(pred[d.djscc_model], abs=1e-12)
        assert d.constraints["channel_uses_per_dim"].value == pytest.approx(TINY_ABR)
        assert math.isnan(d.rc) and math.isnan(d.ber_pred)
    # more power, more SINR for the same beams rule: the predictions rise with P_T
    s = [d.sinr_db for d in designs]
    assert s == sorted(s)
    # resume: a rerun finds every point done; a digital run may not reuse the folder
    rows2, _ = run_grid(SCN, DM, pts, [0.1], PI, tmp_path / "g", ["benchmark"],
                        progress=False, benchmark_codec="djscc", djscc_curves=tiny)
    assert len(rows2) == 3
    with pytest.raises(ValueError, match="benchmark codec"):
        run_grid(SCN, DM, pts, [0.1], PI, tmp_path / "g", ["benchmark"], progress=False)


def test_digital_benchmark_grid_is_unchanged_by_the_switch(tmp_path):
    a, _ = run_grid(SCN, DM, [0.0], [0.1], PI, tmp_path / "a", ["benchmark"], progress=False)
    b, _ = run_grid(SCN, DM, [0.0], [0.1], PI, tmp_path / "b", ["benchmark"], progress=False,
                    benchmark_codec="digital")
    assert (tmp_path / "a" / "run.json").read_text() == (tmp_path / "b" / "run.json").read_text()
    drop = {"solve_s"}
    assert [{k: v for k, v in r.items() if k not in drop} for r in a] == \
        [{k: v for k, v in r.items() if k not in drop} for r in b]
    doc = json.loads((tmp_path / "a" / "designs.json").read_text())
    assert "codec_kind" not in doc["designs"][0] and "djscc_model" not in doc["designs"][0]


def test_djscc_design_json_round_trip(tiny, tmp_path):
    prob = ASCCProblem(SCN, DM, 2.0, 0.1, PI)
    d = djscc_benchmark_design(prob, load_djscc_ladder(tiny))
    save_designs([d], tmp_path / "d.json")
    (e,) = load_designs(tmp_path / "d.json")
    assert e.codec_kind == "djscc" and e.djscc_model == d.djscc_model
    assert e.codec_sha256 == d.codec_sha256 and len(e.codec_sha256) == 64
    np.testing.assert_array_equal(e.w_c, d.w_c)
    np.testing.assert_array_equal(e.w_0, d.w_0)
    for f in ("sinr", "msssim_pred", "hcrb", "pt_dbm", "abr"):
        assert getattr(e, f) == getattr(d, f)
    assert math.isnan(e.rc) and math.isnan(e.rs_bits)
    assert json.dumps(e.to_json()) == json.dumps(d.to_json())  # bit for bit (NaN too)


def test_old_designs_without_kind_load_as_digital(tmp_path):
    (d,) = solve_point(SCN, DM, 0.0, 0.1, PI, ("benchmark",))
    doc = {"version": 1, "meta": {}, "designs": [d.to_json()]}
    assert "codec_kind" not in doc["designs"][0]  # what files written before the switch hold
    (tmp_path / "old.json").write_text(json.dumps(doc))
    (e,) = load_designs(tmp_path / "old.json")
    assert e.codec_kind == "digital" and not e.is_analog and e.djscc_model == ""
    assert e.model_name == d.model_name and e.rc == d.rc


def test_bad_djscc_inputs_are_one_line_errors(tiny, tmp_path):
    with pytest.raises(ValueError, match=r"abr=0.5 has no DJSCC model.*0.104167 \(c=10\)"):
        run_grid(SCN, DM, [0.0], [0.5], PI, tmp_path / "x", ["benchmark"], progress=False,
                 benchmark_codec="djscc", djscc_curves=tiny)
    assert not (tmp_path / "x").exists()  # refused before anything is written
    with pytest.raises(ValueError, match="benchmark-codec='foo' is invalid: must be one of "
                                         "digital, djscc"):
        run_grid(SCN, DM, [0.0], [0.1], PI, tmp_path / "y", ["benchmark"], progress=False,
                 benchmark_codec="foo")
    with pytest.raises(ValueError, match="codec_kind='analogue' is invalid"):
        (d,) = solve_point(SCN, DM, 0.0, 0.1, PI, ("benchmark",))
        type(d)(**{**d.__dict__, "codec_kind": "analogue"})


def _analog_design(tiny, sinr_db):
    prob = ASCCProblem(SCN, DM, 0.0, 0.1, PI)
    d = djscc_benchmark_design(prob, load_djscc_ladder(tiny))
    # the same model, sent at a chosen SINR: an operating point (no beams claim that SINR,
    # so issc e2e's re-check of the beams does not apply)
    d.sinr = 10 ** (sinr_db / 10)
    d.method, d.w_c, d.w_0 = "operating-point", 0 * d.w_c, 0 * d.w_0
    return d


def test_analog_e2e_rows_trend_and_clean_limit(tiny, tmp_path):
    imgs = crops("val", 2, 64, 3)
    files = []
    for k, im in enumerate(imgs):
        from PIL import Image

        f = tmp_path / "img" / f"{k}.png"
        f.parent.mkdir(exist_ok=True)
        Image.fromarray((im.permute(1, 2, 0).numpy() * 255).round().astype(np.uint8)).save(f)
        files.append(f)
    snrs = [-20.0, -10.0, 30.0, 300.0]
    designs = [_analog_design(tiny, s) for s in snrs]
    res = run_e2e(tmp_path / "e2e", designs, images=files, channel="ldpc", trials=2,
                  workers=1, progress=False, djscc_dir=tiny.parent)
    with open(res["results"], newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(snrs) * 2 * 2
    assert {r["channel"] for r in rows} == {"analog"}
    assert all(math.isnan(float(r[c])) for r in rows for c in ("ber_meas", "bler_meas", "rc"))
    ms = [s["msssim_meas"] for s in res["rows"]]
    assert ms[0] < ms[1] < ms[2]  # quality rises with the SINR
    assert all(math.isfinite(s["msssim_lo"]) for s in res["rows"])  # 95% intervals
    # at 300 dB the link adds nothing: the clean reconstruction, which clean.csv holds
    with open(res["clean"], newline="") as fh:
        clean = {r["image"]: float(r["ms_ssim"]) for r in csv.DictReader(fh)}
    top = [r for r in rows if r["design"] == "3"]
    for r in top:
        assert float(r["msssim_meas"]) == pytest.approx(clean[r["image"]], abs=1e-6)
    # independently: the model's own decode(encode(x)) on the image as read back
    from semcodec.datasets import load_image

    model, _ = load_model(djscc_files(tiny.parent)[designs[0].djscc_model])
    x = load_image(files[0])
    with torch.no_grad():
        own = model.decode(model.encode(x[None]))[0].clamp(0, 1)
    assert image_metrics(x, own)[2] == pytest.approx(clean["0.png"], abs=1e-6)
    # resume: a rerun adds nothing; the same seed gives the same noise
    again = run_e2e(tmp_path / "e2e", designs, images=files, channel="ldpc", trials=2,
                    workers=1, progress=False, djscc_dir=tiny.parent)
    assert again["counts"]["resumed_rows"] == len(rows)
    g1, g2 = trial_generator(0, 1, 0, 0), trial_generator(0, 1, 0, 0)
    a = send_image(model, x, -10.0, g1)
    b = send_image(model, x, -10.0, g2)
    assert torch.equal(a, b)


def test_analog_noise_has_the_design_sinr(tiny):
    """Received minus sent symbols: variance 10^(-SINR/10) per complex use, unit signal."""
    from semcodec.djscc import awgn, to_complex

    model, _ = load_model(djscc_files(tiny.parent)["c10_snr0"])
    x = torch.stack(crops("val", 2, 64, 5))
    with torch.no_grad():
        z = model.encode(x)
    g = torch.Generator().manual_seed(0)
    n = to_complex((awgn(z, 7.0, g) - z).double())
    zc = to_complex(z.double())
    k = zc.shape[1] * zc.shape[0]
    p_sig = float((zc.abs() ** 2).mean())
    p_noise = float((n.abs() ** 2).mean())
    assert p_sig == pytest.approx(1.0, abs=1e-5)
    # Monte Carlo: the mean of k exponentials has relative sd 1/sqrt(k); 5 sd
    assert p_noise == pytest.approx(10 ** (-0.7), rel=5 / math.sqrt(k))


def test_e2e_refuses_a_djscc_design_without_its_model(tiny, tmp_path):
    d = _analog_design(tiny, 5.0)
    d.djscc_model = "c10_nosuch"
    with pytest.raises(ValueError, match="c10_nosuch"):
        run_e2e(tmp_path / "e", [d], images=crops and None, channel="ldpc", max_images=1,
                progress=False, djscc_dir=tiny.parent)
    d = _analog_design(tiny, 5.0)
    d.codec_sha256 = "0" * 64
    with pytest.raises(ValueError, match="SHA-256"):
        run_e2e(tmp_path / "f", [d], channel="ldpc", max_images=1, progress=False,
                djscc_dir=tiny.parent)


def test_mixed_designs_file_runs_each_on_its_channels(tiny, tmp_path):
    """A designs.json of `issc ascc --benchmark-codec djscc`: ASCC digital, benchmark analog."""
    from optim.e2e import design_at
    from semcodec.datasets import shipped_photos

    dig = design_at("q1", 1.0, 6.0, "fbl")
    ana = _analog_design(tiny, 6.0)
    save_designs([dig, ana], tmp_path / "designs.json")
    img = list(shipped_photos("val", None).files)[:1]
    res = run_e2e(tmp_path / "e", tmp_path / "designs.json", images=img, channel="bitflip",
                  trials=1, crop=64, workers=1, progress=False, djscc_dir=tiny.parent)
    chans = [(s["design"], s["channel"]) for s in res["rows"]]
    assert chans == [(0, "bitflip"), (1, "analog")]
    cfg = json.loads((tmp_path / "e" / "e2e.json").read_text())
    assert cfg["codec_kinds"] == ["digital", "djscc"]
    assert cfg["codec_names"] == ["q1", ana.djscc_model]
    # a digital-only run keeps the e2e.json of before the analog path (no new keys)
    res2 = run_e2e(tmp_path / "d", [dig], images=img, channel="bitflip", trials=1, crop=64,
                   workers=1, progress=False)
    cfg2 = json.loads((tmp_path / "d" / "e2e.json").read_text())
    assert "codec_kinds" not in cfg2 and "kind" not in cfg2["designs"][0]
    assert res2["rows"][0]["msssim_meas"] == res["rows"][0]["msssim_meas"]


def test_shipped_ladder_serves_the_ascc_figure_abrs(tmp_path):
    """ABR 0.05 / 0.1 / 0.2 -> c = 5 / 10 / 19 of the shipped ladder; rows re-checked."""
    rows, designs = run_grid(SCN, DM, [-4.0], [0.05, 0.1, 0.2], PI, tmp_path / "g",
                             ["benchmark"], progress=False, benchmark_codec="djscc")
    assert [d.extra["djscc"]["c"] for d in designs] == [5, 10, 19]
    for d in designs:
        _recheck(d, -4.0, PI)
        assert abs(d.constraints["channel_uses_per_dim"].value - d.abr) <= 1 / 192 + 1e-12
        assert len(d.codec_sha256) == 64  # the shipped checkpoint's hash, checked by e2e


def test_shipped_djscc_quality_rises_with_sinr_end_to_end(tmp_path):
    """The DJSCC paper's claim on the shipped model: graceful, monotone in the SINR."""
    from optim.e2e import djscc_design_at
    from semcodec.djscc import SHIPPED_CURVES

    ladder = load_djscc_ladder()
    (curve,) = [c for c in load_djscc_curves(SHIPPED_CURVES) if c.name == "c10_snr10"]
    designs = [djscc_design_at(curve, s, ladder.model_sha256[curve.name]) for s in
               (-5.0, 5.0, 20.0)]
    res = run_e2e(tmp_path / "e", designs, channel="ldpc", trials=2, max_images=2, crop=128,
                  workers=1, progress=False)
    ms = [s["msssim_meas"] for s in res["rows"]]
    assert ms[0] + 0.05 < ms[1] and ms[1] + 0.01 < ms[2], ms
    assert ms[2] <= max(s["msssim_clean"] for s in res["rows"]) + 1e-6
