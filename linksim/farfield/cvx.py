"""cvxpy building blocks of the far-field ISSC problems (ASCC Sec. IV-B).

The hybrid FIM ``J = J_D(Sigma) + J_B`` is affine in the transmit covariance ``Sigma``
(ASCC eq. (11), eq. (12)), so every constraint on the HCRB can be written as linear matrix
inequalities in a cvxpy covariance variable. The blocks here are scaled for the solver
(see "Numerical scaling" in docs/optim_ascc.md):

* powers in units of ``power_unit_w`` (a covariance variable ``S`` with ``Sigma = P_u S``);
* positions in units of ``length_unit_m`` (so Tr(HCRB) is in units of ``length_unit_m^2``);
* the delay parameter re-parametrised and scaled (see :func:`fim_cvxpy`).

These are congruences ``K^T J K`` that leave the position block of ``J^-1`` (up to the
length unit) and so the set of feasible ``Sigma`` unchanged, only the numbers the solver
sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from .scenario import ISSCScenario


@dataclass(frozen=True)
class FIMExpression:
    """Scaled hybrid FIM of a cvxpy covariance (ASCC eq. (11)).

    Attributes:
        matrix: symmetric affine 3x3 cvxpy expression ``K^T J(P_u S) K``.
        power_unit_w, length_unit_m: the units used (see module docstring).
    """

    matrix: cp.Expression
    power_unit_w: float
    length_unit_m: float


@dataclass(frozen=True)
class HCRBConstraint:
    """``Tr HCRB(p_o) <= Pi`` as LMIs (ASCC eq. (35), eq. (36), eq. (37)).

    Attributes:
        constraints: list of cvxpy constraints.
        omega: the auxiliary 2x2 ``Omega`` of ASCC eq. (35) (scaled units).
        omega_inv_bound: 2x2 ``X >= Omega^-1`` (so ``Tr X <= Pi / l^2`` gives ASCC eq. (35)).
        fim: the :class:`FIMExpression` the LMI was built on.
    """

    constraints: list
    omega: cp.Variable
    omega_inv_bound: cp.Variable
    fim: FIMExpression


def fim_cvxpy(scn: ISSCScenario, S: cp.Expression, power_unit_w: float,  # noqa: N803
              length_unit_m: float) -> FIMExpression:
    """Affine 3x3 hybrid FIM of the covariance ``Sigma = power_unit_w * S`` (ASCC eq. (11)).

    ``S`` is an ``(N_T, N_T)`` Hermitian cvxpy expression (dimensionless). The matrix is the
    congruence ``K^T J K`` of ASCC eq. (11) with ``K = T D``: ``T`` re-parametrises
    ``mu = (o_x, o_y, Delta_tau)`` by the total delay ``tau = tau_geo(p_o) + Delta_tau``
    (``T = [[I, 0], [-grad tau_geo^T, 1]]``), ``D = diag(l, l, u_tau)`` sets the units
    (``u_tau`` makes the delay entry 1 at the isotropic covariance ``I / N_T``).

    Why: the echo depends on the position and the sync error only through ``tau``, so in
    ``(p_o, Delta_tau)`` the FIM holds the huge delay information in both blocks and the
    Schur complement of ASCC eq. (37) cancels it (catastrophic cancellation; Clarabel fails near
    the feasibility edge). ``T`` is unit lower triangular, so the position block of
    ``(K^T J K)^-1 = K^-1 J^-1 K^-T`` is that of ``J^-1`` scaled by ``1/l^2``: Tr HCRB and
    the LMIs of ASCC eq. (35), eq. (36), eq. (37) are unchanged, in units of ``l^2``.
    """
    F = scn.fim_matrices()
    dtau = scn.sensing_channel(scn.target_position)[3]
    T = np.eye(3)
    T[2, :2] = -dtau
    prior = T.T @ scn.prior_fim() @ T
    Ft = np.einsum("ca,cdij,db->abij", T, F, T)
    iso = np.eye(scn.n_t) / scn.n_t
    j33 = float(np.real(np.trace(Ft[2, 2] @ iso))) * power_unit_w + prior[2, 2]
    d = np.array([length_unit_m, length_unit_m, 1.0 / np.sqrt(j33)])
    entries = {}
    for a in range(3):
        for b in range(a, 3):
            coef = Ft[a, b] * (power_unit_w * d[a] * d[b])
            entries[a, b] = cp.real(cp.trace(coef @ S)) + prior[a, b] * d[a] * d[b]
    rows = [[entries[min(a, b), max(a, b)] for b in range(3)] for a in range(3)]
    mat = cp.bmat([[cp.reshape(e, (1, 1), order="F") for e in r] for r in rows])
    return FIMExpression(mat, float(power_unit_w), float(length_unit_m))


def hcrb_constraints_cvxpy(fim: FIMExpression, pi_m2: float | None) -> HCRBConstraint:
    """``Tr HCRB(p_o) <= pi_m2`` as LMIs on a scaled FIM (ASCC eq. (35), eq. (36), eq. (37)).

    With ``pi_m2=None`` the cap ``Tr X <= Pi`` is left out, so that a caller can minimise
    ``Tr X`` (the smallest Tr HCRB, in units of ``length_unit_m^2``).

    ``Omega`` (2x2) with ``Tr(Omega^-1) <= Pi`` (ASCC eq. (35), via ``[[X, I], [I, Omega]] >= 0``
    and ``Tr X <= Pi``) and the Schur complement ``[[J^c1 - Omega, J^c2], [J^c2^T, J^c3]]
    >= 0`` (ASCC eq. (37)), which is ``J >= blkdiag(Omega, 0)`` (ASCC eq. (36)). Since the position
    block of ``J^-1`` is the inverse of the Schur complement of ``J^c3``, the two hold
    for some ``Omega`` exactly when Tr HCRB <= Pi: the reformulation is exact.
    """
    omega = cp.Variable((2, 2), symmetric=True)
    x = cp.Variable((2, 2), symmetric=True)
    J = fim.matrix
    pad = cp.bmat([[omega, np.zeros((2, 1))], [np.zeros((1, 2)), np.zeros((1, 1))]])
    lmi = J - pad
    cons = [0.5 * (lmi + lmi.T) >> 0,
            cp.bmat([[x, np.eye(2)], [np.eye(2), omega]]) >> 0]
    if pi_m2 is not None:
        cons.append(cp.trace(x) <= pi_m2 / fim.length_unit_m**2)
    return HCRBConstraint(cons, omega, x, fim)


def comm_gain_matrix(scn: ISSCScenario) -> np.ndarray:
    """``h_c h_c^H`` (ASCC eq. (3)), complex128 ``(N_T, N_T)``: ``|h_c^H w|^2 = w^H (h_c h_c^H) w``.
    """
    h = scn.h_c
    return np.outer(h, h.conj())
