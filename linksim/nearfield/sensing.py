"""Sensing side of NF-ISCSC: FIM and CRB of the echo matrix, the LS estimator that
checks them, and the point-target FIM of NF Appendix B.

Extended targets (NF Sec. III-A): the BS estimates the whole echo matrix G
(N_r x N_t) from Z = G X + N (NF eq. (10)), N with i.i.d. CN(0, sigma_r^2) entries.
Numpy complex128 for these (they feed the SDP); torch for the point-target FIM,
which depends on the fluid-antenna positions and is differentiated by autodiff.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .geometry import distances, spherical_to_cartesian, steering_vector


def _check_frames(frames: int, noise: float | None = None) -> None:
    if int(frames) != frames or frames <= 0:
        raise ValueError(f"frames={frames!r} is invalid: must be a positive integer")
    if noise is not None and not noise > 0:
        raise ValueError(f"noise={noise!r} is invalid: sigma_r^2 must be > 0 W")


def extended_fim(Rx: np.ndarray, frames: int, noise: float, n_rx: int) -> np.ndarray:
    """FIM of g = vec(G), NF eq. (15): J = F / sigma_r^2 * R_x^T (x) I_{N_r}.

    Args: Rx (N_t, N_t) watts; frames F; noise sigma_r^2 watts; n_rx = N_r.
    Returns complex128 (N_t N_r, N_t N_r) (column-major vec, as in NF eq. (14)).
    """
    _check_frames(frames, noise)
    return frames / noise * np.kron(np.asarray(Rx).T, np.eye(n_rx))


def extended_crb(Rx: np.ndarray, frames: int, noise: float, n_rx: int) -> float:
    """CRB(G) = sigma_r^2 N_r / F * Tr(R_x^{-1}), NF eq. (16): the trace of J^{-1}.

    This is the bound on E||G_hat - G||_F^2 (sum over all N_r N_t entries), W^-1 units
    cancel: G is an amplitude gain, so the CRB is dimensionless.
    Returns +inf when R_x is singular (rank < N_t: G is then not identifiable, the FIM is
    singular), as the far-field CRB does; a constraint CRB <= xi then fails cleanly.
    """
    _check_frames(frames, noise)
    Rx = np.asarray(Rx)
    eig = np.linalg.eigvalsh((Rx + Rx.conj().T) / 2)
    if eig.min() <= 1e-14 * max(eig.max(), 1e-300):
        return math.inf
    return float(noise * n_rx / frames * np.sum(1.0 / eig))


def inverse_trace_torch(Rx: torch.Tensor) -> torch.Tensor:
    """Tr(R_x^{-1}) of a Hermitian positive definite R_x (N_t, N_t) in W, by Cholesky:
    R_x = C C^H, Tr(R_x^{-1}) = ||C^{-1}||_F^2 (1/W). Torch, differentiable (what a first-order
    optimiser of NF eq. (16) needs); CRB(G) = sigma_r^2 N_r / F times this value. Raises
    torch's LinAlgError when R_x is not positive definite (the CRB is then +inf)."""
    Rx = 0.5 * (Rx + Rx.conj().T)
    chol = torch.linalg.cholesky(Rx)
    eye = torch.eye(Rx.shape[-1], dtype=Rx.dtype)
    inv = torch.linalg.solve_triangular(chol, eye, upper=False)
    return (inv.real ** 2 + inv.imag ** 2).sum()


def crb_trace_limit(xi: float, frames: int, noise: float, n_rx: int) -> float:
    """CRB(G) <= xi rewritten as Tr(R_x^{-1}) <= xi F / (sigma_r^2 N_r) (convex in R_x)."""
    _check_frames(frames, noise)
    if not xi > 0:
        raise ValueError(f"xi={xi!r} is invalid: the CRB limit must be > 0")
    return xi * frames / (noise * n_rx)


def crb_constraints_cvxpy(Rx, xi: float, frames: int, noise: float, n_rx: int) -> list:
    """cvxpy constraints equivalent to CRB(G) <= xi for a Hermitian variable ``Rx``.

    Schur complement: with an auxiliary Hermitian T and c = xi F / (sigma_r^2 N_r),
    [[T, I / sqrt(c)], [I / sqrt(c), R_x]] >= 0 means T >= R_x^{-1} / c, so
    Tr(T) <= 1 is NF eq. (28b) as an LMI. (Scaling T by 1/c keeps the blocks O(1)
    when the constraint is tight; without it Clarabel stalls on these magnitudes.)
    """
    import cvxpy as cp

    n = Rx.shape[0]
    T = cp.Variable((n, n), hermitian=True)
    limit = crb_trace_limit(xi, frames, noise, n_rx)
    off = np.eye(n) / np.sqrt(limit)
    block = cp.bmat([[T, off], [off, Rx]])
    return [block >> 0, cp.real(cp.trace(T)) <= 1.0]


def _complex_normal(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) / np.sqrt(2.0)


def psd_sqrt(R: np.ndarray) -> np.ndarray:
    """Hermitian square root of a PSD matrix (negative round-off eigenvalues clipped)."""
    R = np.asarray(R)
    eig, vec = np.linalg.eigh((R + R.conj().T) / 2)
    if eig.min() < -1e-9 * max(abs(eig).max(), 1e-300):
        raise ValueError(f"R min eigenvalue={eig.min():.3g} is invalid: a covariance must be PSD")
    return (vec * np.sqrt(np.clip(eig, 0.0, None))) @ vec.conj().T


def _h(A: np.ndarray) -> np.ndarray:
    return np.swapaxes(A, -1, -2).conj()


def ls_estimate(Z: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Least-squares (= ML under white Gaussian noise) estimate of G from NF eq. (14).

    G_hat = Z X^H (X X^H)^{-1}. Args: Z (..., N_r, F), X (..., N_t, F) (leading
    batch axes allowed). Returns (..., N_r, N_t).
    """
    gram = X @ _h(X)
    return np.swapaxes(np.linalg.solve(np.swapaxes(gram, -1, -2),
                                       np.swapaxes(Z @ _h(X), -1, -2)), -1, -2)


def ls_mse_experiment(G: np.ndarray, W: np.ndarray, R: np.ndarray, frames: int, noise: float,
                      trials: int, rng: np.random.Generator, chunk: int = 100) -> dict[str, float]:
    """Monte Carlo MSE of the LS estimator of G against the CRB of NF eq. (16).

    Each trial draws a fresh signal X (NF eq. (2)) and noise, estimates G and records
    ||G_hat - G||_F^2. Two references are reported:

    - ``crb_design``: NF eq. (16) at the design covariance R_x = W W^H + R;
    - ``crb_realised``: NF eq. (16) at the sample covariance X X^H / F of each
      trial (the CRB conditional on the transmitted frames), averaged.

    LS attains ``crb_realised`` exactly in expectation. Against ``crb_design`` it
    pays for the finite sample covariance: for Gaussian X, X X^H is complex
    Wishart and E[(X X^H)^{-1}] = R_x^{-1} / (F - N_t), so the expected ratio is
    ``F / (F - N_t)`` (returned as ``ratio_theory``; 1.099 at F = 100, N_t = 9,
    the ~10% gap NF Fig. 10 reports). Trials run in batches of ``chunk`` (one
    LAPACK call per batch: many tiny calls are slow when BLAS threads contend).
    """
    _check_frames(frames, noise)
    if int(trials) != trials or trials <= 0:
        raise ValueError(f"trials={trials!r} is invalid: must be a positive integer")
    W, R, G = np.asarray(W), np.asarray(R), np.asarray(G)
    n_rx, n_tx = G.shape
    if frames <= n_tx:
        raise ValueError(f"frames={frames} is invalid: must exceed N_t={n_tx} "
                         "(X must have full row rank, NF Sec. II-A)")
    crb_design = extended_crb(W @ W.conj().T + R, frames, noise, n_rx)
    R_sqrt = psd_sqrt(R)
    errors, crb_real = [], []
    for start in range(0, trials, chunk):
        n = min(chunk, trials - start)
        X = (W @ _complex_normal(rng, (n, W.shape[1], frames))
             + R_sqrt @ _complex_normal(rng, (n, n_tx, frames)))
        Z = G @ X + np.sqrt(noise) * _complex_normal(rng, (n, n_rx, frames))
        G_hat = ls_estimate(Z, X)
        errors.append(np.sum(np.abs(G_hat - G) ** 2, axis=(-2, -1)))
        # NF eq. (16) at R_x = X X^H / F: sigma^2 N_r / F Tr(F (X X^H)^{-1})
        eig = np.linalg.eigvalsh(X @ _h(X))
        crb_real.append(noise * n_rx * np.sum(1.0 / eig, axis=-1))
    errors, crb_real = np.concatenate(errors), np.concatenate(crb_real)
    mse = float(errors.mean())
    return {
        "mse": mse,
        "mse_stderr": float(errors.std(ddof=1) / np.sqrt(trials)) if trials > 1 else float("nan"),
        "crb_design": crb_design,
        "crb_realised": float(crb_real.mean()),
        "ratio_design": mse / crb_design,
        "ratio_realised": mse / float(crb_real.mean()),
        "ratio_theory": frames / (frames - n_tx),
        "frames": int(frames),
        "trials": int(trials),
    }


def point_target_echo(zeta: torch.Tensor, tx: torch.Tensor, rx: torch.Tensor, wavelength: float,
                      model: str = "exact", path_loss: bool = False,
                      beta: complex = 1.0) -> torch.Tensor:
    """Point-target echo matrix G(theta, phi, d) of NF eq. (B.1). Returns (N_r, N_t).

    ``path_loss=False`` follows Appendix B ("ignoring the path-loss coefficient"):
    G = beta a_r^T a_t, the phase of NF eq. (B.5). With ``path_loss=True`` the Psi of
    NF eq. (10) multiplies it entrywise.
    """
    point = spherical_to_cartesian(zeta[0], zeta[1], zeta[2]).reshape(1, 3)
    a_t = steering_vector(tx, point, wavelength, model)[0]
    a_r = steering_vector(rx, point, wavelength, model)[0]
    G = beta * torch.outer(a_r, a_t)
    if path_loss:
        G = G / (4.0 * math.pi * torch.outer(distances(rx, point)[0], distances(tx, point)[0]))
    return G


def point_target_fim(zeta: torch.Tensor, tx: torch.Tensor, rx: torch.Tensor,
                     Rx: torch.Tensor, frames: int, noise: float, wavelength: float,
                     model: str = "exact", path_loss: bool = False,
                     beta: complex = 1.0) -> torch.Tensor:
    """FIM of zeta = (theta, phi, d) for a point target, NF eq. (B.3), eq. (B.4).

    J_pq = 2F / sigma_r^2 Re Tr(dG/dp R_x dG^H/dq), derivatives by
    autodiff (reverse mode, double-vjp). The result is a torch function of the
    transmit positions ``tx``, so its dependence on the fluid antennas (Remark 1)
    can itself be differentiated. Args: zeta (3,) [rad, rad, m]; Rx (N_t, N_t) watts.
    Returns float64 (3, 3), units 1/rad^2 and 1/m^2 (mixed off-diagonal).
    """
    _check_frames(frames, noise)
    zeta = torch.as_tensor(zeta, dtype=torch.float64)
    # dG/dzeta column by column with the double-vjp trick (J v = d/du [J^T u] v): plain
    # reverse mode, because torch's forward-mode set-up costs seconds on first use.
    # create_graph (only when tx needs it) keeps the columns differentiable in positions.
    keep = torch.is_grad_enabled() and (tx.requires_grad or rx.requires_grad)
    with torch.enable_grad():  # the derivatives in zeta need autograd even under no_grad()
        z = zeta.detach().clone().requires_grad_(True)
        out = torch.view_as_real(point_target_echo(z, tx, rx, wavelength, model, path_loss,
                                                   beta))
        u = torch.zeros_like(out, requires_grad=True)
        (vjp,) = torch.autograd.grad(out, z, grad_outputs=u, create_graph=True)
        cols = []
        for p in range(3):
            (col,) = torch.autograd.grad(vjp[p], u, create_graph=keep, retain_graph=True)
            cols.append(torch.view_as_complex(col))
    dG = torch.stack(cols)  # (3, N_r, N_t)
    if not keep:
        dG = dG.detach()
    Rx = torch.as_tensor(Rx, dtype=torch.complex128)
    inner = torch.einsum("pmi,ij,qmj->pq", dG, Rx, dG.conj())
    return 2.0 * frames / noise * inner.real
