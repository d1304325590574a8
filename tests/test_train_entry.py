"""``python -m semcodec.train_rate``: the training entry point the parallel ladder launches."""

from __future__ import annotations

import json
import subprocess
import sys

from semcodec.checkpoint import load_codec
from semcodec.ladder import train_ladder_parallel


def test_bad_lambda_is_one_line_and_exit_2(tmp_path):
    r = subprocess.run([sys.executable, "-m", "semcodec.train_rate", "--lmbda", "-1", "--out",
                        str(tmp_path / "o")], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == (
        "train_rate: error: lambda=-1.0 is invalid: must be a finite positive number")
    assert "Traceback" not in r.stderr


def test_parallel_ladder_trains_every_rate_through_the_module_entry_point(image_dir, tmp_path):
    lams = [0.0035, 0.0018]
    paths = train_ladder_parallel(lams, tmp_path, 2, [
        "--dataset", "folder", "--data", str(image_dir), "--crop", "64", "--batch-size", "2",
        "--val-every", "2", "--ckpt-every", "2", "--device", "cpu", "--threads", "1"], seed=5)
    assert paths == [tmp_path / "q1" / "model.ckpt", tmp_path / "q2" / "model.ckpt"]
    for i, (path, lam) in enumerate(zip(paths, sorted(lams))):
        _, meta = load_codec(path)
        assert meta["lambda"] == lam and meta["steps"] == 2 and meta["config"]["seed"] == 5 + i
        run = json.loads((path.parent / "meta.json").read_text())
        assert run["status"] == "ok" and run["step"] == 2
        assert run["command"].startswith(f"python -m semcodec.train_rate --lmbda {lam!r} ")
        assert meta["command"] == run["command"]
