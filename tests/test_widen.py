"""Widening a trained codec into a larger preset: same function, same bitstream, trainable."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from semcodec.checkpoint import load_codec, save_checkpoint
from semcodec.datasets import image_folder
from semcodec.evaluate import codec_roundtrip
from semcodec.ladder import SHIPPED_CODECS
from semcodec.train import TrainConfig, Trainer, rd_loss
from semcodec.widen import codec_widths, widen_codec
from semcodec.zoo import build_model


@pytest.fixture(scope="module")
def narrow() -> torch.nn.Module:
    """The shipped q4 codec (compact): trained, so its densities are what widening meets."""
    model, _ = load_codec(SHIPPED_CODECS / "q4.ckpt")
    return model.eval()


def test_widened_codec_computes_what_the_narrow_one_does(narrow):
    wide = widen_codec(narrow, "bmshj2018", seed=1).eval()
    assert codec_widths(narrow) == (64, 96) and codec_widths(wide) == (128, 192)
    torch.manual_seed(0)
    x = torch.rand(2, 3, 128, 128)
    with torch.no_grad():
        a, b = narrow(x), wide(x)
        y_new = wide.g_a(x)[:, 96:]
    assert torch.allclose(a["x_hat"], b["x_hat"], atol=1e-5)
    assert torch.allclose(a["likelihoods"]["y"], b["likelihoods"]["y"][:, :96], atol=1e-6)
    assert torch.allclose(a["likelihoods"]["z"], b["likelihoods"]["z"][:, :64], atol=1e-6)
    # the new latents round to 0 and sit at the narrowest Gaussian: ~0 bits
    assert y_new.abs().max() < 0.5
    assert (-torch.log2(b["likelihoods"]["y"][:, 96:])).sum() < 0.01 * 96 * 2 * 8 * 8
    # the new hyper-latents cost what the narrowest old density costs (the donor)
    z_bits_new = (-torch.log2(b["likelihoods"]["z"][:, 64:])).sum(dim=(0, 2, 3))
    z_bits_old = (-torch.log2(a["likelihoods"]["z"])).sum(dim=(0, 2, 3))
    assert torch.allclose(z_bits_new, z_bits_new[0].expand(64))
    assert z_bits_new[0] <= z_bits_old.mean()


def test_widened_codec_real_bitstream_decodes_the_same_image(narrow):
    wide = widen_codec(narrow, "bmshj2018").eval()
    wide.update(force=True)
    torch.manual_seed(1)
    img = torch.rand(3, 128, 192)
    rec_a, bits_a, _ = codec_roundtrip(narrow, img)
    rec_b, bits_b, _ = codec_roundtrip(wide, img)
    assert torch.allclose(rec_a, rec_b, atol=1e-5)
    # the extra channels cost a few bytes, not a rate change
    assert bits_a <= bits_b <= bits_a * 1.001 + 8 * 8


def test_widening_refuses_a_narrower_or_unknown_preset():
    wide = build_model("bmshj2018")
    with pytest.raises(ValueError, match=r"preset='compact' \(N=64, M=96\) is narrower than the "
                                         r"codec \(N=128, M=192\)"):
        widen_codec(wide, "compact")
    with pytest.raises(ValueError, match="preset='huge' is unknown"):
        widen_codec(wide, "huge")


def test_training_a_larger_preset_from_a_compact_checkpoint(image_dir, tmp_path, narrow):
    ckpt = tmp_path / "compact.ckpt"
    save_checkpoint(ckpt, narrow, {"preset": "compact", "lambda": 0.025})
    tr = image_folder(image_dir, crop_size=64, train=True, seed=0, cache=True)
    va = image_folder(image_dir, crop_size=64, train=False, cache=True)
    cfg = TrainConfig(preset="bmshj2018", lmbda=0.025, steps=1, batch_size=2, init=str(ckpt),
                      warmup_steps=1)
    t = Trainer(cfg, tr, va, [va.image(0)], tmp_path / "run")
    assert t.meta["widened_from"] == "compact"
    loaded, _ = load_codec(ckpt)
    x = torch.stack([va[0], va[1]])
    t.model.eval()
    with torch.no_grad():  # the warm start is the compact codec, not a fresh model
        assert torch.allclose(t.model(x)["x_hat"], loaded.eval()(x)["x_hat"], atol=1e-4)
    # the zero weights from the new latents into the synthesis get a gradient at once
    t.model.train()
    rd_loss(t.model(x), x, cfg.lmbda)["loss"].backward()
    assert t.model.g_s[0].weight.grad[96:].abs().sum() > 0
    assert t.model.g_a[-1].weight.grad[96:].abs().sum() > 0
    grown = t.fit(progress=False)
    _, meta = load_codec(grown)
    assert meta["preset"] == "bmshj2018" and meta["widened_from"] == "compact"
    # training on from the grown codec: no growth now, and the lineage keeps the earlier one
    t2 = Trainer(replace(cfg, init=str(grown)), tr, va, [va.image(0)], tmp_path / "run2")
    assert "widened_from" not in t2.meta
    assert t2.meta["init_from"]["widened_from"] == "compact"


def test_the_grown_q6_widens_again_into_compressai_top_size():
    """The shipped q6 (bmshj2018, itself grown) into bmshj2018-high (N=192, M=320)."""
    mid, meta = load_codec(SHIPPED_CODECS / "q6.ckpt")
    assert meta["preset"] == "bmshj2018"
    mid.eval()
    top = widen_codec(mid, "bmshj2018-high", seed=2).eval()
    assert codec_widths(top) == (192, 320)
    torch.manual_seed(3)
    x = torch.rand(1, 3, 128, 128)
    with torch.no_grad():
        a, b = mid(x), top(x)
    assert torch.allclose(a["x_hat"], b["x_hat"], atol=1e-5)
    assert torch.allclose(a["likelihoods"]["y"], b["likelihoods"]["y"][:, :192], atol=1e-6)
    assert torch.allclose(a["likelihoods"]["z"], b["likelihoods"]["z"][:, :128], atol=1e-6)
    assert (-torch.log2(b["likelihoods"]["y"][:, 192:])).sum() < 0.01 * 128 * 8 * 8
