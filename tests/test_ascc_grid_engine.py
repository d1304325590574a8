"""The ASCC grid on the sweep engine: the rows of the serial grid it replaced, on 1 or 2
local workers and on Ray; resume, a failing point, and a folder of other settings refused.

``tests/data/ascc_grid_serial.json`` holds the rows and designs that the serial
``optim.ascc.grid.run_grid`` (commit c556045, before the engine) wrote for the tiny grid
below, without the wall-time fields (``solve_s``, ``bound_solve_s``), from the S-curve
fits it was given then, kept as ``tests/data/ascc_grid_fits.json`` so that a retrained
shipped ladder (new ``data/scurves/fits.json``) does not change what is compared here.
"""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from optim.ascc.grid import run_grid
from optim.ascc.inputs import DEFAULT_SCENARIO, load_distortion, load_scenario

DATA = Path(__file__).parent / "data"
SERIAL = json.loads((DATA / "ascc_grid_serial.json").read_text())
GRID = SERIAL["grid"]
TIMING = {"solve_s", "bound_solve_s"}


def _strip(o):
    if isinstance(o, dict):
        return {k: _strip(v) for k, v in o.items() if k not in TIMING}
    if isinstance(o, list):
        return [_strip(v) for v in o]
    return o


def _files(out: Path) -> tuple[list[dict], list[dict]]:
    """(results.csv rows, designs.json designs) without the wall times and re-solve counts
    (whether a solve ends inaccurate depends on the machine)."""
    with open(out / "results.csv", newline="") as fh:
        rows = [{k: v for k, v in r.items() if k not in ("solve_s", "resolves")}
                for r in csv.DictReader(fh)]
    return rows, _strip(json.loads((out / "designs.json").read_text())["designs"])


REL = 1e-5  # a convex solve agrees to ~1e-8; a changed model or constraint moves far more
#: per-iteration records: another BLAS may stop a converged loop one iteration sooner
SOLVER_PATH = {"trace"}
#: dB (SINR gaps) and MS-SSIM (quality gaps): far below anything a figure or a claim reads
GAP_FLOOR = 1e-6


def _beam(v: dict) -> np.ndarray:
    return np.asarray(v["re"]) + 1j * np.asarray(v["im"])


def _close(a, b, path="", beam_norm: float | None = None, floor: float = 1e-12) -> None:
    """Equal structure, equal strings and discrete choices, numbers within ``REL`` (relative).

    Another BLAS or CPU moves the last digits of a convex solve (on one machine the files
    are identical), so no number is compared digit for digit: scalars to ``REL`` of their
    size, and each beam entry to ``REL`` of the design's whole beam norm
    ``sqrt(|w_c|^2 + |w_0|^2)``: an entry of 2.5e-7 next to a beam of norm 2e-2 carries no
    digits a solver tolerance of 1e-8 can fix. Differences of nearly equal numbers (a
    constraint's slack, a gap to the bound) are compared to ``REL`` of what they subtract
    (``floor``): a gap of 1.7e-8 dB against 1.67e-8 dB is the same zero."""
    if isinstance(a, dict) and {"re", "im"} == set(a) and beam_norm is not None:
        assert set(b) == {"re", "im"}, path
        wa, wb = _beam(a), _beam(b)
        assert wa.shape == wb.shape, path
        assert np.linalg.norm(wa - wb) <= REL * beam_norm, path
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), path
        if {"w_c", "w_0"} <= set(a):
            beam_norm = float(np.hypot(np.linalg.norm(_beam(b["w_c"])),
                                       np.linalg.norm(_beam(b["w_0"]))))
        for k in a:
            sub = floor
            if k == "slack":
                sub = REL * max(abs(float(b["limit"])), abs(float(b["value"])))
            elif "gap" in k:
                sub = GAP_FLOOR
            if k in SOLVER_PATH:  # where the iterations stopped, not what they reached
                _close(a[k][-1:], b[k][-1:], f"{path}.{k}[-1]", beam_norm, sub)
            else:
                _close(a[k], b[k], f"{path}.{k}", beam_norm, sub)
    elif isinstance(a, list):
        assert len(a) == len(b), path
        for k, (x, y) in enumerate(zip(a, b)):
            _close(x, y, f"{path}[{k}]", beam_norm, floor)
    elif isinstance(a, float) or isinstance(b, float):
        assert math.isnan(a) and math.isnan(b) or a == pytest.approx(b, rel=REL, abs=floor), \
            path
    elif isinstance(a, str) and isinstance(b, str) and a != b:
        try:
            fa, fb = float(a), float(b)
        except ValueError:
            assert a == b, path
        else:
            assert math.isnan(fa) and math.isnan(fb) or \
                fa == pytest.approx(fb, rel=REL, abs=floor), path
    else:
        assert a == b, path


@pytest.fixture(scope="module")
def inputs():
    return load_scenario(DEFAULT_SCENARIO), load_distortion(DATA / "ascc_grid_fits.json")


def _run(inputs, out, **kw):
    scn, dm = inputs
    args = {"pts": GRID["pt_dbm"], "abrs": GRID["abr"], "pi_m2": GRID["pi"],
            "schemes": GRID["schemes"], "method": GRID["method"], "seed": GRID["seed"]} | kw
    return run_grid(scn, dm, args.pop("pts"), args.pop("abrs"), args.pop("pi_m2"), out,
                    args.pop("schemes"), args.pop("method"), seed=args.pop("seed"),
                    progress=False, **args)


@pytest.fixture(scope="module")
def one_worker(inputs, tmp_path_factory):
    out = tmp_path_factory.mktemp("ascc") / "w1"
    _run(inputs, out, workers=1)
    return out


def test_engine_grid_writes_the_serial_grids_rows_and_designs(one_worker):
    rows, designs = _files(one_worker)
    assert [r["status"] for r in rows] == ["ok"] * 4 + ["infeasible"] * 4
    _close(rows, SERIAL["rows"])
    _close(designs, SERIAL["designs"])


def test_two_workers_and_a_resume_give_the_same_files(inputs, one_worker, tmp_path):
    _run(inputs, tmp_path / "w2", workers=2)
    assert _files(tmp_path / "w2") == _files(one_worker)
    # an interrupted run keeps the finished points: resume one from its first P_T only
    part = tmp_path / "part"
    _run(inputs, part, pts=GRID["pt_dbm"][:1], workers=2)
    n_before = len(_files(part)[0])
    rows, _ = _run(inputs, part, workers=1)
    assert n_before == 4 and len(rows) == 8

    def key(r):
        return r["scheme"], r["pt_dbm"], r["pi"]

    got, want = _files(part), _files(one_worker)
    assert sorted(got[0], key=key) == sorted(want[0], key=key)
    assert sorted(map(json.dumps, got[1])) == sorted(map(json.dumps, want[1]))


def test_a_failing_point_is_recorded_and_solved_again_by_the_next_run(inputs, tmp_path):
    out = tmp_path / "bad"
    # a benchmark codec the ladder lacks: the benchmark points raise in the worker
    kw = {"pts": [0.0], "pi_m2": [400.0], "benchmark_model": 99, "workers": 1}
    rows, designs = _run(inputs, out, **kw)
    assert [(r["scheme"], r["status"]) for r in rows] == [("ascc", "ok"), ("benchmark",
                                                                          "error")]
    assert "99" in rows[1]["message"] and len(designs) == 1
    ascc_row = _files(out)[0][0]
    rows, _ = _run(inputs, out, **kw)  # the failed point runs again, the ok one does not
    assert [r["status"] for r in rows] == ["ok", "error"]
    assert _files(out)[0][0] == ascc_row


def test_a_folder_of_other_settings_is_refused_naming_the_difference(inputs, one_worker):
    with pytest.raises(ValueError, match=r"another seed \(0 there, 1 here\)"):
        _run(inputs, one_worker, seed=1)
    scn, dm = inputs
    with pytest.raises(ValueError, match=r"another scenario \(n_t\)"):
        run_grid(scn.replace(n_t=6), dm, [0.0], [0.1], 400.0, one_worker, ["ascc"])
    with pytest.raises(ValueError, match="engine='dask' is invalid"):
        _run(inputs, one_worker, engine="dask")
    with pytest.raises(ValueError, match="workers=0 is invalid"):
        _run(inputs, one_worker, workers=0)


def test_a_folder_made_before_the_engine_resumes(inputs, one_worker, tmp_path):
    """run.json of the serial grid held only the config hash: still resumed, not refused."""
    old = tmp_path / "old"
    shutil.copytree(one_worker, old)
    cfg = json.loads((old / "run.json").read_text())["config"]
    (old / "run.json").write_text(json.dumps({"config": cfg}))
    rows, _ = _run(inputs, old, workers=1)
    assert len(rows) == 8 and _files(old) == _files(one_worker)


@pytest.mark.slow
def test_ray_engine_writes_the_same_files(inputs, one_worker, tmp_path, monkeypatch):
    pytest.importorskip("ray")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    _run(inputs, tmp_path / "ray", engine="ray", workers=2)
    assert _files(tmp_path / "ray") == _files(one_worker)


def test_ascc_front_on_two_workers_equals_the_serial_loop(inputs, tmp_path):
    """``figure ascc-front`` rows against the loop the figure ran before the engine."""
    import numpy as np

    from linksim.units import dbm_to_watt
    from optim.ascc.bound import min_hcrb, sinr_bound
    from scripts.cli import main

    out = tmp_path / "front"
    assert main(["figure", "ascc-front", "--pt-dbm", "0", "--points", "2", "--workers", "2",
                 "--out", str(out)]) == 0
    with open(out / "front.csv", newline="") as fh:
        got = list(csv.DictReader(fh))
    scn = inputs[0]
    P = float(dbm_to_watt(0.0))
    m = min_hcrb(scn, P)
    knee = m.value_m2 * np.array([1.0005, 1.003, 1.01, 1.03, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0])
    pis = np.unique(np.concatenate([np.geomspace(1.0, 1e4, 2), knee]))
    snr = 10 * math.log10(P * float(np.linalg.norm(scn.h_c) ** 2) / scn.noise_cre_w)
    assert [float(r["pi_m2"]) for r in got] == [float(p) for p in pis]
    for r, pi in zip(got, pis):
        assert float(r["min_hcrb_m2"]) == m.value_m2
        if pi < m.value_m2:
            assert r["status"] == "infeasible" and r["sinr_bound_db"] == "nan"
            continue
        b = sinr_bound(scn, P, float(pi), np.random.default_rng(0))
        assert float(r["sinr_bound_db"]) == b.sinr_db and r["rank_one"] == str(b.rank_one)
        assert r["status"] == ("binding" if b.sinr_db < snr - 1e-3 else "free")
