"""Issue 17, "make the model fit the question": near field, a CRB limit that binds,
per-axis spacing and fixed arrays, float64 geometry, no_grad FIM, E_k at R_k = 0."""

import math
import warnings

import numpy as np
import pytest
import torch

from linksim.nearfield import NFScenario
from linksim.nearfield import metrics as met


def test_default_objects_lie_in_the_radiating_near_field_and_far_ones_warn():
    s = NFScenario()
    d = np.concatenate([s.users_d_m, s.targets_d_m])
    assert s.rayleigh_distance_m == pytest.approx(15.0, rel=1e-3)
    assert (d > s.aperture_m).all() and (d < s.rayleigh_distance_m).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        NFScenario()  # no warning at the defaults
    with pytest.warns(UserWarning, match=r"users_d_m=40.0 m lie beyond the Rayleigh"):
        far = NFScenario(users_d_m=[4.0, 6.0, 5.0, 40.0, 3.5])
    assert far.K == 5  # warned, not refused


def test_budget_normalised_crb_is_one_at_the_isotropic_full_budget_and_above_otherwise():
    s = NFScenario()
    P, N = s.power_budget_w, s.n_t
    assert s.crb_normalised(np.eye(N) * P / N) == pytest.approx(1.0, rel=1e-12)
    rng = np.random.default_rng(0)
    for _ in range(20):  # any covariance within the budget has CRB / CRB_min >= 1
        A = rng.standard_normal((N, N)) + 1j * rng.standard_normal((N, N))
        Rx = A @ A.conj().T
        Rx *= P / np.trace(Rx).real
        assert s.crb_normalised(Rx) >= 1.0
    # eq. (16) as printed: the reference is 1
    raw = NFScenario(crb_normalisation="none", crb_limit=0.5)
    assert raw.crb_normalised(np.eye(N)) == raw.crb(np.eye(N))


def test_default_crb_limit_binds_a_communication_only_design():
    # all power on K MRT beams (rank K < N_t): CRB = +inf; the baseline with 20% sensing
    # power breaks xi = 2 as well, the whole budget isotropic meets it
    s = NFScenario()
    W, _ = s.baseline_beamformers(comm_fraction=0.8)
    comm_only = (W @ W.conj().T).numpy() / 0.8
    assert s.crb_normalised(comm_only) == math.inf
    W, R = s.baseline_beamformers(comm_fraction=0.8)
    assert s.crb_normalised((W @ W.conj().T + R).numpy()) > s.crb_limit
    assert s.crb_normalised(np.eye(s.n_t) * s.power_budget_w / s.n_t) < s.crb_limit
    with pytest.raises(ValueError, match=r"crb_limit=0.5 .*xi >= 1"):
        NFScenario(crb_limit=0.5)


def test_per_axis_spacing_and_fixed_arrays_express_the_fig8_baselines():
    lam = NFScenario().wavelength
    with pytest.warns(UserWarning, match="far field"):  # a 1.7 cm array: D^2 / lambda is small
        dense = NFScenario(region_area_m2=0.0, tx_spacing_x_m=lam / 2, tx_spacing_z_m=lam / 2)
    assert not dense.movable and not bool(dense.movable_mask().any())
    lo, hi = dense.region_bounds()
    assert torch.equal(lo, hi)
    with pytest.warns(UserWarning, match="far field"):
        x_sparse = NFScenario(region_area_m2=0.0, tx_spacing_x_m=0.05, tx_spacing_z_m=lam / 2)
    xs, zs = x_sparse.tx_nominal()[:, 0].unique(), x_sparse.tx_nominal()[:, 1].unique()
    assert torch.allclose(xs.diff(), torch.full((2,), 0.05, dtype=torch.float64))
    assert torch.allclose(zs.diff(), torch.full((2,), lam / 2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"tx_spacing_z_m=0.01, so movable regions overlap"):
        NFScenario(tx_spacing_z_m=0.01)
    # even count per side: no centre element, u_0 is the centroid and every element moves
    even = NFScenario(n_tx=4, n_tz=4, n_rx=6, n_rz=6)
    assert bool(even.movable_mask().all())
    assert torch.allclose(even.tx_nominal().mean(dim=0), torch.zeros(2, dtype=torch.float64))


def test_object_points_are_float64_exact():
    s = NFScenario()
    th, ph, d = (np.deg2rad(s.users_theta_deg), np.deg2rad(s.users_phi_deg),
                 np.asarray(s.users_d_m))
    ref = np.stack([d * np.cos(th) * np.sin(ph), d * np.sin(th) * np.sin(ph),
                    d * np.cos(ph)], axis=-1)
    assert np.abs(s.user_points().numpy() - ref).max() < 1e-14
    th, ph, d = (np.deg2rad(s.targets_theta_deg), np.deg2rad(s.targets_phi_deg),
                 np.asarray(s.targets_d_m))
    ref = np.stack([d * np.cos(th) * np.sin(ph), d * np.sin(th) * np.sin(ph),
                    d * np.cos(ph)], axis=-1)
    assert np.abs(s.target_centres().numpy() - ref).max() < 1e-14


def test_point_target_fim_works_under_no_grad():
    s = NFScenario()
    W, R = s.baseline_beamformers()
    Rx = W @ W.conj().T + R
    zeta = [math.radians(80.0), math.radians(90.0), 5.0]
    with_grad = s.point_target_fim(zeta, Rx)
    with torch.no_grad():
        no_grad = s.point_target_fim(zeta, Rx)
    assert torch.allclose(with_grad, no_grad, rtol=1e-12)


def test_information_efficiency_is_zero_not_nan_when_nothing_arrives():
    rate = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    secrecy = torch.tensor([0.0, 1.0], dtype=torch.float64)
    e = met.information_efficiency(secrecy, rate)
    assert e.tolist() == [0.0, 0.5]
    e.sum().backward()
    assert torch.isfinite(rate.grad).all()


def test_shipped_nf_scenarios_load():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "data" / "scenarios"
    one = NFScenario.from_toml(root / "nf_one_target.toml")
    assert (one.K, one.L, one.movable) == (5, 1, True)
    with pytest.warns(UserWarning, match="far field"):
        dense = NFScenario.from_toml(root / "nf_dense_upa.toml")
    assert not dense.movable and dense.tx_spacing_x_m == pytest.approx(dense.wavelength / 2,
                                                                       rel=1e-4)
    lam = dense.wavelength
    for name, sx, sz in (("nf_sparse_x_upa", 0.05, lam / 2), ("nf_sparse_z_upa", lam / 2, 0.05),
                         ("nf_sparse_upa", 0.05, 0.05)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the one-axis sparse arrays are small
            s = NFScenario.from_toml(root / f"{name}.toml")
        assert not s.movable
        assert (s.tx_spacing_x_m, s.tx_spacing_z_m) == pytest.approx((sx, sz), rel=1e-4)


def test_older_toml_keys_still_load(tmp_path):
    p = tmp_path / "old.toml"
    p.write_text("tx_power_dbm = 20.0\ntx_spacing_m = 0.06\n")
    s = NFScenario.from_toml(p)
    assert s.power_budget_dbm == 20.0 and s.tx_spacing_x_m == s.tx_spacing_z_m == 0.06
