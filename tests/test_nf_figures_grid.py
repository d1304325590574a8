"""``issc figure nf-7`` ... ``nf-12`` on their --quick grids: the files, the rows, each
saved design re-checked against every constraint of NF (28), resume (a rerun computes
nothing) and the orderings of the NF paper that a quick grid can decide."""

import csv
import json
from pathlib import Path

import pytest

from linksim.nearfield import NFScenario
from optim.nearfield import verify_design
from optim.nearfield.design import NFDesign
from optim.nearfield.points import point_scenario
from scripts.cli import main


def _run(args: list[str]) -> None:
    assert main(["figure", *args, "--workers", "2"]) == 0


def _files(out: Path, png: str) -> dict:
    for name in ("results.csv", "results.json", "meta.json", png, "grid/rows.csv"):
        assert (out / name).is_file(), name
    return json.loads((out / "results.json").read_text())


def _grid_rows(out: Path) -> list[dict]:
    return list(csv.DictReader((out / "grid" / "rows.csv").open()))


def _cell(v: str):
    return {"True": True, "False": False}.get(v) if v in ("True", "False") else json.loads(v)


def _check_designs(out: Path, rows: list[dict]) -> None:
    """Every saved design meets every constraint of (28), re-checked by verify_design."""
    grid = json.loads((out / "grid" / "grid.json").read_text())
    ctx = grid["context"]
    for r in rows:
        assert r["status"] == "ok", r
        point = {k: _cell(v) if k != "method" else v for k, v in r.items()
                 if k in ("method", "semantic", "sqrt_c_m", "n_fa", "targets", "data_mb",
                          "crb_limit", "t_max_s", "cycles_per_bit")}
        point["semantic"] = point.get("semantic", True)
        scn = NFScenario(**point_scenario(point, ctx["scenario"]))
        d = NFDesign.from_json(json.loads(r["design_json"]))
        chk = verify_design(scn, d.positions, d.W, d.Rx, d.f_hz, d.rho, d.rho_lb)
        assert chk["feasible"], (point, chk)


def _resumes(args: list[str], out: Path) -> None:
    before = (out / "grid" / "rows.csv").read_text()
    _run(args)
    res = json.loads((out / "results.json").read_text())
    assert res["ran_now"] == 0 and res["resumed"] == res["points"]
    assert (out / "grid" / "rows.csv").read_text() == before


def test_nf7_quick_files_rows_resume_and_ordering(tmp_path):
    out = tmp_path / "nf7"
    args = ["nf-7", "--quick", "--out", str(out)]
    _run(args)
    res = _files(out, "nf_fig7.png")
    rows = _grid_rows(out)
    # fixed (semantic, non-semantic) + 4 methods at the one quick range
    assert len(rows) == 6 and res["failed_points"] == []
    _check_designs(out, rows)
    gain = {(t["method"], t["semantic"]): t["gain_per_antenna_pct"] for t in res["table"]}
    # NF Fig. 7: projected BFGS >= Taylor benchmark >= random >= fixed (gain 0). Every
    # sub-problem keeps its incumbent, so random never falls below the fixed grid.
    assert gain["bfgs", True] >= gain["taylor", True] >= gain["random", True] >= 0.0
    s = {(t["method"], t["semantic"]): t["min_secrecy"] for t in res["table"]}
    assert s["bfgs", True] > s["bfgs", False]          # semantic >= non-semantic
    _resumes(args, out)


def test_nf8_quick_one_size_files_and_fa_above_fixed_arrays(tmp_path):
    out = tmp_path / "nf8"
    args = ["nf-8", "--quick", "--antennas", "9", "--out", str(out)]
    _run(args)
    res = _files(out, "nf_fig8.png")
    rows = _grid_rows(out)
    assert len(rows) == 6 and res["failed_points"] == []
    _check_designs(out, rows)
    s = {t["method"]: t["min_secrecy"] for t in res["table"]}
    # NF Fig. 8 at N_t = 9: the FA design beats every fixed array (BFGS starts from the
    # sparse UPA grid and keeps its incumbent, so it is >= sparse_upa by construction; the
    # others are independent arrays)
    for fixed in ("dense_upa", "sparse_x", "sparse_z", "sparse_upa"):
        assert s["bfgs"] > s[fixed], (fixed, s)
    assert s["bfgs"] >= s["taylor"]
    _resumes(args, out)


def test_nf8_joint_method_runs_fa_and_fixed_arrays_through_one_method(tmp_path):
    """--method joint: the FA curve is the joint method, every fixed array is optimised by
    the same method with its positions frozen, and every design passes verify_design."""
    out = tmp_path / "nf8j"
    args = ["nf-8", "--quick", "--antennas", "9", "--method", "joint", "--starts", "1",
            "--iterations", "150", "--out", str(out)]
    _run(args)
    res = _files(out, "nf_fig8.png")
    rows = _grid_rows(out)
    assert sorted(r["method"] for r in rows) == sorted(["joint", "dense_upa", "sparse_x",
                                                        "sparse_z", "sparse_upa"])
    _check_designs(out, rows)
    for r in rows:
        d = NFDesign.from_json(json.loads(r["design_json"]))
        assert d.strategy == "joint"
    grid = json.loads((out / "grid" / "grid.json").read_text())
    assert grid["context"]["optimiser"] == "joint"
    assert json.loads((out / "meta.json").read_text())["optimiser"] == "joint"
    assert res["failed_points"] == []
    _resumes(args, out)


@pytest.mark.slow
def test_nf8_quick_grid_more_antennas_higher(tmp_path):
    out = tmp_path / "nf8"
    _run(["nf-8", "--quick", "--out", str(out)])
    res = _files(out, "nf_fig8.png")
    by = {(t["method"], t["n_t"]): t["min_secrecy"] for t in res["table"]}
    for m in ("bfgs", "dense_upa", "sparse_upa"):
        assert by[m, 12] > by[m, 9], m


@pytest.mark.parametrize("argv, match", [
    (["nf-8", "--quick", "--antennas", "10"], "--antennas 10 is invalid"),
    (["nf-8", "--quick", "--antennas", "9.5"], "--antennas 9.5 is invalid"),
    (["nf-8", "--quick", "--antennas", "25", "--rx", "5"], "need N_t < N_r = 25"),
])
def test_bad_grid_is_refused_in_one_line(tmp_path, capsys, argv, match):
    assert main(["figure", *argv, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and match in err[0], err


@pytest.mark.slow
def test_nf9_quick_efficiency_ordering(tmp_path):
    out = tmp_path / "nf9"
    _run(["nf-9", "--quick", "--out", str(out)])
    res = _files(out, "nf_fig9.png")
    e = {t["method"]: t["min_efficiency"] for t in res["table"]}
    # NF Fig. 9: BFGS >= Taylor >= random >= fixed in min_k E_k
    assert e["bfgs"] >= e["taylor"] >= e["random"] >= e["fixed"] - 1e-9


@pytest.mark.slow
def test_nf10_quick_ls_mse_near_crb_at_designs(tmp_path):
    out = tmp_path / "nf10"
    _run(["nf-10", "--quick", "--out", str(out)])
    res = _files(out, "nf_fig10.png")
    assert len(res["table"]) == 2
    for t in res["table"]:
        # the designs meet CRB <= xi (28b), and LS pays the Wishart factor F / (F - N_t)
        assert t["crb_normalised"] <= t["xi"] * (1 + 1e-6)
        se = t["mse_stderr_normalised"] / t["crb_normalised"]
        assert abs(t["ratio_design"] - t["ratio_theory_wishart"]) < 4 * se + 1e-3, t
        assert abs(t["ratio_design"] - 1) < 2 * res["inverse_sqrt_f"]


@pytest.mark.slow
def test_nf11_quick_semantic_targets_antennas_orderings(tmp_path):
    out = tmp_path / "nf11"
    _run(["nf-11", "--quick", "--out", str(out)])
    res = _files(out, "nf_fig11.png")
    s = {(t["targets"], t["n_t"], t["semantic"]): t["min_secrecy"] for t in res["table"]}
    assert len(s) == 8
    for L in (1, 3):
        for n in (9, 15):
            assert s[L, n, True] > s[L, n, False]          # semantic >= non-semantic
    for n in (9, 15):
        for sem in (True, False):
            assert s[1, n, sem] > s[3, n, sem]             # more targets lower
    for L in (1, 3):
        for sem in (True, False):
            assert s[L, 15, sem] > s[L, 9, sem]            # more antennas higher


@pytest.mark.slow
def test_nf12_quick_tmax_q_ordering(tmp_path):
    out = tmp_path / "nf12"
    _run(["nf-12", "--quick", "--out", str(out)])
    res = _files(out, "nf_fig12.png")
    s = {(t["data_mb"], t["t_max_s"], t["cycles_per_bit"]): t["min_secrecy"]
         for t in res["table"]}
    for u in (0.2, 0.4):
        # NF Fig. 12: [0.1 s, 110] >= [0.1 s, 150] >= [0.05 s, 110]
        assert s[u, 0.1, 110.0] >= s[u, 0.1, 150.0] >= s[u, 0.05, 110.0]
    assert s[0.4, 0.05, 110.0] < s[0.2, 0.05, 110.0]       # larger data, lower rate
    # the computing constraints (NF eqs. (26)-(28d)) see U_l, Q_l and T_max only through
    # U_l Q_l / T_max: 0.2 Mb in 0.05 s is the problem of 0.4 Mb in 0.1 s (other seeds)
    assert s[0.2, 0.05, 110.0] == pytest.approx(s[0.4, 0.1, 110.0], abs=0.05)
