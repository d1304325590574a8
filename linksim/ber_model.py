"""Bit error models of the link: ASCC eq. (4) (``fbl``) or a measured 5G LDPC table (``ldpc``).

Both answer the same questions, vectorised (numpy broadcasting over ``rc`` and ``sinr``):

- ``log10_ber(rc, sinr)``: log10 rho_b at coding rate R_c (information bits per channel
  use) and linear SINR; ``ber`` is ``10 **`` that.
- ``log10_ber_and_slope(rc, sinr)``: the value and ``d log10 rho_b / d R_c``, what the SCA
  step of the ASCC optimiser linearises (the U(R_c) of ASCC eq. (23)).
- ``sinr_db_for_ber(rc, ber)``: the SINR (dB) at which the model reaches a given BER.

``fbl`` is ASCC eq. (4) via :mod:`linksim.farfield` (``exact_dispersion=False`` gives the
eq. (23) form). Its slope is the closed form of :func:`linksim.farfield.fbl.u_log_ber`.

``ldpc`` and ``ldpc-ber`` interpolate an ``issc phy-table`` table (:mod:`linksim.phy_table`)
in the log domain. ``ldpc`` interpolates the quantity ASCC eq. (4) calls rho_b, the block
error rate divided by the ``R_c L`` information bits of a block (one bit error per failed
block), measured on the real code; ``ldpc-ber`` interpolates the measured bit error rate.
The difference matters: a failed LDPC codeword carries ~10-20 bit errors in one burst, and
the S-curves (fitted on independent flips) follow the rate of error events, not of bits
(see ``docs/e2e.md``: at equal measured BER the LDPC chain's MS-SSIM stays near the clean
one, while rho_b = BLER / (R_c L) predicts it). Interpolation:

1. Each row (one R_c) keeps its points with at least ``min_block_errors`` (3) block errors
   (fewer are too noisy to interpolate; they stay in the table). log10 rho_b is made
   non-increasing in SINR by weighted isotonic regression (pool adjacent violators,
   weights = block errors); a monotone measured row is left exactly as measured.
2. Along SINR (dB) the row is piecewise linear between its points, flat below the first
   and, beyond the last measured point, ASCC eq. (4) shifted in SINR by the row's measured
   gap at that point (``rho_ldpc(s) = rho_eq4(s - Delta)``, continuous there): the real
   code's deep tail is not measurable with a modest Monte Carlo, and this is the one
   extrapolation that keeps the measured gap and the eq. (4) slope.
3. Across R_c the rows are interpolated linearly (weights >= 0, so the result stays
   monotone in SINR and equals the table at every grid point). The slope in R_c is the
   derivative of that interpolant: the secant between the two rows bracketing R_c
   (right-hand cell at a grid R_c). It is piecewise constant in R_c, so the SCA's linear
   model is exact inside a cell.

R_c outside the table's rows is refused (ValueError naming the range): the optimiser should
bound R_c to ``model.rc_range``.
"""

from __future__ import annotations

import math
import os
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import brentq

from .farfield import fbl
from .phy_table import SHIPPED_TABLE, load_table

BER_MODELS = ("fbl", "ldpc", "ldpc-ber")
#: what the table model interpolates: ASCC eq. (4)'s rho_b = block error rate / (R_c L)
#: ("event", the ``ldpc`` model) or the measured bit error rate ("ber", ``ldpc-ber``)
QUANTITIES = ("event", "ber")
MIN_BLOCK_ERRORS = 3


class BERModel(Protocol):
    """What the optimiser and the end-to-end runner need from a BER model."""

    name: str
    blocklength: int

    @property
    def rc_range(self) -> tuple[float, float]: ...

    def log10_ber(self, rc: ArrayLike, sinr: ArrayLike) -> np.ndarray | float: ...

    def log10_ber_and_slope(self, rc: ArrayLike, sinr: ArrayLike
                            ) -> tuple[np.ndarray | float, np.ndarray | float]: ...


def _out(x: np.ndarray) -> np.ndarray | float:
    return float(x) if np.ndim(x) == 0 else x


def _sinr_db(sinr: ArrayLike) -> np.ndarray:
    g = np.asarray(sinr, dtype=float)
    if not np.all(np.isfinite(g) & (g > 0)):
        raise ValueError(f"sinr={sinr!r} is invalid: must be finite and > 0 (linear, not dB)")
    return 10.0 * np.log10(g)


class _Common:
    name: str
    blocklength: int

    def ber(self, rc: ArrayLike, sinr: ArrayLike) -> np.ndarray | float:
        """rho_b (float or float64 array of the broadcast shape)."""
        return _out(10.0 ** np.asarray(self.log10_ber(rc, sinr)))

    def sinr_db_for_ber(self, rc: float, ber: float, lo_db: float = -20.0, hi_db: float = 40.0
                        ) -> float:
        """SINR (dB) where the model's rho_b equals ``ber`` at ``rc`` (bisection; monotone).

        Note that eq. (4) never exceeds ``1 / (R_c L)`` (it charges one bit per failed block).
        """
        target = math.log10(float(ber))

        def f(s: float) -> float:
            return float(self.log10_ber(rc, 10.0 ** (s / 10.0))) - target

        if f(lo_db) < 0 or f(hi_db) > 0:
            raise ValueError(f"ber={ber!r} is invalid at rc={rc}: the model does not reach it "
                             f"between {lo_db} and {hi_db} dB")
        return float(brentq(f, lo_db, hi_db, xtol=1e-6))


class FBLBERModel(_Common):
    """ASCC eq. (4): ``rho_b = Q(ln2 sqrt(L) (C(gamma) - R_c) / sqrt(1 - (1+gamma)^-2)) / (R_c L)``.

    Args:
        blocklength: L channel uses per block (ASCC Sec. V: 256).
        exact_dispersion: False drops the dispersion factor as ASCC eq. (23) does.
    """

    name = "fbl"

    def __init__(self, blocklength: int = 256, exact_dispersion: bool = True) -> None:
        self.blocklength = int(blocklength)
        self.exact_dispersion = bool(exact_dispersion)

    @property
    def rc_range(self) -> tuple[float, float]:
        return (0.0, math.inf)

    def log10_ber(self, rc: ArrayLike, sinr: ArrayLike) -> np.ndarray | float:
        return fbl.log10_normal_approx_ber(sinr, rc, self.blocklength, self.exact_dispersion)

    def log10_ber_and_slope(self, rc: ArrayLike, sinr: ArrayLike
                            ) -> tuple[np.ndarray | float, np.ndarray | float]:
        """(log10 rho_b, d log10 rho_b / d R_c): the closed form of ASCC eq. (23)'s U(R_c)."""
        return fbl.u_log_ber(sinr, rc, self.blocklength, self.exact_dispersion)


def _isotonic_decreasing(y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-increasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, wt in zip(y, w):
        blocks.append([float(v), float(wt), 1])
        while len(blocks) > 1 and blocks[-2][0] < blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return np.concatenate([np.full(c, m) for m, _, c in blocks])


class _Row:
    """One R_c of the table as a monotone function of SINR (dB)."""

    def __init__(self, rc: float, rc_eff: float, s: np.ndarray, y: np.ndarray, w: np.ndarray,
                 blocklength: int) -> None:
        self.rc, self.rc_eff, self.blocklength = rc, rc_eff, blocklength
        order = np.argsort(s)
        self.s = s[order]
        self.y_raw = y[order]
        self.y = _isotonic_decreasing(self.y_raw, w[order])
        # gap of the real code to eq. (4) at the deepest measured point. Eq. (4) never
        # exceeds 1 / (R_c L) (one bit per failed block); a row that ends above that has no
        # gap, and continues with the slope of its last segment instead.
        self.shift_db = math.nan
        self.tail_slope = 0.0
        if self.y[-1] < math.log10(1.0 / (rc_eff * blocklength)) - 1e-3:
            s_eq4 = FBLBERModel(blocklength).sinr_db_for_ber(rc_eff, 10.0 ** self.y[-1])
            self.shift_db = float(self.s[-1] - s_eq4)
        elif self.s.size > 1:
            self.tail_slope = min(0.0, float((self.y[-1] - self.y[-2]) / (self.s[-1] - self.s[-2])))

    def __call__(self, s_db: np.ndarray) -> np.ndarray:
        inside = np.interp(s_db, self.s, self.y)  # flat below the first point
        beyond = s_db > self.s[-1]
        if not np.any(beyond):
            return inside
        if math.isnan(self.shift_db):
            tail = self.y[-1] + self.tail_slope * (s_db - self.s[-1])
            return np.where(beyond, tail, inside)
        g = 10.0 ** ((np.where(beyond, s_db, self.s[-1]) - self.shift_db) / 10.0)
        tail = np.asarray(fbl.log10_normal_approx_ber(g, self.rc_eff, self.blocklength))
        return np.where(beyond, np.minimum(tail, self.y[-1]), inside)


class LDPCTableBERModel(_Common):
    """Monotone log-domain interpolation in a measured 5G LDPC BER table (see module doc).

    Args:
        table: the dict of an ``ldpc_table.json`` (:func:`linksim.phy_table.load_table`).
        min_block_errors: points with fewer block errors are not interpolated.
    """

    def __init__(self, table: dict[str, Any], min_block_errors: int = MIN_BLOCK_ERRORS,
                 quantity: str = "event") -> None:
        if quantity not in QUANTITIES:
            raise ValueError(f"quantity={quantity!r} is invalid: must be one of {QUANTITIES}")
        self.quantity = quantity
        self.name = "ldpc" if quantity == "event" else "ldpc-ber"
        self.table = table
        self.blocklength = int(table["blocklength"])
        rows: dict[float, list[dict]] = {}
        for p in table["points"]:
            rows.setdefault(float(p["rc"]), []).append(p)
        self.rows: list[_Row] = []
        for rc in sorted(rows):
            pts = [p for p in rows[rc] if p["block_errors"] >= min_block_errors
                   and p["bit_errors"] > 0]
            if not pts:
                continue
            self.rows.append(_Row(rc, float(pts[0]["rc_eff"]),
                                  np.array([p["sinr_db"] for p in pts], dtype=float),
                                  np.log10([p["ber"] if quantity == "ber" else
                                            p["bler"] / p["k"] for p in pts]),
                                  np.array([p["block_errors"] for p in pts], dtype=float),
                                  self.blocklength))
        if len(self.rows) < 2:
            raise ValueError(f"LDPC table has {len(self.rows)} usable R_c rows: the ldpc model "
                             f"needs >= 2 (points with >= {min_block_errors} block errors)")
        self.rcs = np.array([r.rc for r in self.rows])

    @classmethod
    def from_json(cls, path: str | os.PathLike = SHIPPED_TABLE,
                  min_block_errors: int = MIN_BLOCK_ERRORS, quantity: str = "event"
                  ) -> LDPCTableBERModel:
        return cls(load_table(path), min_block_errors, quantity)

    @property
    def rc_range(self) -> tuple[float, float]:
        return (float(self.rcs[0]), float(self.rcs[-1]))

    def _cell(self, rc: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r = np.asarray(rc, dtype=float)
        lo, hi = self.rc_range
        if not np.all(np.isfinite(r) & (r >= lo - 1e-12) & (r <= hi + 1e-12)):
            raise ValueError(f"rc={rc!r} is invalid for the ldpc BER model: the table covers "
                             f"R_c in [{lo}, {hi}] bit per channel use")
        i = np.clip(np.searchsorted(self.rcs, r, side="right") - 1, 0, len(self.rcs) - 2)
        width = self.rcs[i + 1] - self.rcs[i]
        return r, i, width

    def _rows_at(self, i: np.ndarray, s_db: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.empty(np.broadcast(i, s_db).shape)
        hi = np.empty_like(lo)
        ib, sb = np.broadcast_arrays(i, s_db)
        for j in np.unique(ib):
            m = ib == j
            lo[m] = self.rows[j](sb[m])
            hi[m] = self.rows[j + 1](sb[m])
        return lo, hi

    def log10_ber_and_slope(self, rc: ArrayLike, sinr: ArrayLike
                            ) -> tuple[np.ndarray | float, np.ndarray | float]:
        """(log10 rho_b, d log10 rho_b / d R_c) of the interpolant (see module doc)."""
        r, i, width = self._cell(rc)
        s_db = _sinr_db(sinr)
        r, i, width, s_db = np.broadcast_arrays(r, i, width, s_db)
        y0, y1 = self._rows_at(i, s_db)
        t = (r - self.rcs[i]) / width
        return _out(y0 + t * (y1 - y0)), _out((y1 - y0) / width)

    def log10_ber(self, rc: ArrayLike, sinr: ArrayLike) -> np.ndarray | float:
        return self.log10_ber_and_slope(rc, sinr)[0]


def make_ber_model(name: str, blocklength: int = 256, table: str | os.PathLike | None = None
                   ) -> FBLBERModel | LDPCTableBERModel:
    """The BER model called ``name`` (``fbl``, ``ldpc`` or ``ldpc-ber``) at blocklength ``L``.

    ``table`` is the ``ldpc_table.json`` of the ``ldpc`` model (default: the shipped one);
    its blocklength must equal ``blocklength``.
    """
    if name == "fbl":
        return FBLBERModel(blocklength)
    if name in ("ldpc", "ldpc-ber"):
        model = LDPCTableBERModel.from_json(SHIPPED_TABLE if table is None else table,
                                            quantity="event" if name == "ldpc" else "ber")
        if model.blocklength != int(blocklength):
            raise ValueError(f"blocklength={blocklength} is invalid for LDPC table "
                             f"{table or SHIPPED_TABLE}: it was measured at L = "
                             f"{model.blocklength}; run `issc phy-table --blocklength "
                             f"{blocklength}`")
        return model
    raise ValueError(f"ber_model={name!r} is invalid: must be one of {BER_MODELS}")
