"""The sweep engine on Ray: the same rows as the local engine, refusals, a node lost mid-sweep."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from optim.sweep import point_key, run_grid

ray = pytest.importorskip("ray")

REPO = Path(__file__).resolve().parent.parent
PROBE = "optim.sweep.probe:bpsk_ber"


@pytest.fixture(autouse=True)
def _ray_env(monkeypatch):
    # a private cluster per test, no token files or usage reports
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")


def test_local_and_ray_engines_give_identical_rows(tmp_path):
    grid = [{"ebn0_db": float(x), "n_bits": 20_000} for x in range(6)]
    grid.append({"ebn0_db": 1.0, "n_bits": 0})  # a failing point fails the same way
    local = run_grid(grid, PROBE, tmp_path / "local", seed=4, workers=2, progress=False)
    on_ray = run_grid(grid, PROBE, tmp_path / "ray", seed=4, engine="ray", workers=2,
                      progress=False)
    assert not ray.is_initialized()  # the engine shut down the cluster it started
    assert on_ray == local and on_ray.engine == "ray"
    assert [r["status"] for r in local].count("error") == 1
    assert (tmp_path / "ray" / "rows.csv").read_bytes() == \
        (tmp_path / "local" / "rows.csv").read_bytes()
    where = [json.loads(x)["where"] for x in (tmp_path / "ray" / "rows.jsonl").open()]
    assert all(w.startswith("ray:") for w in where)


def test_unreachable_ray_address_is_one_line_and_exit_2(tmp_path):
    cmd = [sys.executable, "-m", "scripts.cli", "ber-sweep", "--max-images", "1", "--points",
           "1", "--engine", "ray", "--address", "127.0.0.1:1", "--out", str(tmp_path / "o")]
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300,
                       env=os.environ | {"PYTHONPATH": str(REPO)})
    assert p.returncode == 2
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("issc ber-sweep: error: Ray address 127.0.0.1:1 is unreachable")
    assert time.monotonic() - t0 < 120
    with pytest.raises(ValueError, match="Ray address auto is unreachable"):
        run_grid([{"ebn0_db": 0.0, "n_bits": 10}], PROBE, tmp_path / "g", engine="ray",
                 address="auto", progress=False)


@pytest.mark.slow
def test_a_node_lost_mid_sweep_loses_and_duplicates_no_row(tmp_path):
    from ray.cluster_utils import Cluster

    grid = [{"ebn0_db": 0.2 * k, "n_bits": 4_000_000} for k in range(40)]
    ref = run_grid(grid, PROBE, tmp_path / "ref", seed=2, workers=2, progress=False)
    # the head runs no points: every point runs on node A, then on node B that
    # replaces it (as an autoscaler would), so the loss always hits running points
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    node_a = cluster.add_node(num_cpus=2)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    out = tmp_path / "ray"
    log = out / "rows.jsonl"
    result: dict = {}

    def sweep() -> None:
        try:
            result["rows"] = run_grid(grid, PROBE, out, seed=2, engine="ray", progress=False)
        except BaseException as exc:  # reported by the main thread
            result["error"] = exc

    try:
        th = threading.Thread(target=sweep)
        th.start()
        deadline = time.time() + 120
        while time.time() < deadline and not (log.is_file() and
                                              log.read_bytes().count(b"\n") >= 4):
            time.sleep(0.02)
        cluster.remove_node(node_a)  # node A and the points running on it are gone
        n_at_loss = log.read_bytes().count(b"\n")
        cluster.add_node(num_cpus=2)
        th.join(300)
        assert not th.is_alive() and "error" not in result, result.get("error")
        first = result["rows"]
        assert 4 <= n_at_loss < len(grid)
        # Ray re-ran the lost points on node B; a rerun (the resume after a lost node in
        # general) finds every point done
        again = run_grid(grid, PROBE, out, seed=2, engine="ray", progress=False)
        assert again.n_resumed == len(grid) and not again.ran_now
    finally:
        ray.shutdown()
        cluster.shutdown()
    keys = [json.loads(x)["key"] for x in log.open()]
    assert sorted(keys) == sorted(point_key(p) for p in grid)  # none lost, none twice
    nodes = {json.loads(x)["where"].split(":")[1] for x in log.open()}
    assert len(nodes) == 2  # rows came from node A and from node B
    assert first == ref == again
