"""Beamforming subproblem of ASCC (P4.5): max SINR s.t. Tr HCRB <= Pi, Tr Sigma <= P_T.

The paper's route (ASCC Sec. IV-B-2) is fractional programming for the SINR and the
auxiliary ``Omega`` / Schur-complement LMI for the HCRB:

* FP, ASCC eq. (34): ``gamma = max_y 2 Re(y^* h^H w_c) - |y|^2 (|h^H w_0|^2 + sigma_n^2)``,
  attained at ``y = h^H w_c / (|h^H w_0|^2 + sigma_n^2)``; concave in ``(w_c, w_0)`` for fixed y.
* HCRB, ASCC eq. (35), eq. (36), eq. (37): ``Tr(Omega^-1) <= Pi`` and the Schur LMI on the 3x3
hybrid FIM
  (:func:`linksim.farfield.cvx.hcrb_constraints_cvxpy`).

Where we depart from the paper: the LMI (37) is not convex in ``(w_c, w_0)`` because
``Sigma = w_c w_c^H + w_0 w_0^H`` is quadratic. The paper moves ``f_j = Tr(zeta_j Sigma)`` into
a penalty with auxiliaries Gamma_j and a decreasing kappa (P4.6-P4.9, ASCC eq. (38) to eq. (48)).
We use
the convex restriction that keeps every iterate feasible instead: the FIM is a monotone
linear map of Sigma (``J_D`` is a Gram matrix, so ``Sigma_1 >= Sigma_2`` implies
``J(Sigma_1) >= J(Sigma_2)``), and ``w w^H >= w_i w^H + w w_i^H - w_i w_i^H`` (expand
``(w - w_i)(w - w_i)^H >= 0``). So the LMI written on the linearised covariance implies the
true HCRB limit. Each iteration solves one SDP (Clarabel) in ``(w_c, w_0, Omega, X)`` with
``y`` fixed, then updates ``y``. The SINR of the iterates never decreases: the previous
beams are feasible for the next SDP (the linearisation is tight there) and FP's ``y``
step is exact.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from linksim.farfield import ISSCScenario
from linksim.farfield.cvx import fim_cvxpy, hcrb_constraints_cvxpy
from linksim.solver_policy import ACCEPTED, solve

from .bound import RECHECK_TOL
from .errors import SolverUnknownError

#: Pi is tightened by this relative margin so that returned beams meet it after rounding
PI_MARGIN = 1e-6


@dataclass(frozen=True)
class BeamResult:
    """Beams of the paper's method.

    Attributes:
        w_c, w_0: complex128 ``(N_T,)`` (sqrt W).
        sinr: linear SINR of the beams; trace: SINR per iteration (non-decreasing).
        iterations, solver_calls, solve_s: effort.
        converged: the SINR change fell below the tolerance before ``max_iter``.
    """

    w_c: np.ndarray
    w_0: np.ndarray
    sinr: float
    trace: list = field(default_factory=list)
    iterations: int = 0
    solver_calls: int = 0
    solve_s: float = 0.0
    converged: bool = False


def split_covariance(scn: ISSCScenario, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start beams from a covariance: ``w_c`` along ``Sigma h``, ``w_0`` the top of the rest.

    Exact (``w_c w_c^H + w_0 w_0^H = Sigma``) when ``rank(Sigma) <= 2``.
    """
    h = scn.h_c
    sh = sigma @ h
    g = float(np.real(h.conj() @ sh))
    if g <= 0:
        lam, v = np.linalg.eigh(sigma)
        return np.zeros(scn.n_t, complex), math.sqrt(max(lam[-1], 0.0)) * v[:, -1]
    w_c = sh / math.sqrt(g)
    rest = sigma - np.outer(w_c, w_c.conj())
    lam, v = np.linalg.eigh(0.5 * (rest + rest.conj().T))
    return w_c, math.sqrt(max(lam[-1], 0.0)) * v[:, -1]


def fp_sca_beamforming(scn: ISSCScenario, power_w: float, pi_m2: float,
                       w_c0: np.ndarray, w_00: np.ndarray, tol: float = 1e-5,
                       max_iter: int = 60) -> BeamResult:
    """The FP + Schur-LMI iteration (module docstring) from feasible start beams.

    Args:
        scn: scenario; power_w: P_T (W); pi_m2: HCRB limit (m^2).
        w_c0, w_00: start beams meeting both limits, complex ``(N_T,)``.
        tol: stop when the SINR improves by less than ``tol`` (relative).
        max_iter: iteration cap.
    """
    t0 = time.perf_counter()
    n = scn.n_t
    pi_eff = pi_m2 * (1 - PI_MARGIN)
    scale = math.sqrt(power_w)
    h = scn.h_c * scale / math.sqrt(scn.noise_cre_w)  # SINR = |h^H v_c|^2/(|h^H v_0|^2 + 1)
    vc_i = np.asarray(w_c0, complex) / scale
    v0_i = np.asarray(w_00, complex) / scale
    vc = cp.Variable(n, complex=True)
    v0 = cp.Variable(n, complex=True)
    pc, p0 = cp.Parameter(n, complex=True), cp.Parameter(n, complex=True)
    y = cp.Parameter(complex=True)
    ycon = cp.Parameter(nonneg=True)  # |y|^2
    # linearised covariance (lower bound of v_c v_c^H + v_0 v_0^H in the Loewner order)
    s_lin = 0
    for v, p in ((vc, pc), (v0, p0)):
        pv = cp.reshape(p, (n, 1), order="F")
        vv = cp.reshape(v, (n, 1), order="F")
        s_lin = s_lin + pv @ cp.conj(vv).T + vv @ cp.conj(pv).T
    s_const = cp.Parameter((n, n), hermitian=True)
    S = s_lin - s_const
    fim = fim_cvxpy(scn, S, power_w, math.sqrt(pi_m2))
    hc = hcrb_constraints_cvxpy(fim, pi_eff)
    hv_c = cp.conj(h) @ vc
    hv_0 = cp.conj(h) @ v0
    obj = 2 * cp.real(cp.conj(y) * hv_c) - ycon * (cp.square(cp.abs(hv_0)) + 1)
    prob = cp.Problem(cp.Maximize(obj),
                      [cp.sum_squares(cp.abs(vc)) + cp.sum_squares(cp.abs(v0)) <= 1]
                      + hc.constraints)

    def sinr_of(a: np.ndarray, b: np.ndarray) -> float:
        return float(abs(h.conj() @ a) ** 2 / (abs(h.conj() @ b) ** 2 + 1))

    def recheck() -> bool:  # power and the true (not linearised) HCRB of the new beams
        a, b = np.asarray(vc.value), np.asarray(v0.value)
        if float(np.sum(np.abs(a) ** 2 + np.abs(b) ** 2)) > 1 + RECHECK_TOL:
            return False
        cov = (np.outer(a, a.conj()) + np.outer(b, b.conj())) * power_w
        return float(scn.hcrb(cov).trace) <= pi_m2 * (1 + RECHECK_TOL)

    trace = [sinr_of(vc_i, v0_i)]
    calls, converged, it = 0, False, 0
    for it in range(1, max_iter + 1):
        pc.value, p0.value = vc_i, v0_i
        s_const.value = np.outer(vc_i, vc_i.conj()) + np.outer(v0_i, v0_i.conj())
        yv = (h.conj() @ vc_i) / (abs(h.conj() @ v0_i) ** 2 + 1)
        y.value, ycon.value = yv, float(abs(yv) ** 2)
        try:
            status = solve(prob, recheck, where=f"in the beamforming SDP at iteration {it}")
        except SolverUnknownError:
            if it == 1:
                raise
            break  # keep the last certified-feasible iterate
        calls += 1
        if vc.value is None or status not in ACCEPTED:
            break
        a, b = np.asarray(vc.value), np.asarray(v0.value)
        nrm = math.sqrt(float(np.sum(np.abs(a) ** 2 + np.abs(b) ** 2)))
        if nrm > 1:  # solver tolerance on the power limit
            a, b = a / nrm, b / nrm
        cov = (np.outer(a, a.conj()) + np.outer(b, b.conj())) * power_w
        new = sinr_of(a, b)
        if scn.hcrb(cov).trace > pi_m2:
            break  # keep the last certified-feasible iterate
        if new < trace[-1]:
            # no ascent left but solver noise: converged if the loss is at tolerance level
            converged = (trace[-1] - new) <= tol * max(trace[-1], 1e-12)
            break
        gain = (new - trace[-1]) / max(trace[-1], 1e-12)
        vc_i, v0_i = a, b
        trace.append(new)
        if gain < tol:
            converged = True
            break
    return BeamResult(vc_i * scale, v0_i * scale, trace[-1], trace, it, calls,
                      time.perf_counter() - t0, converged)
