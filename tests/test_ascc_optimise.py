"""ASCC designs re-checked by code that did not produce them; R_s selection; monotonicity."""

from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import pytest

from linksim.farfield import ISSCScenario, covariance
from linksim.farfield.fbl import normal_approx_ber
from optim.ascc import load_designs, save_designs
from optim.ascc.benchmark import benchmark_beams
from optim.ascc.errors import InfeasibleError
from optim.ascc.optimise import benchmark_design, optimise_ascc, solve_point
from optim.ascc.problem import ASCCProblem
from optim.ascc.sca_rate import dense_rate_search
from optim.ascc.verify import verify_link_design
from semcodec.distortion_model import DistortionModel

warnings.filterwarnings("ignore", category=UserWarning)
SCN = ISSCScenario(reflection_model="path_length")
DM = DistortionModel.from_json()


def _recheck(d, pi, pt_dbm, abr):
    """Every limit of P4.1 from the scenario and the beams alone."""
    h = SCN.h_c
    sinr = abs(h.conj() @ d.w_c) ** 2 / (abs(h.conj() @ d.w_0) ** 2 + SCN.noise_cre_w)
    assert d.sinr == pytest.approx(sinr, rel=1e-9)
    power = np.sum(np.abs(d.w_c) ** 2) + np.sum(np.abs(d.w_0) ** 2)
    assert power <= 10 ** ((pt_dbm - 30) / 10) * (1 + 1e-6)
    assert SCN.hcrb(covariance(d.w_c, d.w_0)).trace <= pi * (1 + 1e-6)
    m = 3 * DM.rs_bits[d.model] / DM.bpp[d.model]
    assert DM.rs_bits[d.model] / d.rc <= abr * m * (1 + 1e-9)  # eq. (16)
    if d.scheme == "ascc":
        assert 0 < d.rc <= math.log2(1 + sinr) + 1e-9  # eq. (17)
    assert d.ber_pred == pytest.approx(min(normal_approx_ber(sinr, d.rc, 256), 0.5),
                                       rel=1e-6, abs=1e-300)
    check = verify_link_design(d)  # the library's re-check (issc e2e) agrees with this one
    assert check.ok, check.violations


@pytest.mark.parametrize("method", ["paper", "sdr"])
@pytest.mark.parametrize("pt, abr", [(-8.0, 0.1), (2.0, 0.05)])
def test_every_design_meets_every_limit(method, pt, abr):
    pi = 400.0
    for d in solve_point(SCN, DM, pt, abr, pi, ("ascc", "benchmark"), method=method):
        _recheck(d, pi, pt, abr)
        assert d.sinr_db <= d.sinr_bound_db + 1e-4  # the bound is never below a design


@pytest.mark.parametrize("pt, abr", [(-8.0, 0.2), (0.0, 0.1), (4.0, 0.05)])
def test_rs_selection_is_the_best_of_the_per_model_optima(pt, abr):
    prob = ASCCProblem(SCN, DM, pt, abr, 400.0)
    d = optimise_ascc(prob, "sdr", delta=0.0)
    best = []
    for g in range(DM.n_models):
        if prob.rc_min[g] > math.log2(1 + d.sinr):
            continue
        rc, _ = dense_rate_search(d.sinr, prob.rc_min[g], DM.params(g), 256)
        best.append((prob.predict(g, d.sinr, rc)["mse"], g))
    mse, g = min(best)
    assert d.mse_pred <= mse * (1 + 1e-6)
    assert d.model == g or d.mse_pred == pytest.approx(mse, rel=1e-6)


@pytest.mark.parametrize("pt, pi", [(-9.0, 400.0), (0.0, 80.0)])
def test_paper_method_reaches_the_sdr_bound(pt, pi):
    prob = ASCCProblem(SCN, DM, pt, 0.1, pi)
    d = optimise_ascc(prob, "paper", delta=0.0)
    assert d.gap_to_bound_db <= 0.05
    assert all(b >= a - 1e-9 for a, b in zip(d.trace, d.trace[1:]))  # SINR never falls


def test_the_min_hcrb_sdp_is_solved_once_per_point_and_every_solve_is_counted(monkeypatch):
    """The bound keeps the min-HCRB covariance, and the paper method starts from it."""
    import optim.ascc.bound as bound_mod
    import optim.ascc.optimise as optimise_mod
    from linksim import solver_policy

    mins, solves = [], []
    real_min, real_solve = bound_mod.min_hcrb, solver_policy.solve

    def counting_min(*a, **k):
        mins.append(a[1])
        return real_min(*a, **k)

    def counting_solve(*a, **k):
        solves.append(k.get("where"))
        return real_solve(*a, **k)

    monkeypatch.setattr(bound_mod, "min_hcrb", counting_min)
    monkeypatch.setattr(optimise_mod, "min_hcrb", counting_min)
    for mod in (bound_mod, optimise_mod, __import__("optim.ascc.beamforming").ascc.beamforming,
                __import__("optim.ascc.sca_rate").ascc.sca_rate):
        if hasattr(mod, "solve"):
            monkeypatch.setattr(mod, "solve", counting_solve)
    d = optimise_ascc(ASCCProblem(SCN, DM, 0.0, 0.1, 80.0), "paper", delta=0.01)
    assert len(mins) == 1
    assert d.extra["solver_calls"] == len(solves) >= 3


def test_optimal_distortion_never_increases_with_power_abr_or_pi():
    pts, abrs, pis = [-9.0, -5.0, 0.0], [0.1, 0.2], [300.0, 400.0]
    mse = np.full((3, 2, 2), np.nan)
    for i, p in enumerate(pts):
        for j, a in enumerate(abrs):
            for k, pi in enumerate(pis):
                mse[i, j, k] = optimise_ascc(ASCCProblem(SCN, DM, p, a, pi), "sdr",
                                             delta=0.0).mse_pred
    for ax in range(3):
        assert np.all(np.diff(mse, axis=ax) <= 1e-12 * mse.max()), (ax, mse)


def test_second_stage_lowers_the_hcrb_within_the_distortion_slack():
    prob = ASCCProblem(SCN, DM, 3.0, 0.2, 400.0)
    d0 = optimise_ascc(prob, "sdr", delta=0.0)
    d1 = optimise_ascc(prob, "sdr", delta=0.01)
    assert d1.model == d0.model and d1.rc == pytest.approx(d0.rc)
    assert d1.hcrb < d0.hcrb
    assert d1.mse_pred <= 1.01 * d0.mse_pred * (1 + 1e-9)


def test_benchmark_beams_are_zero_forcing_and_meet_pi():
    P = 10 ** ((0.0 - 30) / 10)
    bb = benchmark_beams(SCN, P, 400.0)
    h = SCN.h_c
    assert abs(h.conj() @ bb.w_0) <= 1e-12 * np.linalg.norm(h) * np.linalg.norm(bb.w_0)
    cos = abs(h.conj() @ bb.w_c) / (np.linalg.norm(h) * np.linalg.norm(bb.w_c))
    assert cos == pytest.approx(1.0, abs=1e-12)
    assert SCN.hcrb(covariance(bb.w_c, bb.w_0)).trace <= 400.0
    d = benchmark_design(ASCCProblem(SCN, DM, 0.0, 0.1, 400.0))
    assert d.model == 2 and d.rc == pytest.approx(DM.bpp[2] / 3 / 0.1)


def test_no_codec_fitting_the_abr_is_refused_with_the_smallest_valid_abr():
    prob = ASCCProblem(SCN, DM, -9.0, 0.01, 400.0)
    with pytest.raises(InfeasibleError, match=r"abr >= ") as e:
        optimise_ascc(prob, "sdr")
    need = float(re.search(r"abr >= ([0-9.e+-]+)", str(e.value)).group(1))
    d = optimise_ascc(ASCCProblem(SCN, DM, -9.0, need * 1.01, 400.0), "sdr")
    assert d.model == 0


def test_design_json_round_trip(tmp_path):
    ds = solve_point(SCN, DM, 0.0, 0.1, 400.0, method="sdr")
    path = save_designs(ds, tmp_path / "d.json")
    back = load_designs(path)
    for a, b in zip(ds, back):
        assert json.dumps(a.to_json()) == json.dumps(b.to_json())
        assert ISSCScenario.from_dict(b.scenario) == SCN
        np.testing.assert_array_equal(a.w_c, b.w_c)
        assert SCN.sinr(b.w_c, b.w_0) == a.sinr
