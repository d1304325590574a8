"""Certified bound on the CRE SINR under the HCRB and power limits (ASCC problem P4.5).

For a fixed ``(P_T, Pi)`` the beamforming problem P4.5 (ASCC eq. (32), eq. (33)) does not depend
on the codec: whatever ``R_s`` and ``R_c`` are, D_o only falls as the SINR rises (ASCC eq. (7)
is increasing in rho_b and ASCC eq. (4) decreasing in gamma). So the largest SINR reachable under
``Tr HCRB <= Pi`` and ``Tr Sigma <= P_T`` bounds the whole problem P4.1.

Semidefinite relaxation (SDR). Replace ``w_c w_c^H, w_0 w_0^H`` by ``W_c, W_0 >= 0`` with
``Sigma = W_c + W_0``. Then

    gamma = h^H W_c h / (h^H W_0 h + sigma_n^2) <= h^H Sigma h / sigma_n^2,

and the right side is reached by ``W_c = Sigma h h^H Sigma / (h^H Sigma h)``,
``W_0 = Sigma - W_c >= 0`` (Cauchy-Schwarz), which leaves Sigma, and so the HCRB and the power,
unchanged and puts no sensing power on the CRE (``W_0 h = 0``). The relaxation is therefore
the single SDP

    max_Sigma  h^H Sigma h / sigma_n^2   s.t.  Tr HCRB(Sigma) <= Pi  (ASCC eq. (35), eq. (36),
    eq. (37)),
                                               Tr Sigma <= P_T,  Sigma >= 0,

whose value is the bound. :func:`sinr_bound_bisection` solves the relaxation as the issue
states it (feasibility SDPs in ``W_c, W_0`` and bisection on gamma) and is kept as a check.

Rank. ``W_c`` above is rank one. ``W_0`` has rank ``rank(Sigma) - 1``; when that is <= 1
the paper's single sensing beam ``w_0`` recovers the bound exactly (certified optimal). If
not, Gaussian randomisation draws ``w_0`` in the range of ``W_0`` and the best power split
is searched; the bound is then an upper bound with a reported gap.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np

from linksim.farfield import ISSCScenario
from linksim.farfield.cvx import comm_gain_matrix, fim_cvxpy, hcrb_constraints_cvxpy
from linksim.solver_policy import ACCEPTED, solve

from .errors import InfeasibleError, SolverUnknownError

#: the solver of every ASCC problem (through :func:`linksim.solver_policy.solve`)
SOLVER = "CLARABEL"
#: relative tolerance of the independent re-check of an inaccurate solve (power, HCRB)
RECHECK_TOL = 1e-6
#: relative eigenvalue below which a covariance counts as rank deficient
RANK_TOL = 1e-6


@dataclass(frozen=True)
class MinHCRB:
    """Smallest Tr HCRB reachable with the whole budget on sensing.

    Attributes:
        value_m2: min Tr HCRB(p_o) over ``Tr Sigma <= P`` (m^2).
        sigma: the minimising covariance, complex128 ``(N_T, N_T)`` (W).
        solve_s: solver wall time (s).
    """

    value_m2: float
    sigma: np.ndarray
    solve_s: float


@dataclass(frozen=True)
class SINRBound:
    """Result of the SDR bound at ``(P, Pi)``.

    Attributes:
        sinr: bound on the CRE SINR (linear), ``sinr_db`` the same in dB.
        sigma: the SDR optimal covariance (W), complex128 ``(N_T, N_T)``.
        w_c, w_0: rank-one beams built from it, complex128 ``(N_T,)`` (sqrt W).
        achieved_sinr: SINR of ``(w_c, w_0)`` (= ``sinr`` when ``rank_one``).
        rank_one: ``W_0`` had rank <= 1, so the beams reach the bound (certified).
        eigenvalues: eigenvalues of ``sigma`` (W), descending.
        solver_calls, solve_s: convex solves used and their wall time.
        min_hcrb: the smallest reachable Tr HCRB at ``P`` and its covariance, solved on the
            way (kept so the paper method starts from it without solving it again).
    """

    sinr: float
    sigma: np.ndarray
    w_c: np.ndarray
    w_0: np.ndarray
    achieved_sinr: float
    rank_one: bool
    eigenvalues: np.ndarray
    solver_calls: int
    solve_s: float
    extra: dict = field(default_factory=dict)
    min_hcrb: MinHCRB | None = None

    @property
    def sinr_db(self) -> float:
        return 10 * math.log10(self.sinr) if self.sinr > 0 else -math.inf


def covariance_meets(scn: ISSCScenario, sigma: np.ndarray, power_w: float,
                     pi_m2: float | None) -> bool:
    """Independent re-check of a solved covariance (W): Tr Sigma <= P and, unless ``pi_m2``
    is None, Tr HCRB(Sigma) <= Pi (recomputed by :meth:`ISSCScenario.hcrb`), both within
    :data:`RECHECK_TOL` (relative); the HCRB must be finite."""
    if float(np.real(np.trace(sigma))) > power_w * (1 + RECHECK_TOL):
        return False
    tr = float(scn.hcrb(sigma).trace)
    return math.isfinite(tr) and (pi_m2 is None or tr <= pi_m2 * (1 + RECHECK_TOL))


#: N_T x N_T Hermitian PSD variables of the largest SDP here (the bound's w_c and w_0).
SDP_CONES = 2


def sdp_memory_bytes(n_t: int, cones: int = SDP_CONES) -> int:
    """Memory floor [B] of an interior-point solve of the ASCC SDPs: ``8 cones d^2``.

    A complex Hermitian ``N_T x N_T`` PSD cone is solved as a real ``2 N_T`` one whose
    vectorised triangle has ``d = N_T (2 N_T + 1)`` entries; the solver keeps a dense
    ``d x d`` float64 scaling block per cone (Clarabel, as every primal-dual method).
    """
    d = int(n_t) * (2 * int(n_t) + 1)
    return 8 * int(cones) * d * d


def min_hcrb(scn: ISSCScenario, power_w: float) -> MinHCRB:
    """min Tr HCRB(p_o) s.t. Tr Sigma <= P (all power to sensing), one SDP.

    Length unit: the Tr HCRB of the isotropic covariance ``P I / N_T`` (so the optimum is
    O(1) in the solver's units).
    """
    n = scn.n_t
    iso = float(scn.hcrb(np.eye(n) * (power_w / n) + 0j).trace)
    if not (math.isfinite(iso) and iso > 0):
        raise SolverUnknownError(f"isotropic Tr HCRB={iso!r} at P={power_w!r} W is not "
                                 "finite; the scenario gives no position information")
    ell = math.sqrt(iso)
    S = cp.Variable((n, n), hermitian=True)
    fim = fim_cvxpy(scn, S, power_w, ell)
    hc = hcrb_constraints_cvxpy(fim, None)
    prob = cp.Problem(cp.Minimize(cp.trace(hc.omega_inv_bound)),
                      [S >> 0, cp.real(cp.trace(S)) <= 1] + hc.constraints)
    t = time.perf_counter()
    status = solve(prob, lambda: covariance_meets(scn, project_psd(S.value) * power_w, power_w,
                                                  None),
                   where="in the min-HCRB SDP")
    dt = time.perf_counter() - t
    if S.value is None or status not in ACCEPTED:
        raise SolverUnknownError(f"min-HCRB SDP ended with status {prob.status!r}")
    sigma = project_psd(S.value) * power_w
    # the certified value is the HCRB of the returned covariance, recomputed exactly
    return MinHCRB(float(scn.hcrb(sigma).trace), sigma, dt)


def check_pi_feasible(scn: ISSCScenario, power_w: float, pi_m2: float,
                      pt_dbm: float | None = None, start: MinHCRB | None = None) -> MinHCRB:
    """Raise :class:`InfeasibleError` if ``Pi`` is below the smallest reachable Tr HCRB.

    ``start``: that smallest HCRB if already solved at ``power_w`` (else solved here)."""
    m = start if start is not None else min_hcrb(scn, power_w)
    if pi_m2 < m.value_m2:
        where = f"P_T={pt_dbm:g} dBm" if pt_dbm is not None else f"P_T={power_w:.4g} W"
        raise InfeasibleError(
            f"pi={pi_m2:g} m^2 is infeasible at {where}: the smallest Tr(HCRB) reachable with "
            f"all power on sensing is {m.value_m2:.6g} m^2; valid: pi >= {m.value_m2:.6g}")
    return m


def sinr_bound(scn: ISSCScenario, power_w: float, pi_m2: float,
               rng: np.random.Generator | None = None, n_random: int = 200,
               pt_dbm: float | None = None, start: MinHCRB | None = None) -> SINRBound:
    """Largest CRE SINR under Tr HCRB <= Pi and Tr Sigma <= P by SDR (module docstring).

    ``start``: :func:`min_hcrb` at ``power_w`` if the caller has solved it (reused, and
    returned in :attr:`SINRBound.min_hcrb`); ``solver_calls`` counts the solves made here.

    Raises:
        InfeasibleError: ``Pi`` below the smallest reachable Tr HCRB (message states it).
        SolverUnknownError: the solver failed (the point is unknown, not infeasible).
    """
    t0 = time.perf_counter()
    m = check_pi_feasible(scn, power_w, pi_m2, pt_dbm, start)
    own = 0 if start is not None else 1  # solves of the min-HCRB SDP made here
    n = scn.n_t
    # If all power on h_c (maximum-ratio transmission) already meets Pi, it is the exact
    # optimum: gamma <= P ||h||^2 / sigma_n^2 for every design. No SDP, no solver tolerance.
    u = scn.h_c / np.linalg.norm(scn.h_c)
    mrt = power_w * np.outer(u, u.conj())
    if scn.hcrb(mrt).trace <= pi_m2:
        snr = power_w * float(np.linalg.norm(scn.h_c) ** 2) / scn.noise_cre_w
        return SINRBound(snr, mrt, math.sqrt(power_w) * u, np.zeros(n, complex), snr, True,
                         np.sort(np.linalg.eigvalsh(mrt))[::-1], own,
                         time.perf_counter() - t0, {"min_hcrb_m2": m.value_m2, "mrt": True}, m)
    S = cp.Variable((n, n), hermitian=True)
    fim = fim_cvxpy(scn, S, power_w, math.sqrt(pi_m2))
    hc = hcrb_constraints_cvxpy(fim, pi_m2)
    # objective in units of the interference-free SNR with all power on h_c (<= 1)
    gain = comm_gain_matrix(scn) / float(np.linalg.norm(scn.h_c) ** 2)
    prob = cp.Problem(cp.Maximize(cp.real(cp.trace(gain @ S))),
                      [S >> 0, cp.real(cp.trace(S)) <= 1] + hc.constraints)
    status = solve(prob, lambda: covariance_meets(scn, project_psd(S.value) * power_w, power_w,
                                                  pi_m2),
                   where="in the SINR-bound SDP")
    if S.value is None or status not in ACCEPTED:
        raise SolverUnknownError(f"SINR-bound SDP ended with status {prob.status!r} at "
                                 f"P={power_w:.4g} W, pi={pi_m2:g} m^2")
    sigma = project_psd(S.value) * power_w
    bound = float(np.real(scn.h_c.conj() @ sigma @ scn.h_c)) / scn.noise_cre_w
    # the relaxation's optimum may sit a solver tolerance outside the HCRB limit
    bound = max(bound, float(prob.value) * power_w * float(np.linalg.norm(scn.h_c) ** 2)
                / scn.noise_cre_w)
    w_c, w_0, rank_one, info = beams_from_covariance(scn, sigma, pi_m2, rng, n_random)
    ach = float(scn.sinr(w_c, w_0))
    ev = np.sort(np.linalg.eigvalsh(sigma))[::-1]
    return SINRBound(bound, sigma, w_c, w_0, ach, rank_one, ev, own + 1,
                     time.perf_counter() - t0, {"min_hcrb_m2": m.value_m2, **info}, m)


def beams_from_covariance(scn: ISSCScenario, sigma: np.ndarray, pi_m2: float,
                          rng: np.random.Generator | None = None, n_random: int = 200
                          ) -> tuple[np.ndarray, np.ndarray, bool, dict]:
    """``(w_c, w_0)`` from an SDR covariance: exact if ``W_0`` is rank <= 1, else randomised.

    ``w_c = Sigma h / sqrt(h^H Sigma h)``; ``W_0 = Sigma - w_c w_c^H`` (PSD, ``W_0 h = 0``).
    Rank one: ``w_0 = sqrt(lambda_1) v_1``. Otherwise ``n_random`` Gaussian draws
    ``u = W_0^(1/2) xi`` (orthogonal to ``h``), and for each the split ``a`` of the power
    between the unit beams ``w_c/|w_c|`` and ``u/|u|`` with the largest SINR that meets the
    HCRB limit (grid over ``a``); the best draw is returned.
    """
    h = scn.h_c
    sh = sigma @ h
    g = float(np.real(h.conj() @ sh))
    w_c = sh / math.sqrt(g)
    w0m = sigma - np.outer(w_c, w_c.conj())
    lam, vec = np.linalg.eigh(0.5 * (w0m + w0m.conj().T))
    lam = np.clip(lam, 0.0, None)
    top = float(lam[-1])
    rank = int(np.sum(lam > RANK_TOL * float(np.real(np.trace(sigma)))))
    if rank <= 1:
        return w_c, math.sqrt(top) * vec[:, -1], True, {"w0_rank": rank}
    rng = rng if rng is not None else np.random.default_rng(0)
    power = float(np.real(np.trace(sigma)))
    half = vec * np.sqrt(lam)
    xi = (rng.standard_normal((n_random, len(lam))) + 1j * rng.standard_normal(
        (n_random, len(lam)))) / math.sqrt(2)
    us = xi @ half.T
    us /= np.linalg.norm(us, axis=1, keepdims=True)
    uc = w_c / np.linalg.norm(w_c)
    a = np.linspace(0.0, 1.0, 401) * power
    best = (-1.0, None, None)
    for u in us:
        cov = (a[:, None, None] * np.outer(uc, uc.conj())[None]
               + (power - a)[:, None, None] * np.outer(u, u.conj())[None])
        ok = scn.hcrb(cov).trace <= pi_m2
        if np.any(ok):
            ai = float(a[ok].max())
            if ai > best[0]:
                best = (ai, math.sqrt(ai) * uc, math.sqrt(power - ai) * u)
    if best[1] is None:  # no draw met the limit: fall back to the sensing part alone
        return 0 * w_c, math.sqrt(top) * vec[:, -1], False, {"w0_rank": rank}
    return best[1], best[2], False, {"w0_rank": rank, "n_random": n_random}


def sinr_bound_bisection(scn: ISSCScenario, power_w: float, pi_m2: float,
                         tol_db: float = 0.01, hi_db: float | None = None) -> tuple[float, int]:
    """The SDR bound as the issue states it: bisection on gamma over feasibility SDPs.

    Feasibility at ``gamma``: ``h^H W_c h >= gamma (h^H W_0 h + sigma_n^2)``, ``W_c, W_0 >= 0``,
    ``Tr(W_c + W_0) <= P``, Tr HCRB(W_c + W_0) <= Pi. Returns ``(gamma_lo, solver_calls)``,
    the largest gamma found feasible (linear). Used to check :func:`sinr_bound`.
    """
    n = scn.n_t
    gain = comm_gain_matrix(scn) * (power_w / scn.noise_cre_w)
    lo_db = -60.0
    if hi_db is None:
        hi_db = 10 * math.log10(power_w * float(np.linalg.norm(scn.h_c) ** 2)
                                / scn.noise_cre_w) + 1.0
    calls = 0
    while hi_db - lo_db > tol_db:
        mid = 0.5 * (lo_db + hi_db)
        gam = 10 ** (mid / 10)
        wc = cp.Variable((n, n), hermitian=True)
        w0 = cp.Variable((n, n), hermitian=True)
        fim = fim_cvxpy(scn, wc + w0, power_w, math.sqrt(pi_m2))
        hc = hcrb_constraints_cvxpy(fim, pi_m2)
        cons = [wc >> 0, w0 >> 0, cp.real(cp.trace(wc + w0)) <= 1,
                cp.real(cp.trace(gain @ wc)) >= gam * (cp.real(cp.trace(gain @ w0)) + 1.0)
                ] + hc.constraints
        prob = cp.Problem(cp.Minimize(0), cons)

        def recheck(wc=wc, w0=w0, gam=gam) -> bool:
            c, z = project_psd(wc.value), project_psd(w0.value)
            g_c, g_0 = (float(np.real(np.trace(gain @ x))) for x in (c, z))
            return (g_c >= gam * (g_0 + 1.0) * (1 - RECHECK_TOL)
                    and covariance_meets(scn, (c + z) * power_w, power_w, pi_m2))
        try:
            status = solve(prob, recheck, where="in the SINR bisection")
        except SolverUnknownError:
            status = None  # unknown: counted as not shown feasible (a check of sinr_bound)
        calls += 1
        if status in ACCEPTED:
            lo_db = mid
        else:
            hi_db = mid
    return 10 ** (lo_db / 10), calls


def project_psd(s: np.ndarray) -> np.ndarray:
    """The nearest PSD matrix (Frobenius) to a solver's Hermitian variable: its Hermitian part
    with negative eigenvalues (solver noise) clipped to 0. The one PSD projection of ASCC."""
    s = 0.5 * (s + s.conj().T)
    lam, v = np.linalg.eigh(s)
    return (v * np.clip(lam, 0.0, None)) @ v.conj().T
