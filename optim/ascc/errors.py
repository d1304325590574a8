"""Errors of the ASCC optimiser: infeasible inputs (a user's choice) and solver failures."""

from __future__ import annotations


class InfeasibleError(ValueError):
    """The constraints cannot hold (Pi below the reachable HCRB, no codec fits the ABR).

    The message states the smallest reachable value, so a user can pick a valid one.
    """


class SolverUnknownError(RuntimeError):
    """The convex solver failed: the point is unknown (never read as infeasible)."""
