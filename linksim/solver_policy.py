"""The one place that decides what a convex solver's status means (docs/design.md, "Solver
status policy"). Every cvxpy solve of linksim and optim goes through :func:`solve`.

Policy:

1. Solve with Clarabel, with the caller's settings (e.g. the NF tolerances) on top of
   :data:`BASE_SETTINGS`.
2. ``optimal``: accepted.
3. ``optimal_inaccurate`` (Clarabel "AlmostSolved": it stopped, short of progress, at an
   iterate that meets only its reduced tolerances) or ``user_limit`` (iteration or time
   limit): solved once more with :data:`RESOLVE_SETTINGS` (the same tolerances, five times
   the iterations and a 100x stronger static regularisation of the KKT factorisation;
   the stall comes from a residual floor of the factorisation above ``tol_feas``, and
   iterative refinement recovers the unregularised step, so the tolerances are met, not
   loosened). Each such re-solve is counted (:func:`count_solves`).
4. After the re-solve: ``optimal`` is accepted; a result still inaccurate is accepted only
   if the caller's ``recheck`` (a callable that recomputes the problem's constraints from
   the returned values with code independent of the solver, e.g. Tr HCRB of the returned
   covariance) returns True; otherwise, or without a ``recheck``, :class:`SolverUnknownError`
   is raised: the point is unknown, never infeasible.
5. A solver failure (cvxpy ``SolverError``: Clarabel's NumericalError or
   InsufficientProgress) is :class:`SolverUnknownError` too.
6. Infeasible and unbounded statuses (exact or inaccurate) are returned to the caller,
   whose problem says what they mean.
7. cvxpy's status warnings ("Solution may be inaccurate ...", "infeasible or unbounded")
   are suppressed: the policy, not the user, acts on the status.

After :func:`solve` returns a status in :data:`ACCEPTED`, the variables' values are usable.
Measured (this module's commit): the default ASCC grid (150 points, 743 solves) had 11
``optimal_inaccurate`` solves and the default ``issc nf`` run 3 of 5; the re-solve made
every one ``optimal``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import cvxpy as cp
import numpy as np

#: statuses after which the values of a :func:`solve` are usable
ACCEPTED = (cp.OPTIMAL, cp.OPTIMAL_INACCURATE, cp.USER_LIMIT)
#: statuses that trigger the one re-solve
INACCURATE = (cp.OPTIMAL_INACCURATE, cp.USER_LIMIT)

#: Clarabel's defaults for every key that :data:`RESOLVE_SETTINGS` changes, passed at every
#: first solve: cvxpy may reuse a cached solver whose settings persist between solves
BASE_SETTINGS: dict[str, Any] = {"max_iter": 200, "static_regularization_constant": 1e-8}
#: the re-solve: same tolerances, more iterations, stronger static regularisation
RESOLVE_SETTINGS: dict[str, Any] = {"max_iter": 1000, "static_regularization_constant": 1e-6}

_WARNINGS = ("Solution may be inaccurate", "Problem is either infeasible or unbounded")


class SolverUnknownError(RuntimeError):
    """The convex solver failed or its inaccurate result did not pass the re-check: the
    point is unknown (never read as infeasible)."""


@dataclass
class SolveCounts:
    """What :func:`solve` did while a :func:`count_solves` block was open.

    Attributes:
        solves: calls of :func:`solve`; resolves: re-solves after an inaccurate status;
        accepted_by_recheck: inaccurate results accepted because the re-check passed;
        unknown: calls that raised :class:`SolverUnknownError`.
    """

    solves: int = 0
    resolves: int = 0
    accepted_by_recheck: int = 0
    unknown: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


_OPEN: list[SolveCounts] = []


@contextmanager
def count_solves() -> Iterator[SolveCounts]:
    """Count what :func:`solve` does inside the block (blocks may nest; each counts)."""
    counts = SolveCounts()
    _OPEN.append(counts)
    try:
        yield counts
    finally:
        _OPEN.remove(counts)


def _count(field: str) -> None:
    for c in _OPEN:
        setattr(c, field, getattr(c, field) + 1)


def _clarabel(problem: cp.Problem, settings: dict[str, Any], where: str) -> str:
    try:
        with warnings.catch_warnings():
            for msg in _WARNINGS:
                warnings.filterwarnings("ignore", message=msg, category=UserWarning)
            problem.solve(solver=cp.CLARABEL, **settings)
    except cp.error.SolverError as e:
        _count("unknown")
        raise SolverUnknownError(f"Clarabel failed{_at(where)} ({e}); the point is unknown, "
                                 "not infeasible") from e
    return str(problem.status)


def solve(problem: cp.Problem, recheck: Callable[[], bool] | None = None,
          settings: dict[str, Any] | None = None, where: str = "") -> str:
    """Solve ``problem`` under the policy of the module docstring; return the final status.

    Args:
        problem: the cvxpy problem (parameters already set).
        recheck: called after an inaccurate re-solve; True if the constraints recomputed
            from the variables' values hold (the caller's own tolerance).
        settings: Clarabel settings of the first solve (over :data:`BASE_SETTINGS`).
        where: words naming the solve for the error message (e.g. ``"in the SINR bound"``).

    Raises:
        SolverUnknownError: a solver failure, or a result still inaccurate after the
            re-solve whose re-check failed or was not given.
    """
    _count("solves")
    first = {**BASE_SETTINGS, **(settings or {})}
    status = _clarabel(problem, first, where)
    if status not in INACCURATE:
        return status
    _count("resolves")
    status = _clarabel(problem, {**first, **RESOLVE_SETTINGS}, where)
    if status not in INACCURATE:
        return status
    if recheck is not None and _values_present(problem) and recheck():
        _count("accepted_by_recheck")
        return status
    _count("unknown")
    raise SolverUnknownError(f"Clarabel ended{_at(where)} with status {status!r} after a re-solve "
                             "and its result failed the independent re-check; the point is "
                             "unknown, not infeasible")


def constraints_hold(problem: cp.Problem, tol: float) -> bool:
    """A generic re-check: every constraint of ``problem`` recomputed at the variables'
    values (cvxpy's residual: the excess of an inequality, the most negative eigenvalue of
    a PSD constraint) is at most ``tol`` (absolute, in the constraint's own units)."""
    try:
        res = [float(np.max(np.atleast_1d(c.violation()))) for c in problem.constraints]
    except ValueError:  # a variable without a value
        return False
    return all(np.isfinite(r) and r <= tol for r in res)


def _at(where: str) -> str:
    return f" {where}" if where else ""


def _values_present(problem: cp.Problem) -> bool:
    return all(v.value is not None for v in problem.variables())
