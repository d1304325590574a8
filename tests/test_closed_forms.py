"""Every closed form against numbers worked out by hand from the paper's formula.

Each expected value here is written from the equation (fractions, or the formula
evaluated with ``math``), never from the function under test, so a one-line
slip in the code (a wrong power, a swapped term, a missing factor) fails.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from linksim.farfield import (
    HCRB,
    ISSCScenario,
    capacity,
    geometry,
    hcrb_from_fim,
    log10_normal_approx_ber,
    normal_approx_ber,
    normal_approx_bler,
)
from linksim.nearfield import channels
from linksim.units import SPEED_OF_LIGHT, db_to_lin, dbm_to_watt, lin_to_db
from semcodec.distortion_model import DistortionModel, scurve
from semcodec.evaluate import psnr, psnr_from_mse

# ----------------------------------------------------------------------------- HCRB (eq. (13))
#: J = [[4, 1, 2], [1, 3, 1], [2, 1, 5]]: det J = 43, det J_D^{c1} = 11.
#: (J_D^{c1})^-1 = [[3, -1], [-1, 4]] / 11; k = (J_D^{c1})^-1 J_D^{c2} = [5, 2] / 11;
#: Schur complement J^{c3} - J_D^{c2}^T k = 5 - 12/11 = 43/11, so Delta_tau bound = 11/43;
#: penalty = k k^T / (43/11) = [[25, 10], [10, 4]] / 473; position = [[154, -33], [-33, 176]] / 473
#: (= the cofactors 14, -3, 16 of J over det J = 43, the top-left block of J^-1).
J_HAND = np.array([[4.0, 1.0, 2.0], [1.0, 3.0, 1.0], [2.0, 1.0, 5.0]])


def test_hcrb_of_a_hand_inverted_fim():
    h = hcrb_from_fim(J_HAND)
    assert isinstance(h, HCRB)
    np.testing.assert_allclose(h.crb, np.array([[3, -1], [-1, 4]]) / 11, rtol=1e-14)
    np.testing.assert_allclose(h.ts_penalty, np.array([[25, 10], [10, 4]]) / 473, rtol=1e-13)
    np.testing.assert_allclose(h.position, np.array([[154, -33], [-33, 176]]) / 473,
                               rtol=1e-13)
    assert h.delta_tau == pytest.approx(11 / 43, rel=1e-14)  # not 1 / J_33 = 1/5
    assert h.trace == pytest.approx(330 / 473, rel=1e-14)
    assert h.crb_trace == pytest.approx(7 / 11, rel=1e-14)
    assert h.ts_penalty_trace == pytest.approx(29 / 473, rel=1e-13)


def test_hcrb_batched_entries_equal_the_single_ones():
    scaled = np.stack([J_HAND, 2.0 * J_HAND])  # J -> 2 J halves every bound
    h = hcrb_from_fim(scaled)
    np.testing.assert_allclose(h.delta_tau, [11 / 43, 11 / 86], rtol=1e-14)
    np.testing.assert_allclose(h.trace, [330 / 473, 165 / 473], rtol=1e-13)


# ----------------------------------------------------------------------------- units
def test_unit_conversions_by_hand():
    assert dbm_to_watt(30.0) == 1.0 and dbm_to_watt(0.0) == pytest.approx(1e-3, rel=1e-15)
    assert dbm_to_watt(-50.0) == pytest.approx(1e-8, rel=1e-14)
    assert db_to_lin(20.0) == 100.0 and db_to_lin(-3.0) == pytest.approx(0.501187233627272)
    np.testing.assert_allclose(db_to_lin(np.array([10.0, 0.0])), [10.0, 1.0], rtol=1e-15)
    assert lin_to_db(1000.0) == pytest.approx(30.0, rel=1e-15)
    assert lin_to_db(0.0) == -math.inf
    with pytest.raises(ValueError, match="lin=.* is invalid: must be >= 0"):
        lin_to_db(-1.0)
    assert SPEED_OF_LIGHT == 299_792_458.0


# ----------------------------------------------------------------------------- far-field geometry
def test_ula_steering_direction_distance_path_loss_by_hand():
    a = geometry.ula_steering(math.pi / 6, 4)  # sin = 1/2, half wavelength: phase pi n / 2
    np.testing.assert_allclose(a, [1, 1j, -1, -1j], atol=1e-15)
    assert geometry.distance([0, 0], [3, 4]) == 5.0
    assert geometry.direction([0, 0], [1, 1]) == pytest.approx(math.pi / 4, rel=1e-15)
    assert geometry.direction([0, 0], [-1, 1]) == pytest.approx(3 * math.pi / 4, rel=1e-15)
    assert geometry.direction([0, 0], [0, 2]) == pytest.approx(math.pi / 2, rel=1e-15)
    assert geometry.path_loss(10.0, 3.0) == pytest.approx(1e-3, rel=1e-15)
    assert geometry.path_loss(4.0, 1.5) == pytest.approx(1 / 8, rel=1e-15)


def test_scenario_channel_reflection_and_sinr_by_hand():
    """ASCC eq. (3) and the Sec. V defaults: CRE at [20, 30], TR at the origin."""
    scn = ISSCScenario()
    sin_phi = 30 / math.sqrt(1300)
    amp = 1300 ** -0.75  # sqrt(d^-3), d^2 = 20^2 + 30^2
    want = amp * np.exp(1j * math.pi * np.arange(4) * sin_phi)
    np.testing.assert_allclose(scn.h_c, want, rtol=1e-13)
    # beta_0 = 0.6 (d_TR,o d_o,SRE)^(-3/2), d_TR,o = sqrt(100^2 + 50^2), d_o,SRE = 100
    assert scn.beta_0 == pytest.approx(0.6 * (math.sqrt(12500) * 100) ** -1.5, rel=1e-13)
    # matched beam with 1 W, no sensing beam: SINR = P N_T d^-3 / sigma_n^2, sigma_n^2 = 1e-8 W
    w_c = want / np.linalg.norm(want)
    sinr = scn.sinr(w_c, np.zeros(4, complex))
    assert sinr == pytest.approx(4 * 1300 ** -1.5 / 1e-8, rel=1e-12)
    # an interfering sensing beam along h_c with power 1 W: SINR = g / (g + 1) with g as above
    g = 4 * 1300 ** -1.5 / 1e-8
    assert scn.sinr(w_c, w_c) == pytest.approx(g / (g + 1.0), rel=1e-12)


# ----------------------------------------------------------------------------- fbl (eq. (4))
def _q(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2.0))


@pytest.mark.parametrize("sinr, rate, L", [(1.0, 0.5, 256), (3.0, 1.5, 128), (0.5, 0.4, 64)])
def test_eq4_ber_by_hand(sinr, rate, L):
    c = math.log2(1.0 + sinr)
    x = math.log(2.0) * math.sqrt(L) * (c - rate) / math.sqrt(1.0 - (1.0 + sinr) ** -2)
    assert capacity(sinr) == pytest.approx(c, rel=1e-15)
    assert normal_approx_bler(sinr, rate, L) == pytest.approx(_q(x), rel=1e-10)
    assert normal_approx_ber(sinr, rate, L) == pytest.approx(_q(x) / (rate * L), rel=1e-10)
    assert log10_normal_approx_ber(sinr, rate, L) == pytest.approx(
        math.log10(_q(x) / (rate * L)), rel=1e-12)
    x23 = math.log(2.0) * math.sqrt(L) * (c - rate)  # eq. (23): dispersion factor taken as 1
    assert normal_approx_ber(sinr, rate, L, exact_dispersion=False) == pytest.approx(
        _q(x23) / (rate * L), rel=1e-10)


def test_eq4_known_point():
    # gamma = 1, R_c = 1/2, L = 256: x = ln2 * 16 * 0.5 / sqrt(3/4) = 6.4030194,
    # Q(6.4030194) = 7.61669e-11 (a table gives Q(6.4) = 7.77e-11), rho_b = Q / 128
    assert normal_approx_bler(1.0, 0.5, 256) == pytest.approx(7.61669e-11, rel=1e-5)
    assert normal_approx_ber(1.0, 0.5, 256) == pytest.approx(7.61669e-11 / 128, rel=1e-5)


# ------------------------------------------------------------ near field (NF eq. (4), NF eq. (10))
def test_nearfield_free_space_amplitude_and_echo_by_hand():
    """One element at the origin, one point at distance d on the y axis: zero phase."""
    d = 7.0
    origin = torch.zeros(1, 2, dtype=torch.float64)
    point = torch.tensor([[0.0, d, 0.0]], dtype=torch.float64)
    h = channels.los_channels(origin, point, wavelength=0.006)
    assert h.shape == (1, 1)
    assert complex(h[0, 0]) == pytest.approx(1.0 / (math.sqrt(4 * math.pi) * d), rel=1e-14)
    beta = torch.tensor([[0.3 + 0.4j]], dtype=torch.complex128)
    g = channels.echo_matrix(origin, origin, point[None], beta, wavelength=0.006)
    # Psi = 1 / (4 pi d_t d_r) with d_t = d_r = d (NF eq. (10)), times beta
    assert complex(g[0, 0]) == pytest.approx((0.3 + 0.4j) / (4 * math.pi * d * d), rel=1e-14)


def test_nearfield_amplitude_follows_distance_not_the_centroid():
    """Element at x = 3 m, point at (0, 4, 0): distance 5 m, centroid distance 4 m."""
    tx = torch.tensor([[3.0, 0.0]], dtype=torch.float64)
    point = torch.tensor([[0.0, 4.0, 0.0]], dtype=torch.float64)
    lam = 0.03  # k (4 - 5) = -209.44 rad: not a multiple of pi, so a sign slip shows
    h = complex(channels.los_channels(tx, point, wavelength=lam)[0, 0])
    assert abs(h) == pytest.approx(1.0 / (math.sqrt(4 * math.pi) * 5.0), rel=1e-14)
    phase = 2 * math.pi / lam * (4.0 - 5.0)  # k (d_centroid - d_element), NF eq. (7)
    assert h / abs(h) == pytest.approx(complex(math.cos(phase), math.sin(phase)), abs=1e-9)


# ----------------------------------------------------------------------------- eq. (7) and PSNR
def test_eq7_curve_by_hand():
    d_s, d_c, e1, e2 = -2.5, 1.5, 2.0, -4.0
    assert float(scurve(e2, d_s, d_c, e1, e2)) == pytest.approx(d_s + d_c / 2, rel=1e-15)
    x = e2 + math.log(3.0) / e1  # exp(-e1 (x - e2)) = 1/3: the logistic is 3/4
    assert float(scurve(x, d_s, d_c, e1, e2)) == pytest.approx(d_s + 0.75 * d_c, rel=1e-14)
    x = e2 - math.log(3.0) / e1  # exp(...) = 3: the logistic is 1/4
    assert float(scurve(x, d_s, d_c, e1, e2)) == pytest.approx(d_s + 0.25 * d_c, rel=1e-14)
    assert float(scurve(-30.0, d_s, d_c, e1, e2)) == pytest.approx(d_s, abs=1e-20 + 1e-15)
    assert float(scurve(10.0, d_s, d_c, e1, e2)) == pytest.approx(d_s + d_c, rel=1e-11)


def test_distortion_model_predicts_eq7_by_hand():
    doc = {"models": [
        {"model": "q2", "rs_bits": 2000.0, "lambda": 0.01,
         "mse_fit": {"Ds": -3.0, "Dc": 2.0, "E1": 1.0, "E2": -3.0},
         "ms_ssim_fit": {"S": 0.98, "C": -0.5, "E1": 2.0, "E2": -4.0}},
        {"model": "q1", "rs_bits": 1000.0, "lambda": 0.005,
         "mse_fit": {"Ds": -2.0, "Dc": 1.0, "E1": 2.0, "E2": -2.0},
         "ms_ssim_fit": {"S": 0.9, "C": -0.4, "E1": 1.0, "E2": -3.0}}]}
    dm = DistortionModel(doc)
    assert dm.names == ["q1", "q2"]  # ascending R_s
    # q2 at rho_b = 1e-3 = 10^E2: log10 D_o = -3 + 2/2 = -2, D_o = 0.01
    assert float(dm.log10_mse("q2", 1e-3)) == pytest.approx(-2.0, rel=1e-15)
    assert float(dm.mse(1, 1e-3)) == pytest.approx(0.01, rel=1e-14)
    # q1 at rho_b = 10^(-2 + ln3/2): -2 + 3/4
    ber = 10 ** (-2.0 + math.log(3.0) / 2.0)
    assert float(dm.log10_mse(0, ber)) == pytest.approx(-1.25, rel=1e-14)
    # MS-SSIM of q1 at rho_b = 1e-3 = 10^E2: 0.9 - 0.4/2
    assert float(dm.ms_ssim("q1", 1e-3)) == pytest.approx(0.7, rel=1e-14)
    assert dm.params("q1") == (-2.0, 1.0, 2.0, -2.0)


def test_psnr_by_hand():
    assert psnr_from_mse(1e-2) == pytest.approx(20.0, rel=1e-15)
    assert psnr_from_mse(0.0) == math.inf
    x = torch.zeros(3, 4, 4)
    y = torch.full((3, 4, 4), 0.1)  # MSE 0.01 -> 20 dB
    assert psnr(x, y) == pytest.approx(20.0, rel=1e-6)
