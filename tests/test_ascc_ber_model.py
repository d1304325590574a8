"""``issc ascc --ber-model``: the optimiser on ASCC eq. (4) (default, unchanged) or a measured
5G LDPC table (linksim.ber_model), each design re-checked by code that did not produce it."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from linksim.ber_model import make_ber_model
from linksim.farfield import ISSCScenario, covariance
from optim.ascc.errors import InfeasibleError
from optim.ascc.grid import config_hash, run_grid
from optim.ascc.optimise import best_rates, solve_point
from optim.ascc.problem import ASCCProblem
from optim.ascc.sca_rate import dense_rate_search_table, optimise_rate_table
from optim.ascc.verify import verify_link_design
from semcodec.distortion_model import DistortionModel

warnings.filterwarnings("ignore", category=UserWarning)
SCN = ISSCScenario(reflection_model="path_length")
DM = DistortionModel.from_json()
LDPC = make_ber_model("ldpc", 256)
LDPC_BER = make_ber_model("ldpc-ber", 256)


def _strip(doc: dict) -> dict:
    """A design's JSON without wall times."""
    doc = dict(doc)
    doc.pop("solve_s")
    doc["extra"] = {k: v for k, v in doc["extra"].items() if k != "bound_solve_s"}
    return doc


def test_default_is_eq4_bit_for_bit():
    """No model, and an explicit ``fbl`` model, give the same designs, float for float."""
    a = solve_point(SCN, DM, -2.0, 0.1, 400.0, ("ascc", "benchmark"), "sdr")
    b = solve_point(SCN, DM, -2.0, 0.1, 400.0, ("ascc", "benchmark"), "sdr",
                    ber_model=make_ber_model("fbl", 256))
    for x, y in zip(a, b):
        assert x.ber_model == y.ber_model == "fbl"
        assert _strip(x.to_json()) == _strip(y.to_json())
    # and the resume identity of an fbl folder is what it was before the option existed
    assert config_hash(SCN, DM, 0.01, None) == config_hash(SCN, DM, 0.01, None, "fbl")
    assert config_hash(SCN, DM, 0.01, None, "ldpc") != config_hash(SCN, DM, 0.01, None)
    assert config_hash(SCN, DM, 0.01, None, "ldpc") != config_hash(SCN, DM, 0.01, None,
                                                                    "ldpc-ber")


@pytest.mark.parametrize("bm", [LDPC, LDPC_BER], ids=["ldpc", "ldpc-ber"])
@pytest.mark.parametrize("g", [0, 2, 5])
@pytest.mark.parametrize("sinr_db, rc_min", [(-3.5, 0.3), (0.5, 0.3), (2.0, 0.6), (3.5, 0.5),
                                             (6.0, 0.9), (9.0, 1.2), (12.0, 0.5)])
def test_table_sca_matches_a_dense_search(bm, g, sinr_db, rc_min):
    s = 10 ** (sinr_db / 10)
    lo, hi = max(rc_min, bm.rc_range[0]), min(math.log2(1 + s), bm.rc_range[1])
    r = optimise_rate_table(s, lo, hi, DM.params(g), bm)
    assert all(b <= a + 1e-12 for a, b in zip(r.trace, r.trace[1:]))  # never increases
    assert lo <= r.rc <= hi
    assert r.log10_ber == pytest.approx(float(bm.log10_ber(r.rc, s)), abs=1e-12)
    _, f_dense = dense_rate_search_table(s, lo, hi, DM.params(g), bm)
    assert r.log10_mse <= f_dense + 1e-9


class _PiecewiseLinearU:
    """A BER model whose log10 rho_b is piecewise linear in R_c with two local minima (the
    table models' shape in R_c, made hard): value and cell secant as the table model gives."""

    name = "ldpc"

    def __init__(self, values):
        self.rcs = np.array([0.5, 0.75, 1.0, 1.5, 2.0])
        self.values = np.asarray(values, dtype=float)
        self.rc_range = (0.5, 2.0)

    def log10_ber(self, rc, sinr):
        return np.interp(rc, self.rcs, self.values)

    def log10_ber_and_slope(self, rc, sinr):
        i = int(np.clip(np.searchsorted(self.rcs, rc, side="right") - 1, 0, len(self.rcs) - 2))
        return (self.log10_ber(rc, sinr),
                (self.values[i + 1] - self.values[i]) / (self.rcs[i + 1] - self.rcs[i]))


@pytest.mark.parametrize("g", [0, 3])
def test_table_sca_walks_cells_and_leaves_a_local_optimum(g):
    e2 = DM.params(g)[3]
    bm = _PiecewiseLinearU([e2 + 1.0, e2 - 0.3, e2, e2 - 1.5, e2 - 1.2])
    r = optimise_rate_table(1.0, 0.6, 1.9, DM.params(g), bm)
    assert r.rc == pytest.approx(1.5, abs=1e-9)  # the global vertex, not the local one at 0.75
    # one SCA step 0.6 -> 0.75 (local optimum), then the restart at the better vertex
    assert r.iterations == r.solver_calls >= 1 and len(r.trace) >= 3
    assert all(b <= a + 1e-12 for a, b in zip(r.trace, r.trace[1:]))
    rc_d, f_d = dense_rate_search_table(1.0, 0.6, 1.9, DM.params(g), bm)
    assert rc_d == pytest.approx(1.5, abs=1e-3) and r.log10_mse <= f_d + 1e-12


@pytest.mark.parametrize("pt, abr", [(-6.0, 0.1), (4.0, 0.2)])
def test_ldpc_designs_meet_every_limit_and_use_the_table(pt, abr):
    pi = 400.0
    ds = solve_point(SCN, DM, pt, abr, pi, ("ascc", "benchmark"), "sdr", ber_model=LDPC)
    assert [d.scheme for d in ds] == ["ascc", "benchmark"]
    for d in ds:
        h = SCN.h_c
        sinr = abs(h.conj() @ d.w_c) ** 2 / (abs(h.conj() @ d.w_0) ** 2 + SCN.noise_cre_w)
        assert d.sinr == pytest.approx(sinr, rel=1e-9)
        assert np.sum(np.abs(d.w_c) ** 2 + np.abs(d.w_0) ** 2) <= 10 ** ((pt - 30) / 10) * (
            1 + 1e-6)
        assert SCN.hcrb(covariance(d.w_c, d.w_0)).trace <= pi * (1 + 1e-6)
        m = 3 * DM.rs_bits[d.model] / DM.bpp[d.model]
        assert DM.rs_bits[d.model] / d.rc <= abr * m * (1 + 1e-9)  # eq. (16)
        assert LDPC.rc_range[0] - 1e-12 <= d.rc <= LDPC.rc_range[1] + 1e-12  # the table's rows
        assert d.ber_model == "ldpc"
        assert d.ber_pred == pytest.approx(min(0.5, float(LDPC.ber(d.rc, sinr))), rel=1e-9)
        assert d.msssim_pred == pytest.approx(float(DM.ms_ssim(d.model, d.ber_pred)), rel=1e-9)
        assert d.constraints["rc_table_max"].slack >= -1e-12
        assert d.constraints["rc_table_min"].slack >= -1e-12
        check = verify_link_design(d)  # what issc e2e re-checks before it uses the design
        assert check.ok and {"rc_table_min", "rc_table_max"} <= set(check.checked), check
    a = ds[0]
    assert a.rc <= math.log2(1 + a.sinr) + 1e-9  # eq. (17)
    # R_s choice: the best codec over a dense R_c search at the first-stage SINR
    s1 = 10 ** (a.extra["stage1"]["sinr_db"] / 10)
    prob = ASCCProblem(SCN, DM, pt, abr, pi, LDPC)
    best = min(10 ** dense_rate_search_table(s1, *prob.rc_bounds(g, s1), DM.params(g), LDPC)[1]
               for g in prob.feasible_models(s1))
    assert a.extra["stage1"]["mse"] <= best * (1 + 1e-6)


@pytest.mark.parametrize("sinr_db", [8.0, 25.0])
def test_rc_bounds_follow_the_table(sinr_db):
    prob = ASCCProblem(SCN, DM, 0.0, 0.1, 400.0, LDPC)
    r_lo, r_hi = LDPC.rc_range
    s = 10 ** (sinr_db / 10)
    for g in range(DM.n_models):
        lo, hi = prob.rc_bounds(g, s)
        assert lo == max(prob.rc_min[g], r_lo)
        assert hi == pytest.approx(min(math.log2(1 + s), r_hi), rel=1e-12)
    fits = set(prob.feasible_models(s).tolist())
    assert fits == {g for g in range(DM.n_models) if prob.rc_min[g] <= min(math.log2(1 + s),
                                                                             r_hi)}
    rates = best_rates(prob, s)
    assert all(r_lo <= r.rc <= min(math.log2(1 + s), r_hi) for r in rates.values())


def test_table_range_makes_a_point_infeasible_with_a_stated_minimum():
    r_hi = LDPC.rc_range[1]
    prob = ASCCProblem(SCN, DM, 6.0, 0.005, 400.0, LDPC)  # every codec needs R_c > r_hi
    assert np.all(prob.rc_min > r_hi)
    with pytest.raises(InfeasibleError, match=r"ldpc BER model.*valid: abr >= "):
        best_rates(prob, 1e4)
    with pytest.raises(InfeasibleError, match=f"table ends at {r_hi:g}"):
        solve_point(SCN, DM, 6.0, 0.005, 400.0, ("benchmark",), "sdr", ber_model=LDPC)


def test_ber_model_is_part_of_the_resume_identity(tmp_path):
    rows, designs = run_grid(SCN, DM, [0.0], [0.1], 400.0, tmp_path, ["benchmark"], "sdr",
                             progress=False, ber_model="ldpc")
    assert rows[0]["ber_model"] == "ldpc" and designs[0].ber_model == "ldpc"
    assert "ber_model" in (tmp_path / "results.csv").read_text().splitlines()[0].split(",")
    rerun, _ = run_grid(SCN, DM, [0.0], [0.1], 400.0, tmp_path, ["benchmark"], "sdr",
                        progress=False, ber_model="ldpc")  # resumes: nothing new
    assert len(rerun) == 1
    with pytest.raises(ValueError, match=r"another ber_model \(.ldpc. there, .fbl. here\)"):
        run_grid(SCN, DM, [0.0], [0.1], 400.0, tmp_path, ["benchmark"], "sdr",
                 progress=False, ber_model="fbl")
    with pytest.raises(ValueError, match="ber_model='magic' is invalid"):
        run_grid(SCN, DM, [0.0], [0.1], 400.0, tmp_path / "x", ["benchmark"], progress=False,
                 ber_model="magic")


def test_cli_ber_model_ldpc_records_the_model_and_refuses_another_in_the_folder(tmp_path):
    import csv
    import json

    from scripts.cli import main

    out = tmp_path / "c"
    args = ["ascc", "--pt-dbm=-6", "--abr", "0.1", "--method", "sdr", "--out", str(out)]
    assert main(args + ["--ber-model", "ldpc"]) == 0
    rows = list(csv.DictReader(open(out / "results.csv")))
    assert [r["ber_model"] for r in rows] == ["ldpc", "ldpc"]
    assert all(r["status"] == "ok" and 0.5 <= float(r["rc"]) <= 2.0 for r in rows)
    designs = json.loads((out / "designs.json").read_text())["designs"]
    assert {d["ber_model"] for d in designs} == {"ldpc"}
    assert "ldpc" in (out / "meta.json").read_text()
    summ = json.loads((out / "summary.json").read_text())
    assert summ["sca_minus_dense_log10_mse_max"] <= 1e-9
    assert main(args) == 2  # the same folder with the default fbl model: refused, one line
