"""The benchmark DJSCC-WF-ZF of ASCC Sec. V, as this product defines it.

The paper names it ("DJSCC is employed to extract feature information, and the WF algorithm
is applied to allocate power for ZF beamforming") but does not specify it further. Our
definition (docs/optim_ascc.md):

1. **One fixed codec** (no model adaptation). Default: the middle of the ladder,
   ``(G - 1) // 2`` (``q3`` of the shipped six): a non-adaptive system is deployed with one
   codec tuned for the typical operating point, neither the most robust nor the finest.
   Its coding rate fills the bandwidth limit, ``R_c = R_s / E_a^max`` (a fixed codec
   sends its payload in the channel uses it is given; adapting R_c is ASCC's part).
2. **Zero-forcing beams**: the communication beam matched to the CRE,
   ``w_c = sqrt(p_c) h_c / ||h_c||``; the sensing beam in the null space of the CRE channel,
   ``w_0 = sqrt(p_0) u_0`` with ``u_0`` the target steering vector ``alpha(theta)`` projected
   onto ``h_c^perp`` and normalised (so ``h_c^H w_0 = 0``: no interference at the CRE).
3. **Water-filling power split** over the two beams' channel gains,
   ``g_c = ||h_c||^2 / sigma_n^2`` and ``g_0 = ||H_0 u_0||^2 / sigma_s^2``:
   ``p_i = max(0, mu - 1/g_i)``, ``p_c + p_0 = P_T``.
4. If that split breaks the HCRB limit, **power moves to sensing** (``p_0`` up, ``p_c`` down)
   until ``Tr HCRB <= Pi`` holds (smallest such ``p_0`` on a fine grid, refined by bisection).
   If no split meets it, :class:`InfeasibleError` states the benchmark's smallest HCRB
   (ASCC may still be feasible there: its beams are not restricted to zero forcing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from linksim.farfield import ISSCScenario, covariance, geometry

from .errors import InfeasibleError


@dataclass(frozen=True)
class BenchmarkBeams:
    """Beams of DJSCC-WF-ZF at one (P_T, Pi).

    Attributes:
        w_c, w_0: complex128 ``(N_T,)`` (sqrt W), ``h_c^H w_0 = 0``.
        p_c_wf, p_0_wf: the water-filling split (W) before the HCRB step.
        moved_w: power moved from SemCom to sensing to meet Pi (W).
    """

    w_c: np.ndarray
    w_0: np.ndarray
    p_c_wf: float
    p_0_wf: float
    moved_w: float


def default_model(n_models: int) -> int:
    """The benchmark's fixed codec: the middle of the ladder (see module docstring)."""
    return (n_models - 1) // 2


def zf_directions(scn: ISSCScenario) -> tuple[np.ndarray, np.ndarray]:
    """Unit beams ``(u_c, u_0)``: matched to ``h_c``, and the target steering in ``h_c^perp``."""
    h = scn.h_c
    u_c = h / np.linalg.norm(h)
    a = geometry.ula_steering(scn.target_dod, scn.n_t)
    a_perp = a - u_c * (u_c.conj() @ a)
    nrm = np.linalg.norm(a_perp)
    if nrm < 1e-9 * np.linalg.norm(a):
        raise InfeasibleError("the target lies in the CRE's direction: zero-forcing leaves the "
                              "sensing beam no power toward it")
    return u_c, a_perp / nrm


def water_filling(gains: np.ndarray, power: float) -> np.ndarray:
    """``p_i = max(0, mu - 1/g_i)`` with ``sum p_i = power`` (exact, by sorting)."""
    g = np.asarray(gains, float)
    inv = 1.0 / g
    order = np.argsort(inv)
    p = np.zeros_like(g)
    for k in range(len(g), 0, -1):
        idx = order[:k]
        mu = (power + inv[idx].sum()) / k
        if mu - inv[idx].max() >= 0:
            p[idx] = mu - inv[idx]
            break
    return p


def benchmark_beams(scn: ISSCScenario, power_w: float, pi_m2: float) -> BenchmarkBeams:
    """DJSCC-WF-ZF beams (module docstring, steps 2-4)."""
    u_c, u_0 = zf_directions(scn)
    g_c = float(np.linalg.norm(scn.h_c) ** 2) / scn.noise_cre_w
    g_0 = float(np.linalg.norm(scn.H_0 @ u_0) ** 2) / scn.noise_sre_w
    p_c, p_0 = water_filling(np.array([g_c, g_0]), power_w)
    p_c_wf, p_0_wf = float(p_c), float(p_0)

    def tr(p0: np.ndarray) -> np.ndarray:
        p0 = np.atleast_1d(p0)
        pc = np.clip(power_w - p0, 0.0, None)
        return np.atleast_1d(scn.hcrb(covariance(np.sqrt(pc)[:, None] * u_c,
                                                 np.sqrt(p0)[:, None] * u_0)).trace)

    moved = 0.0
    if not tr(p_0)[0] <= pi_m2:
        grid = np.linspace(p_0, power_w, 2001)
        ok = tr(grid) <= pi_m2
        if not ok.any():
            raise InfeasibleError(
                f"pi={pi_m2:g} m^2 is infeasible for the benchmark DJSCC-WF-ZF at P_T="
                f"{10 * math.log10(power_w) + 30:g} dBm: its smallest Tr(HCRB) over the power "
                f"splits of its zero-forcing beams is {float(tr(grid).min()):.6g} m^2")
        k = int(np.argmax(ok))
        lo, hi = (grid[k - 1] if k > 0 else p_0), grid[k]
        for _ in range(60):  # smallest feasible p_0 (bisection between grid points)
            mid = 0.5 * (lo + hi)
            lo, hi = (lo, mid) if tr(mid)[0] <= pi_m2 else (mid, hi)
        moved = hi - p_0
        p_0 = hi
        p_c = power_w - p_0
    return BenchmarkBeams(math.sqrt(max(p_c, 0.0)) * u_c, math.sqrt(max(p_0, 0.0)) * u_0,
                          p_c_wf, p_0_wf, float(moved))
