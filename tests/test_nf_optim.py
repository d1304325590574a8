"""NF Algorithm 2 and its sub-problems (issue 17, "Must show"), on small scenarios."""

import math

import numpy as np
import pytest
import torch

from linksim.nearfield import NFScenario
from optim.nearfield import (
    InfeasibleError,
    NFOptions,
    load_design,
    optimise,
    save_design,
    verify_design,
)
from optim.nearfield.beamforming_sca import (
    BeamformingSDP,
    channels_np,
    initial_design,
    randomise,
    solve_beamforming,
)
from optim.nearfield.extraction import solve_extraction, water_level_closed_form
from optim.nearfield.objective import margins_np, margins_torch
from optim.nearfield.positions import (
    PositionObjective,
    check_armijo,
    projected_bfgs,
    random_positions,
    taylor_benchmark,
    taylor_surrogate,
)

# K = 2 users, L = 1 target, 2x2 fluid antennas (even: every element moves), 3x3 receive
SMALL = dict(n_tx=2, n_tz=2, n_rx=3, n_rz=3, users_theta_deg=[70.0, 110.0],
             users_phi_deg=[85.0, 95.0], users_d_m=[3.0, 4.0], targets_theta_deg=[95.0],
             targets_phi_deg=[90.0], targets_d_m=[3.5], scatterers_per_target=3)
LB = np.array([0.55, 0.6])


def small(**kw) -> NFScenario:
    return NFScenario(**{**SMALL, **kw})


def sp1(scn, rho=LB, seed=0, iters=4):
    pos = scn.tx_nominal().numpy()
    W0, Rx0 = initial_design(scn, pos, rho)
    res = solve_beamforming(scn, BeamformingSDP(scn), pos, rho, W0, Rx0,
                            np.random.default_rng(seed), sca_iters=iters, draws=50)
    return pos, W0, Rx0, res


def test_objective_numpy_equals_the_scenario_secrecy_rates():
    scn = small()
    W, R = (t.numpy() for t in scn.baseline_beamformers())
    Rx = W @ W.conj().T + R
    H, Ht = channels_np(scn, scn.tx_nominal().numpy())
    m = margins_np(H, Ht, W, Rx, scn.noise_comm_w, LB, scn.iota)
    ref = scn.link_metrics(None, W, R, LB)["secrecy_margin"].detach().numpy()
    assert np.allclose(m.min(axis=1), ref, rtol=1e-10)
    mt = margins_torch(torch.from_numpy(H), torch.from_numpy(Ht), torch.from_numpy(W),
                       torch.from_numpy(Rx), scn.noise_comm_w, torch.from_numpy(LB))
    assert np.allclose(mt.numpy(), m, rtol=1e-12)


def test_sp1_design_meets_every_constraint_and_the_sca_never_decreases():
    scn = small()
    pos, W0, Rx0, res = sp1(scn)
    check = verify_design(scn, pos, res.W, res.Rx, res.f, LB, LB)
    assert check["feasible"], check["violations"]
    assert all(b >= a - 1e-7 for a, b in zip(res.sca_trace, res.sca_trace[1:]))
    assert res.objective >= res.sca_trace[0] - 1e-12  # never worse than the incumbent
    assert res.randomisation_loss >= -1e-7            # rank one never beats the relaxation
    # bound: no user can beat its single-user, interference-free rate at the whole budget
    H, _ = channels_np(scn, pos)
    snr = scn.power_budget_w * (np.abs(H) ** 2).sum(axis=1) / scn.noise_comm_w
    assert res.objective <= (scn.iota / LB * np.log2(1 + snr)).min()
    # the budget-normalised CRB limit binds (xi = 2 by default)
    assert check["constraints"]["crb_28b"]["slack"] < 1e-3 * scn.crb_limit


def test_randomisation_never_returns_an_infeasible_vector():
    scn = small()
    pos, W0, Rx0, res = sp1(scn, iters=1)
    H, Ht = channels_np(scn, pos)
    rng = np.random.default_rng(1)
    N = scn.n_t
    for trial in range(20):  # arbitrary high-rank relaxations inside R_x
        A = rng.standard_normal((scn.K, N, N)) + 1j * rng.standard_normal((scn.K, N, N))
        Wl = A @ np.swapaxes(A.conj(), 1, 2)
        Wl *= 0.3 * np.trace(res.Rx).real / np.trace(Wl.sum(0)).real
        W, _, _ = randomise(H, Ht, Wl, res.Rx, scn.noise_comm_w, LB, 1.0, 30, rng)
        R = res.Rx - W @ W.conj().T
        assert np.linalg.eigvalsh((R + R.conj().T) / 2).min() >= -1e-12 * np.trace(res.Rx).real
        check = verify_design(scn, pos, W, res.Rx, res.f, LB, LB)
        assert check["feasible"], (trial, check["violations"])


def test_bisection_ends_on_the_power_budget_or_a_box_bound():
    lb = np.array([0.5, 0.6, 0.7])
    nu = 0.01
    roomy = solve_extraction(lb, nu, 1.0)
    assert roomy.ended_on == "box" and np.array_equal(roomy.rho, lb)
    budget = 0.5 * -nu * np.log(lb).sum()
    tight = solve_extraction(lb, nu, budget)
    assert tight.ended_on == "power"
    assert tight.power_w == pytest.approx(budget, rel=1e-8)
    assert tight.water_level == pytest.approx(water_level_closed_form(lb, nu, budget), rel=1e-8)
    assert np.all((tight.rho >= lb) & (tight.rho <= 1))
    # brute force over a grid of feasible ratios: nothing has a smaller sum
    g = np.linspace(0.5, 1.0, 51)
    grid = np.stack(np.meshgrid(g, g[g >= 0.6], g[g >= 0.7], indexing="ij"), -1).reshape(-1, 3)
    ok = -nu * np.log(grid).sum(axis=1) <= budget
    assert tight.rho.sum() <= grid[ok].sum(axis=1).min() + 1e-9
    zero = solve_extraction(lb, nu, 0.0)
    assert zero.ended_on == "power" and np.allclose(zero.rho, 1.0)
    with pytest.raises(InfeasibleError, match="power"):
        solve_extraction(lb, nu, -0.1)


def _position_objective(scn):
    pos, W0, Rx0, res = sp1(scn, iters=2)
    return PositionObjective(scn, res.W, res.Rx, LB), pos


def test_projected_bfgs_stays_in_the_regions_and_satisfies_armijo():
    scn = small()
    obj, pos = _position_objective(scn)
    x0 = obj.to_x(pos)
    res = projected_bfgs(obj, x0, max_iter=25)
    scn.check_positions(torch.as_tensor(res.pos))
    assert len(res.steps) > 0
    for st in res.steps:
        assert check_armijo(st)
    # independently: the recorded g values are the soft-min at the iterates
    assert all(b >= a for a, b in zip(res.smooth_trace, res.smooth_trace[1:]))
    assert res.value >= obj.true_value(x0)
    # stationarity: the projected gradient vanishes at the end (or the run hit its limit)
    g, grad = obj.value_and_grad(res.x)
    at_lo, at_hi = res.x <= obj.lo + 1e-12, res.x >= obj.hi - 1e-12
    free = ~(at_lo | at_hi)
    pg = np.where(free, grad, np.where(at_lo, np.maximum(grad, 0), np.minimum(grad, 0)))
    assert np.abs(pg).max() < 1e-2 * max(np.abs(obj.value_and_grad(x0)[1]).max(), 1e-12) \
        or len(res.steps) == 25


def test_taylor_surrogate_is_a_lower_bound_near_the_expansion_point():
    scn = small()
    obj, pos = _position_objective(scn)
    x_e = obj.to_x(pos)
    m_e, grad, q = taylor_surrogate(obj, x_e)
    with torch.no_grad():
        assert np.allclose(obj.margins(x_e).numpy(), m_e, rtol=1e-10)
    rng = np.random.default_rng(0)
    # the log terms curve hard (q ~ 1e3-1e4 per wavelength^2 here: the optimised beams sit
    # near interference nulls), so "near" means within ~0.01 wavelength (60 um at 50 GHz)
    for r in (1e-3, 3e-3, 1e-2):  # wavelengths
        for _ in range(20):
            D = rng.standard_normal(x_e.size)
            D *= r / np.linalg.norm(D)
            with torch.no_grad():
                true = obj.margins(x_e + D).numpy()
            sur = m_e + grad @ D - 0.5 * q * (D @ D)
            assert (true >= sur - 1e-9).all()
    res = taylor_benchmark(obj, x_e, max_iter=5)
    scn.check_positions(torch.as_tensor(res.pos))
    assert all(b > a for a, b in zip(res.trace, res.trace[1:]))


def test_random_positions_stay_inside_and_never_lose_the_incumbent():
    scn = small()
    obj, pos = _position_objective(scn)
    x0 = obj.to_x(pos)
    res = random_positions(obj, x0, 10, np.random.default_rng(0))
    scn.check_positions(torch.as_tensor(res.pos))
    assert res.value >= obj.true_value(x0)


@pytest.mark.parametrize("kw", [dict(), dict(crb_limit=1.3, users_d_m=[2.5, 5.0])])
@pytest.mark.parametrize("strategy", ["bfgs", "taylor", "random", "fixed"])
def test_algorithm2_trace_never_decreases_and_designs_are_feasible(kw, strategy):
    scn = small(**kw)
    run = optimise(scn, NFOptions(positions=strategy, max_iterations=3, sca_iterations=2,
                                  randomisation_draws=30, position_iterations=10),
                   seed=0, rho_lb=LB)
    vals = [r["min_margin"] for r in run.trace]
    assert all(b >= a - 1e-9 for a, b in zip(vals, vals[1:]))
    d = run.design
    check = verify_design(scn, d.positions, d.W, d.Rx, d.f_hz, d.rho, d.rho_lb)
    assert check["feasible"], check["violations"]
    assert run.metrics["min_secrecy"] == pytest.approx(max(vals[-1], 0.0), rel=1e-9)


def test_semantic_beats_non_semantic_and_runs_are_deterministic(tmp_path):
    scn = small()
    opts = dict(max_iterations=2, sca_iterations=2, randomisation_draws=30,
                position_iterations=10)
    sem = optimise(scn, NFOptions(**opts), seed=3, rho_lb=LB)
    plain = optimise(scn, NFOptions(semantic=False, **opts), seed=3)
    assert np.all(plain.design.rho == 1.0) and plain.metrics["P_comp_w"] == 0.0
    assert sem.metrics["min_secrecy"] > plain.metrics["min_secrecy"]
    again = optimise(scn, NFOptions(**opts), seed=3, rho_lb=LB)
    assert np.array_equal(again.design.W, sem.design.W)
    save_design(sem.design, tmp_path / "d.json")
    back = load_design(tmp_path / "d.json")
    for name in ("positions", "W", "Rx", "f_hz", "rho", "rho_lb"):
        assert np.array_equal(getattr(back, name), getattr(sem.design, name))
    assert back.min_secrecy == sem.design.min_secrecy


def test_infeasible_limits_name_the_constraint_and_the_smallest_value():
    with pytest.raises(InfeasibleError, match=r"latency/cpu: .*smallest achievable T_max"):
        optimise(small(t_max_s=0.01), NFOptions(), rho_lb=LB)
    # xi close to 1 with a big processing load: the CRB needs more than the budget left
    with pytest.raises(InfeasibleError, match=r"sensing/power: .*smallest achievable xi is"):
        optimise(small(crb_limit=1.01, data_bits=2.0e6, t_max_s=0.2, f_max_hz=1e10),
                 NFOptions(), rho_lb=LB)
    with pytest.raises(InfeasibleError, match=r"power: .*leave nothing"):
        optimise(small(kappa=1e-26), NFOptions(), rho_lb=LB)


@pytest.mark.parametrize("kw, match", [
    (dict(varsigma=0.0), "varsigma=0.0 is invalid"),
    (dict(max_iterations=0), "max_iterations=0 is invalid"),
    (dict(positions="grid"), "positions='grid' is invalid"),
    (dict(sca_iterations=-1), "sca_iterations=-1 is invalid"),
])
def test_bad_options_are_refused_in_one_line(kw, match):
    with pytest.raises(ValueError, match=match) as info:
        NFOptions(**kw)
    assert "\n" not in str(info.value)


@pytest.mark.slow
def test_default_scenario_trace_never_decreases_and_bfgs_beats_fixed():
    scn = NFScenario()
    opts = dict(max_iterations=3)
    bfgs = optimise(scn, NFOptions(**opts), seed=0)
    fixed = optimise(scn, NFOptions(positions="fixed", **opts), seed=0)
    for run in (bfgs, fixed):
        vals = [r["min_margin"] for r in run.trace]
        assert all(b >= a - 1e-9 for a, b in zip(vals, vals[1:]))
        assert run.design.constraints["feasible"]
    assert bfgs.metrics["min_secrecy"] >= fixed.metrics["min_secrecy"]
    assert math.isfinite(bfgs.metrics["crb_raw"])


def test_run_nf_is_plain_data_and_a_function_of_scenario_options_seed():
    import dataclasses
    import json

    from optim.nearfield import run_nf

    scn = small(users_genre=("news", "humor"))
    opts = dict(max_iterations=2, sca_iterations=1, randomisation_draws=20,
                position_iterations=5)
    a = run_nf(dataclasses.asdict(scn), opts, 7)
    b = run_nf(scn, NFOptions(**opts), 7)
    assert json.loads(json.dumps(a)) == a            # plain data, JSON-ready
    assert a["design"]["W"] == b["design"]["W"]
    assert [r["min_margin"] for r in a["trace"]] == [r["min_margin"] for r in b["trace"]]
    assert a["design"]["constraints"]["feasible"]


@pytest.mark.slow
def test_demo_run_is_feasible_plain_data():
    from optim.nearfield import demo_run

    out = demo_run(0)
    assert out["design"]["constraints"]["feasible"] and out["metrics"]["min_secrecy"] > 0
