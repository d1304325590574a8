"""The facade of issue 32 part 2: semcodec.load_codec(quality=K), transmit, the model id an
encode records, the one far-field default, and the one-line missing-extra error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import semcodec
from semcodec.channel import flip_bits
from semcodec.checkpoint import read_checkpoint
from semcodec.datasets import SHIPPED_PHOTOS
from semcodec.evaluate import codec_roundtrip, psnr
from semcodec.ladder import shipped_ladder

ROOT = Path(__file__).resolve().parents[1]
PHOTO = sorted(SHIPPED_PHOTOS.glob("*.jpg"))[0]


@pytest.fixture(scope="module")
def crop() -> torch.Tensor:
    return semcodec.load_image(PHOTO)[:, :128, :192].contiguous()  # small: 2 cores


@pytest.fixture(scope="module")
def q1():
    return semcodec.load_codec(quality=1)


def test_public_names_resolve_and_import_stays_light():
    for name in semcodec.__all__:
        assert getattr(semcodec, name) is not None
    code = "import sys, semcodec; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_quality_is_one_based_as_the_cli(q1):
    ladder = shipped_ladder()
    assert q1.checkpoint_meta["sha256"] == read_checkpoint(ladder[0])["sha256"]
    assert q1.checkpoint_meta["ladder_index"] == 1
    for bad in (0, len(ladder) + 1, 2.0, True):
        with pytest.raises(ValueError, match=rf"quality={bad!r} is invalid: must be a ladder "
                                             rf"index 1\.\.{len(ladder)}"):
            semcodec.load_codec(quality=bad)
    with pytest.raises(ValueError, match="give one of quality"):
        semcodec.load_codec()
    by_path = semcodec.load_codec(path=ladder[0])  # the 0-based list path still works
    assert by_path.checkpoint_meta["sha256"] == q1.checkpoint_meta["sha256"]


def test_transmit_error_free_matches_the_codec_round_trip(crop, q1):
    decoded, rep = semcodec.transmit(crop, ber=0.0, model=q1)
    x_hat, n_bits, _ = codec_roundtrip(q1, crop)
    assert decoded.shape == crop.shape and rep.flips == 0 and rep.decoded_ok
    assert rep.quality == 1 and rep.concealed == 0
    assert rep.bits == n_bits and rep.bpp == pytest.approx(n_bits / (128 * 192))
    assert rep.psnr_db == pytest.approx(psnr(crop, x_hat.clamp(0, 1)), abs=1e-4)
    assert 0.5 < rep.ms_ssim <= 1.0


def test_transmit_flips_bits_as_the_channel_with_that_seed(crop, q1):
    clean, _ = semcodec.transmit(crop, ber=0.0, model=q1)
    decoded, rep = semcodec.transmit(crop, ber=3e-3, seed=7, model=q1)
    body = semcodec.encode_image(q1, crop).body
    _, expected = flip_bits(body, 3e-3, np.random.default_rng(7))
    assert rep.flips == expected > 0 and rep.bits == 8 * len(body)
    assert torch.isfinite(decoded).all() and decoded.min() >= 0 and decoded.max() <= 1
    assert not torch.equal(decoded, clean)  # the flips reached the image
    again, rep2 = semcodec.transmit(crop, ber=3e-3, seed=7, model=q1)
    assert torch.equal(again, decoded) and rep2 == rep
    with pytest.raises(ValueError, match="ber"):
        semcodec.transmit(crop, ber=0.7, model=q1)


def test_issc_decode_accepts_a_payload_the_library_made(crop, tmp_path):
    from PIL import Image

    from scripts.cli import main
    from semcodec.payload import Payload

    model = semcodec.load_codec(quality=2)
    payload = semcodec.encode_image(model, crop)
    assert payload.header.model_sha == bytes.fromhex(model.checkpoint_meta["sha256"][:16])
    assert payload.header.model_index == 2
    src = tmp_path / "p.bin"
    src.write_bytes(payload.to_bytes())
    assert Payload.from_bytes(src.read_bytes()).header == payload.header
    assert main(["decode", "--payload", str(src), "--out", str(tmp_path / "d.png"),
                 "--in-process"]) == 0
    png = np.asarray(Image.open(tmp_path / "d.png"), dtype=np.float32) / 255.0
    expected, _ = semcodec.transmit(crop, ber=0.0, model=model)
    assert np.abs(png - expected.permute(1, 2, 0).numpy()).max() <= 0.5 / 255 + 1e-6


def test_one_far_field_default_for_users_and_the_optimiser():
    from linksim.farfield import CALIBRATED_SCENARIO, ISSCScenario
    from optim.ascc.inputs import DEFAULT_SCENARIO, load_scenario

    assert DEFAULT_SCENARIO == CALIBRATED_SCENARIO
    a, b = load_scenario(), ISSCScenario.calibrated()
    assert a == b
    assert (a.reflection_model, a.power_budget_dbm) == ("path_length", 0.0)
    assert a == ISSCScenario.from_toml(ROOT / "data" / "scenarios" / "issc_ascc.toml")
    # the class defaults are the old two-way reading, the shipped issc_default.toml
    old = ISSCScenario()
    assert (old.reflection_model, old.power_budget_dbm) == ("two_way", 20.0)
    assert old == ISSCScenario.from_toml(ROOT / "data" / "scenarios" / "issc_default.toml")


def test_missing_phy_extra_is_one_line_naming_it(monkeypatch, tmp_path, capsys):
    from linksim.phy import LDPCQAMLink, MissingExtraError
    from scripts.cli import main

    for name in [m for m in sys.modules if m == "sionna" or m.startswith("sionna.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sionna", None)  # import sionna now fails
    with pytest.raises(MissingExtraError, match=r"pip install 'issc\[phy\]'"):
        LDPCQAMLink(0.5)
    out = tmp_path / "ber"
    assert main(["phy-ber", "--rc", "1.0", "--sinr-db", "0", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [err[0]] and "needs the phy extra: uv pip install 'issc[phy]'" in err[0]
    assert not out.exists()


def test_transmit_ldpc_is_clean_at_a_high_sinr_and_errs_below_the_threshold(crop, q1):
    """The LDPC twin of transmit: far above the code's threshold the body arrives intact
    (the decode equals the error-free transmit); far below it bits and blocks are lost,
    and the receiver still returns an image of the sent size."""
    from optim.transmit import transmit_ldpc

    clean, rep0 = semcodec.transmit(crop, ber=0.0, model=q1)
    good, rep = transmit_ldpc(crop, sinr_db=30.0, rc=1.0, model=q1, seed=0)
    assert rep.ber == 0.0 and rep.bler == 0.0 and rep.n_blocks >= 1 and rep.decoded_ok
    assert rep.bits == rep0.bits and torch.equal(good, clean)
    bad, rep = transmit_ldpc(crop, sinr_db=-5.0, rc=3.0, model=q1, seed=0)
    assert rep.ber > 0.01 and rep.bler > 0.5
    assert bad.shape == crop.shape and rep.ms_ssim < rep0.ms_ssim
