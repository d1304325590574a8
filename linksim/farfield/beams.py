"""Transmit beams of the far-field link: the covariance of (w_c, w_0) and input checks."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def covariance(w_c: ArrayLike, w_0: ArrayLike) -> np.ndarray:
    """``Sigma = w_c w_c^H + w_0 w_0^H`` (ASCC eq. (2)), complex128 ``(..., N_T, N_T)``."""
    wc = np.asarray(w_c, dtype=complex)
    w0 = np.asarray(w_0, dtype=complex)
    return (wc[..., :, None] * wc[..., None, :].conj()
            + w0[..., :, None] * w0[..., None, :].conj())


def check_power(power_w: ArrayLike, name: str = "power_w") -> np.ndarray:
    """Validate a transmit power in W: finite and >= 0; returns float64 array."""
    p = np.asarray(power_w, dtype=float)
    if not np.all(np.isfinite(p) & (p >= 0)):
        raise ValueError(f"{name}={power_w!r} is invalid: transmit power must be finite "
                         "and >= 0 W")
    return p


def check_beams(w_c: ArrayLike, w_0: ArrayLike, n_t: int) -> tuple[np.ndarray, np.ndarray]:
    wc = np.asarray(w_c, dtype=complex)
    w0 = np.asarray(w_0, dtype=complex)
    for name, w in (("w_c", wc), ("w_0", w0)):
        if w.shape[-1:] != (n_t,):
            raise ValueError(f"{name} of shape {w.shape} is invalid: last axis must be "
                             f"N_T={n_t}")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{name}={w!r} is invalid: entries must be finite")
    return wc, w0


def check_covariance(Sigma: ArrayLike, n_t: int) -> np.ndarray:  # noqa: N803
    S = np.asarray(Sigma, dtype=complex)
    if S.shape[-2:] != (n_t, n_t):
        raise ValueError(f"Sigma of shape {S.shape} is invalid: must be (..., {n_t}, {n_t})")
    if not np.all(np.isfinite(S)):
        raise ValueError("Sigma is invalid: entries must be finite")
    tr = np.real(np.trace(S, axis1=-2, axis2=-1))
    if np.any(tr < 0):
        raise ValueError(f"Sigma with trace {tr.min():.3g} W is invalid: transmit power "
                         "Tr(Sigma) must be >= 0 W")
    return S
