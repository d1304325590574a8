"""Codec zoo, training, checkpoints, resume, and the real bitstream round trip."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch

from semcodec.anchors import jpeg_at_bpp, jpeg_roundtrip
from semcodec.checkpoint import CheckpointError, load_codec, read_checkpoint, save_checkpoint
from semcodec.datasets import image_folder
from semcodec.evaluate import codec_roundtrip, pad_to_multiple
from semcodec.train import (
    QUANTIZERS,
    TrainConfig,
    Trainer,
    TrainingInterrupted,
    rd_loss,
    training_forward,
)
from semcodec.train_options import add_training_arguments
from semcodec.zoo import DEFAULT_LAMBDAS, build_model, rate_ladder


def _trainer(image_dir, out, steps=4, cls=Trainer, **kw):
    tr = image_folder(image_dir, crop_size=64, train=True, seed=0, cache=True)
    va = image_folder(image_dir, crop_size=64, train=False, cache=True)
    ev = [va.image(0)]
    cfg = TrainConfig(**({"lmbda": 0.013, "steps": steps, "batch_size": 2, "val_every": 2,
                          "ckpt_every": 1} | kw))
    return cls(cfg, tr, va, ev, out)


class _TermDuringStep2(Trainer):
    """Sends its own process SIGTERM in the middle of step 2."""

    def train_step(self, x):
        if self.step == 1:
            os.kill(os.getpid(), signal.SIGTERM)
        return super().train_step(x)


def test_ladder_and_presets():
    assert rate_ladder() == list(DEFAULT_LAMBDAS)
    assert rate_ladder(3) == list(DEFAULT_LAMBDAS[:3])
    with pytest.raises(ValueError, match="preset='huge' is unknown"):
        build_model("huge")
    with pytest.raises(ValueError, match="lambda=-0.1 is invalid"):
        rate_ladder(lambdas=[0.01, -0.1])
    with pytest.raises(ValueError, match="G=7 is invalid"):
        rate_ladder(7)


def test_rd_loss_bpp_matches_likelihoods():
    torch.manual_seed(0)
    m = build_model("compact")
    x = torch.rand(2, 3, 64, 64)
    out = m(x)
    t = rd_loss(out, x, 0.01)
    bits = sum(-torch.log2(v).sum() for v in out["likelihoods"].values())
    assert torch.allclose(t["bpp"], bits / (2 * 64 * 64))
    assert torch.allclose(t["loss"], 0.01 * 255**2 * t["mse"] + t["bpp"])


def test_few_steps_lower_loss_on_fixed_batch(image_dir, tmp_path):
    t = _trainer(image_dir, tmp_path / "run", lr=1e-3, warmup_steps=1)
    x = torch.stack([t.val_set[i] for i in range(3)])
    t.model.eval()
    with torch.no_grad():
        before = float(rd_loss(t.model(x), x, 0.013)["loss"])
    for _ in range(15):
        t.train_step(x)
    t.model.eval()
    with torch.no_grad():
        after = float(rd_loss(t.model(x), x, 0.013)["loss"])
    assert after < 0.7 * before


def test_resume_continues_step_count_and_matches(image_dir, tmp_path):
    # reference: 4 uninterrupted steps
    ref = _trainer(image_dir, tmp_path / "ref")
    ref.fit(progress=False)
    # interrupted: 2 steps, then a fresh Trainer on the same folder continues
    a = _trainer(image_dir, tmp_path / "run")
    assert a.fit(progress=False, stop_after=2) is None and a.step == 2
    b = _trainer(image_dir, tmp_path / "run")
    assert b.step == 2
    first = b.train_seconds  # the first run's time comes back with its state
    assert 0 < first == pytest.approx(a.train_seconds, abs=0.5)
    path = b.fit(progress=False)
    assert b.step == 4 and path.is_file()
    assert read_checkpoint(path)["meta"]["train_seconds"] > first  # both runs counted
    for (k, v), (_, w) in zip(ref.model.state_dict().items(), b.model.state_dict().items()):
        assert torch.allclose(v.float(), w.float(), atol=1e-6), k


def test_sigterm_saves_state_at_the_step_and_resume_matches(image_dir, tmp_path):
    ref = _trainer(image_dir, tmp_path / "ref", ckpt_every=100)
    ref.fit(progress=False)
    before = signal.getsignal(signal.SIGTERM)
    a = _trainer(image_dir, tmp_path / "run", cls=_TermDuringStep2, ckpt_every=100)
    with pytest.raises(TrainingInterrupted, match="SIGTERM at step 2: training state saved"):
        a.fit(progress=False)
    assert signal.getsignal(signal.SIGTERM) is before  # handler given back
    # ckpt_every=100: the only state on disk is the one the signal made, after step 2
    b = _trainer(image_dir, tmp_path / "run", ckpt_every=100)
    assert b.step == 2
    assert b.fit(progress=False).is_file() and b.step == 4
    for (k, v), (_, w) in zip(ref.model.state_dict().items(), b.model.state_dict().items()):
        assert torch.equal(v, w), k


def test_cli_interrupted_train_exits_130_with_one_line(image_dir, tmp_path, monkeypatch, capsys):
    from scripts.cli import main

    def interrupted(self, progress=True, stop_after=None, **budget):
        raise TrainingInterrupted(7, self.state_path, "SIGINT")

    monkeypatch.setattr(Trainer, "fit", interrupted)
    out = tmp_path / "run"
    assert main(["train", "--lmbda", "0.013", "--steps", "9", "--dataset", "folder", "--data",
                 str(image_dir), "--crop", "64", "--out", str(out)]) == 130
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (f"issc train: SIGINT at step 7: training state saved to "
                       f"{out / 'train_state.pt'}; rerun the same command to continue")
    assert json.loads((out / "meta.json").read_text())["status"] == "interrupted"


_FAKE_RATE = r"""
import pathlib, signal, sys, time
out = pathlib.Path(sys.argv[sys.argv.index("--out") + 1])
def stop(signum, frame):
    (out / "got").write_text(signal.Signals(signum).name)
    sys.exit(130)
signal.signal(signal.SIGTERM, stop)
(out / "ready").write_text("1")
time.sleep(30)
sys.exit(1)
"""


def test_parallel_ladder_passes_sigterm_on_to_every_rate(tmp_path, monkeypatch):
    """`kill -TERM <train-all --parallel>` reaches each rate's process, then the parent stops."""
    import threading
    import time

    from semcodec import ladder

    real_popen = subprocess.Popen

    def fake_rate(cmd, **kw):  # stands in for `python -m semcodec.train_rate ...`
        return real_popen([sys.executable, "-c", _FAKE_RATE, *cmd[3:]], **kw)

    monkeypatch.setattr(ladder.subprocess, "Popen", fake_rate)
    qdirs = [tmp_path / "q1", tmp_path / "q2"]

    def term_parent_when_ready():
        t0 = time.monotonic()
        while not all((q / "ready").is_file() for q in qdirs) and time.monotonic() - t0 < 20:
            time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGTERM)

    before = signal.getsignal(signal.SIGTERM)
    threading.Thread(target=term_parent_when_ready, daemon=True).start()
    with pytest.raises(KeyboardInterrupt, match="SIGTERM: passed on to every rate"):
        ladder.train_ladder_parallel([0.0035, 0.0018], tmp_path, 10, [])
    assert [(q / "got").read_text() for q in qdirs] == ["SIGTERM", "SIGTERM"]
    assert signal.getsignal(signal.SIGTERM) is before


def test_lr_warmup_then_drop(image_dir, tmp_path):
    t = _trainer(image_dir, tmp_path / "run", steps=100, warmup_steps=10, lr=1e-3)
    factors = [t._lr_factor(s) for s in range(100)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(a < b for a, b in zip(factors[:9], factors[1:10]))
    assert factors[89] == pytest.approx(1.0) and factors[90] == pytest.approx(0.1)
    t.train_step(torch.stack([t.val_set[0]]))
    assert t.opt.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.2)


def test_warm_start_is_not_shocked_and_records_provenance(image_dir, tmp_path):
    # a codec trained a little, then warm-started: the first steps must not undo it
    a = _trainer(image_dir, tmp_path / "a", steps=30, lr=1e-3, warmup_steps=1)
    ck = a.fit(progress=False)
    x = torch.stack([a.val_set[i] for i in range(3)])

    def loss(tr):
        tr.model.eval()
        with torch.no_grad():
            return float(rd_loss(tr.model(x), x, 0.013)["loss"])

    b = _trainer(image_dir, tmp_path / "b", steps=100, lr=1e-3, init=str(ck), warmup_steps=50)
    start = loss(b)
    for _ in range(3):
        b.train_step(x)
    assert loss(b) < 1.05 * start
    assert b.meta["init_from"]["steps"] == 30 and len(b.meta["init_from"]["sha256"]) == 64


def test_non_finite_step_is_skipped_not_applied(image_dir, tmp_path):
    t = _trainer(image_dir, tmp_path / "run", warmup_steps=1)
    before = {k: v.clone() for k, v in t.model.state_dict().items()}
    x = torch.stack([t.val_set[0]])
    x[0, 0, 0, 0] = float("nan")
    t.train_step(x)
    assert t.skipped == 1
    for k, v in t.model.state_dict().items():
        if "quantiles" not in k:  # the aux step still runs on the entropy bottleneck
            assert torch.equal(v, before[k]), k


def test_resume_refuses_other_lambda(image_dir, tmp_path):
    _trainer(image_dir, tmp_path / "run").fit(progress=False, stop_after=1)
    tr = image_folder(image_dir, crop_size=64, train=True)
    with pytest.raises(ValueError, match="belongs to preset=compact lambda=0.013"):
        Trainer(TrainConfig(lmbda=0.05, steps=2), tr, tr, [], tmp_path / "run")


def test_mixed_quantizer_decodes_rounded_latents_with_the_same_rate_term():
    """"mixed": the likelihoods are those of the noise forward (same draws), the decoder
    input is round(y) (what the entropy decoder hands it), and the gradient still reaches
    the analysis transform through the straight-through rounding."""
    torch.manual_seed(0)
    model = build_model("compact").train()
    x = torch.rand(2, 3, 64, 64)
    torch.manual_seed(1)
    noise = training_forward(model, x, "noise")
    torch.manual_seed(1)
    mixed = training_forward(model, x, "mixed")
    for k in ("y", "z"):
        assert torch.equal(noise["likelihoods"][k], mixed["likelihoods"][k])
    with torch.no_grad():
        y = model.g_a(x)
        assert torch.allclose(mixed["x_hat"], model.g_s(torch.round(y)), atol=1e-6)
        assert not torch.allclose(noise["x_hat"], mixed["x_hat"], atol=1e-3)
        # eval-mode forward (round(y) into g_s) reconstructs what "mixed" trains on
        assert torch.allclose(model.eval()(x)["x_hat"], mixed["x_hat"], atol=1e-6)
    # straight-through: the distortion's gradient w.r.t. y is its gradient w.r.t. round(y)
    # (the rate term alone would also reach g_a, so only the distortion is back-propagated)
    model.train()
    caught = {}
    hook = model.g_a.register_forward_hook(lambda _m, _i, out: caught.setdefault("y", out))
    out = training_forward(model, x, "mixed")
    hook.remove()
    caught["y"].retain_grad()
    torch.mean((out["x_hat"] - x) ** 2).backward()
    y_round = torch.round(caught["y"].detach()).requires_grad_()
    torch.mean((model.g_s(y_round) - x) ** 2).backward()
    assert y_round.grad.abs().sum() > 0
    assert torch.allclose(caught["y"].grad, y_round.grad, rtol=1e-4, atol=1e-10)


def test_quantizer_is_checked_recorded_and_kept_on_resume(image_dir, tmp_path):
    with pytest.raises(ValueError, match=r"quantizer='ste' is unknown: valid quantizers are "
                                         r"\['mixed', 'noise'\]"):
        TrainConfig(quantizer="ste")
    t = _trainer(image_dir, tmp_path / "run", steps=2, quantizer="mixed")
    _, meta = load_codec(t.fit(progress=False))
    assert meta["config"]["quantizer"] == "mixed"
    t2 = _trainer(image_dir, tmp_path / "run2", steps=2, quantizer="mixed")
    t2.fit(progress=False, stop_after=1)
    tr = image_folder(image_dir, crop_size=64, train=True)
    with pytest.raises(ValueError, match="quantizer=mixed, not preset=compact lambda=0.013 "
                                         "quantizer=noise"):
        Trainer(TrainConfig(lmbda=0.013, steps=2), tr, tr, [], tmp_path / "run2")


def test_cli_quantizer_choices_are_the_trainers():
    import argparse

    p = argparse.ArgumentParser()
    add_training_arguments(p)
    action = next(a for a in p._actions if a.dest == "quantizer")
    assert sorted(action.choices) == sorted(QUANTIZERS) and action.default == "noise"


def test_checkpoint_round_trip_metadata_and_bitstream(image_dir, tmp_path):
    t = _trainer(image_dir, tmp_path / "run", steps=2)
    path = t.fit(progress=False)
    model, meta = load_codec(path)
    assert meta["preset"] == "compact" and meta["lambda"] == 0.013 and meta["steps"] == 2
    ev = meta["eval"]
    img = t.eval_images[0]
    rec, nbits, _ = codec_roundtrip(model, img)
    assert ev["rs_bits"] == nbits and ev["bpp"] == pytest.approx(nbits / (128 * 96))
    assert len(meta["sha256"]) == 64


def test_decompress_equals_model_reconstruction():
    torch.manual_seed(1)
    m = build_model("compact").eval()
    m.update(force=True)
    img = torch.rand(3, 80, 100)
    rec, nbits, _ = codec_roundtrip(m, img)
    with torch.no_grad():
        # the scale hyperprior codes y around zero, so its decoder sees y_hat = round(y)
        own = m.g_s(torch.round(m.g_a(pad_to_multiple(img[None])))).clamp(0, 1)[0, :, :80, :100]
    assert nbits > 0
    assert torch.allclose(rec, own, atol=1e-5)


def test_damaged_and_foreign_checkpoints(image_dir, tmp_path):
    path = _trainer(image_dir, tmp_path / "run", steps=1).fit(progress=False)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0x40
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="is damaged"):
        load_codec(bad)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"x": 1}, foreign)
    with pytest.raises(CheckpointError, match="not an ISSC codec checkpoint"):
        load_codec(foreign)
    wrong = tmp_path / "wrong.ckpt"
    save_checkpoint(wrong, build_model("bmshj2018"), {"preset": "compact", "lambda": 0.01})
    with pytest.raises(CheckpointError, match="does not hold a compact codec"):
        load_codec(wrong)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_codec(tmp_path / "nope.ckpt")


def _tail_rate_bits(model) -> torch.Tensor:
    """Estimated bits of latents far in the tail of the Gaussian and the factorized prior."""
    y = torch.full((1, 96, 2, 2), 1e4)
    _, lk_y = model.gaussian_conditional(y, torch.full_like(y, 0.11))
    _, lk_z = model.entropy_bottleneck(torch.full((1, 64, 2, 2), 1e4))
    return -torch.log2(torch.cat([lk_y.flatten(), lk_z.flatten()])).sum()


def test_checkpoint_keeps_architecture_constants_exact(tmp_path):
    """float16 storage is for learned weights: a bound of 1e-9 must not come back as 0."""
    torch.manual_seed(0)
    m = build_model("compact").eval()
    m.update(force=True)
    save_checkpoint(tmp_path / "new.ckpt", m, {"preset": "compact", "lambda": 0.013})
    loaded, _ = load_codec(tmp_path / "new.ckpt")
    params = {k for k, _ in m.named_parameters()}
    for k, v in m.state_dict().items():
        if k not in params:
            assert torch.equal(loaded.state_dict()[k], v), k
    bits = _tail_rate_bits(loaded)
    # each of 640 symbols costs at most -log2(1e-9) = 29.9 bits under the bound
    assert torch.isfinite(bits) and bits <= 640 * 29.9


def test_old_all_float16_checkpoints_load_with_the_likelihood_bound(tmp_path):
    """Files whose every float was float16 (the ladder shipped before) hold the bound as 0."""
    import hashlib
    import io

    from semcodec.checkpoint import MAGIC

    m = build_model("compact").eval()
    m.update(force=True)
    old = {k: (v.half() if v.is_floating_point() else v) for k, v in m.state_dict().items()}
    assert old["gaussian_conditional.likelihood_lower_bound.bound"].item() == 0.0
    buf = io.BytesIO()
    torch.save({"meta": {"preset": "compact", "lambda": 0.013}, "state_dict": old}, buf)
    payload = buf.getvalue()
    path = tmp_path / "old.ckpt"
    path.write_bytes(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    loaded, _ = load_codec(path)
    assert torch.isfinite(_tail_rate_bits(loaded))
    zeroed = build_model("compact").eval()
    zeroed.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in old.items()})
    assert torch.isinf(_tail_rate_bits(zeroed))  # what the loader used to give


def test_resume_restores_a_zeroed_likelihood_bound(image_dir, tmp_path):
    a = _trainer(image_dir, tmp_path / "run", steps=2)
    a.fit(progress=False, stop_after=1)
    st = torch.load(a.state_path, weights_only=False)
    for k in st["model"]:
        if k.endswith("likelihood_lower_bound.bound"):
            st["model"][k].zero_()
    torch.save(st, a.state_path)
    b = _trainer(image_dir, tmp_path / "run", steps=2)
    assert b.step == 1 and torch.isfinite(_tail_rate_bits(b.model.eval()))


def test_jpeg_anchor_matches_bpp():
    g = torch.Generator().manual_seed(0)
    x = torch.nn.functional.interpolate(torch.rand(1, 3, 24, 32, generator=g), size=(96, 128),
                                        mode="bicubic").clamp(0, 1)[0]
    npix = x.shape[-1] * x.shape[-2]
    sizes = np.array([jpeg_roundtrip(x, q)[1] / npix for q in range(1, 96)])  # brute force
    assert np.all(np.diff(sizes) >= 0)  # the bisection's precondition holds on this image
    for target in (0.5, 1.0, 2.0, 0.0, 9.0):
        _, bpp, q = jpeg_at_bpp(x, target)
        gap = np.abs(sizes - target)
        assert q == int(np.flatnonzero(gap == gap.min())[0]) + 1 and bpp == sizes[q - 1]


def test_cli_user_errors_exit_2(tmp_path):
    cmd = [sys.executable, "-m", "scripts.cli", "train", "--lmbda", "-1", "--out", str(tmp_path)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "lambda=-1.0 is invalid" in r.stderr
    assert "Traceback" not in r.stderr
    cmd = [sys.executable, "-m", "scripts.cli", "train", "--lmbda", "0.01", "--dataset", "cub",
           "--data", str(tmp_path / "nocub"), "--out", str(tmp_path / "o")]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 2 and "images.txt" in r.stderr and "Traceback" not in r.stderr
