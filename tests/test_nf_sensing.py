"""Extended-target FIM/CRB (NF eqs. (14)-(16)), the LS estimator, and the point-target FIM."""

import math

import numpy as np
import pytest
import torch

from linksim.nearfield import NFScenario
from linksim.nearfield import sensing as sens

SCN = NFScenario()


def _cn(rng, shape):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / math.sqrt(2)


def test_fim_eq15_and_crb_eq16_against_numerically_built_fim():
    rng = np.random.default_rng(0)
    n_t, n_r, frames, noise = 3, 2, 7, 0.3
    X = _cn(rng, (n_t, frames))
    # eq. (14): z = (X^T (x) I) g + n; linear Gaussian model -> J = A^H A / sigma^2
    A = np.kron(X.T, np.eye(n_r))
    J_built = A.conj().T @ A / noise
    Rx = X @ X.conj().T / frames
    assert np.allclose(sens.extended_fim(Rx, frames, noise, n_r), J_built)
    crb_built = np.trace(np.linalg.inv(J_built)).real
    assert sens.extended_crb(Rx, frames, noise, n_r) == pytest.approx(crb_built, rel=1e-10)
    # vec is column-major: A @ vec(G) == vec(G X)
    G = _cn(rng, (n_r, n_t))
    assert np.allclose(A @ G.reshape(-1, order="F"), (G @ X).reshape(-1, order="F"))


def test_ls_estimator_attains_crb_given_the_frames():
    # LS is efficient for the linear model: E||G_hat - G||^2 = CRB at the realised X X^H / F
    rng = np.random.default_rng(1)
    W, R = (t.numpy() for t in SCN.baseline_beamformers())
    G = SCN.echo_matrix().numpy()
    out = sens.ls_mse_experiment(G, W, R, 100, SCN.noise_radar_w, 300, rng)
    tol = 4 * out["mse_stderr"] / out["crb_realised"]
    assert abs(out["ratio_realised"] - 1) < tol


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_ls_mse_gap_to_design_crb_is_wishart_and_within_inverse_sqrt_f(seed):
    # against eq. (16) at the design R_x the gap is F / (F - N_t) - 1 (complex Wishart);
    # NF Fig. 10 reports ~10% at F = 100, i.e. about 1 / sqrt(F)
    rng = np.random.default_rng(seed)
    W, R = (t.numpy() for t in SCN.baseline_beamformers())
    G = SCN.echo_matrix().numpy()
    for frames in (100, 400):
        out = sens.ls_mse_experiment(G, W, R, frames, SCN.noise_radar_w, 200, rng)
        tol = 4 * out["mse_stderr"] / out["crb_design"]
        assert abs(out["ratio_design"] - out["ratio_theory"]) < tol
        assert out["ratio_design"] - 1 < 1 / math.sqrt(frames) + tol
        assert out["ratio_design"] > 1  # never below the bound beyond noise
    assert out["ratio_theory"] == pytest.approx(400 / 391)


def test_crb_lmi_gives_the_closed_form_minimum_power():
    cp = pytest.importorskip("cvxpy")
    # min Tr(R_x) s.t. CRB(G) <= xi  ->  R_x = (N_t / c) I with c = xi F / (sigma^2 N_r)
    scn = NFScenario(n_tx=1, n_tz=3, n_rx=2, n_rz=3, users_theta_deg=[80.0],
                     users_phi_deg=[90.0], users_d_m=[4.0], targets_theta_deg=[100.0],
                     targets_phi_deg=[90.0], targets_d_m=[5.0], scatterers_per_target=2)
    xi = 1e-4
    Rx = cp.Variable((3, 3), hermitian=True)
    prob = cp.Problem(cp.Minimize(cp.real(cp.trace(Rx))), scn.crb_constraints_cvxpy(Rx, xi))
    prob.solve(solver=cp.CLARABEL)
    c = scn.crb_trace_limit(xi)
    assert prob.value == pytest.approx(9 / c, rel=1e-5)
    assert scn.crb_normalised(Rx.value) == pytest.approx(xi, rel=1e-4)


def _zeta():
    return torch.tensor([math.radians(75.0), math.radians(95.0), 4.0], dtype=torch.float64)


def test_point_target_fim_autodiff_against_finite_difference_brute_force():
    rng = np.random.default_rng(3)
    scn = NFScenario(n_rx=3, n_rz=3, n_tx=2, n_tz=2, frames=20, users_theta_deg=[80.0],
                     users_phi_deg=[90.0], users_d_m=[4.0], targets_theta_deg=[100.0],
                     targets_phi_deg=[90.0], targets_d_m=[5.0])
    X = _cn(rng, (scn.n_t, scn.frames)) * 0.1
    Rx = X @ X.conj().T / scn.frames
    for path_loss in (False, True):
        J = scn.point_target_fim(_zeta(), Rx, path_loss=path_loss).numpy()

        def mean_echo(z, path_loss=path_loss):
            G = sens.point_target_echo(torch.tensor(z), scn.tx_nominal(), scn.rx_positions(),
                                       scn.wavelength, "exact", path_loss).numpy()
            return (G @ X).reshape(-1, order="F")

        steps = [1e-6, 1e-6, 1e-6]
        cols = []
        for p, h in enumerate(steps):
            e = np.zeros(3)
            e[p] = h
            cols.append((mean_echo(_zeta().numpy() + e) - mean_echo(_zeta().numpy() - e)) / (2 * h))
        D = np.stack(cols, axis=1)
        J_fd = 2 / scn.noise_radar_w * (D.conj().T @ D).real
        assert np.allclose(J, J_fd, rtol=1e-5, atol=1e-8 * np.abs(J_fd).max())


def test_point_target_crb_depends_on_fa_positions():
    # NF Remark 1 / App. B: the point-target CRB moves with the fluid antennas
    W, R = SCN.baseline_beamformers()
    Rx = W @ W.conj().T + R
    pos = SCN.tx_nominal().clone().requires_grad_(True)

    def crb_sum(p):
        return torch.linalg.inv(SCN.point_target_fim(_zeta(), Rx, pos=p)).diagonal().sum()

    value = crb_sum(pos)
    grad = torch.autograd.grad(value, pos)[0]
    assert float(grad[SCN.movable_mask()].abs().max()) > 0
    h = 1e-7
    e = torch.zeros_like(pos)
    e[0, 0] = h
    fd = (crb_sum(pos.detach() + e) - crb_sum(pos.detach() - e)) / (2 * h)
    torch.testing.assert_close(fd, grad[0, 0], rtol=1e-4, atol=0.0)
    moved = SCN.project(SCN.tx_nominal() + 0.02)
    assert float(crb_sum(moved)) != pytest.approx(float(value.detach()), rel=1e-6)
