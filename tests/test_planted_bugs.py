"""Tests aimed at one-line bugs that the rest of the suite let through (issue 28, Build 6).

Each test checks behaviour against a value computed by hand or by code that did not
produce it (a root finder, a t table, a token count, the sample variance of the channel
noise), never against the output of the function under test:

* the projection onto the movable regions (NF eq. (42)) clips every coordinate;
* the benchmark DJSCC-WF-ZF moves the least power to sensing that meets Pi;
* the extraction-ratio bisection (NF eq. (44)) returns a ratio that meets the power budget;
* the e2e Student-t half-width shrinks as 1 / sqrt(n);
* ``rho_lower_bound(method="kept")`` is the kept token fraction, not the empirical rho;
* the PHY's AWGN has the variance N_0 = E_s / SINR of its docstring.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import optimize

from linksim.farfield import ISSCScenario, covariance
from linksim.nearfield import NFScenario
from optim.ascc.benchmark import benchmark_beams, water_filling, zf_directions
from optim.e2e.summary import mean_ci, summarise
from optim.nearfield.extraction import solve_extraction
from optim.nearfield.positions import PositionObjective

C_LIGHT = 299_792_458.0


# ------------------------------------------------------------------ (a) NF eq. (42)
def _every_coordinate_out_of_its_box(lo: np.ndarray, hi: np.ndarray, inside: np.ndarray):
    """Yield (index, side, point, expected): ``inside`` with one coordinate pushed past
    its bound, and the point the projection must return (that coordinate on the bound)."""
    for i in np.ndindex(inside.shape):
        for side, bound, push in (("hi", hi, +1.0), ("lo", lo, -1.0)):
            x = inside.copy()
            x[i] = bound[i] + push * (1.0 + abs(bound[i]))
            expected = inside.copy()
            expected[i] = bound[i]
            yield i, side, x, expected


def test_position_projection_clips_every_free_coordinate():
    scn = NFScenario()  # 3x3 array: 8 movable elements, 16 free coordinates
    W, R = (t.numpy() for t in scn.baseline_beamformers())
    obj = PositionObjective(scn, W, W @ W.conj().T + R, np.full(scn.K, 0.5))
    # by hand: a square region of area C_i around each nominal position, in wavelengths
    half = 0.5 * math.sqrt(scn.region_area_m2) / (C_LIGHT / (scn.carrier_ghz * 1e9))
    assert obj.n == 16
    np.testing.assert_allclose(obj.lo, -half, rtol=1e-12)
    np.testing.assert_allclose(obj.hi, +half, rtol=1e-12)
    inside = np.linspace(-0.5, 0.5, obj.n) * half
    np.testing.assert_array_equal(obj.project(inside), inside)
    for i, side, x, expected in _every_coordinate_out_of_its_box(obj.lo, obj.hi, inside):
        got = obj.project(x)
        assert np.array_equal(got, expected), f"coordinate {i} above/below ({side}): {got}"


def test_scenario_projection_clips_every_coordinate_and_keeps_u0_at_the_origin():
    scn = NFScenario()
    nominal = scn.tx_nominal().numpy()
    side = math.sqrt(scn.region_area_m2)
    movable = np.abs(nominal).sum(axis=1) > 0   # by hand: all but the centre element
    assert movable.sum() == 8 and not movable[4]
    lo = nominal - 0.5 * side * movable[:, None]
    hi = nominal + 0.5 * side * movable[:, None]
    inside = nominal + 0.25 * side * movable[:, None] * np.array([1.0, -1.0])
    np.testing.assert_array_equal(scn.project(torch.as_tensor(inside)).numpy(), inside)
    for i, where, x, expected in _every_coordinate_out_of_its_box(lo, hi, inside):
        got = scn.project(torch.as_tensor(x)).numpy()
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-15,
                                   err_msg=f"element/axis {i} ({where})")
        scn.check_positions(torch.as_tensor(got))


# ------------------------------------------------------------------ (b) benchmark
def test_benchmark_moves_the_least_power_to_sensing_that_meets_pi():
    scn = ISSCScenario(reflection_model="path_length")
    P, pi = 1e-3, 100.0  # 0 dBm; water filling puts all power on the CRE (Tr HCRB 150 m^2)
    u_c, u_0 = zf_directions(scn)

    def excess(p0: float) -> float:  # Tr HCRB - Pi with p0 W on the sensing beam
        return float(scn.hcrb(covariance(math.sqrt(P - p0) * u_c, math.sqrt(p0) * u_0)).trace
                     ) - pi

    g = np.array([np.linalg.norm(scn.h_c) ** 2 / scn.noise_cre_w,
                  np.linalg.norm(scn.H_0 @ u_0) ** 2 / scn.noise_sre_w])
    p_c_wf, p_0_wf = water_filling(g, P)
    # independent: the first sign change of Tr HCRB - Pi on a grid of 401 splits (Tr HCRB is
    # not monotone in p0 over the whole range), refined by Brent's method
    grid = np.linspace(p_0_wf, P, 401)
    vals = np.array([excess(p) for p in grid])
    k = int(np.argmax(vals <= 0))
    assert vals[0] > 0 and k > 0 and vals[k] <= 0
    p0_star = optimize.brentq(excess, grid[k - 1], grid[k], xtol=1e-18, rtol=1e-14)
    bb = benchmark_beams(scn, P, pi)
    p0 = float(np.sum(np.abs(bb.w_0) ** 2))
    # Pi met, to the rounding of Tr HCRB: the benchmark evaluates it batched, this test one
    # split at a time, and another BLAS moves the last digits (2.7e-8 m^2 of 100 seen)
    assert excess(p0) <= 1e-9 * pi
    # and by the least power: the root moves by ~1e-9 (relative) with the rounding of Tr HCRB
    # on another BLAS; taking the wrong half of the bisection moves it by 2e-3
    assert p0 == pytest.approx(p0_star, rel=1e-6, abs=0)
    assert bb.moved_w == pytest.approx(p0_star - p_0_wf, rel=1e-6)
    assert float(np.sum(np.abs(bb.w_c) ** 2)) == pytest.approx(P - p0_star, rel=1e-6)
    # the recorded water-filling split is the split before the HCRB step
    assert (bb.p_c_wf, bb.p_0_wf) == pytest.approx((p_c_wf, p_0_wf), rel=1e-12, abs=1e-18)


# ------------------------------------------------------------------ (c) NF eq. (44)
@pytest.mark.parametrize("tol", [1e-3, 1e-10])
def test_extraction_bisection_returns_the_end_that_meets_the_budget(tol):
    # two users with rho_LB = 0.5; budget -nu * 2 ln 0.8: by hand the water level is 0.8
    lb, nu = np.array([0.5, 0.5]), 0.01
    budget = -nu * 2 * math.log(0.8)
    res = solve_extraction(lb, nu, budget, tol=tol)
    assert res.ended_on == "power"
    # the level is the bisection's upper end: >= 0.8 (to rounding of the root) and
    # within tol of it; the power constraint holds exactly (the bisection's invariant)
    assert np.all(res.rho >= 0.8 * (1 - 1e-12)) and np.all(res.rho <= 0.8 + tol)
    assert float(-nu * np.log(res.rho).sum()) <= budget  # NF eq. (44b) holds
    assert res.rho == pytest.approx([res.water_level] * 2, rel=1e-15)
    # a third user whose bound sits above the level stays at its bound
    res3 = solve_extraction(np.array([0.5, 0.5, 0.9]), nu, budget - nu * math.log(0.9),
                            tol=tol)
    assert res3.rho[2] == 0.9 and 0.8 * (1 - 1e-12) <= res3.rho[0] <= 0.8 + tol


# ------------------------------------------------------------------ (d) e2e interval
def test_confidence_half_width_shrinks_as_one_over_sqrt_n():
    # by hand: mean 2.5, s = sqrt(5/3), t_{0.975, 3} = 3.182446 (t table)
    m, lo, hi = mean_ci([1.0, 2.0, 3.0, 4.0])
    half = 3.182446 * math.sqrt(5.0 / 3.0) / 2.0
    assert m == 2.5
    assert (lo, hi) == pytest.approx((2.5 - half, 2.5 + half), rel=1e-6)
    # n = 9 values 1..9: mean 5, s = sqrt(7.5), t_{0.975, 8} = 2.306004
    m, lo, hi = mean_ci(range(1, 10))
    assert hi - m == pytest.approx(2.306004 * math.sqrt(7.5) / 3.0, rel=1e-6)
    # Monte Carlo: the interval covers the true mean about 95% of the time
    rng = np.random.default_rng(5)
    draws = rng.normal(0.0, 1.0, (4000, 16))
    cover = np.mean([lo <= 0.0 <= hi for _, lo, hi in map(mean_ci, draws)])
    assert 0.93 <= cover <= 0.97


def test_summary_interval_is_over_images():
    rows = [{"design": 0, "channel": "bitflip", "image": im, "scheme": "ascc", "pt_dbm": 0,
             "abr": 0.1, "model": "q1", "rc": 1.0, "sinr_db": 3.0, "ber_pred": 0.01,
             "ber_meas": 0.01, "bler_meas": 0.1, "msssim_pred": 0.9, "msssim_meas": v,
             "mse_pred": 1e-3, "mse_meas": 1e-3, "psnr_meas": 30.0, "decode_failed": 0}
            for im, v in (("a", 0.8), ("b", 0.9), ("c", 1.0))]
    (s,) = summarise(rows)
    half = 4.302653 * 0.1 / math.sqrt(3.0)  # s = 0.1, t_{0.975, 2} = 4.302653
    # 0.9 + half = 1.148: clipped to MS-SSIM's range (the lower end is the t interval's)
    assert (s["msssim_lo"], s["msssim_hi"]) == pytest.approx((0.9 - half, 1.0), rel=1e-6)
    assert mean_ci([0.0, 0.5, 1.0], bounds=(0.0, 1.0))[1:] == (0.0, 1.0)


# ------------------------------------------------------------------ (e) rho kept
def _kept_fraction(corpus, rho: float) -> float:
    """c / r counted from the held-out sentences: each keeps max(1, ceil(rho n)) tokens."""
    lens = [len(s.tokens) for s in corpus.heldout]
    kept = [max(1, min(n, math.ceil(rho * n - 1e-9))) for n in lens]
    return sum(kept) / sum(lens)


def test_rho_lower_bound_kept_is_the_kept_token_fraction(tmp_path):
    from semcodec.text.corpus import load_genre
    from semcodec.text.rho import rho_lower_bound, user_model

    emp = rho_lower_bound("news", 0.3, method="empirical")
    kept = rho_lower_bound("news", 0.3, method="kept")
    assert kept == pytest.approx(_kept_fraction(user_model("news").corpus, emp), rel=1e-12)
    assert kept > emp  # ceil(rho n) rounds up in some held-out sentence
    # a user corpus (computed, not read from the cache)
    c = load_genre("science_fiction")
    f = tmp_path / "kb.txt"
    f.write_text("\n".join(s.text for s in c.train + c.heldout) + "\n")
    emp = rho_lower_bound(str(f), 0.3, method="empirical")
    kept = rho_lower_bound(str(f), 0.3, method="kept")
    assert kept == pytest.approx(_kept_fraction(user_model(str(f)).corpus, emp), rel=1e-12)
    assert kept > emp


# ------------------------------------------------------------------ PHY noise level
@pytest.mark.parametrize("sinr_db, rate, m", [(3.0, 0.5, 2), (10.0, 0.75, 4), (-2.0, 0.3, 1)])
def test_phy_noise_variance_is_es_over_sinr(sinr_db, rate, m):
    """E|y - x|^2 = N_0 = E_s / SINR, E_s = 1 (SINR per channel use, whatever the code rate
    and bits per symbol; module docstring of linksim.phy)."""
    from linksim.phy import LDPCQAMLink

    link = LDPCQAMLink(rate, m)
    seen: dict = {}
    mapper, demapper = link.mapper, link.demapper

    def keep_x(c):
        seen["x"] = mapper(c)
        return seen["x"]

    def keep_y(y, no):
        seen["y"], seen["no"] = y, float(no)
        return demapper(y, no)

    link.mapper, link.demapper = keep_x, keep_y
    blocks = 64  # 64 x 256 = 16384 noise samples: the sample variance is within +-3.5%
    info = torch.from_numpy(np.random.default_rng(1).integers(0, 2, (blocks, link.k))
                            .astype(np.float32))
    link.run(info, sinr_db, torch.Generator().manual_seed(2))
    x = seen["x"].numpy().astype(np.complex128)
    noise = seen["y"].numpy().astype(np.complex128) - x
    n0 = 10 ** (-sinr_db / 10)
    assert noise.size == blocks * 256
    # unit-power constellation: E_s = 1 (to the sampling error of the payload bits)
    assert np.mean(np.abs(x) ** 2) == pytest.approx(1.0, rel=0.05)
    # 99.99% interval of the sample variance of CN(0, N0): +-3.9 N0 / sqrt(M) (M = 16384,
    # so +-3%); a 1 dB error is a factor 1.26 and falls far outside
    var = float(np.mean(np.abs(noise) ** 2))
    assert abs(var / n0 - 1.0) <= 3.9 / math.sqrt(noise.size)
    # circular: equal variance in I and Q
    assert np.var(noise.real) == pytest.approx(np.var(noise.imag), rel=0.1)
    # the demapper is told the same N_0 (LLRs scaled for the true noise)
    assert seen["no"] == pytest.approx(n0, rel=1e-6)
