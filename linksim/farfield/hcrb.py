"""Hybrid Cramer-Rao bound for mu = [o_x, o_y, Delta_tau] (ASCC Prop. 3.1 and ASCC eq. (13)).

The hybrid FIM ``J = J_D + J_B`` (ASCC eq. (11)) is split into the blocks
``J_D^{c1}`` (2x2, position), ``J_D^{c2}`` (2x1, position-sync cross term) and
``J^{c3} = J_D^{c3} + 1/sigma_Delta^2`` (scalar). ASCC eq. (13) then writes the
position block of ``J^{-1}`` as

    HCRB(p_o) = (J_D^{c1})^-1                                        (CRB: sync known)
              + (J_D^{c1})^-1 J_D^{c2} [J^{c3} - J_D^{c2}^T (J_D^{c1})^-1 J_D^{c2}]^-1
                J_D^{c2}^T (J_D^{c1})^-1                           (penalty of the TS error)

Everything here is numpy float64 and batched over leading axes ``...``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _inv2(a: np.ndarray) -> np.ndarray:
    """Closed-form inverse of symmetric 2x2 blocks ``(..., 2, 2)``; singular -> inf."""
    p, q, s = a[..., 0, 0], a[..., 0, 1], a[..., 1, 1]
    det = p * s - q * q
    scale = np.abs(p * s) + q * q
    bad = ~(det > 1e-13 * scale)  # singular or not positive definite (numerically)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = np.stack([np.stack([s, -q], -1), np.stack([-q, p], -1)], -2) / det[..., None, None]
    if np.any(bad):
        inv = np.where(bad[..., None, None], np.inf, inv)
    return inv


@dataclass(frozen=True)
class HCRB:
    """HCRB of ASCC eq. (13). Units: m^2 for position entries, s^2 for Delta_tau.

    Attributes:
        fim: hybrid FIM ``J`` (ASCC eq. (11)), float64 ``(..., 3, 3)``.
        position: HCRB of ``p_o`` = CRB + penalty, float64 ``(..., 2, 2)`` [m^2].
        crb: ``(J_D^{c1})^-1``, the bound with perfect synchronisation, ``(..., 2, 2)``.
        ts_penalty: the additional error caused by the TS error, ``(..., 2, 2)``.
        delta_tau: bound on the sync error Delta_tau, ``(...)`` [s^2].
    """

    fim: np.ndarray
    position: np.ndarray
    crb: np.ndarray
    ts_penalty: np.ndarray
    delta_tau: np.ndarray

    @property
    def trace(self) -> np.ndarray | float:
        """``Tr(HCRB(p_o))`` in m^2: float, or float64 ndarray ``(...)`` for batched input."""
        t = np.trace(self.position, axis1=-2, axis2=-1)
        return float(t) if t.ndim == 0 else t

    @property
    def crb_trace(self) -> np.ndarray | float:
        """``Tr(CRB(p_o))`` in m^2 (first term of ASCC eq. (13))."""
        t = np.trace(self.crb, axis1=-2, axis2=-1)
        return float(t) if t.ndim == 0 else t

    @property
    def ts_penalty_trace(self) -> np.ndarray | float:
        """Trace of the second term of ASCC eq. (13) in m^2 (>= 0)."""
        t = np.trace(self.ts_penalty, axis1=-2, axis2=-1)
        return float(t) if t.ndim == 0 else t

    def matrix(self) -> np.ndarray:
        """The full 3x3 bound ``J^-1`` for mu = [o_x, o_y, Delta_tau], ``(..., 3, 3)``."""
        with np.errstate(invalid="ignore"):
            return np.linalg.inv(self.fim)


def hcrb_from_fim(fim: np.ndarray) -> HCRB:
    """Evaluate ASCC eq. (13) from a hybrid FIM ``(..., 3, 3)`` (prior already included).

    A singular position block (e.g. ``Sigma = 0``) gives ``inf`` entries, not an error,
    so that optimisers can treat it as an infeasible point.
    """
    j = np.asarray(fim, dtype=float)
    j1 = j[..., :2, :2]
    j2 = j[..., :2, 2]
    j3 = j[..., 2, 2]
    crb = _inv2(j1)
    k = np.einsum("...ab,...b->...a", crb, j2)  # (J_D^{c1})^-1 J_D^{c2}
    with np.errstate(invalid="ignore", divide="ignore"):
        schur = j3 - np.einsum("...a,...a->...", j2, k)
        penalty = k[..., :, None] * k[..., None, :] / schur[..., None, None]
        dtau = 1.0 / schur
    bad = ~np.isfinite(crb[..., 0, 0])
    if np.any(bad):  # no position information at all: every bound is infinite
        penalty = np.where(bad[..., None, None], np.inf, penalty)
        dtau = np.where(bad, 1.0 / j3, dtau)
    return HCRB(fim=j, position=crb + penalty, crb=crb, ts_penalty=penalty, delta_tau=dtau)
