"""Sweep harness: isolation of crashes/hangs, tidy table, resume, bad input."""

import csv
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import tiny_sweep_inputs

from semcodec.sweep import RESULT_COLUMNS, ber_grid, run_sweep


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("sweep")
    imgs, models = tiny_sweep_inputs(root, image_seed=0, model_seed=0)
    kw = dict(images=imgs, models=models, ber_min=1e-5, ber_max=0.05, points=3, trials=2,
              seed=11, workers=2, progress=False)
    full = root / "full"
    paths = run_sweep(full, **kw)
    return root, kw, paths


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_sweep_table_is_tidy_and_complete(setup):
    root, kw, paths = setup
    rows = _rows(paths["results"])
    assert list(rows[0]) == list(RESULT_COLUMNS)
    assert len(rows) == 1 * 3 * 2 * 2
    bers = ber_grid(1e-5, 0.05, 3)
    assert sorted({float(r["ber"]) for r in rows}) == bers
    for r in rows:
        assert 1 <= int(r["n_flipped"]) <= int(r["n_bits"])  # conditional sampling
        assert 0 < float(r["p_any_flip"]) <= 1
        assert np.isfinite(float(r["mse"])) and 0 <= float(r["mse"]) <= 1
        assert r["decode_failed"] == "0"
        assert abs(10 * np.log10(1 / float(r["mse"])) - float(r["psnr"])) < 1e-9
    assert abs(bers[-1] - 0.05) < 1e-12
    hi = [int(r["n_flipped"]) for r in rows if float(r["ber"]) == bers[-1]]
    assert len(hi) == 4
    n_bits = int(rows[0]["n_bits"])
    assert abs(np.mean(hi) - 0.05 * n_bits) < 5 * np.sqrt(0.05 * n_bits)
    clean = _rows(paths["clean"])
    assert len(clean) == 2 and all(int(c["n_bits"]) > 0 for c in clean)


def test_resume_after_interruption_gives_the_same_table(setup):
    root, kw, paths = setup
    full_bytes = paths["results"].read_bytes()
    part = root / "part"
    part.mkdir()
    for name in ("sweep.json", "clean.csv"):
        (part / name).write_bytes((root / "full" / name).read_bytes())
    (part / "payloads").symlink_to(root / "full" / "payloads", target_is_directory=True)
    lines = full_bytes.decode().splitlines(keepends=True)
    # rows finished in another order, then a kill in the middle of a line
    kept = [lines[0]] + lines[1:][::-1][:5]
    (part / "results.csv").write_text("".join(kept) + lines[7][:20])
    out = run_sweep(part, **{**kw, "workers": 1})
    assert out["results"].read_bytes() == full_bytes
    assert (root / "full" / "clean.csv").read_bytes() == out["clean"].read_bytes()


def test_other_settings_in_the_same_folder_are_refused(setup):
    root, kw, _ = setup
    with pytest.raises(ValueError, match="other settings"):
        run_sweep(root / "full", **{**kw, "seed": 12})


def test_bad_sweep_inputs_are_refused(tmp_path, setup):
    root, kw, _ = setup
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=str(empty)):
        run_sweep(tmp_path / "o", **{**kw, "images": empty})
    with pytest.raises(ValueError, match="ber_max"):
        run_sweep(tmp_path / "o", **{**kw, "ber_max": 0.6})
    with pytest.raises(ValueError, match="ber_min"):
        run_sweep(tmp_path / "o", **{**kw, "ber_min": 0.0})
    with pytest.raises(ValueError, match="trials"):
        run_sweep(tmp_path / "o", **{**kw, "trials": 0})


@pytest.mark.slow
def test_killed_cli_sweep_resumes_to_the_same_table(setup, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    root, kw, _ = setup
    cmd = [sys.executable, "-m", "scripts.cli", "ber-sweep", "--images", str(kw["images"]),
           "--models", str(kw["models"]), "--ber-min", "1e-6", "--ber-max", "0.1", "--points",
           "4", "--trials", "3", "--seed", "5", "--workers", "2", "--out"]
    repo = Path(__file__).resolve().parent.parent
    subprocess.run(cmd + [str(tmp_path / "a")], check=True, cwd=repo, capture_output=True)
    b = tmp_path / "b"
    proc = subprocess.Popen(cmd + [str(b)], cwd=repo, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while time.time() < deadline:
        res = b / "engine" / "trials" / "rows.jsonl"  # rows as they finish (optim.sweep)
        if res.is_file() and res.read_text().count("\n") > 8:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = (b / "engine" / "trials" / "rows.jsonl").read_text().count("\n")
    assert n_before < 4 * 2 * 3
    subprocess.run(cmd + [str(b)], check=True, cwd=repo, capture_output=True)
    assert (b / "results.csv").read_bytes() == (tmp_path / "a" / "results.csv").read_bytes()


@pytest.mark.slow
def test_demo_sweep_and_fit_writes_fig2(setup, tmp_path):
    from semcodec.sweep import demo_sweep_and_fit

    _, kw, _ = setup
    paths = demo_sweep_and_fit(tmp_path / "demo", models=kw["models"], progress=False)
    assert paths["fits"].is_file()
    from scripts.cmd_fit_scurves import plot_fig2

    assert plot_fig2(paths["fits"].parent).is_file()
    rows = _rows(paths["results"])
    assert len(rows) == 1 * 3 * 8 * 2
