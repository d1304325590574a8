"""issc ber-sweep on the sweep engine: the same tables as semcodec.sweep.run_sweep, resumable."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tiny_sweep_inputs

from optim.sweep.bitflip import run_ber_sweep
from semcodec.sweep import run_sweep

REPO = Path(__file__).resolve().parent.parent
TABLES = ("sweep.json", "clean.csv", "results.csv")


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("bitflip")
    imgs, models = tiny_sweep_inputs(root, image_seed=3, model_seed=1)
    kw = dict(images=imgs, models=models, ber_min=1e-4, ber_max=0.05, points=3, trials=2,
              seed=13, workers=2, progress=False)
    run_sweep(root / "legacy", **kw)  # the tables of the sweep's own orchestration
    paths = run_ber_sweep(root / "engine", **kw)
    return root, kw, paths


def test_engine_sweep_writes_the_tables_of_the_legacy_sweep_byte_for_byte(setup):
    root, kw, paths = setup
    for name in TABLES:
        assert (root / "engine" / name).read_bytes() == (root / "legacy" / name).read_bytes()
    legacy_payloads = sorted((root / "legacy" / "payloads").rglob("*.issc"))
    assert len(legacy_payloads) == 2
    for p in legacy_payloads:
        q = root / "engine" / p.relative_to(root / "legacy")
        assert q.read_bytes() == p.read_bytes()
    summary = json.loads(paths["summary"].read_text())
    assert summary["rows"] == summary["decodes"] == 1 * 3 * 2 * 2
    assert summary["resumed_rows"] == 0 and summary["engine"] == "local"


def test_interrupted_engine_sweep_resumes_to_the_same_tables(setup):
    root, kw, _ = setup
    part = root / "part"
    shutil.copytree(root / "engine", part)
    log = part / "engine" / "trials" / "rows.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:5]) + lines[5][:30])  # 5 rows kept, then a torn line
    (part / "results.csv").unlink()
    paths = run_ber_sweep(part, **{**kw, "workers": 1})
    summary = json.loads(paths["summary"].read_text())
    assert summary["resumed_rows"] == 5 and summary["decodes"] == 12 - 5
    for name in TABLES:
        assert (part / name).read_bytes() == (root / "legacy" / name).read_bytes()
    keys = [json.loads(x)["key"] for x in log.read_text().splitlines()]
    assert len(keys) == len(set(keys)) == 12


@pytest.mark.slow
def test_ray_engine_writes_the_same_tables(setup, monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    root, kw, _ = setup
    run_ber_sweep(root / "ray", **kw, engine="ray")
    for name in TABLES:
        assert (root / "ray" / name).read_bytes() == (root / "legacy" / name).read_bytes()


def test_other_settings_and_bad_engine_options_are_refused(setup, tmp_path):
    root, kw, _ = setup
    with pytest.raises(ValueError, match=r"other settings \(seed\)"):
        run_ber_sweep(root / "engine", **{**kw, "seed": 14})
    with pytest.raises(ValueError, match="workers=0 is invalid"):
        run_ber_sweep(tmp_path / "w", **{**kw, "workers": 0})
    with pytest.raises(ValueError, match="engine='dask' is invalid"):
        run_ber_sweep(tmp_path / "e", **kw, engine="dask")
    env = os.environ | {"PYTHONPATH": str(REPO)}
    base = [sys.executable, "-m", "scripts.cli", "ber-sweep", "--images", str(kw["images"]),
            "--models", str(kw["models"]), "--out", str(tmp_path / "cli")]
    for extra, msg in ((["--workers", "0"], "--workers=0 is invalid"),
                       (["--address", "auto"], "--address auto needs --engine ray"),
                       (["--engine", "dask"], "invalid choice: 'dask'")):
        p = subprocess.run(base + extra, cwd=REPO, capture_output=True, text=True, env=env,
                           timeout=300)
        assert p.returncode == 2 and msg in p.stderr, p.stderr
