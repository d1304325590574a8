"""``issc e2e`` on the sweep engine: every row equals the serial computation of its trial
(in this process, one point after the other), on 1 or 2 local workers and on Ray."""

from __future__ import annotations

import csv
import dataclasses
import json

import pytest
import torch

from optim.ascc import save_designs
from optim.e2e import design_at, run_e2e
from optim.e2e.worker import E2EHandler
from semcodec.checkpoint import read_checkpoint
from semcodec.ladder import SHIPPED_CODECS
from semcodec.sweep_tables import cell

MEASURED = ("ber_meas", "bler_meas", "mse_meas", "msssim_meas", "psnr_meas", "decode_failed")
TABLES = ("clean.csv", "results.csv", "summary.csv")


def _rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from tests.conftest import _write_image

    root = tmp_path_factory.mktemp("e2e_engine")
    for i in range(2):
        _write_image(root / "imgs" / f"im{i}.png", 96, 64, seed=40 + i)
    sha = read_checkpoint(SHIPPED_CODECS / "q1.ckpt")["sha256"]
    designs = [dataclasses.replace(design_at("q1", 0.5, 0.0, ladder_sha256=sha), ber_pred=5e-3),
               dataclasses.replace(design_at("q1", 0.5, -12.0, ladder_sha256=sha), ber_pred=0.5)]
    save_designs(designs, root / "designs.json")
    kw = dict(images=root / "imgs", channel="both", trials=2, seed=11, progress=False)
    run_e2e(root / "w2", root / "designs.json", workers=2, **kw)
    return root, kw


def test_every_row_equals_the_serial_computation_of_its_trial(run):
    root, _ = run
    out = root / "w2"
    handler = E2EHandler(json.loads((out / "e2e.json").read_text()))
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as in the workers: the decode's float sums depend on it
    try:
        rows = _rows(out / "results.csv")
        assert len(rows) == 2 * 2 * 2 * 2  # designs x images x channels x trials
        images = {n: k for k, n in enumerate(handler.cfg["image_names"])}
        for r in rows:
            want = handler.trial(int(r["design"]), images[r["image"]], r["channel"],
                                 int(r["trial"]))
            assert {c: r[c] for c in MEASURED} == {c: cell(want[c]) for c in MEASURED}, r
        for r in _rows(out / "clean.csv"):
            want = handler.clean(0, images[r["image"]])
            assert {c: r[c] for c in ("n_bits", "mse", "psnr", "ms_ssim")} == \
                {c: cell(want[c]) for c in ("n_bits", "mse", "psnr", "ms_ssim")}
    finally:
        torch.set_num_threads(before)
    # design 1 loses its payload: its rows are measured (not a crash), with the fallback
    lost = [r for r in rows if r["design"] == "1"]
    assert all(float(r["msssim_meas"]) < 0.5 for r in lost)


def test_one_worker_writes_the_same_tables(run):
    root, kw = run
    res = run_e2e(root / "w1", root / "designs.json", workers=1, **kw)
    for name in TABLES:
        assert (root / "w1" / name).read_bytes() == (root / "w2" / name).read_bytes()
    assert res["counts"]["engine"] == "local" and res["counts"]["rows"] == 16


def test_other_settings_and_bad_engine_options_are_refused(run, tmp_path):
    root, kw = run
    with pytest.raises(ValueError, match=r"other settings \(seed\)"):
        run_e2e(root / "w2", root / "designs.json", **{**kw, "seed": 12})
    with pytest.raises(ValueError, match=r"other settings \(channels, designs, "
                                         r"designs_sha256\)"):
        run_e2e(root / "w2", [design_at("q1", 0.5, 3.0)], **{**kw, "channel": "ldpc"})
    with pytest.raises(ValueError, match="workers=0 is invalid"):
        run_e2e(tmp_path / "a", root / "designs.json", workers=0, **kw)
    with pytest.raises(ValueError, match="engine='dask' is invalid"):
        run_e2e(tmp_path / "b", root / "designs.json", engine="dask", **kw)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_ray_engine_writes_the_same_tables(run, monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    root, kw = run
    res = run_e2e(root / "ray", root / "designs.json", engine="ray", workers=2, **kw)
    assert res["counts"]["engine"] == "ray"
    for name in TABLES:
        assert (root / "ray" / name).read_bytes() == (root / "w2" / name).read_bytes()
