"""Installing trained checkpoints as a ladder: order checks, stale models, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from semcodec.checkpoint import load_codec, save_checkpoint
from semcodec.ladder import install_ladder, shipped_ladder
from semcodec.zoo import build_model


def _ckpt(path, lam, preset="compact", psnr=25.0):
    meta = {"preset": preset, "lambda": lam, "steps": 7, "command": f"issc train --lmbda {lam}",
            "eval": {"bpp": 10 * lam, "psnr": psnr, "ms_ssim": 0.9, "rs_bits": 1000 * lam}}
    save_checkpoint(path, build_model(preset), meta)
    return path


def test_install_writes_index_card_and_drops_a_longer_old_ladder(tmp_path):
    dest = tmp_path / "ladder"
    old = [_ckpt(tmp_path / f"o{i}.ckpt", lam) for i, lam in enumerate([0.001, 0.002, 0.004])]
    install_ladder(old, dest)
    assert [p.name for p in shipped_ladder(dest)] == ["q1.ckpt", "q2.ckpt", "q3.ckpt"]
    new = [_ckpt(tmp_path / f"n{i}.ckpt", lam, psnr=30 + i) for i, lam in enumerate([0.01, 0.02])]
    install_ladder(new, dest, provenance={"command": "test"})
    files = shipped_ladder(dest)
    assert [p.name for p in files] == ["q1.ckpt", "q2.ckpt"]  # the old q3 is gone
    (dest / "q1_old.ckpt").write_bytes(b"a user's file")
    assert shipped_ladder(dest) == files and (dest / "q1_old.ckpt").exists()
    doc = json.loads((dest / "ladder.json").read_text())
    assert [r["lambda"] for r in doc["models"]] == [0.01, 0.02]
    assert [r["psnr"] for r in doc["models"]] == [30, 31]
    assert doc["installed"] == {"command": "test"}
    for row, f in zip(doc["models"], files):
        assert load_codec(f)[1]["sha256"] == row["sha256"]
    card = (dest / "README.md").read_text()
    assert "issc train --lmbda 0.02" in card and "| q2 | compact | 0.02 | 7 | 7 |" in card
    assert not list(dest.glob(".*tmp"))


def test_card_counts_steps_over_warm_start_stages():
    from semcodec.ladder import _total_steps

    meta = {"steps": 5, "init_from": {"steps": 7, "init_from": {"steps": 11}}}
    assert _total_steps(meta) == 23


def test_a_ladder_may_grow_its_preset_with_the_rate(tmp_path):
    """CompressAI's zoo widens its models at the high qualities; a ladder may too."""
    dest = tmp_path / "ladder"
    ckpts = [_ckpt(tmp_path / "a.ckpt", 0.01), _ckpt(tmp_path / "b.ckpt", 0.05,
                                                     preset="bmshj2018")]
    install_ladder(ckpts, dest)
    doc = json.loads((dest / "ladder.json").read_text())
    assert [r["preset"] for r in doc["models"]] == ["compact", "bmshj2018"]
    assert "| q2 | bmshj2018 | 0.05 |" in (dest / "README.md").read_text()
    widths = [load_codec(p)[0].g_a[-1].weight.shape[0] for p in shipped_ladder(dest)]
    assert widths == [96, 192]


def test_install_refuses_bad_ladders_before_touching_dest(tmp_path):
    dest = tmp_path / "ladder"
    a, b = _ckpt(tmp_path / "a.ckpt", 0.02), _ckpt(tmp_path / "b.ckpt", 0.01)
    with pytest.raises(ValueError, match="lambda must increase along the ladder: q2"):
        install_ladder([a, b], dest)
    c = _ckpt(tmp_path / "c.ckpt", 0.05, preset="bmshj2018")
    d = _ckpt(tmp_path / "d.ckpt", 0.08)
    with pytest.raises(ValueError, match=r"preset must not shrink along the ladder: q3 .* is "
                                         r"compact \(N=64, M=96\), smaller than q2's bmshj2018"):
        install_ladder([b, c, d], dest)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        install_ladder([b, tmp_path / "missing.ckpt"], dest)
    assert not dest.exists()


def test_cli_install_ladder(tmp_path):
    a, b = _ckpt(tmp_path / "a.ckpt", 0.01), _ckpt(tmp_path / "b.ckpt", 0.02)
    run = [sys.executable, "-m", "scripts.cli", "install-ladder"]
    r = subprocess.run(run + [str(a), str(b), "--dest", str(tmp_path / "L")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "L" / "ladder.json").read_text())
    assert doc["installed"]["command"].startswith("issc install-ladder")
    r = subprocess.run(run + [str(b), str(a), "--dest", str(tmp_path / "M")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "lambda must increase" in r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "M").exists()
