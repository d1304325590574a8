"""The far-field HCRB study behind ``issc hcrb`` (ASCC Fig. 4 shape, fixed beams).

- :func:`hcrb_vs_power`: Tr(HCRB) (ASCC eq. (13)), its CRB part (sync known)
  and the penalty of the sync error over a grid of transmit powers, with the
  SINR at the semantic receiver (ASCC eq. (3));
- :func:`estimator_check`: the ML/MAP estimator's position MSE against the
  bound by Monte Carlo at a few powers.

Both use the matched beams of :meth:`~linksim.farfield.ISSCScenario.matched_beamformers`:
w_c matched to h_c with ``comm_fraction`` of the power, w_0 steered to the target.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
from numpy.typing import ArrayLike

from ..units import dbm_to_watt, lin_to_db
from .estimator import monte_carlo_mse
from .scenario import ISSCScenario, covariance

#: Columns of :func:`hcrb_vs_power` (units in the names).
HCRB_COLUMNS = ("pt_dbm", "tr_hcrb_m2", "tr_crb_m2", "tr_ts_penalty_m2", "sinr_db")
#: What the study assumes, recorded with its results.
NOTES = ("beta_0 = beta_s (d1 d2)^(-eps/2) (two-way path loss, known); "
         "w_c matched to h_c, w_0 steered to the target")


def hcrb_vs_power(scn: ISSCScenario, pt_dbm: ArrayLike, comm_fraction: float = 0.5
                  ) -> list[tuple[float, float, float, float, float]]:
    """One row per power (``HCRB_COLUMNS``): P_T [dBm], Tr HCRB, Tr CRB, Tr penalty [m^2],
    SINR [dB]. ``pt_dbm``: float array ``(P,)``."""
    pt = np.asarray(pt_dbm, dtype=float)
    wc, w0 = scn.matched_beamformers(dbm_to_watt(pt), comm_fraction)
    h = scn.hcrb(covariance(wc, w0))
    sinr_db = lin_to_db(scn.sinr(wc, w0))
    return list(zip(pt, h.trace, h.crb_trace, h.ts_penalty_trace, np.atleast_1d(sinr_db)))


def estimator_check(scn: ISSCScenario, pt_dbm: Iterable[float], trials: int,
                    rng: np.random.Generator, comm_fraction: float = 0.5
                    ) -> Iterator[dict[str, float]]:
    """For each power: the estimator's Monte Carlo MSE against Tr HCRB (one dict per power).

    Keys: ``pt_dbm``, the fields of :class:`~linksim.farfield.MonteCarloResult`
    and ``mse_over_hcrb``. The powers share ``rng`` in order.
    """
    for p in pt_dbm:
        r = monte_carlo_mse(scn, dbm_to_watt(p), trials, rng, comm_fraction)
        yield {"pt_dbm": p, **r.__dict__, "mse_over_hcrb": r.mse / r.hcrb}
