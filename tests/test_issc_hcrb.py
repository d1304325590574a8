"""HCRB of ASCC Prop. 3.1 against an independent autodiff FIM of the eq. (8) signal model."""

import numpy as np
import pytest
import torch

from linksim.farfield.hcrb import hcrb_from_fim
from linksim.farfield.scenario import ISSCScenario, covariance

C0 = 299_792_458.0


def _chi_torch(scn: ISSCScenario, mu: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """chi(mu) of ASCC eq. (8) written again from the paper, in torch (complex128).

    X: (R, N_T, N) symbol realisations; returns (R, N_R, N).
    """
    o = mu[:2]
    b = torch.tensor(scn.tr_position, dtype=torch.float64)
    r = torch.tensor(scn.sre_position, dtype=torch.float64)
    db, dr = o - b, o - r
    theta = torch.atan2(db[1], db[0])   # same sine as the paper's arctan + pi 1{.}
    phi = torch.atan2(dr[1], dr[0])
    nt = torch.arange(scn.n_t, dtype=torch.float64)
    nr = torch.arange(scn.n_r, dtype=torch.float64)
    a_t = torch.exp(1j * torch.pi * nt * torch.sin(theta))
    a_r = torch.exp(1j * torch.pi * nr * torch.sin(phi))
    d1, d2 = torch.linalg.norm(db), torch.linalg.norm(dr)
    if scn.beta_position_derivative:
        beta = scn.beta_s * (d1 * d2) ** (-scn.path_loss_exponent / 2)
    else:
        beta = torch.tensor(scn.beta_0, dtype=torch.float64)
    H = beta * torch.outer(a_r, a_t.conj())
    tau = (d1 + d2) / C0 + mu[2]
    k = torch.arange(scn.num_samples, dtype=torch.float64)
    if scn.frequency_grid == "centered":
        k = k - scn.num_samples // 2
    w = 2 * torch.pi * k * scn.bandwidth_hz / scn.num_samples
    return torch.exp(-1j * w * tau) * (H @ X)


def _autodiff_fim(scn: ISSCScenario, Sigma: np.ndarray) -> np.ndarray:
    """(2/sigma^2) Re{(d chi/d mu)^H (d chi/d mu)}, averaged exactly over symbols with
    E[x x^H] = Sigma: the realisations x_i = sqrt(lambda_i) u_i (eigenvectors of Sigma)
    sum to Sigma, so summing their FIMs is the expectation (FIM is linear in x x^H)."""
    lam, U = np.linalg.eigh(Sigma)
    lam = np.clip(lam, 0, None)
    xs = (U * np.sqrt(lam)).T  # (N_T, N_T): row i is x_i
    X = torch.tensor(np.repeat(xs[:, :, None], scn.num_samples, axis=2))
    mu0 = torch.tensor([*scn.target_position, 3e-9], dtype=torch.float64)

    def real_chi(mu):
        return torch.view_as_real(_chi_torch(scn, mu, X)).reshape(-1)

    # forward mode: 3 inputs, ~10^5 outputs
    jac = torch.func.jacfwd(real_chi)(mu0)  # (2 M, 3)
    jd = (2.0 / scn.noise_sre_w) * (jac.T @ jac).numpy()
    return jd


def _random_sigma(rng, n, power=1.0, rank=None):
    rank = rank or n
    A = rng.standard_normal((n, rank)) + 1j * rng.standard_normal((n, rank))
    S = A @ A.conj().T
    return power * S / np.trace(S).real


def _rel_err(a, b):
    d = np.sqrt(np.abs(np.diag(b)))
    return np.max(np.abs(a - b) / np.outer(d, d))


@pytest.mark.parametrize("opts", [
    {},
    {"frequency_grid": "centered"},
    {"beta_position_derivative": True},
    {"n_t": 3, "n_r": 5, "target_position": (-60.0, -35.0), "num_samples": 256},
    {"target_position": (30.0, 80.0), "cre_position": (-10.0, 5.0), "num_samples": 512},
])
def test_fim_matches_autodiff(opts):
    scn = ISSCScenario(**opts)
    rng = np.random.default_rng(7)
    for S in (_random_sigma(rng, scn.n_t, 0.3),
              covariance(*scn.matched_beamformers(2.0, 0.3))):
        jd = scn.fim_data(S)
        ref = _autodiff_fim(scn, S)
        assert _rel_err(jd, ref) < 1e-6, (opts, jd, ref)
        np.testing.assert_allclose(scn.fim(S) - jd, scn.prior_fim())


def test_zeta_form_is_prop_3_1_with_explicit_sum_over_bins():
    """zeta_1..zeta_6 by the moment formula equal the explicit sums of Prop. 3.1."""
    scn = ISSCScenario(num_samples=64)
    H, dH, _, dt = scn.sensing_channel(scn.target_position)
    w = scn.frequencies
    Hd = dH[0][None] - 1j * w[:, None, None] * dt[0] * H[None]
    Hdd = dH[1][None] - 1j * w[:, None, None] * dt[1] * H[None]
    herm = lambda A: np.conj(np.swapaxes(A, -1, -2))  # noqa: E731
    ref = np.stack([
        np.sum(herm(Hd) @ Hd, 0), np.sum(herm(Hd) @ Hdd, 0), np.sum(herm(Hdd) @ Hdd, 0),
        np.sum(-1j * w[:, None, None] * herm(Hd) @ H, 0),
        np.sum(-1j * w[:, None, None] * herm(Hdd) @ H, 0),
        np.sum(w[:, None, None] ** 2 * (H.conj().T @ H)[None], 0)])
    z = scn.fim_basis()
    for j in range(6):
        np.testing.assert_allclose(z[j], ref[j], rtol=1e-9, atol=1e-9 * np.abs(ref[j]).max())


def test_fim_is_linear_in_sigma_and_batched():
    scn = ISSCScenario()
    rng = np.random.default_rng(1)
    A, B = _random_sigma(rng, 4, 1.0), _random_sigma(rng, 4, 0.5, rank=1)
    jA, jB = scn.fim_data(A), scn.fim_data(B)
    np.testing.assert_allclose(scn.fim_data(2.0 * A + 3.0 * B), 2 * jA + 3 * jB, rtol=1e-10)
    np.testing.assert_allclose(scn.fim_data(np.stack([A, B])), np.stack([jA, jB]), rtol=1e-12)
    F = scn.fim_matrices()
    manual = np.real(np.einsum("abij,ji->ab", F, A))
    np.testing.assert_allclose(manual, jA, rtol=1e-12)
    np.testing.assert_allclose(F, np.conj(np.swapaxes(F, -1, -2)))  # Hermitian blocks


def test_hcrb_eq13_equals_inverse_and_dominates_crb():
    scn = ISSCScenario()
    rng = np.random.default_rng(2)
    for _ in range(5):
        S = _random_sigma(rng, 4, 10.0 ** rng.uniform(-2, 3))
        h = scn.hcrb(S)
        inv = np.linalg.inv(scn.fim(S))
        np.testing.assert_allclose(h.position, inv[:2, :2], rtol=1e-7)
        np.testing.assert_allclose(h.matrix(), inv, rtol=1e-7)
        np.testing.assert_allclose(h.crb, np.linalg.inv(scn.fim(S)[:2, :2]), rtol=1e-9)
        # HCRB - CRB is PSD (the TS error only adds), so the trace is at least the CRB's
        assert np.linalg.eigvalsh(h.position - h.crb).min() >= -1e-9 * h.trace
        assert h.trace >= h.crb_trace and h.ts_penalty_trace >= 0


def test_hcrb_decreases_with_power_and_matches_limits():
    scn = ISSCScenario()
    p = np.logspace(-3, 5, 30)  # W
    S = covariance(*scn.matched_beamformers(p))
    h = scn.hcrb(S)
    assert h.trace.shape == (30,)
    assert np.all(np.diff(h.trace) < 0) and np.all(np.diff(h.crb_trace) < 0)
    # the CRB part scales exactly as 1/P for a fixed beam direction
    np.testing.assert_allclose(h.crb_trace * p, h.crb_trace[0] * p[0], rtol=1e-9)
    # a smaller sync error shrinks the penalty; a huge one makes delay useless
    small = scn.replace(sigma_delta_s=1e-12).hcrb(S[10])
    assert small.trace == pytest.approx(small.crb_trace, rel=1e-3)
    big = scn.replace(sigma_delta_s=1e-3).hcrb(S[10])
    assert big.trace > h.trace[10]


def test_singular_fim_gives_inf_not_error():
    scn = ISSCScenario()
    h = scn.hcrb(np.zeros((4, 4)))
    assert np.isinf(h.trace)
    h2 = hcrb_from_fim(np.diag([1.0, 2.0, 4.0]))
    assert h2.trace == pytest.approx(1.5) and h2.ts_penalty_trace == 0.0
