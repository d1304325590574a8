"""Near-field fluid-antenna ISCSC (NF paper, arXiv 2507.15800): a UPA of movable transmit
elements, a fixed receive UPA, K semantic users, L extended targets.

Public names (what ``optim`` and users may import from here):

- :class:`NFScenario` - NF Table I scenario: geometry, channels, SINRs, CRB, budgets (its
  methods live by topic in ``layout``, ``link``, ``bounds``, ``budgets``; refusals in
  ``validation``).
- ``channels`` / ``metrics`` / ``sensing`` / ``geometry`` - the building blocks
  (NF eq. (1) to eq. (27)), as modules.
- :func:`extended_crb`, :func:`crb_constraints_cvxpy`, :func:`ls_mse_experiment` - CRB of the
  extended-target echo matrix (NF eq. (16)) and the LS estimator that checks it.
- :func:`rayleigh_distance`, :func:`steering_vector` - near-field array helpers.
- ``studies`` - the CRB-limit and Fresnel studies behind ``issc nf-crb`` / ``nf-fresnel``.
"""

from . import channels, geometry, metrics, sensing, studies
from .geometry import rayleigh_distance, steering_vector
from .scenario import NFScenario
from .sensing import crb_constraints_cvxpy, extended_crb, ls_mse_experiment

__all__ = [
    "NFScenario",
    "channels",
    "crb_constraints_cvxpy",
    "extended_crb",
    "geometry",
    "ls_mse_experiment",
    "metrics",
    "rayleigh_distance",
    "sensing",
    "steering_vector",
    "studies",
]
