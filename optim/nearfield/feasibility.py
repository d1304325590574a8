"""Constraints of NF problem (28): the pre-check that names what cannot be met, and the
independent re-check of a returned design.

:func:`precheck` runs before any solve: a CRB limit, latency limit or power budget that no
design can meet raises :class:`InfeasibleError` with the smallest achievable value and the
constraint that breaks (never a bare solver failure). :func:`verify_design` re-checks a
design against every constraint of (28) with the scenario's own formulas
(``linksim.nearfield.NFScenario.power_report``, ``check_positions``), not with the
optimiser's SDP, and returns each constraint's value, limit and slack.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from linksim.nearfield import NFScenario


class InfeasibleError(ValueError):
    """Problem (28) has no feasible point; the message names the broken constraint."""


def min_sensing_power(scn: NFScenario) -> float:
    """Smallest Tr(R_x) with CRB(G) <= xi, watts: N_t^2 / c with Tr(R_x^{-1}) <= c
    (isotropic R_x, by the AM-HM inequality on the eigenvalues)."""
    return scn.n_t ** 2 / scn.crb_trace_limit()


def precheck(scn: NFScenario, rho: np.ndarray) -> None:
    """Raise :class:`InfeasibleError` (one line) when (28b)-(28e) cannot hold at ``rho``."""
    L = scn.L
    f_min = scn.min_cpu_frequency()
    if L * f_min > scn.f_max_hz * (1 + 1e-12):
        t_best = scn.data_bits * scn.cycles_per_bit / (scn.f_max_hz / L - scn.f_required_hz) \
            if scn.f_max_hz / L > scn.f_required_hz else math.inf
        raise InfeasibleError(
            f"latency/cpu: T_max={scn.t_max_s} s needs f_l >= {f_min:.4g} Hz per target, "
            f"{L} targets need {L * f_min:.4g} Hz > F_max={scn.f_max_hz:.4g} Hz (NF eq. (28d), "
            f"NF eq. (28e)); smallest achievable T_max is {t_best:.4g} s")
    p_proc = float(scn.processing_power(torch.full((L,), f_min, dtype=torch.float64)).sum())
    p_comp = float(scn.semantic_computing_power(torch.as_tensor(rho, dtype=torch.float64)))
    avail = scn.power_budget_w - p_proc - p_comp
    need = min_sensing_power(scn)
    if avail <= 0:
        raise InfeasibleError(
            f"power: sum P_process={p_proc:.4g} W ({scn.cpu_power_model}) + P_Comp="
            f"{p_comp:.4g} W leave nothing of P_t={scn.power_budget_w:.4g} W for "
            "transmission (NF eq. (28c)); raise P_t, T_max or the extraction ratios")
    if need > avail * (1 + 1e-9):
        xi_min = scn.n_t ** 2 / (avail * scn.frames / (scn.noise_radar_w * scn.n_r)) \
            / scn.crb_reference()
        raise InfeasibleError(
            f"sensing/power: CRB limit xi={scn.crb_limit} ({scn.crb_normalisation}) needs "
            f"Tr(R_x) >= {need:.4g} W but only {avail:.4g} W of P_t={scn.power_budget_w:.4g} W "
            f"is left after P_process and P_Comp (NF eq. (28b), eq. (28c)); smallest achievable "
            f"xi is {xi_min:.4g}")


def verify_design(scn: NFScenario, pos: Any, W: Any, Rx: Any, f: Any, rho: Any,
                  rho_lb: Any, tol: float = 1e-6) -> dict[str, Any]:
    """Every constraint of NF problem (28), re-computed from the scenario's formulas.

    Args:
        scn: the scenario the design was made for.
        pos: (N_t, 2) transmit antenna positions, m.
        W: (N_t, K) the beams, sqrt(W) (one column per user: rank one, (28i)).
        Rx: (N_t, N_t) transmit covariance, W.
        f: (L,) CPU frequency for each target's echo processing, Hz.
        rho, rho_lb: (K,) extraction ratios and their lower bounds.
        tol: relative tolerance of each constraint.

    Returns:
        ``{"feasible": bool, "constraints": {name: {value, limit, slack, ok}}}`` with
        slack >= 0 meaning satisfied (in the constraint's own units).
    """
    W, Rx = np.asarray(W, dtype=complex), np.asarray(Rx, dtype=complex)
    f, rho, rho_lb = (np.asarray(x, dtype=float) for x in (f, rho, rho_lb))
    rep = scn.power_report(Rx, rho, f)
    out: dict[str, dict[str, float | bool]] = {}

    def add(name: str, value: float, limit: float, upper: bool = True,
            scale: float = 1.0) -> None:
        slack = (limit - value) if upper else (value - limit)
        out[name] = {"value": float(value), "limit": float(limit), "slack": float(slack),
                     "ok": bool(slack >= -tol * max(abs(scale), 1e-300))}

    add("crb_28b", rep["crb"], scn.crb_limit, scale=scn.crb_limit)
    add("power_28c", rep["P_total_w"], scn.power_budget_w, scale=scn.power_budget_w)
    add("latency_28d", max(rep["latency_s"]), scn.t_max_s, scale=scn.t_max_s)
    add("cpu_28e", float(f.sum()), scn.f_max_hz, scale=scn.f_max_hz)
    add("rho_lb_28f", float((rho - rho_lb).min()), 0.0, upper=False)
    add("rho_max_28f", float(rho.max()), 1.0)
    try:
        scn.check_positions(torch.as_tensor(pos, dtype=torch.float64), tol=1e-12)
        pos_ok = 0.0
    except ValueError:
        lo, hi = scn.region_bounds()
        p = torch.as_tensor(pos, dtype=torch.float64)
        pos_ok = -float(torch.maximum(lo - p, p - hi).clamp(min=0).max())
    add("positions_28g", pos_ok, 0.0, upper=False, scale=scn.region_side_m or 1.0)
    R = Rx - W @ W.conj().T
    scale = max(np.trace(Rx).real, 1e-300)
    add("covariance_28h", float(np.linalg.eigvalsh((R + R.conj().T) / 2).min()), 0.0,
        upper=False, scale=scale)
    add("rank_one_28i", float(W.shape[1] == scn.K and W.shape[0] == scn.n_t), 1.0,
        upper=False)
    return {"feasible": all(c["ok"] for c in out.values()), "constraints": out,
            "violations": [k for k, c in out.items() if not c["ok"]]}
