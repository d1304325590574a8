"""SDR bound of ASCC P4.5, the minimum HCRB, and the cvxpy FIM/LMI builders."""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pytest

from linksim.farfield import ISSCScenario, covariance
from linksim.farfield.cvx import fim_cvxpy, hcrb_constraints_cvxpy
from linksim.units import dbm_to_watt
from optim.ascc.benchmark import benchmark_beams
from optim.ascc.bound import check_pi_feasible, min_hcrb, sinr_bound, sinr_bound_bisection
from optim.ascc.errors import InfeasibleError

warnings.filterwarnings("ignore", category=UserWarning)
SCN = ISSCScenario(reflection_model="path_length")


def _random_beams(rng, n, k, power):
    w = rng.standard_normal((k, 2, n)) + 1j * rng.standard_normal((k, 2, n))
    split = rng.random(k)[:, None]
    w[:, 0] *= np.sqrt(split * power) / np.linalg.norm(w[:, 0], axis=1, keepdims=True)
    w[:, 1] *= np.sqrt((1 - split) * power) / np.linalg.norm(w[:, 1], axis=1, keepdims=True)
    return w[:, 0], w[:, 1]


def test_cvx_fim_keeps_the_hcrb_of_the_scenario():
    """The re-parametrised, scaled FIM of a fixed covariance gives the scenario's HCRB."""
    rng = np.random.default_rng(1)
    P = float(dbm_to_watt(0.0))
    wc, w0 = _random_beams(rng, SCN.n_t, 1, P)
    sig = covariance(wc[0], w0[0])
    ell = 7.0
    fim = fim_cvxpy(SCN, cp.Constant(sig / P), P, ell)
    j = np.real(fim.matrix.value)
    pos = np.linalg.inv(j)[:2, :2] * ell**2
    np.testing.assert_allclose(pos, SCN.hcrb(sig).position, rtol=1e-7)
    assert np.allclose(j, j.T)


def test_lmi_holds_exactly_when_the_hcrb_meets_pi():
    rng = np.random.default_rng(2)
    P = float(dbm_to_watt(0.0))
    wc, w0 = _random_beams(rng, SCN.n_t, 1, P)
    sig = covariance(wc[0], w0[0])
    tr = SCN.hcrb(sig).trace
    for pi, feasible in ((tr * 1.01, True), (tr * 0.99, False)):
        fim = fim_cvxpy(SCN, cp.Constant(sig / P), P, np.sqrt(pi))
        c = hcrb_constraints_cvxpy(fim, pi)
        prob = cp.Problem(cp.Minimize(0), c.constraints)
        prob.solve(solver="CLARABEL")
        assert (prob.status == "optimal") is feasible


def test_min_hcrb_is_below_random_covariances_and_pi_below_it_is_refused():
    P = float(dbm_to_watt(-5.0))
    m = min_hcrb(SCN, P)
    rng = np.random.default_rng(3)
    wc, w0 = _random_beams(rng, SCN.n_t, 3000, P)
    tr = SCN.hcrb(covariance(wc, w0)).trace
    assert tr.min() >= m.value_m2 * (1 - 1e-6)
    assert np.real(np.trace(m.sigma)) <= P * (1 + 1e-6)
    with pytest.raises(InfeasibleError, match=f"{m.value_m2:.6g}"):
        check_pi_feasible(SCN, P, 0.99 * m.value_m2, -5.0)
    check_pi_feasible(SCN, P, 1.01 * m.value_m2)


def test_bound_equals_the_bisection_over_feasibility_sdps():
    P = float(dbm_to_watt(0.0))
    b = sinr_bound(SCN, P, 80.0)
    g, calls = sinr_bound_bisection(SCN, P, 80.0, tol_db=0.02)
    assert calls > 5
    assert 10 * np.log10(g) <= b.sinr_db + 1e-3
    assert b.sinr_db - 10 * np.log10(g) <= 0.03


@pytest.mark.parametrize("pt, pi", [(-5.0, 200.0), (0.0, 70.0), (10.0, 9.0)])
def test_bound_beams_meet_the_limits_and_no_feasible_beam_beats_the_bound(pt, pi):
    P = float(dbm_to_watt(pt))
    b = sinr_bound(SCN, P, pi)
    # the bound's own beams: recomputed from the scenario
    sig = covariance(b.w_c, b.w_0)
    assert np.real(np.trace(sig)) <= P * (1 + 1e-6)
    assert SCN.hcrb(sig).trace <= pi * (1 + 1e-6)
    assert b.rank_one and b.achieved_sinr == pytest.approx(b.sinr, rel=1e-6)
    # brute force: random feasible beams and the benchmark never exceed it
    rng = np.random.default_rng(4)
    wc, w0 = _random_beams(rng, SCN.n_t, 5000, P)
    ok = SCN.hcrb(covariance(wc, w0)).trace <= pi
    assert ok.any()
    assert SCN.sinr(wc[ok], w0[ok]).max() <= b.sinr * (1 + 1e-6)
    try:
        bb = benchmark_beams(SCN, P, pi)
    except InfeasibleError:
        return  # the zero-forcing benchmark cannot meet this Pi (ASCC can)
    assert SCN.sinr(bb.w_c, bb.w_0) <= b.sinr * (1 + 1e-6)


def test_bound_is_monotone_in_power_and_pi():
    pts = [-5.0, -3.0, 0.0, 3.0]
    pis = [200.0, 300.0, 400.0]
    v = np.array([[sinr_bound(SCN, float(dbm_to_watt(p)), pi).sinr_db for pi in pis]
                  for p in pts])
    assert np.all(np.diff(v, axis=0) >= -1e-6)
    assert np.all(np.diff(v, axis=1) >= -1e-6)


def test_randomisation_gives_feasible_beams_from_a_higher_rank_covariance():
    from optim.ascc.bound import beams_from_covariance

    P = float(dbm_to_watt(0.0))
    rng = np.random.default_rng(5)
    v = rng.standard_normal((SCN.n_t, 3)) + 1j * rng.standard_normal((SCN.n_t, 3))
    q, _ = np.linalg.qr(v)
    sig = (q * (P / 3)) @ q.conj().T  # rank 3: W_0 = Sigma - W_c has rank 2
    pi = 1.5 * SCN.hcrb(sig).trace
    w_c, w_0, rank_one, info = beams_from_covariance(SCN, sig, pi, rng, n_random=50)
    assert not rank_one and info["w0_rank"] == 2
    assert SCN.hcrb(covariance(w_c, w_0)).trace <= pi
    assert np.sum(np.abs(w_c) ** 2 + np.abs(w_0) ** 2) <= P * (1 + 1e-9)
    assert abs(SCN.h_c.conj() @ w_0) <= 1e-7 * np.linalg.norm(SCN.h_c) * np.linalg.norm(w_0)
    assert SCN.sinr(w_c, w_0) <= sinr_bound(SCN, P, pi).sinr * (1 + 1e-6)


def test_maximum_ratio_shortcut_is_exact_when_it_meets_pi():
    P = float(dbm_to_watt(5.0))
    b = sinr_bound(SCN, P, 1e4)
    snr = P * np.linalg.norm(SCN.h_c) ** 2 / SCN.noise_cre_w
    assert b.extra.get("mrt") and b.sinr == snr and b.solver_calls == 1
    assert np.all(b.w_0 == 0) and SCN.sinr(b.w_c, b.w_0) == pytest.approx(snr, rel=1e-12)
