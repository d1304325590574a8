"""Sub-problem 3 of NF Algorithm 2: the semantic extraction ratios rho_k (NF eq. (44)).

    min_rho sum_k rho_k   s.t.  -nu sum_k ln rho_k <= P_t - P^{C&S} - sum_l P_l^process,
                                rho_LB,k <= rho_k <= 1                       (NF eq. (44))

The KKT conditions give rho_k = clip(t, rho_LB,k, 1) with one water level t: the computing
power -nu sum ln clip(t, .) falls as t rises, so t is found by bisection until the power
constraint is tight (the solution ends on the power budget), unless rho_k = rho_LB,k for
every user already fits the budget (it ends on the box bound). A smaller ratio raises
R_k = iota / rho_k log2(1 + gamma_k) (NF eq. (18)), so the minimum of (44) also never
lowers min_k S_k.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .feasibility import InfeasibleError


@dataclass(frozen=True)
class ExtractionResult:
    """rho (K,) in [rho_LB, 1]; ended_on: "box" (rho = rho_LB fits the budget) or "power"
    (the computing budget is spent); power_w: P^Comp of NF eq. (24) at rho; budget_w."""

    rho: np.ndarray
    ended_on: str
    water_level: float
    power_w: float
    budget_w: float
    bisection_steps: int


def computing_power(rho: np.ndarray, nu: float) -> float:
    """P^Comp = -nu sum_k ln rho_k, NF eq. (24), watts."""
    return float(-nu * np.log(np.asarray(rho, dtype=float)).sum()) + 0.0


def solve_extraction(rho_lb: np.ndarray, nu: float, budget_w: float,
                     tol: float = 1e-10) -> ExtractionResult:
    """Bisection for NF eq. (44). rho_lb (K,) in (0, 1]; budget_w = P_t - P^{C&S} -
    sum_l P_l^process (W). Raises :class:`InfeasibleError` when even rho = 1 (no semantic
    computing) exceeds the budget."""
    lb = np.asarray(rho_lb, dtype=float)
    if lb.ndim != 1 or not np.all((lb > 0) & (lb <= 1)):
        raise ValueError(f"rho_lb={lb.tolist()} is invalid: must be values in (0, 1]")
    if budget_w < -1e-12:
        raise InfeasibleError(f"power: P^C&S + sum P_process exceed P_t by {-budget_w:.4g} W, "
                              "nothing is left for semantic computing (NF eq. (44b))")
    if computing_power(lb, nu) <= budget_w:
        return ExtractionResult(lb.copy(), "box", float(lb.min()), computing_power(lb, nu),
                                budget_w, 0)
    lo, hi = float(lb.min()), 1.0  # power(lo) > budget >= power(hi) = 0
    steps = 0
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        steps += 1
        if computing_power(np.clip(mid, lb, 1.0), nu) > budget_w:
            lo = mid
        else:
            hi = mid
    rho = np.clip(hi, lb, 1.0)
    return ExtractionResult(rho, "power", hi, computing_power(rho, nu), budget_w, steps)


def water_level_closed_form(rho_lb: np.ndarray, nu: float, budget_w: float) -> float:
    """The water level of the power end solved in closed form for a check: with the users
    above the level at t, n ln t = -budget / nu - sum_{rho_LB > t} ln rho_LB."""
    lb = np.sort(np.asarray(rho_lb, dtype=float))
    for n in range(len(lb), 0, -1):   # n users at the level, the rest at their bound
        t = math.exp((-budget_w / nu - np.log(lb[n:]).sum()) / n)
        if t >= lb[n - 1] and (n == len(lb) or t <= lb[n]):
            return t
    return float("nan")
