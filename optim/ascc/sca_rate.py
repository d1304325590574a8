"""Coding-rate subproblem of ASCC (P4.3)-(P4.4) by successive convex approximation.

For fixed beams (so a fixed SINR gamma) and a fixed model, ASCC (P4.3) introduces
``rho_hat = log10 rho_b`` and ``e^nu = D_c / (1 + exp(-E1 (rho_hat - E2)))`` and solves

    min_{R_c, nu, rho_hat}  10^(D_s + e^nu)                                  (22)
    s.t.  U(R_c) <= rho_hat                                                  (23)
          -e^(nu - beta_1) - e^nu + D_c <= 0,  beta_1 = E1 (rho_hat - E2)      (24)
          R_s / E_a^max <= R_c <= C(gamma)                                    (20)

with ``U(R_c) = log10( Q(ln2 sqrt(L) (C(gamma) - R_c)) / (R_c L) )`` (ASCC eq. (23), the
dispersion term of ASCC eq. (4) set to 1). The objective is increasing in ``nu``, so we minimise
``nu`` itself (same minimiser, better scaled). Non-convex parts and their convex upper
bounds at the previous iterate ``i`` (ASCC P4.4):

* (27)/(30): ``log10 Q(psi)`` is concave in ``psi = ln2 sqrt(L) (C - R_c)``; its tangent
  ``log10 Q(psi_i) - a(psi_i) (psi - psi_i) / ln10`` (``a = phi/Q``) bounds it above,
  so ``U_1 = tangent - log10(R_c L) <= rho_hat`` is a convex restriction of (23).
* (28)/(31): ``-e^x <= -e^(x_i) (1 + x - x_i)`` turns the concave left side of (24) into
  the affine ``U_2 <= 0``.

Both restrictions are tight at the iterate, so the previous point stays feasible and the
objective never increases (each step is a convex problem solved by Clarabel through
cvxpy: one exponential cone for ``-log R_c``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import cvxpy as cp
import numpy as np
from scipy.special import log_ndtr

from linksim.farfield import fbl
from linksim.solver_policy import ACCEPTED, constraints_hold, solve

from .errors import SolverUnknownError

LN2, LN10 = math.log(2.0), math.log(10.0)
#: log10 D_o within this of the clean plateau D_s counts as optimal (no SCA needed)
PLATEAU_TOL = 1e-9


@dataclass(frozen=True)
class RateResult:
    """Optimised coding rate of one model at one SINR.

    Attributes:
        rc: R_c (bits per channel use); log10_ber: U(R_c) of ASCC eq. (23) at it.
        log10_mse: D_s + e^nu, the objective of (22) in log10.
        iterations: SCA iterations; trace: log10 D_o per iterate (non-increasing).
        solver_calls: convex solves.
    """

    rc: float
    log10_ber: float
    log10_mse: float
    iterations: int
    trace: list = field(default_factory=list)
    solver_calls: int = 0


def u_eq23(sinr: float, rc: np.ndarray | float, blocklength: int) -> np.ndarray | float:
    """U(R_c) of ASCC eq. (23) (ASCC eq. (4) without the dispersion term), log10 rho_b."""
    return fbl.log10_normal_approx_ber(sinr, rc, blocklength, exact_dispersion=False)


def log10_mse_at(params: tuple[float, float, float, float], x: np.ndarray | float) -> np.ndarray:
    """ASCC eq. (7) in log10 at ``x = log10 rho_b``."""
    ds, dc, e1, e2 = params
    with np.errstate(over="ignore"):
        return ds + dc / (1.0 + np.exp(-e1 * (np.asarray(x, float) - e2)))


def optimise_rate(sinr: float, rc_min: float, params: tuple[float, float, float, float],
                  blocklength: int, tol: float = 1e-7, max_iter: int = 50,
                  rc_start: float | None = None) -> RateResult:
    """SCA of ASCC (P4.4) for one model; ``params = (D_s, D_c, E1, E2)`` of ASCC eq. (7).

    Args:
        sinr: linear SINR gamma (> 0); rc_min: ``R_s / E_a^max`` (bits/use).
        params: the model's ASCC eq. (7) fit (``D_c > 0``).
        blocklength: L; tol: stop when log10 D_o improves by less than this.
        rc_start: initial R_c (default ``rc_min``), feasible.

    Raises:
        ValueError: ``rc_min > C(gamma)`` (no feasible R_c: the caller filters models).
    """
    ds, dc, e1, e2 = params
    cap = float(fbl.capacity(sinr))
    if not rc_min <= cap:
        raise ValueError(f"rc_min={rc_min:.6g} is invalid: must be <= C(gamma)={cap:.6g}")
    if dc <= 0:
        raise ValueError(f"D_c={dc!r} is invalid: ASCC eq. (7) needs a rising S-curve (D_c > 0)")
    sq = LN2 * math.sqrt(blocklength)
    rc_i = float(rc_start if rc_start is not None else rc_min)
    rho_i = float(u_eq23(sinr, rc_i, blocklength))
    if _on_plateau(params, rho_i):
        # D_o >= 10^D_s for every R_c, and this R_c is within PLATEAU_TOL of it: optimal.
        # (SCA here would need exp(E1 (E2 - rho_hat)) ~ 1e100: numerically meaningless.)
        return RateResult(rc_i, rho_i, float(log10_mse_at(params, rho_i)), 0,
                          [float(log10_mse_at(params, rho_i))], 0)
    nu_i = math.log(dc / (1.0 + math.exp(min(-e1 * (rho_i - e2), 700.0))))
    trace = [float(log10_mse_at(params, rho_i))]
    rc = cp.Variable(pos=True)
    nu = cp.Variable()
    rho = cp.Variable()
    # DPP form: U_1 = k0 + k1 R_c - log10(R_c); U_2 = c0 - c_nu nu + c_rho rho_hat
    k0, k1 = cp.Parameter(), cp.Parameter()
    c0, c_nu, c_rho = cp.Parameter(), cp.Parameter(), cp.Parameter()
    u1 = k0 + k1 * rc - cp.log(rc) / LN10
    u2 = c0 - c_nu * nu + c_rho * rho
    prob = cp.Problem(cp.Minimize(nu), [u1 <= rho, u2 <= 0, rc >= rc_min, rc <= cap])
    calls = 0
    it = 0
    for it in range(1, max_iter + 1):
        psi_i = sq * (cap - rc_i)
        lq = float(log_ndtr(-psi_i)) / LN10
        a_i = float(-fbl.dlog_q(psi_i))  # phi/Q at psi_i (>= 0)
        # tangent of log10 Q at psi_i, written in R_c (ASCC eq. (30))
        k0.value = lq + a_i * (psi_i - sq * cap) / LN10 - math.log(blocklength) / LN10
        k1.value = a_i * sq / LN10
        _linearise_constraint(nu_i, rho_i, e1, e2, dc, c0, c_nu, c_rho)
        _solve_step(prob, rc, f"at iteration {it}")
        calls += 1
        # evaluate the true objective at the new R_c; keep it only if it does not increase
        rc_new = float(np.clip(rc.value, rc_min, cap))
        rho_new = float(u_eq23(sinr, rc_new, blocklength))
        f_new = float(log10_mse_at(params, rho_new))
        if f_new > trace[-1]:
            break
        improved = trace[-1] - f_new
        rc_i, rho_i = rc_new, rho_new
        nu_i = math.log(dc / (1.0 + math.exp(min(-e1 * (rho_i - e2), 700.0))))
        trace.append(f_new)
        if improved < tol or _on_plateau(params, rho_i):
            break
    return RateResult(rc_i, rho_i, trace[-1], it, trace, calls)


def _on_plateau(params: tuple[float, float, float, float], x: float) -> bool:
    """The channel term ``D_c / (1 + exp(-E1 (x - E2)))`` of ASCC eq. (7) is below PLATEAU_TOL."""
    _, dc, e1, e2 = params
    z = -e1 * (x - e2)
    return z > 700 or dc / (1.0 + math.exp(z)) < PLATEAU_TOL


def dense_rate_search(sinr: float, rc_min: float, params: tuple[float, float, float, float],
                      blocklength: int, exact_dispersion: bool = False,
                      n: int = 20001) -> tuple[float, float]:
    """Brute-force check: ``(R_c, log10 D_o)`` minimising ASCC eq. (7) over a dense R_c grid.

    ``exact_dispersion=False`` uses U of ASCC eq. (23) (what the SCA optimises); ``True`` uses
    ASCC eq. (4) as written.
    """
    cap = float(fbl.capacity(sinr))
    grid = np.linspace(rc_min, cap, n)
    x = fbl.log10_normal_approx_ber(sinr, grid, blocklength, exact_dispersion)
    f = log10_mse_at(params, np.minimum(x, math.log10(0.5)))
    k = int(np.argmin(f))
    return float(grid[k]), float(f[k])


def optimise_rate_table(sinr: float, rc_lo: float, rc_hi: float,
                        params: tuple[float, float, float, float], ber_model: Any,
                        tol: float = 1e-7, max_iter: int = 50) -> RateResult:
    """SCA of ASCC (P4.4) with U(R_c) from a measured table model (``ldpc``, ``ldpc-ber``).

    Same steps as :func:`optimise_rate` except (23): the table model's U(R_c) is piecewise
    linear in R_c (linear between its R_c rows, :mod:`linksim.ber_model`), so its value and
    slope (``ber_model.log10_ber_and_slope``, the secant of the cell) give
    ``U_1 = U(R_c^i) + s (R_c - R_c^i)``, exact inside the cell; the cell is the step's trust
    region. At a row (a kink) the step takes the neighbouring cell in which U falls; the
    iteration stops where U rises on both sides (a local optimum) or improves by < ``tol``.
    Because the objective is increasing in U and U is piecewise linear, the global optimum
    is at a vertex (a row or an end of the interval): the vertices are evaluated once, and
    if one beats the SCA's point the SCA restarts there (recorded in ``iterations``).

    Args:
        sinr: linear SINR gamma; rc_lo, rc_hi: the feasible R_c interval (ASCC eq. (16),
            eq. (17) intersected with ``ber_model.rc_range``), ``rc_lo <= rc_hi``.
        params: ASCC eq. (7) fit ``(D_s, D_c, E1, E2)``; ber_model: the table model.
    """
    ds, dc, e1, e2 = params
    if not rc_lo <= rc_hi:
        raise ValueError(f"rc_lo={rc_lo:.6g} is invalid: must be <= rc_hi={rc_hi:.6g}")
    if dc <= 0:
        raise ValueError(f"D_c={dc!r} is invalid: ASCC eq. (7) needs a rising S-curve (D_c > 0)")
    rows = np.asarray(ber_model.rcs, dtype=float)
    verts = np.unique(np.concatenate([[rc_lo, rc_hi], rows[(rows > rc_lo) & (rows < rc_hi)]]))

    def u(rc: float) -> float:
        return float(ber_model.log10_ber(rc, sinr))

    def cells(rc: float) -> list[tuple[float, float]]:
        """(lo, hi) of the cells touching ``rc`` inside [rc_lo, rc_hi] (two at a row)."""
        k = int(np.searchsorted(verts, rc, side="left"))
        out = []
        if k < len(verts) and abs(verts[k] - rc) <= 1e-12:
            if k > 0:
                out.append((float(verts[k - 1]), float(verts[k])))
            if k + 1 < len(verts):
                out.append((float(verts[k]), float(verts[k + 1])))
        else:
            out.append((float(verts[k - 1]), float(verts[k])))
        return out

    rc = cp.Variable()
    nu = cp.Variable()
    rho = cp.Variable()
    k0, k1 = cp.Parameter(), cp.Parameter()
    lo_p, hi_p = cp.Parameter(), cp.Parameter()
    c0, c_nu, c_rho = cp.Parameter(), cp.Parameter(), cp.Parameter()
    prob = cp.Problem(cp.Minimize(nu), [k0 + k1 * rc <= rho, c0 - c_nu * nu + c_rho * rho <= 0,
                                        rc >= lo_p, rc <= hi_p])
    calls = 0
    total_it = 0

    def walk(rc_i: float, trace: list[float]) -> tuple[float, float]:
        nonlocal calls, total_it
        rho_i = u(rc_i)
        for _ in range(max_iter):
            if _on_plateau(params, rho_i) or verts.size == 1:
                break
            # the cell in which U falls fastest away from rc_i (None: a local optimum)
            best = None
            for a, b in cells(rc_i):
                s = float(ber_model.log10_ber_and_slope(0.5 * (a + b), sinr)[1])
                falls = s < 0 if rc_i <= a + 1e-12 else s > 0 if rc_i >= b - 1e-12 else s != 0
                if falls and (best is None or abs(s) > abs(best[2])):
                    best = (a, b, s)
            if best is None:
                break
            a, b, s = best
            total_it += 1
            k0.value, k1.value = rho_i - s * rc_i, s
            lo_p.value, hi_p.value = a, b
            nu_i = math.log(dc / (1.0 + math.exp(min(-e1 * (rho_i - e2), 700.0))))
            _linearise_constraint(nu_i, rho_i, e1, e2, dc, c0, c_nu, c_rho)
            _solve_step(prob, rc, "in a table cell")
            calls += 1
            rc_new = float(np.clip(rc.value, a, b))
            # snap to the cell end the linear step aims at (the solver stops within 1e-8)
            for v in (a, b):
                if abs(rc_new - v) <= 1e-6 * max(1.0, b - a):
                    rc_new = v
            rho_new = u(rc_new)
            f_new = float(log10_mse_at(params, rho_new))
            if f_new > trace[-1]:
                break
            improved = trace[-1] - f_new
            rc_i, rho_i = rc_new, rho_new
            trace.append(f_new)
            if improved < tol:
                break
        return rc_i, rho_i

    trace = [float(log10_mse_at(params, u(rc_lo)))]
    rc_i, rho_i = walk(rc_lo, trace)
    fv = [float(log10_mse_at(params, u(float(v)))) for v in verts]
    k = int(np.argmin(fv))
    if fv[k] < trace[-1] - tol:  # a better vertex than the local optimum: restart there
        trace.append(fv[k])
        rc_i, rho_i = walk(float(verts[k]), trace)
    return RateResult(rc_i, rho_i, trace[-1], total_it, trace, calls)


def dense_rate_search_table(sinr: float, rc_lo: float, rc_hi: float,
                            params: tuple[float, float, float, float], ber_model: Any,
                            n: int = 20001) -> tuple[float, float]:
    """Brute-force check of :func:`optimise_rate_table`: ``(R_c, log10 D_o)`` minimising
    ASCC eq. (7) with the table model's rho_b (capped at 0.5) over a dense R_c grid."""
    grid = np.linspace(rc_lo, rc_hi, n)
    x = np.asarray(ber_model.log10_ber(grid, sinr), dtype=float)
    f = log10_mse_at(params, np.minimum(x, math.log10(0.5)))
    k = int(np.argmin(f))
    return float(grid[k]), float(f[k])


def _linearise_constraint(nu_i: float, rho_i: float, e1: float, e2: float, dc: float,
                          c0: Any, c_nu: Any, c_rho: Any) -> None:
    """ASCC eq. (31): -e^x <= -e^(x_i)(1 + x - x_i) for both exponentials of ASCC eq. (24),
    written into the cvxpy parameters ``c0 + c_nu nu + c_rho rho_hat`` at the iterate."""
    e_1 = math.exp(nu_i - e1 * (rho_i - e2))
    e_2 = math.exp(nu_i)
    c0.value = -e_1 * (1 - nu_i + e1 * rho_i) - e_2 * (1 - nu_i) + dc
    c_nu.value = e_1 + e_2
    c_rho.value = e_1 * e1


def _solve_step(prob: Any, rc: Any, where: str) -> None:
    """Solve one SCA step (:func:`linksim.solver_policy.solve`); a failure is "unknown",
    never "infeasible". Re-check of an inaccurate step: its constraints recomputed from
    the values (the step is only a proposal: the caller keeps it if the true objective
    does not rise)."""
    status = solve(prob, lambda: constraints_hold(prob, 1e-7), where=f"in the rate SCA {where}")
    if rc.value is None or status not in ACCEPTED:
        raise SolverUnknownError(f"rate SCA step ended with status {prob.status!r} {where}")
