"""Geometry, steering vectors and the SemCom SINR of the far-field ISSC scenario."""

from pathlib import Path

import numpy as np
import pytest

from linksim.farfield import geometry
from linksim.farfield.scenario import ISSCScenario, covariance

DEFAULT_TOML = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "issc_default.toml"


@pytest.mark.parametrize("n", [1, 4, 7])
def test_steering_unit_modulus_and_phase_progression(n):
    ang = np.linspace(-3.0, 3.0, 13)
    a = geometry.ula_steering(ang, n)
    assert a.shape == (13, n) and a.dtype == np.complex128
    np.testing.assert_allclose(np.abs(a), 1.0, atol=1e-15)
    # half-wavelength ULA: element n has phase pi * n * sin(angle) (mod 2 pi)
    for k in range(n):
        np.testing.assert_allclose(a[:, k], np.exp(1j * np.pi * k * np.sin(ang)), atol=1e-12)


def test_steering_derivative_matches_finite_difference():
    ang, h = 0.37, 1e-6
    num = (geometry.ula_steering(ang + h, 5) - geometry.ula_steering(ang - h, 5)) / (2 * h)
    np.testing.assert_allclose(geometry.ula_steering_derivative(ang, 5), num, atol=1e-8)


@pytest.mark.parametrize("dst", [(3.0, 4.0), (-3.0, 4.0), (-3.0, -4.0), (3.0, -4.0),
                                 (0.0, 2.0), (0.0, -2.0), (-2.0, 0.0), (2.0, 0.0)])
def test_direction_points_from_src_to_dst_in_all_quadrants(dst):
    src = np.array([1.0, -1.0])
    dst = src + np.asarray(dst)
    ang = geometry.direction(src, dst)
    unit = (dst - src) / np.linalg.norm(dst - src)
    np.testing.assert_allclose([np.cos(ang), np.sin(ang)], unit, atol=1e-12)
    # the paper's formula: arctan(dy/dx) + pi * 1{dx < 0}
    dx, dy = dst - src
    if dx != 0:
        assert ang == pytest.approx(np.arctan(dy / dx) + np.pi * (dx < 0))


def test_direction_gradients_match_finite_differences():
    src, dst, h = np.array([0.0, 50.0]), np.array([100.0, 50.0]), 1e-5
    for f, g in ((geometry.direction, geometry.direction_gradient),
                 (geometry.distance, geometry.distance_gradient)):
        num = [(f(src, dst + h * e) - f(src, dst - h * e)) / (2 * h) for e in np.eye(2)]
        np.testing.assert_allclose(g(src, dst), num, rtol=1e-6, atol=1e-12)


def test_path_loss_and_bad_distance():
    assert geometry.path_loss(10.0, 3.0) == pytest.approx(1e-3)
    with pytest.raises(ValueError, match="distance"):
        geometry.path_loss(0.0, 3.0)


def test_sinr_against_hand_computation():
    # N_T = 2, CRE on the x axis at 10 m: varphi = 0, alpha = [1, 1], eta = 10^-3.
    scn = ISSCScenario(n_t=2, cre_position=(10.0, 0.0), noise_cre_dbm=-30.0)  # 1e-6 W
    np.testing.assert_allclose(scn.h_c, np.sqrt(1e-3) * np.ones(2))
    w_c = np.array([0.1, 0.1j])      # h^H w_c = sqrt(1e-3) (0.1 + 0.1j)
    w_0 = np.array([0.05, -0.05])    # h^H w_0 = 0
    sig = 1e-3 * abs(0.1 + 0.1j) ** 2
    assert scn.sinr(w_c, w_0) == pytest.approx(sig / 1e-6, rel=1e-12)
    w_0 = np.array([0.05, 0.05])     # h^H w_0 = sqrt(1e-3) 0.1
    assert scn.sinr(w_c, w_0) == pytest.approx(sig / (1e-3 * 0.01 + 1e-6), rel=1e-12)
    # batched beams broadcast
    g = scn.sinr(np.stack([w_c, 2 * w_c]), w_0)
    assert g.shape == (2,) and g[1] == pytest.approx(4 * g[0])


def test_default_scenario_is_the_paper_sec_v():
    scn = ISSCScenario()
    assert (scn.n_t, scn.n_r, scn.num_samples, scn.blocklength) == (4, 4, 1024, 256)
    assert scn.target_position == (100.0, 50.0) and scn.cre_position == (20.0, 30.0)
    assert scn.noise_sre_w == pytest.approx(1e-8)
    d1, d2 = np.hypot(100, 50), 100.0
    assert scn.beta_0 == pytest.approx(0.6 * (d1 * d2) ** -1.5)
    assert scn.tau() == pytest.approx((d1 + d2) / 299_792_458.0)
    assert scn.H_0.shape == (4, 4)
    assert np.linalg.matrix_rank(scn.H_0) == 1


def test_from_toml_defaults_and_overrides(tmp_path):
    scn = ISSCScenario.from_toml(DEFAULT_TOML)
    assert scn == ISSCScenario()
    f = tmp_path / "s.toml"
    f.write_text('[issc]\nn_t = 8\ntarget_position = [80.0, -20.0]\nnoise_sre_w = 1e-9\n')
    scn = ISSCScenario.from_toml(f, n_r=2)
    assert (scn.n_t, scn.n_r, scn.target_position) == (8, 2, (80.0, -20.0))
    assert scn.noise_sre_dbm == pytest.approx(-60.0)
    f.write_text("bogus = 1\n")
    with pytest.raises(ValueError, match="bogus"):
        ISSCScenario.from_toml(f)


@pytest.mark.parametrize("kw, word", [
    (dict(n_t=0), "n_t"), (dict(n_r=0), "n_r"), (dict(n_t=2.5), "n_t"),
    (dict(target_position=(0.0, 50.0)), "target_position"),
    (dict(target_position=(0.0, 0.0)), "target_position"),
    (dict(cre_position=(0.0, 0.0)), "cre_position"),
    (dict(noise_sre_dbm=float("nan")), "noise_sre_dbm"),
    (dict(sigma_delta_s=-1e-9), "sigma_delta_s"),
    (dict(bandwidth_hz=0.0), "bandwidth_hz"),
    (dict(frequency_grid="odd"), "frequency_grid"),
])
def test_bad_scenario_values_are_refused(kw, word):
    with pytest.raises(ValueError, match=word) as exc:
        ISSCScenario(**kw)
    assert "\n" not in str(exc.value) and "must" in str(exc.value)


def test_bad_noise_in_watts_and_bad_powers_are_refused():
    with pytest.raises(ValueError, match="noise_sre_w=0.0"):
        ISSCScenario.from_dict({"noise_sre_w": 0.0})
    with pytest.raises(ValueError, match="noise_cre_w"):
        ISSCScenario.from_dict({"noise_cre_w": -1e-9})
    scn = ISSCScenario()
    for bad in (-1.0, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="power_w"):
            scn.matched_beamformers(bad)
    with pytest.raises(ValueError, match="Sigma"):
        scn.hcrb(-np.eye(4))
    with pytest.raises(ValueError, match="Sigma"):
        scn.hcrb(np.full((4, 4), np.nan))
    with pytest.raises(ValueError, match="w_c"):
        scn.sinr(np.ones(3), np.ones(4))
    assert covariance(np.ones(4), np.zeros(4)).shape == (4, 4)
