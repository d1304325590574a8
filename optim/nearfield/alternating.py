"""NF Algorithm 2: alternating optimisation of NF problem (28).

One run is a pure function of (scenario, options, seed): :func:`optimise` returns an
:class:`NFRun` (the design, its metrics and the trace) and :func:`run_nf` the same as plain
data (dicts and lists), for sweeps and figures. Each AO iteration e:

1. sub-problem 1 (:mod:`.beamforming_sca`): W_k, R_x, f_l by SCA (one step per AO iteration
   by default, as NF Algorithm 2 writes it: the Taylor point is the previous epoch's design;
   this converged higher and 3x faster per iteration than three steps at the default
   scenario) + Gaussian randomisation;
2. sub-problem 2 (:mod:`.positions`): positions by the chosen strategy ("bfgs", "taylor",
   "random" or "fixed");
3. sub-problem 3 (:mod:`.extraction`): rho_k by bisection (skipped without semantics);

until |min_k S_{k,e+1} - min_k S_{k,e}| <= varsigma (NF Sec. IV-D) or ``max_iterations``.
Every sub-problem keeps its incumbent when it cannot improve it, so the objective never
decreases; the trace holds min_k S_k after every sub-problem.

The start: positions on the nominal grid; rho_k from sub-problem 3 with the CRB's minimum
sensing power (the most semantic extraction the budget allows); the rest of the power
isotropic with MRT beams inside it (feasible whenever any design is, see
:func:`.feasibility.precheck`). Non-semantic mode (the paper's "without semantic",
conventional ISAC): rho_k = 1, P^Comp = 0, sub-problem 3 skipped.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import torch

from linksim.nearfield import NFScenario
from linksim.solver_policy import count_solves

from .beamforming_sca import BeamformingSDP, channels_np, initial_design, solve_beamforming
from .design import NFDesign
from .extraction import solve_extraction
from .feasibility import min_sensing_power, precheck, verify_design
from .objective import margins_np
from .positions import (
    PositionObjective,
    multi_start,
    projected_bfgs,
    random_positions,
    taylor_benchmark,
)

POSITION_STRATEGIES = ("bfgs", "taylor", "random", "fixed")


@dataclass(frozen=True)
class NFOptions:
    """Options of Algorithm 2 (every one recorded with the design)."""

    positions: str = "bfgs"
    semantic: bool = True
    max_iterations: int = 15
    varsigma: float = 1e-3            # stopping threshold, bits/s/Hz
    sca_iterations: int = 1           # SCA steps of sub-problem 1 per AO iteration (NF
    #                                   Algorithm 2: one convex problem (29)+(34) per epoch)
    randomisation_draws: int = 100    # Gaussian randomisation draws
    position_iterations: int = 30     # BFGS iterations / Taylor epochs per AO iteration
    position_starts: int = 1          # BFGS / Taylor: starts per AO iteration (incumbent +
    #                                   uniform draws, positions.multi_start)
    random_draws: int = 20            # R of the random-position baseline
    softmin_temperature: float = 0.02 # T of the BFGS lower bound g(u), bits/s/Hz
    taylor_curvature: float = 1.0     # Hessian -> curvature_factor x spectral radius
    rho_method: str = "eq19"          # semcodec.text.rho_lower_bound method

    def __post_init__(self) -> None:
        if self.positions not in POSITION_STRATEGIES:
            raise ValueError(f"positions={self.positions!r} is invalid: must be one of "
                             f"{POSITION_STRATEGIES}")
        for name in ("varsigma", "softmin_temperature", "taylor_curvature"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"{name}={v!r} is invalid: must be > 0")
        for name in ("max_iterations", "sca_iterations", "randomisation_draws",
                     "position_iterations", "position_starts", "random_draws"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"{name}={v!r} is invalid: must be a positive integer")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class NFRun:
    """Result of one run: the design, its metrics (plain data) and the AO trace rows."""

    design: NFDesign
    metrics: dict[str, Any]
    trace: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"design": self.design.to_json(), "metrics": self.metrics,
                "trace": self.trace, "diagnostics": self.diagnostics}


def user_rho_lb(scn: NFScenario, method: str = "eq19") -> np.ndarray:
    """rho_LB,k of NF eq. (19) per user from its knowledge base (a Brown genre)."""
    from semcodec.text import rho_lower_bound

    return np.array([rho_lower_bound(g, scn.bleu_floor, method=method)
                     for g in scn.user_genres])


def design_metrics(scn: NFScenario, pos: np.ndarray, W: np.ndarray, Rx: np.ndarray,
                   f: np.ndarray, rho: np.ndarray) -> dict[str, Any]:
    """S_k, R_k, E_k, leaked rates, CRB, power terms and latency of a design (plain data),
    from the scenario's own formulas (``NFScenario.link_metrics``, ``power_report``)."""
    with torch.no_grad():
        R = Rx - W @ W.conj().T
        m = scn.link_metrics(torch.as_tensor(pos), W, R, rho)
    rep = scn.power_report(Rx, rho, f)
    out = {k: v.tolist() for k, v in m.items()}
    out["min_secrecy"] = float(min(out["secrecy"]))
    out["min_efficiency"] = float(min(out["efficiency"]))
    out["crb_normalised"] = rep["crb"]
    out["crb_raw"] = scn.crb(Rx)
    out.update({k: rep[k] for k in ("P_cs_w", "P_comp_w", "P_process_w", "P_total_w",
                                    "P_t_w", "latency_s", "f_hz", "cpu_power_model")})
    out["rho"] = np.asarray(rho).tolist()
    return out


def extraction_start(scn: NFScenario, semantic: bool, rho_method: str,
                     rho_lb: np.ndarray | None = None
                     ) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Where both NF methods start the extraction ratios and CPU frequencies.

    Returns ``(rho_lb (K,), f (L,) Hz, P_process W, rho (K,))``: the per-user lower bounds
    (NF eq. (19); ones without semantics), f at the latency limit (NF eq. (26)), its
    processing power, and rho from sub-problem 3 with the CRB's minimum sensing power
    reserved. Raises :class:`.feasibility.InfeasibleError` when (28) has no feasible point.
    """
    K = scn.K
    if semantic:
        lb = user_rho_lb(scn, rho_method) if rho_lb is None else np.asarray(rho_lb, float)
        if lb.shape != (K,):
            raise ValueError(f"rho_lb shape={lb.shape} is invalid: need ({K},)")
    else:
        lb = np.ones(K)
    f_min = np.full(scn.L, scn.min_cpu_frequency())
    p_proc = float(scn.processing_power(torch.as_tensor(f_min)).sum())
    precheck(scn, np.ones(K))  # with no computing power at all
    if semantic:
        rho = solve_extraction(lb, scn.nu, scn.power_budget_w - p_proc
                               - min_sensing_power(scn)).rho
    else:
        rho = lb.copy()
    precheck(scn, rho)
    return lb, f_min, p_proc, rho


def optimise(scn: NFScenario, options: NFOptions | None = None, seed: int = 0,
             rho_lb: np.ndarray | None = None,
             progress: Callable[[dict[str, Any]], None] | None = None) -> NFRun:
    """Run Algorithm 2 on ``scn`` (:func:`_optimise`); its diagnostics record the convex
    solves (``resolves``: re-solves after an inaccurate status, and ``solver_counts``,
    :class:`linksim.solver_policy.SolveCounts`)."""
    with count_solves() as counts:
        run = _optimise(scn, options, seed, rho_lb, progress)
    run.diagnostics["resolves"] = counts.resolves
    run.diagnostics["solver_counts"] = counts.to_dict()
    return run


def _optimise(scn: NFScenario, options: NFOptions | None = None, seed: int = 0,
              rho_lb: np.ndarray | None = None,
              progress: Callable[[dict[str, Any]], None] | None = None) -> NFRun:
    """Run Algorithm 2 on ``scn``; deterministic given (scn, options, seed).

    rho_lb: per-user lower bounds (default: :func:`user_rho_lb`). progress: called with each
    trace row. Raises :class:`.feasibility.InfeasibleError` (a ValueError, one line) when
    (28) has no feasible point.
    """
    opt = options or NFOptions()
    rng = np.random.default_rng(seed)
    strategy = opt.positions if scn.movable else "fixed"
    lb, f_min, p_proc, rho = extraction_start(scn, opt.semantic, opt.rho_method, rho_lb)
    pos = scn.tx_nominal().numpy()
    W, Rx = initial_design(scn, pos, rho)
    f = f_min
    sdp = BeamformingSDP(scn)

    def objective() -> float:
        H, Ht = channels_np(scn, pos)
        return float(margins_np(H, Ht, W, Rx, scn.noise_comm_w, rho, scn.iota).min())

    trace: list[dict[str, Any]] = []
    diag: dict[str, Any] = {"sca_status": [], "max_rank": [], "principal_share": [],
                            "randomisation_loss": [], "kept": [], "position_iterations": [],
                            "extraction_end": []}

    def record(e: int, stage: str, seconds: float) -> float:
        m = objective()
        row = {"iteration": e, "stage": stage, "min_margin": m, "min_secrecy": max(m, 0.0),
               "seconds": seconds}
        trace.append(row)
        if progress is not None:
            progress(row)
        return m

    prev = record(0, "start", 0.0)
    for e in range(1, opt.max_iterations + 1):
        t0 = time.perf_counter()
        bf = solve_beamforming(scn, sdp, pos, rho, W, Rx, rng, opt.sca_iterations,
                               draws=opt.randomisation_draws)
        W, Rx, f = bf.W, bf.Rx, bf.f
        diag["sca_status"].append(bf.status)
        diag["max_rank"].append(bf.max_rank)
        diag["randomisation_loss"].append(bf.randomisation_loss)
        diag["principal_share"].append(bf.principal_share)
        diag["kept"].append(bf.kept)
        record(e, "beamforming", time.perf_counter() - t0)

        t0 = time.perf_counter()
        if strategy != "fixed":
            obj = PositionObjective(scn, W, Rx, rho, opt.softmin_temperature)
            x0 = obj.to_x(pos)
            if strategy in ("bfgs", "taylor"):
                # the starts' own generator: the beamforming draws stay those of one start
                starts_rng = np.random.default_rng(np.random.SeedSequence([seed, 1, e]))
                res = multi_start(partial(projected_bfgs, max_iter=opt.position_iterations)
                                  if strategy == "bfgs" else
                                  partial(taylor_benchmark, max_iter=opt.position_iterations,
                                          curvature_factor=opt.taylor_curvature),
                                  obj, x0, opt.position_starts, starts_rng)
            else:
                res = random_positions(obj, x0, opt.random_draws, rng)
            if res.value >= obj.true_value(x0):  # keep the incumbent otherwise
                pos = res.pos
            diag["position_iterations"].append(len(res.trace) - 1)
        record(e, "positions", time.perf_counter() - t0)

        t0 = time.perf_counter()
        if opt.semantic:
            budget = scn.power_budget_w - float(np.trace(Rx).real) - float(
                scn.processing_power(torch.as_tensor(f)).sum())
            ext = solve_extraction(lb, scn.nu, max(budget, 0.0))
            if np.all(ext.rho <= rho + 1e-15):  # lower ratios only raise every R_k
                rho = ext.rho
            diag["extraction_end"].append(ext.ended_on)
        cur = record(e, "extraction", time.perf_counter() - t0)
        if abs(cur - prev) <= opt.varsigma:
            break
        prev = cur

    check = verify_design(scn, pos, W, Rx, f, rho, lb)
    metrics = design_metrics(scn, pos, W, Rx, f, rho)
    design = NFDesign(positions=np.asarray(pos), W=W, Rx=Rx, f_hz=np.asarray(f), rho=rho,
                      rho_lb=lb, min_secrecy=metrics["min_secrecy"], strategy=strategy,
                      semantic=opt.semantic, seed=seed, scenario=scn.to_dict(),
                      options=opt.to_dict(), constraints=check)
    diag["iterations"] = trace[-1]["iteration"]
    return NFRun(design, metrics, trace, diag)


def run_nf(scenario: NFScenario | dict[str, Any], options: NFOptions | dict[str, Any] | None,
           seed: int) -> dict[str, Any]:
    """Plain-data front end of :func:`optimise` (for sweeps): dicts in, dicts out."""
    scn = scenario if isinstance(scenario, NFScenario) else NFScenario(**scenario)
    opt = options if isinstance(options, NFOptions) or options is None else NFOptions(**options)
    return optimise(scn, opt, seed).to_dict()


def demo_run(seed: int = 0) -> dict[str, Any]:
    """One NF optimisation at the default scenario for ``issc demo`` (projected BFGS,
    semantic, 4 AO iterations; well under 2 minutes on 2 cores). Plain data."""
    return run_nf(NFScenario(), NFOptions(max_iterations=4), seed)
