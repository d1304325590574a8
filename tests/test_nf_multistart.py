"""Multi-start position search (optim.nearfield.positions.multi_start): one start is the
single search itself; more starts never end lower, stay in the regions, are seeded."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
from test_nf_optim import LB, _position_objective, small

from optim.nearfield import NFOptions, optimise
from optim.nearfield.positions import multi_start, projected_bfgs, taylor_benchmark


@pytest.fixture(scope="module")
def objective():
    scn = small()
    obj, pos = _position_objective(scn)
    return scn, obj, obj.to_x(pos)


@pytest.mark.parametrize("search", [partial(projected_bfgs, max_iter=15),
                                    partial(taylor_benchmark, max_iter=4)],
                         ids=["bfgs", "taylor"])
def test_more_starts_never_end_lower_and_one_start_is_the_search(objective, search):
    scn, obj, x0 = objective
    single = search(obj, x0)
    one = multi_start(search, obj, x0, 1, np.random.default_rng(5))
    assert np.array_equal(one.x, single.x) and one.value == single.value and not one.starts
    many = multi_start(search, obj, x0, 4, np.random.default_rng(5))
    scn.check_positions(torch.as_tensor(many.pos))
    vals = many.starts["start_values"]
    assert len(vals) == 4 and vals[0] == single.value  # the incumbent's start comes first
    assert many.value == max(vals) >= single.value
    # each start's end value, recomputed independently at the returned point
    assert obj.true_value(many.x) == many.value
    again = multi_start(search, obj, x0, 4, np.random.default_rng(5))
    assert np.array_equal(again.x, many.x)  # a function of the generator's seed


def test_bad_start_counts_are_refused(objective):
    _, obj, x0 = objective
    for bad in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match=f"starts={bad!r} is invalid"):
            multi_start(projected_bfgs, obj, x0, bad, np.random.default_rng(0))
    with pytest.raises(ValueError, match="position_starts=0 is invalid"):
        NFOptions(position_starts=0)


def test_algorithm2_with_starts_is_feasible_and_one_start_is_unchanged():
    scn = small()
    base = dict(positions="bfgs", max_iterations=2, sca_iterations=2, randomisation_draws=30,
                position_iterations=10)
    ref = optimise(scn, NFOptions(**base), seed=1, rho_lb=LB)
    same = optimise(scn, NFOptions(**base, position_starts=1), seed=1, rho_lb=LB)
    assert same.metrics == ref.metrics
    multi = optimise(scn, NFOptions(**base, position_starts=3), seed=1, rho_lb=LB)
    assert multi.design.constraints["feasible"], multi.design.constraints["violations"]
    vals = [r["min_margin"] for r in multi.trace]
    assert all(b >= a - 1e-9 for a, b in zip(vals, vals[1:]))
