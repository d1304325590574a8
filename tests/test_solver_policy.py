"""linksim.solver_policy: re-solve on an inaccurate status, accept an inaccurate result only
after a passing independent re-check, else unknown; no cvxpy warning reaches the user."""

from __future__ import annotations

import warnings

import cvxpy as cp
import numpy as np
import pytest

from linksim import solver_policy as sp
from linksim.solver_policy import SolverUnknownError, count_solves, solve

A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])


def _sdp() -> tuple[cp.Problem, cp.Variable]:
    """min Tr(A X) s.t. X >= 0, Tr X = 1: by hand, the smallest eigenvalue of A."""
    x = cp.Variable((3, 3), symmetric=True)
    return cp.Problem(cp.Minimize(cp.trace(A @ x)), [x >> 0, cp.trace(x) == 1]), x


@pytest.fixture
def forced(monkeypatch):
    """Statuses to impose on the next cvxpy solves (after the real solve ran), each with
    the warning cvxpy gives for it."""
    queue: list[str] = []
    real = cp.Problem.solve

    def fake(self, *a, **kw):
        out = real(self, *a, **kw)
        if queue:
            self._status = queue.pop(0)
            warnings.warn("Solution may be inaccurate. Try another solver, adjusting the "
                          "solver settings, or solve with verbose=True for more information.",
                          stacklevel=2)
        return out

    monkeypatch.setattr(cp.Problem, "solve", fake)
    return queue


def test_an_iteration_capped_solve_is_resolved_silently_and_right():
    prob, x = _sdp()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning that leaks fails the test
        with count_solves() as c:
            status = solve(prob, settings={"max_iter": 2})  # stops short: user_limit
            assert status == "optimal"
            assert prob.value == pytest.approx(np.linalg.eigvalsh(A)[0], abs=1e-6)
            # the capped setting applies again to the next first solve (nothing persists)
            assert solve(prob, settings={"max_iter": 2}) == "optimal"
            assert solve(prob) == "optimal"
    assert (c.solves, c.resolves, c.accepted_by_recheck, c.unknown) == (3, 2, 0, 0)


def test_inaccurate_twice_is_accepted_only_with_a_passing_recheck(forced):
    prob, x = _sdp()
    calls = []

    def recheck() -> bool:  # the constraints recomputed from the returned X
        calls.append(1)
        ev = np.linalg.eigvalsh(x.value)
        return ev.min() >= -1e-7 and abs(np.trace(x.value) - 1) <= 1e-7

    forced += ["optimal_inaccurate", "optimal_inaccurate"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with count_solves() as c:
            assert solve(prob, recheck) == "optimal_inaccurate"
    assert calls == [1] and (c.resolves, c.accepted_by_recheck, c.unknown) == (1, 1, 0)


@pytest.mark.parametrize("recheck", [None, lambda: False])
def test_inaccurate_twice_without_a_passing_recheck_is_unknown(forced, recheck):
    prob, _ = _sdp()
    forced += ["optimal_inaccurate", "user_limit"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with count_solves() as c, pytest.raises(SolverUnknownError,
                                                match="unknown, not infeasible"):
            solve(prob, recheck, where="in a test SDP")
    assert (c.resolves, c.unknown) == (1, 1)


def test_inaccurate_then_optimal_needs_no_recheck(forced):
    prob, _ = _sdp()
    forced.append("optimal_inaccurate")

    def recheck() -> bool:
        raise AssertionError("the re-solve was optimal: no re-check")

    with count_solves() as outer, count_solves() as inner:
        assert solve(prob, recheck) == "optimal"
    assert outer.resolves == inner.resolves == 1


def test_a_solver_failure_is_unknown_and_infeasible_is_returned(monkeypatch):
    prob, _ = _sdp()
    y = cp.Variable()
    infeasible = cp.Problem(cp.Minimize(y), [y >= 1, y <= 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with count_solves() as c:
            assert solve(infeasible) == "infeasible"
    assert c.resolves == 0

    def fail(self, *a, **kw):
        raise cp.error.SolverError("Solver 'CLARABEL' failed.")

    monkeypatch.setattr(cp.Problem, "solve", fail)
    with pytest.raises(SolverUnknownError, match="Clarabel failed in the bound"):
        solve(prob, where="in the bound")


def test_generic_recheck_recomputes_the_constraints():
    prob, x = _sdp()
    solve(prob)
    assert sp.constraints_hold(prob, 1e-7)
    x.value = np.diag([1.0, 1.0, -0.5])  # Tr X = 1.5 and an eigenvalue -0.5
    assert not sp.constraints_hold(prob, 1e-7)


def test_an_ascc_point_records_its_resolves_and_passes_the_recheck(forced):
    """Every solve of one ASCC point reported inaccurate twice: each is re-solved, and
    accepted because the independent re-check (power, Tr HCRB) passes on the real values."""
    from optim.ascc.grid_point import grid_context, solve_grid_point
    from optim.ascc.inputs import DEFAULT_SCENARIO, load_distortion, load_scenario

    scn, dm = load_scenario(DEFAULT_SCENARIO), load_distortion(None)
    ctx = grid_context(scn, dm, 0.01, None, "fbl", "sdr")
    point = {"scheme": "ascc", "method": "sdr", "pt_dbm": 0.0, "abr": 0.1, "pi": 400.0}
    forced += ["optimal_inaccurate"] * 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with count_solves() as c:
            out = solve_grid_point(point, 0, ctx)
    assert out["outcome"] == "ok" and out["resolves"] == c.resolves > 0
    assert c.accepted_by_recheck == c.resolves  # every forced-inaccurate re-solve
