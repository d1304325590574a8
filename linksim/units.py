"""Unit conversions shared by the radio side.

Configs speak the papers' units (dB, dBm, m, Hz, s); the code works in SI
(watts, linear power ratios). These helpers are the only place where the
conversion happens. All accept Python scalars or numpy arrays and return
``float`` / ``numpy.ndarray`` (float64) of the same shape.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

SPEED_OF_LIGHT = 299_792_458.0  # m/s

#: Transmit powers a scenario or a command line may ask for, dBm: -100 dBm (0.1 pW, below
#: any receiver's noise) to 100 dBm (10 MW, above any transmitter's rating). Outside it a
#: value is a typo (1e6 dBm) and the solvers' numbers are meaningless.
POWER_DBM_RANGE = (-100.0, 100.0)


def db_to_lin(db: ArrayLike) -> np.ndarray | float:
    """Power ratio in dB -> linear: ``10 ** (db / 10)``.

    A scalar goes through Python's ``**`` (the C library's pow), whose last bit
    can differ from numpy's vectorised power; scalar callers (the LDPC link's
    noise level, ``issc phy-ber``) keep the numbers they had with the formula inline.
    """
    x = np.asarray(db, dtype=float)
    if x.ndim == 0:
        return 10.0 ** (float(x) / 10.0)
    return np.power(10.0, x / 10.0)


def lin_to_db(lin: ArrayLike) -> np.ndarray | float:
    """Linear power ratio -> dB: ``10 log10(lin)``; ``lin`` must be >= 0 (0 gives -inf dB)."""
    lin = np.asarray(lin, dtype=float)
    if np.any(~(lin >= 0)):
        raise ValueError(f"lin={lin!r} is invalid: must be >= 0 to convert to dB")
    with np.errstate(divide="ignore"):
        out = 10.0 * np.log10(lin)
    return float(out) if out.ndim == 0 else out


def dbm_to_watt(dbm: ArrayLike) -> np.ndarray | float:
    """Power in dBm -> watts: ``10 ** ((dbm - 30) / 10)``."""
    out = np.power(10.0, (np.asarray(dbm, dtype=float) - 30.0) / 10.0)
    return float(out) if out.ndim == 0 else out
