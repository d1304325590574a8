"""Near-field channels (NF eqs. (4), (5), (10)) and their gradients in the FA positions."""

import math

import numpy as np
import torch

from linksim.nearfield import NFScenario

SCN = NFScenario()


def _random_positions(seed: int) -> torch.Tensor:
    """Random feasible FA positions inside their movable regions."""
    lo, hi = SCN.region_bounds()
    u = torch.rand(SCN.n_t, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return lo + u * (hi - lo)


def _np_points(pos: torch.Tensor) -> np.ndarray:
    p = pos.detach().numpy()
    return np.stack([p[:, 0], np.zeros(len(p)), p[:, 1]], axis=1)


def test_user_channel_is_nusw_amplitude_times_spherical_phase():
    pos = _random_positions(0)
    H = SCN.user_channels(pos).numpy()
    lam = SCN.wavelength
    for k, b in enumerate(SCN.user_points().numpy()):
        r = np.linalg.norm(b - _np_points(pos), axis=1)
        expect = np.exp(1j * 2 * np.pi / lam * (np.linalg.norm(b) - r)) / np.sqrt(4 * np.pi * r**2)
        assert np.allclose(H[k], expect, rtol=1e-10, atol=0)


def test_target_channel_sums_its_scatterers():
    pos = _random_positions(1)
    Ht = SCN.target_channels(pos).numpy()
    scat = SCN.scatterer_points().numpy()
    lam = SCN.wavelength
    for l in range(SCN.L):
        row = np.zeros(SCN.n_t, complex)
        for b in scat[l]:
            r = np.linalg.norm(b - _np_points(pos), axis=1)
            row += np.exp(1j * 2 * np.pi / lam * (np.linalg.norm(b) - r)) / (np.sqrt(4 * np.pi) * r)
        assert np.allclose(Ht[l], row, rtol=1e-10)


def test_echo_matrix_against_loop_over_scatterers():
    pos = _random_positions(2)
    G = SCN.echo_matrix(pos).numpy()
    assert G.shape == (SCN.n_r, SCN.n_t) and G.dtype == np.complex128
    k, tx, rx = 2 * np.pi / SCN.wavelength, _np_points(pos), _np_points(SCN.rx_positions())
    expect = np.zeros_like(G)
    beta = SCN.reflection().numpy()
    for l, scat in enumerate(SCN.scatterer_points().numpy()):
        for s, b in enumerate(scat):
            d = np.linalg.norm(b)
            for m in range(SCN.n_r):
                rm = np.linalg.norm(b - rx[m])
                for i in range(SCN.n_t):
                    ri = np.linalg.norm(b - tx[i])
                    psi = 1.0 / (4 * math.pi * ri * rm)
                    expect[m, i] += beta[l, s] * psi * np.exp(1j * k * (2 * d - ri - rm))
    assert np.allclose(G, expect, rtol=1e-10)


def test_scatterers_lie_in_their_ball_and_are_reproducible():
    centres = SCN.target_centres().numpy()
    offsets = SCN.scatterer_points().numpy() - centres[:, None, :]
    assert np.linalg.norm(offsets, axis=-1).max() <= SCN.scatterer_radius_m
    again = NFScenario().reflection()
    assert torch.equal(again, SCN.reflection())
    assert not torch.equal(NFScenario(geometry_seed=5).reflection(), SCN.reflection())


def _rates(pos: torch.Tensor) -> torch.Tensor:
    W, R = SCN.baseline_beamformers()
    m = SCN.link_metrics(pos, W, R, torch.tensor([0.5, 0.6, 0.7, 0.8, 0.9]))
    return torch.cat([m["sinr"], m["leak_sinr"].reshape(-1), m["secrecy_margin"]])


def test_autodiff_gradients_match_finite_differences():
    pos = _random_positions(3).requires_grad_(True)
    assert torch.autograd.gradcheck(_rates, (pos,), eps=1e-7, atol=1e-6, rtol=1e-4)


def test_gradient_of_worst_secrecy_against_central_differences():
    # the optimiser's objective min_k S_k (eq. (33a)), one coordinate at a time
    pos = _random_positions(4)
    W, R = SCN.baseline_beamformers()
    rho = torch.full((SCN.K,), 0.5)

    def objective(p):
        return SCN.link_metrics(p, W, R, rho)["secrecy_margin"].min()

    p = pos.clone().requires_grad_(True)
    grad = torch.autograd.grad(objective(p), p)[0]
    h = 1e-7
    for i, c in [(0, 0), (3, 1), (8, 0), (6, 1)]:
        e = torch.zeros_like(pos)
        e[i, c] = h
        fd = (objective(pos + e) - objective(pos - e)) / (2 * h)
        torch.testing.assert_close(fd, grad[i, c], rtol=1e-5, atol=1e-6)
