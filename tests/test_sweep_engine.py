"""The sweep engine (optim.sweep) on the local engine: seeds, rows, resume, refusals, faults."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from sweep_workers import fragile_bpsk

from optim.sweep import point_key, point_seed, run_grid
from optim.sweep.probe import bpsk_ber

REPO = Path(__file__).resolve().parent.parent
PROBE = "optim.sweep.probe:bpsk_ber"


def _grid(n_bits: int = 40_000) -> list[dict]:
    return [{"ebn0_db": float(x), "n_bits": n_bits} for x in (0, 1, 2, 3, 4, 5)]


def test_point_seed_is_a_function_of_the_run_seed_and_the_point_only():
    p = {"ebn0_db": 2.0, "n_bits": 10}
    assert point_key(p) == point_key({"n_bits": 10, "ebn0_db": 2.0})  # order of keys
    assert point_seed(3, p) == point_seed(3, {"n_bits": 10, "ebn0_db": 2.0})
    assert point_seed(3, p) != point_seed(4, p)
    seeds = {point_seed(0, q) for q in _grid()}
    assert len(seeds) == 6 and all(0 <= s < 2**63 for s in seeds)


def test_rows_do_not_depend_on_worker_count_or_order_and_match_theory(tmp_path):
    a = run_grid(_grid(), PROBE, tmp_path / "a", seed=5, workers=1, progress=False)
    b = run_grid(_grid()[::-1], PROBE, tmp_path / "b", seed=5, workers=2, progress=False)
    by_key = {point_key({"ebn0_db": r["ebn0_db"], "n_bits": r["n_bits"]}): r for r in b}
    assert [r["status"] for r in a] == ["ok"] * 6
    for r in a:
        assert by_key[point_key({"ebn0_db": r["ebn0_db"], "n_bits": r["n_bits"]})] == r
        # the same number in this process: the engine passes the documented seed
        assert r["n_errors"] == bpsk_ber(r, point_seed(5, {k: r[k] for k in ("ebn0_db",
                                                                             "n_bits")}))["n_errors"]
        # the worker is a real Monte Carlo: within 5 sigma of Q(sqrt(2 Eb/N0))
        p, n = r["ber_exact"], r["n_bits"]
        assert abs(r["ber"] - p) < 5 * math.sqrt(p * (1 - p) / n)
    assert a[0]["ber"] > a[-1]["ber"]
    lines = (tmp_path / "a" / "rows.csv").read_text().splitlines()
    assert lines[0] == "ebn0_db,n_bits,n_errors,ber,ber_exact,seed,status,error"
    assert len(lines) == 7


def test_a_failing_point_is_recorded_and_the_sweep_goes_on(tmp_path):
    grid = _grid(5_000)[:3] + [{"ebn0_db": 1.0, "n_bits": 0}]
    rows = run_grid(grid, PROBE, tmp_path, seed=0, workers=2, progress=False)
    assert [r["status"] for r in rows] == ["ok", "ok", "ok", "error"]
    assert "n_bits=0 is invalid" in rows[3]["error"] and "ber" not in rows[3]
    assert rows.failed() == [rows[3]]
    again = run_grid(grid, PROBE, tmp_path, seed=0, workers=2, progress=False)
    assert again.n_resumed == 4 and not again.ran_now and again == rows
    retried = run_grid(grid, PROBE, tmp_path, seed=0, workers=1, progress=False,
                       retry_failed=True)
    assert retried.ran_now == {point_key(grid[3])} and retried == rows


def test_a_segfault_and_a_hang_cost_one_point_each(tmp_path):
    grid = [{"ebn0_db": 1.0, "n_bits": 1000, "fault": f} for f in ("", "segv", "hang", "-")]
    rows = run_grid(grid, fragile_bpsk, tmp_path, seed=1, workers=2, timeout_s=3.0,
                    context={"tag": "ctx"}, progress=False)
    assert [r["status"] for r in rows] == ["ok", "crash", "timeout", "ok"]
    assert rows[0]["context"] == {"tag": "ctx"}  # the context reaches the worker
    assert "exit code" in rows[1]["error"] and "within 3" in rows[2]["error"]


def test_other_grid_in_the_folder_is_refused_naming_the_difference(tmp_path):
    kw = {"workers": 1, "progress": False}
    run_grid(_grid(1000)[:2], PROBE, tmp_path, seed=0, context={"scale": 1}, **kw)
    with pytest.raises(ValueError, match=r"different grid \(seed 0 there, 1 here\)"):
        run_grid(_grid(1000)[:2], PROBE, tmp_path, seed=1, context={"scale": 1}, **kw)
    with pytest.raises(ValueError, match=r"1 point\(s\) not in it \(first \{\"ebn0_db\":2.0"):
        run_grid(_grid(1000)[:3], PROBE, tmp_path, seed=0, context={"scale": 1}, **kw)
    with pytest.raises(ValueError, match=r"context \(scale\)"):
        run_grid(_grid(1000)[:2], PROBE, tmp_path, seed=0, context={"scale": 2}, **kw)
    with pytest.raises(ValueError, match="worker 'optim.sweep.probe:bpsk_ber' there"):
        run_grid(_grid(1000)[:2], fragile_bpsk, tmp_path, seed=0, context={"scale": 1}, **kw)
    again = run_grid(_grid(1000)[:2], PROBE, tmp_path, seed=0, context={"scale": 1}, **kw)
    assert again.n_resumed == 2


@pytest.mark.parametrize("kw, msg", [
    ({"engine": "dask"}, r"engine='dask' is invalid: must be one of \['local', 'ray'\]"),
    ({"workers": 0}, "workers=0 is invalid: must be >= 1"),
    ({"address": "auto"}, "address='auto' is invalid for engine 'local'"),
    ({"engine": "ray", "address": "nohost"}, "address='nohost' is invalid: give 'auto' or "
                                             "HOST:PORT"),
    ({"worker": "optim.sweep.probe:nope"}, "cannot import it"),
    ({"worker": "optim.sweep.probe"}, "must be 'package.module:function'"),
    ({"worker": lambda p, s, c: {}}, "module-level function"),
    ({"points": []}, r"points=\[\] is invalid"),
    ({"points": [{"a": 1}, {"a": 1}]}, r"point \{\"a\":1\} is given twice"),
    ({"points": [{"a": float("nan")}]}, "finite JSON values"),
    ({"points": [{"seed": 1}]}, "'seed' is a column the engine writes"),
    ({"context": {"f": object()}}, "context is invalid: must be JSON-able"),
])
def test_bad_input_is_refused_in_one_line(tmp_path, kw, msg):
    args = {"points": [{"ebn0_db": 1.0, "n_bits": 10}], "worker": PROBE} | kw
    with pytest.raises(ValueError, match=msg):
        run_grid(args.pop("points"), args.pop("worker"), tmp_path / "o", progress=False, **args)


_KILLED_RUN = """
import sys
from optim.sweep import run_grid
grid = [{"ebn0_db": 0.25 * k, "n_bits": 1_500_000} for k in range(16)]
run_grid(grid, "optim.sweep.probe:bpsk_ber", sys.argv[1], seed=9, workers=2, progress=False)
"""


def test_killed_sweep_resumes_with_no_lost_or_duplicated_rows(tmp_path):
    grid = [{"ebn0_db": 0.25 * k, "n_bits": 1_500_000} for k in range(16)]
    part = tmp_path / "part"
    env = os.environ | {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", _KILLED_RUN, str(part)], cwd=REPO, env=env,
                            start_new_session=True, stderr=subprocess.PIPE)
    log = part / "rows.jsonl"
    deadline = time.time() + 120
    while time.time() < deadline:
        if log.is_file() and log.read_bytes().count(b"\n") >= 4:
            break
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, as a crash or lost host
    proc.wait()
    n_before = log.read_bytes().count(b"\n")
    assert 4 <= n_before < 16
    with open(log, "ab") as f:
        f.write(b'{"key": "{\\"ebn0_db\\":9')  # a line torn by the kill
    rows = run_grid(grid, PROBE, part, seed=9, workers=2, progress=False)
    assert rows.n_resumed == n_before and len(rows.ran_now) == 16 - n_before
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(lines) == 16 and len({x["key"] for x in lines}) == 16
    full = run_grid(grid, PROBE, tmp_path / "full", seed=9, workers=2, progress=False)
    assert (part / "rows.csv").read_bytes() == (tmp_path / "full" / "rows.csv").read_bytes()
    assert full == rows and all(r["status"] == "ok" for r in rows)
    assert np.all(np.diff([r["ber_exact"] for r in rows]) < 0)


def test_a_folder_in_use_by_a_running_sweep_is_refused(tmp_path):
    from optim.sweep.grid import folder_lock

    with folder_lock(tmp_path):  # as a sweep running in another process holds it
        with pytest.raises(ValueError, match=rf"out={tmp_path} is in use by another running "
                                             rf"sweep \(pid {os.getpid()}\)"):
            run_grid(_grid(100)[:1], PROBE, tmp_path, workers=1, progress=False)
    rows = run_grid(_grid(100)[:1], PROBE, tmp_path, workers=1, progress=False)
    assert rows[0]["status"] == "ok"


def test_a_new_engine_is_one_small_subclass(tmp_path):
    """The interface a Dask engine would implement: imap_unordered + register_engine."""
    from optim.sweep import ENGINES, Engine, Outcome, register_engine
    from optim.sweep.engines import call_worker

    class InProcess(Engine):
        name = "inprocess-test"

        def imap_unordered(self, worker, context, tasks):
            for t in reversed(list(tasks)):  # any order
                yield t, call_worker(worker, t.point, t.seed, context, "inprocess")

    register_engine(InProcess)
    try:
        rows = run_grid(_grid(2000), PROBE, tmp_path / "x", seed=5, engine="inprocess-test",
                        progress=False)
    finally:
        del ENGINES["inprocess-test"]
    local = run_grid(_grid(2000), PROBE, tmp_path / "l", seed=5, workers=2, progress=False)
    assert rows == local and isinstance(Outcome("ok"), Outcome)
    assert (tmp_path / "x" / "rows.csv").read_bytes() == (tmp_path / "l" / "rows.csv").read_bytes()
