"""Finite-blocklength bit error model of the semantic link (ASCC eq. (4) and ASCC eq. (23)).

ASCC eq. (4) is the normal approximation of Polyanskiy-Poor-Verdu for the AWGN
channel, with the block error divided by the ``R_c * L`` information bits of a
block, exactly as the paper writes it::

    rho_b = Q( ln2 * sqrt(L) * (C(gamma) - R_c) / sqrt(1 - (1 + gamma)^-2) ) / (R_c * L)

``gamma`` is the linear SINR, ``R_c`` the coding rate in information bits per
channel use (``R_c = N_c / L``), ``L`` the channel uses per block and
``C(gamma) = log2(1 + gamma)`` bits per channel use.

Every function is vectorised with numpy broadcasting over its array arguments.
Return types: a Python ``float`` when every argument is a scalar, otherwise a
``numpy.ndarray`` of float64 with the broadcast shape. Tails are computed in the
log domain (``scipy.special.log_ndtr``), so ``log10_normal_approx_ber`` stays
finite far beyond the float64 underflow of ``rho_b`` itself.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import log_ndtr

LN2 = float(np.log(2.0))
LN10 = float(np.log(10.0))
_LOG_SQRT_2PI = 0.5 * float(np.log(2.0 * np.pi))


def _out(x: np.ndarray) -> np.ndarray | float:
    return float(x) if np.ndim(x) == 0 else x


def _check(sinr: ArrayLike, rate: ArrayLike | None = None,
           blocklength: ArrayLike | None = None) -> tuple[np.ndarray, ...]:
    g = np.asarray(sinr, dtype=float)
    if not np.all(np.isfinite(g) & (g >= 0)):
        raise ValueError(f"sinr={sinr!r} is invalid: must be finite and >= 0 (linear, not dB)")
    out = [g]
    if rate is not None:
        r = np.asarray(rate, dtype=float)
        if not np.all(np.isfinite(r) & (r > 0)):
            raise ValueError(f"rate={rate!r} is invalid: must be finite and > 0 "
                             "(bits per channel use)")
        out.append(r)
    if blocklength is not None:
        n = np.asarray(blocklength, dtype=float)
        if not np.all(np.isfinite(n) & (n > 0)):
            raise ValueError(f"blocklength={blocklength!r} is invalid: must be finite and > 0 "
                             "(channel uses)")
        out.append(n)
    return tuple(out)


def capacity(sinr: ArrayLike) -> np.ndarray | float:
    """AWGN capacity ``C(gamma) = log2(1 + gamma)`` in bits per channel use (ASCC eq. (4))."""
    (g,) = _check(sinr)
    return _out(np.log1p(g) / LN2)


def dlog_q(x: ArrayLike) -> np.ndarray | float:
    """``d ln Q(x) / dx = -phi(x) / Q(x)`` (minus the Gaussian hazard), stable in both tails."""
    x = np.asarray(x, dtype=float)
    return _out(-np.exp(-0.5 * x * x - _LOG_SQRT_2PI - log_ndtr(-x)))


def fbl_argument(sinr: ArrayLike, rate: ArrayLike, blocklength: ArrayLike,
                 exact_dispersion: bool = True) -> np.ndarray | float:
    """Argument of ``Q`` in ASCC eq. (4): ``ln2 sqrt(L) (C - R_c) / sqrt(1 - (1+gamma)^-2)``.

    With ``exact_dispersion=False`` the square root is replaced by 1, as in ASCC
    ASCC eq. (23). At ``gamma = 0`` (zero dispersion) the argument is ``-inf``.
    """
    g, r, n = _check(sinr, rate, blocklength)
    num = LN2 * np.sqrt(n) * (np.log1p(g) / LN2 - r)
    if not exact_dispersion:
        return _out(num)
    den = np.sqrt(-np.expm1(-2.0 * np.log1p(g)))
    with np.errstate(divide="ignore", invalid="ignore"):
        return _out(num / den)


def normal_approx_bler(sinr: ArrayLike, rate: ArrayLike, blocklength: ArrayLike,
                       exact_dispersion: bool = True) -> np.ndarray | float:
    """Block error probability ``Q(x)`` of the normal approximation (numerator of ASCC eq. (4))."""
    return _out(np.exp(log_ndtr(-np.asarray(
        fbl_argument(sinr, rate, blocklength, exact_dispersion)))))


def log10_normal_approx_ber(sinr: ArrayLike, rate: ArrayLike, blocklength: ArrayLike,
                            exact_dispersion: bool = True) -> np.ndarray | float:
    """``log10(rho_b)`` of ASCC eq. (4), finite deep in the tail where ``rho_b`` underflows."""
    x = np.asarray(fbl_argument(sinr, rate, blocklength, exact_dispersion))
    r = np.asarray(rate, dtype=float)
    n = np.asarray(blocklength, dtype=float)
    return _out((log_ndtr(-x) - np.log(r * n)) / LN10)


def normal_approx_ber(sinr: ArrayLike, rate: ArrayLike, blocklength: ArrayLike,
                      exact_dispersion: bool = True) -> np.ndarray | float:
    """Average bit error probability rho_b of ASCC eq. (4).

    Args:
        sinr: linear SINR gamma >= 0 at the CRE (ASCC after eq. (4)).
        rate: coding rate R_c > 0 in information bits per channel use.
        blocklength: channel uses per block L > 0 (ASCC Sec. V: 256).
        exact_dispersion: ``True`` keeps ``sqrt(1 - (1+gamma)^-2)`` as in ASCC eq. (4);
            ``False`` replaces it by 1 as in ASCC eq. (23).

    Returns:
        ``Q(x) / (R_c L)`` as float (scalar inputs) or float64 ndarray (broadcast shape).
        Values below ~1e-308 underflow to 0; use :func:`log10_normal_approx_ber` there.
    """
    return _out(10.0 ** np.asarray(
        log10_normal_approx_ber(sinr, rate, blocklength, exact_dispersion)))


def u_log_ber(sinr: ArrayLike, rate: ArrayLike, blocklength: ArrayLike,
              exact_dispersion: bool = False) -> tuple[np.ndarray | float, np.ndarray | float]:
    """ASCC eq. (23): ``U(R_c) = log10( Q(ln2 sqrt(L) (C(gamma) - R_c)) / (R_c L) )`` and dU/dR_c.

    Arguments in the order of :func:`normal_approx_ber` (``sinr, rate, blocklength``).
    ASCC eq. (23) drops the dispersion term (``sqrt(1 - (1+gamma)^-2) ~ 1``); pass
    ``exact_dispersion=True`` to keep it (then ``U = log10 rho_b`` of ASCC eq. (4)).

    Returns:
        ``(U, dU_dRc)``, each float or float64 ndarray of the broadcast shape.
        ``dU/dR_c = (ln2 sqrt(L) / s) * phi(x)/Q(x) / ln10 - 1 / (R_c ln10)``, with
        ``s`` the dispersion factor (1 for ASCC eq. (23)); U is increasing in R_c
        wherever the first term dominates.
    """
    g, r, n = _check(sinr, rate, blocklength)
    x = np.asarray(fbl_argument(g, r, n, exact_dispersion))
    s = np.sqrt(-np.expm1(-2.0 * np.log1p(g))) if exact_dispersion else 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        dx_dr = -LN2 * np.sqrt(n) / s
    u = (log_ndtr(-x) - np.log(r * n)) / LN10
    du = (np.asarray(dlog_q(x)) * dx_dr - 1.0 / r) / LN10
    return _out(u), _out(du)
