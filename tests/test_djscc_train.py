"""DJSCC training: exact resume, per-image SNR ranges, warm starts, the CLI verb."""

from __future__ import annotations

import json

import pytest
import torch

from scripts.cli import main
from semcodec.datasets import ImageListDataset
from semcodec.djscc import DeepJSCC, load_djscc, save_djscc
from semcodec.djscc.train import DJSCCTrainConfig, DJSCCTrainer


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    """Six smooth random 40x48 RGB images on disk (training set) and two (3, 32, 32) for val."""
    from PIL import Image

    root = tmp_path_factory.mktemp("photos")
    g = torch.Generator().manual_seed(0)
    files = []
    for i in range(6):
        base = torch.rand(3, 6, 5, generator=g)
        img = torch.nn.functional.interpolate(base[None], size=(40, 48), mode="bilinear")[0]
        arr = (img.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy()
        files.append(root / f"p{i}.png")
        Image.fromarray(arr).save(files[-1])
    val = [ImageListDataset(files[:2], 32)[i] for i in range(2)]
    return files, val


def _trainer(photos, out, **kw) -> DJSCCTrainer:
    files, val = photos
    cfg = DJSCCTrainConfig(**{"abr": 4 / 96, "snr_db": 5.0, "steps": 6, "batch_size": 3,
                              "crop": 16, "ckpt_every": 2, "val_every": 100, **kw})
    return DJSCCTrainer(cfg, ImageListDataset(files, 16, train=True, seed=0), val, out)


@pytest.mark.parametrize("snr_range", [None, (0.0, 10.0)])
def test_resume_gives_the_same_weights_as_an_uninterrupted_run(photos, tmp_path, snr_range):
    full = _trainer(photos, tmp_path / "full", snr_range=snr_range)
    assert full.fit(progress=False) == tmp_path / "full" / "model.ckpt"
    part = _trainer(photos, tmp_path / "part", snr_range=snr_range)
    assert part.fit(progress=False, stop_after=3) is None and part.step == 3
    # a new process: fresh trainer and dataset objects, the state read from disk
    resumed = _trainer(photos, tmp_path / "part", snr_range=snr_range)
    assert resumed.step == 3
    assert resumed.fit(progress=False) is not None
    a, b = full.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [h["val_psnr"] for h in full.history] == [h["val_psnr"] for h in resumed.history]
    # the training moved the weights (the comparison is not between two untouched models)
    torch.manual_seed(0)
    fresh = DeepJSCC(4).state_dict()
    assert not torch.equal(fresh["encoder.0.weight"], a["encoder.0.weight"])
    model, meta = load_djscc(tmp_path / "part" / "model.ckpt")
    assert meta["steps"] == 6 and meta["train_snr_db"] == list(resumed.cfg.train_snr_db)
    assert meta["eval"]["snr_db"] == 5.0 and 0 < meta["eval"]["ms_ssim"] <= 1


def test_resume_refuses_a_state_of_another_run(photos, tmp_path):
    _trainer(photos, tmp_path / "r").fit(progress=False, stop_after=2)
    with pytest.raises(ValueError, match="belongs to another run"):
        _trainer(photos, tmp_path / "r", snr_db=10.0)


def test_snr_range_draws_one_snr_per_image_inside_the_range(photos, tmp_path):
    t = _trainer(photos, tmp_path / "s", snr_range=(-2.0, 4.0))
    snr = t._training_snr(1000)
    assert snr.shape == (1000,) and float(snr.min()) >= -2 and float(snr.max()) <= 4
    assert float(snr.std()) > 1.5  # uniform on 6 dB: std 1.73
    assert _trainer(photos, tmp_path / "f")._training_snr(3) == 5.0


def test_warm_start_needs_the_same_abr(photos, tmp_path):
    save_djscc(tmp_path / "c4.ckpt", DeepJSCC(4), {})
    t = _trainer(photos, tmp_path / "w", init=str(tmp_path / "c4.ckpt"))
    assert t.meta["init_from"]["path"] == str(tmp_path / "c4.ckpt")
    save_djscc(tmp_path / "c5.ckpt", DeepJSCC(5), {})
    with pytest.raises(ValueError, match="not c=4"):
        _trainer(photos, tmp_path / "w2", init=str(tmp_path / "c5.ckpt"))


def test_config_refusals():
    with pytest.raises(ValueError, match="k/96"):
        DJSCCTrainConfig(abr=0.1, snr_db=0.0)
    with pytest.raises(ValueError, match="snr_db=nan is invalid"):
        DJSCCTrainConfig(abr=0.125, snr_db=float("nan"))
    with pytest.raises(ValueError, match="LO < HI"):
        DJSCCTrainConfig(abr=0.125, snr_db=0.0, snr_range=(3.0, 3.0))


def test_cli_trains_on_the_shipped_photos_and_writes_meta(tmp_path):
    out = tmp_path / "run"
    argv = ["train-djscc", "--abr", "2/96", "--snr-db", "5", "--steps", "2", "--crop", "16",
            "--batch-size", "2", "--threads", "1", "--out", str(out)]
    assert main(argv) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["step"] == 2 and meta["c"] == 2
    model, cmeta = load_djscc(out / "model.ckpt")
    assert model.c == 2 and cmeta["eval"]["n_images"] == 22  # the shipped val split
    assert main(argv) == 0  # a rerun of a finished run resumes at the end and rewrites
