"""Errors of the ASCC optimiser: infeasible inputs (a user's choice) and solver failures."""

from __future__ import annotations

# the policy of every convex solve raises it (linksim.solver_policy); re-exported here
from linksim.solver_policy import SolverUnknownError

__all__ = ["InfeasibleError", "SolverUnknownError"]


class InfeasibleError(ValueError):
    """The constraints cannot hold (Pi below the reachable HCRB, no codec fits the ABR).

    The message states the smallest reachable value, so a user can pick a valid one.
    """

