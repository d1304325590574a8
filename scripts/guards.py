"""Guards before work, for the verbs: refuse a job whose memory estimate exceeds this
machine (:func:`linksim.resources.check_memory`), an unphysical transmit power, and a grid
whose every point failed, each on one line (a ``ValueError``, so :mod:`scripts.cli` prints
it with exit status 2 and :func:`semcodec.runinfo.run_record` leaves ``--out`` as it was).

A verb calls these before :func:`~semcodec.runinfo.run_record` creates ``--out``; the
estimators are next to the code that allocates (listed in :mod:`linksim.resources`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from linksim.resources import available_memory_bytes, check_memory, format_bytes
from semcodec.runinfo import NoResults

__all__ = ["available_memory_bytes", "check_farfield", "check_memory", "check_nearfield",
           "check_power_dbm", "check_some_point_ok", "format_bytes"]


def check_some_point_ok(rows: Iterable[Mapping[str, Any]], what: str,
                        ok: Callable[[Mapping[str, Any]], bool] | None = None,
                        error_key: str = "error") -> None:
    """Refuse (:class:`~semcodec.runinfo.NoResults`, a ``ValueError``, one line) a grid in
    which no point succeeded; its rows of failures are removed with the rest of ``--out``.

    ``what`` names the grid (``"the nf-7 grid"``); ``ok`` tells a good row (default:
    ``status == "ok"``); the line gives the count and the first point's reason
    (``error_key``), so a figure is never drawn from nothing.
    """
    rows = list(rows)
    ok = ok or (lambda r: r.get("status") == "ok")
    if rows and any(ok(r) for r in rows):
        return
    if not rows:
        raise NoResults(f"{what} has no points: nothing to tabulate or plot")
    reason = " ".join(str(rows[0].get(error_key) or rows[0].get("status", "?")).split())
    raise NoResults(f"all {len(rows)} points of {what} failed, nothing to tabulate or plot "
                     f"(first: {reason})")


# ----------------------------------------------------------------------------- scenarios

def check_power_dbm(values: Iterable[float], name: str = "pt-dbm") -> list[float]:
    """Refuse a transmit power outside :data:`linksim.units.POWER_DBM_RANGE` (one line)."""
    from linksim.units import POWER_DBM_RANGE

    lo, hi = POWER_DBM_RANGE
    vals = [float(v) for v in values]
    for v in vals:
        if not lo <= v <= hi:
            raise ValueError(f"{name}={v:g} is invalid: must be a transmit power in "
                             f"[{lo:g}, {hi:g}] dBm")
    return vals


def check_farfield(scn: Any, solver: bool = False, monte_carlo: bool = False) -> None:
    """Refuse a far-field scenario whose sizes do not fit, or whose L is not an integer.

    The estimate is the sensing bounds' (:func:`linksim.farfield.bounds.sensing_memory_bytes`)
    plus, with ``solver``, the ASCC SDP's (:func:`optim.ascc.bound.sdp_memory_bytes`) and,
    with ``monte_carlo``, one estimator trial's
    (:func:`linksim.farfield.estimator.estimator_memory_bytes`).
    """
    from linksim.farfield.bounds import sensing_memory_bytes

    bl = scn.blocklength  # designs carry L as an integer: refuse 0.5 before it reads as 0
    if isinstance(bl, bool) or not float(bl).is_integer() or bl < 1:
        raise ValueError(f"blocklength={bl!r} is invalid: must be an integer >= 1 "
                         f"(channel uses per block)")
    est = sensing_memory_bytes(scn.n_t, scn.n_r, scn.num_samples)
    if solver:
        from optim.ascc.bound import sdp_memory_bytes

        est += sdp_memory_bytes(scn.n_t)
    if monte_carlo:
        from linksim.farfield.estimator import estimator_memory_bytes

        est += estimator_memory_bytes(scn.n_t, scn.n_r, scn.num_samples)
    check_memory(est, f"scenario n_t={scn.n_t}, n_r={scn.n_r}, num_samples={scn.num_samples}")


def check_nearfield(scn: Any) -> None:
    """Refuse an NF scenario whose extended targets do not fit
    (:func:`linksim.nearfield.validation.check_scatterer_memory`; a scenario built from a
    file was checked so before its draws, this covers one changed afterwards)."""
    from linksim.nearfield.validation import check_scatterer_memory

    check_scatterer_memory(scn)
