"""Far-field ISSC link (ASCC paper, arXiv 2601.12827): one transmitter with a ULA, one
semantic receiver (CRE), one sensing receiver (SRE), a point target.

Public names (what ``optim`` and users may import from here):

- :class:`ISSCScenario` - the ASCC Sec. V scenario: a frozen config (``scenario.py``) with
  its channels (``channels.py``), SemCom link (``link.py``: SINR, BER, matched beams) and
  sensing bounds (``bounds.py``: hybrid FIM as a linear map of Sigma, HCRB) mixed in.
- :func:`covariance`, :func:`check_power` - transmit covariance of (w_c, w_0), power checks.
- :class:`HCRB`, :func:`hcrb_from_fim` - hybrid Cramer-Rao bound (ASCC Prop. 3.1).
- :func:`normal_approx_ber`, :func:`normal_approx_bler`, :func:`log10_normal_approx_ber`,
  :func:`u_log_ber`, :func:`capacity` - finite-blocklength BER (ASCC eq. (4)).
- :class:`MLEstimator`, :func:`monte_carlo_mse` - estimator that checks the bound.
- ``geometry`` - ULA steering vectors, distances, path loss.
- ``linksim.farfield.cvx`` (imported on demand, it needs cvxpy): the hybrid FIM of a cvxpy
  covariance (:func:`~linksim.farfield.cvx.fim_cvxpy`), ``Tr HCRB <= Pi`` as the LMIs of
  ASCC eq. (35), eq. (36), eq. (37) (:func:`~linksim.farfield.cvx.hcrb_constraints_cvxpy`) and
  ``h_c h_c^H`` (:func:`~linksim.farfield.cvx.comm_gain_matrix`).
"""

from . import geometry
from .beams import check_power, covariance
from .estimator import MLEstimator, MonteCarloResult, monte_carlo_mse
from .fbl import (
    capacity,
    log10_normal_approx_ber,
    normal_approx_ber,
    normal_approx_bler,
    u_log_ber,
)
from .hcrb import HCRB, hcrb_from_fim
from .scenario import CALIBRATED_SCENARIO, ISSCScenario

__all__ = [
    "CALIBRATED_SCENARIO",
    "HCRB",
    "ISSCScenario",
    "MLEstimator",
    "MonteCarloResult",
    "capacity",
    "check_power",
    "covariance",
    "geometry",
    "hcrb_from_fim",
    "log10_normal_approx_ber",
    "monte_carlo_mse",
    "normal_approx_ber",
    "normal_approx_bler",
    "u_log_ber",
]
