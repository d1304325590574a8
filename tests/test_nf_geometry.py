"""Near-field geometry and phase models (NF eqs. (7)-(9), (12)-(13))."""

import math

import numpy as np
import pytest
import torch

from linksim.nearfield import NFScenario
from linksim.nearfield.geometry import (
    PHASE_MODELS,
    cartesian_to_spherical,
    spherical_to_cartesian,
    steering_phase,
    steering_vector,
)

SCN = NFScenario()


def _corners(scn: NFScenario) -> torch.Tensor:
    lo, hi = scn.region_bounds()
    return torch.cat([lo, hi, torch.stack([lo[:, 0], hi[:, 1]], 1),
                      torch.stack([hi[:, 0], lo[:, 1]], 1)])


def _directions(d: float, n: int = 9) -> torch.Tensor:
    th = torch.deg2rad(torch.linspace(30, 150, n, dtype=torch.float64))
    ph = torch.deg2rad(torch.linspace(30, 150, n, dtype=torch.float64))
    T, P = torch.meshgrid(th, ph, indexing="ij")
    return spherical_to_cartesian(T.reshape(-1), P.reshape(-1), torch.full((n * n,), d))


def _max_phase_error(model: str, d: float) -> float:
    pts = _directions(d)
    e = steering_phase(_corners(SCN), pts, SCN.wavelength, model) - steering_phase(
        _corners(SCN), pts, SCN.wavelength, "exact")
    return float((torch.remainder(e + math.pi, 2 * math.pi) - math.pi).abs().max())


def test_spherical_round_trip_and_paper_mapping():
    theta, phi, d = 0.7, 1.2, 4.0
    b = spherical_to_cartesian(torch.tensor(theta), torch.tensor(phi), torch.tensor(d))
    expect = [d * math.cos(theta) * math.sin(phi), d * math.sin(theta) * math.sin(phi),
              d * math.cos(phi)]
    assert np.allclose(b.numpy(), expect)
    back = cartesian_to_spherical(b)
    assert np.allclose([float(t) for t in back], [theta, phi, d])


@pytest.mark.parametrize("model", PHASE_MODELS)
def test_steering_entries_have_unit_modulus(model):
    pos = SCN.tx_nominal() + 0.01 * torch.randn(SCN.n_t, 2, generator=torch.Generator()
                                                .manual_seed(1), dtype=torch.float64)
    a = steering_vector(pos, SCN.user_points(), SCN.wavelength, model)
    assert a.dtype == torch.complex128 and a.shape == (SCN.K, SCN.n_t)
    assert torch.allclose(a.abs(), torch.ones_like(a.abs()), atol=1e-13)


def test_exact_phase_against_direct_formula():
    # one element, one object, written out by hand
    x, z, b = 0.031, -0.047, np.array([1.3, 2.9, 0.8])
    lam = SCN.wavelength
    r = math.sqrt((x - b[0]) ** 2 + b[1] ** 2 + (z - b[2]) ** 2)
    expect = 2 * math.pi / lam * (np.linalg.norm(b) - r)
    elem = torch.tensor([[x, z]], dtype=torch.float64)
    got = steering_phase(elem, torch.from_numpy(b[None]), lam, "exact")
    assert float(got) == pytest.approx(expect, rel=1e-12)


def test_fresnel_on_grid_is_kronecker_of_eqs_8_and_9():
    # NF eq. (7): a_t = a_tx (x) a_tz on the nominal grid (z index fastest)
    theta, phi, d = 1.1, 1.3, 3.0
    lam, k = SCN.wavelength, 2 * math.pi / SCN.wavelength
    xs = (np.arange(SCN.n_tx) - (SCN.n_tx - 1) / 2) * SCN.tx_spacing_x_m
    zs = (np.arange(SCN.n_tz) - (SCN.n_tz - 1) / 2) * SCN.tx_spacing_z_m
    a_x = np.exp(1j * k * (xs * math.cos(theta) * math.sin(phi)
                           - xs ** 2 * (1 - math.cos(theta) ** 2 * math.sin(phi) ** 2) / (2 * d)))
    a_z = np.exp(1j * k * (zs * math.cos(phi) - zs ** 2 * math.sin(phi) ** 2 / (2 * d)))
    b = spherical_to_cartesian(torch.tensor(theta), torch.tensor(phi), torch.tensor(d))[None]
    got = steering_vector(SCN.tx_nominal(), b, lam, "fresnel")[0].numpy()
    assert np.allclose(got, np.kron(a_x, a_z), atol=1e-12)


def test_exact_tends_to_plane_wave_with_distance():
    errs = [_max_phase_error("planar", d) for d in (10.0, 100.0, 1000.0, 10000.0)]
    assert all(a > b for a, b in zip(errs, errs[1:]))
    # the quadratic term falls as 1/d: ten times farther, ten times smaller
    assert errs[2] / errs[3] == pytest.approx(10.0, rel=1e-3)
    assert errs[3] < 1e-3


def test_planar_error_is_pi_over_8_at_rayleigh_distance_broadside():
    # the classical definition: at 2 D^2 / lambda the edge-of-aperture phase error is pi/8
    d = SCN.rayleigh_distance_m
    broadside = torch.tensor([[0.0, d, 0.0]], dtype=torch.float64)
    e = (steering_phase(_corners(SCN), broadside, SCN.wavelength, "planar")
         - steering_phase(_corners(SCN), broadside, SCN.wavelength, "exact"))
    assert float(e.abs().max()) == pytest.approx(math.pi / 8, rel=1e-3)


def test_fresnel_error_inside_and_beyond_rayleigh_distance():
    d_r = SCN.rayleigh_distance_m  # 15.0 m at the default geometry
    full = [_max_phase_error("fresnel_full", d) for d in (d_r / 4, d_r, 4 * d_r)]
    printed = [_max_phase_error("fresnel", d) for d in (d_r / 4, d_r, 4 * d_r)]
    # the complete second-order expansion leaves a third-order error ~ 1/d^2
    assert full[1] < 2e-3 and full[0] / full[1] == pytest.approx(16, rel=0.15)
    assert full[1] / full[2] == pytest.approx(16, rel=0.05)
    # the separable form printed in eqs. (8)-(9) drops the x z cross term: error ~ 1/d,
    # about 0.17 rad at the Rayleigh distance and 0.67 rad at a quarter of it
    assert printed[1] == pytest.approx(0.168, abs=0.01)
    assert printed[1] / printed[2] == pytest.approx(4, rel=0.02)
    assert printed[0] > 0.6


def test_printed_fresnel_error_is_the_dropped_cross_term():
    pts = _directions(50.0, n=5)
    corners = _corners(SCN)
    gap = (steering_phase(corners, pts, SCN.wavelength, "fresnel_full")
           - steering_phase(corners, pts, SCN.wavelength, "fresnel"))
    theta, phi, d = (t[:, None] for t in cartesian_to_spherical(pts))
    x, z = corners[None, :, 0], corners[None, :, 1]
    k = 2 * math.pi / SCN.wavelength
    cross = k * x * z * torch.cos(theta) * torch.sin(phi) * torch.cos(phi) / d
    assert torch.allclose(gap, cross, atol=1e-12)
