"""Solve ASCC problem P4.1 at one operating point: ASCC (paper or SDR beams) and the benchmark.

Structure of the paper's alternating optimisation (ASCC Sec. IV-B) and what it means here:

* The beamforming subproblem P4.5 maximises the SINR under the HCRB and power limits; it
  depends on neither ``R_s`` nor ``R_c`` (ASCC eq. (32), eq. (33)). So one beamforming solve
  serves all G models, and a second AO round would re-solve the same problem: the
  alternation converges after one round (recorded as ``iterations = 1``).
* The coding-rate subproblem P4.4 (SCA, :mod:`.sca_rate`) is then solved per model at that
  SINR, and ``R_s`` is the model with the smallest D_o (ASCC after eq. (21)).
* Second stage (our reading of the paper's Fig. 4 discussion, "maintain reasonable semantic
  performance under the low SINR region, enabling more power for sensing"): with the
  chosen ``(R_s, R_c)`` fixed, minimise Tr HCRB subject to ``D_o <= (1 + delta) D_o*`` and the
  power budget. ``delta = 0`` turns it off.
"""

from __future__ import annotations

import math
import time
from typing import Any

import cvxpy as cp
import numpy as np

from linksim.farfield import ISSCScenario, covariance, fbl
from linksim.farfield.cvx import comm_gain_matrix, fim_cvxpy, hcrb_constraints_cvxpy
from linksim.solver_policy import ACCEPTED, solve

from .beamforming import PI_MARGIN, fp_sca_beamforming, split_covariance
from .benchmark import benchmark_beams, default_model
from .bound import (
    RECHECK_TOL,
    SOLVER,
    SINRBound,
    covariance_meets,
    min_hcrb,
    project_psd,
    sinr_bound,
)
from .design import ConstraintValue, LinkDesign
from .errors import InfeasibleError, SolverUnknownError
from .problem import ASCCProblem
from .sca_rate import optimise_rate, optimise_rate_table

METHODS = ("paper", "sdr")


def _design(prob: ASCCProblem, scheme: str, method: str, model: int, rc: float,
            w_c: np.ndarray, w_0: np.ndarray, t0: float, **kw: Any) -> LinkDesign:
    """Assemble a :class:`LinkDesign` with predictions and constraint values recomputed
    from the scenario (not from the solver's numbers)."""
    scn = prob.scenario
    dm = prob.distortion
    sinr = float(scn.sinr(w_c, w_0))
    pred = prob.predict(model, sinr, rc)
    h = scn.hcrb(covariance(w_c, w_0))
    power = float(np.sum(np.abs(w_c) ** 2 + np.abs(w_0) ** 2))
    cons = {
        "power_w": ConstraintValue(power, prob.power_w, "<="),
        "hcrb_m2": ConstraintValue(float(h.trace), prob.pi_m2, "<="),
        "channel_uses_per_dim": ConstraintValue(float(prob.rs_bpd[model] / rc), prob.abr, "<="),
        "rc_minus_capacity": ConstraintValue(rc - float(fbl.capacity(sinr)), 0.0, "<="),
    }
    if prob.uses_table:  # R_c inside the measured table of the BER model
        r_lo, r_hi = prob.ber_model.rc_range
        cons["rc_table_min"] = ConstraintValue(float(rc), float(r_lo), ">=")
        cons["rc_table_max"] = ConstraintValue(float(rc), float(r_hi), "<=")
    return LinkDesign(
        scheme=scheme, method=method, pt_dbm=float(prob.pt_dbm), abr=float(prob.abr),
        pi_m2=float(prob.pi_m2), model=int(model), model_name=dm.names[model],
        rs_bits=float(dm.rs_bits[model]), rs_bpd=float(prob.rs_bpd[model]), rc=float(rc),
        blocklength=int(scn.blocklength), w_c=w_c, w_0=w_0, sinr=sinr,
        ber_pred=pred["ber"], mse_pred=pred["mse"], msssim_pred=pred["msssim"],
        hcrb=float(h.trace), hcrb_no_ts=float(h.crb_trace), constraints=cons,
        solver=SOLVER, solve_s=time.perf_counter() - t0, ber_model=prob.ber_model_name,
        scenario=scn.to_dict(), **kw)


def best_rates(prob: ASCCProblem, sinr: float, tol: float = 1e-7,
               max_iter: int = 50) -> dict[int, Any]:
    """SCA coding rate (P4.4) for every model that fits the ABR at ``sinr``.

    Returns ``{model: RateResult}``. Raises :class:`InfeasibleError` when no model fits.
    """
    ok = prob.check_rate_feasible(sinr)
    if prob.uses_table:  # R_c bounded to the table's rows (linksim.ber_model)
        return {int(g): optimise_rate_table(sinr, *prob.rc_bounds(int(g), sinr),
                                            prob.rate_params(int(g)), prob.ber_model,
                                            tol, max_iter) for g in ok}
    return {int(g): optimise_rate(sinr, float(prob.rc_min[g]), prob.rate_params(int(g)),
                                  prob.scenario.blocklength, tol, max_iter) for g in ok}


def select_model(prob: ASCCProblem, sinr: float, rates: dict[int, Any]) -> int:
    """R_s selection: the model with the smallest predicted D_o (ASCC eq. (4) + ASCC eq. (7);
    D_o is the fitted MSE or 1 - MS-SSIM, ``prob.objective``)."""
    return min(rates, key=lambda g: (prob.d_o(g, sinr, rates[g].rc), g))


def optimise_ascc(prob: ASCCProblem, method: str = "paper", delta: float = 0.01,
                  bound: SINRBound | None = None, rng: np.random.Generator | None = None,
                  beam_tol: float = 1e-5, beam_max_iter: int = 60, rate_tol: float = 1e-7,
                  rate_max_iter: int = 50) -> LinkDesign:
    """ASCC design at one ``(P_T, ABR, Pi)``: beams, R_c per model, best R_s, second stage.

    Args:
        prob: the operating point.
        method: ``"paper"`` (FP + Schur-LMI iterations, :mod:`.beamforming`) or ``"sdr"``
            (the bound's own rank-one solution, :mod:`.bound`).
        delta: second-stage distortion slack (>= 0; 0 = off).
        bound: a precomputed :func:`sinr_bound` at the same point (computed if None).
        rng: generator for the SDR's Gaussian randomisation (only if not rank one).

    Raises:
        InfeasibleError: Pi below the reachable HCRB, or no model fits the ABR.
        ValueError: unknown method, negative delta.
    """
    if method not in METHODS:
        raise ValueError(f"method={method!r} is invalid: must be one of {METHODS}")
    if not (math.isfinite(delta) and delta >= 0):
        raise ValueError(f"delta={delta!r} is invalid: must be finite and >= 0")
    t0 = time.perf_counter()
    scn, P = prob.scenario, prob.power_w
    calls = 0
    if bound is None:
        bound = sinr_bound(scn, P, prob.pi_m2, rng, pt_dbm=prob.pt_dbm)
        calls += bound.solver_calls
    elif method == "sdr":
        calls += bound.solver_calls
    if method == "sdr":
        w_c, w_0 = bound.w_c, bound.w_0
        beam_trace = [10 * math.log10(bound.achieved_sinr)]
        beam_info: dict[str, Any] = {"rank_one": bound.rank_one}
    else:
        start = bound.min_hcrb  # solved once per point, by the bound
        if start is None:
            start = min_hcrb(scn, P)
            calls += 1
        wc0, w00 = split_covariance(scn, start.sigma)
        br = fp_sca_beamforming(scn, P, prob.pi_m2, wc0, w00, beam_tol, beam_max_iter)
        calls += br.solver_calls
        w_c, w_0 = br.w_c, br.w_0
        beam_trace = [10 * math.log10(max(s, 1e-300)) for s in br.trace]
        beam_info = {"beam_iterations": br.iterations, "beam_converged": br.converged}
    sinr = float(scn.sinr(w_c, w_0))
    prob.check_rate_feasible(bound.sinr)  # the error states the bound's SINR (the largest)
    rates = best_rates(prob, sinr, rate_tol, rate_max_iter)
    calls += sum(r.solver_calls for r in rates.values())
    g = select_model(prob, sinr, rates)
    rc = rates[g].rc
    per_model = {prob.distortion.names[k]: {"rc": r.rc, "mse": prob.predict(k, sinr, r.rc)["mse"],
                                            "sca_iterations": r.iterations,
                                            **({} if prob.objective == "mse" else
                                               {"d_o": prob.d_o(k, sinr, r.rc)})}
                 for k, r in rates.items()}
    pred1 = prob.predict(g, sinr, rc)
    stage1 = {"sinr_db": 10 * math.log10(sinr), "hcrb_m2": float(scn.hcrb(covariance(
        w_c, w_0)).trace), "mse": pred1["mse"], "msssim": pred1["msssim"],
        "gap_to_bound_db": bound.sinr_db - 10 * math.log10(sinr)}
    # what the bound's SINR would give (best model and R_c there): the gap in MS-SSIM
    try:
        rb = best_rates(prob, bound.sinr, rate_tol, rate_max_iter)
        calls += sum(r.solver_calls for r in rb.values())
        gb = select_model(prob, bound.sinr, rb)
        at_bound = prob.predict(gb, bound.sinr, rb[gb].rc)
        stage1["msssim_at_bound"] = at_bound["msssim"]
        stage1["mse_at_bound"] = at_bound["mse"]
    except InfeasibleError:
        pass
    if delta > 0:
        out = second_stage(prob, g, rc, sinr, delta)
        calls += 1  # its one SDP, whether or not it improved on the first stage
        if out is not None:
            w_c, w_0 = out[0], out[1]
    return _design(prob, "ascc", method, g, rc, w_c, w_0, t0, sinr_bound_db=bound.sinr_db,
                   iterations=1, trace=beam_trace,
                   extra={"solver_calls": calls, "trace_units": "CRE SINR (dB) per beamforming "
                          "iteration",
                          # "objective" only off the paper's MSE: older designs stay as they were
                          **({} if prob.objective == "mse" else {"objective": prob.objective}),
                          ("rate_trace_log10_mse" if prob.objective == "mse"
                           else "rate_trace_ms_ssim_drop"): rates[g].trace,
                          "per_model": per_model, "stage1": stage1, "delta": delta,
                          "bound_solve_s": bound.solve_s, **beam_info})


def required_sinr(prob: ASCCProblem, model: int, rc: float, target_mse: float,
                  hi: float) -> float:
    """Smallest gamma in ``[2^R_c - 1, hi]`` with predicted D_o <= target (bisection in dB;
    D_o and the target in the units of ``prob.objective``)."""
    lo_db = 10 * math.log10(max(2.0 ** rc - 1.0, 1e-12))
    hi_db = 10 * math.log10(hi)
    if prob.d_o(model, 10 ** (lo_db / 10), rc) <= target_mse:
        return 10 ** (lo_db / 10)
    for _ in range(60):
        mid = 0.5 * (lo_db + hi_db)
        if prob.d_o(model, 10 ** (mid / 10), rc) <= target_mse:
            hi_db = mid
        else:
            lo_db = mid
    return 10 ** (hi_db / 10)


def second_stage(prob: ASCCProblem, model: int, rc: float, sinr: float,
                 delta: float) -> tuple[np.ndarray, np.ndarray] | None:
    """min Tr HCRB s.t. D_o <= (1 + delta) D_o*, Tr Sigma <= P (one SDP; rank-2 split);
    D_o in the units of ``prob.objective``.

    Returns beams, or None when the stage gives no certified improvement (then the
    first-stage beams are kept).
    """
    scn, P = prob.scenario, prob.power_w
    target = (1.0 + delta) * prob.d_o(model, sinr, rc)
    g_req = required_sinr(prob, model, rc, target, sinr) * (1 + 1e-6)
    ref = float(scn.hcrb(np.eye(scn.n_t) * (P / scn.n_t) + 0j).trace)
    S = cp.Variable((scn.n_t, scn.n_t), hermitian=True)
    fim = fim_cvxpy(scn, S, P, math.sqrt(ref))
    hc = hcrb_constraints_cvxpy(fim, prob.pi_m2 * (1 - PI_MARGIN))
    gain = comm_gain_matrix(scn) * (P / scn.noise_cre_w)
    cp_prob = cp.Problem(cp.Minimize(cp.trace(hc.omega_inv_bound)),
                         [S >> 0, cp.real(cp.trace(S)) <= 1,
                          cp.real(cp.trace(gain @ S)) / g_req >= 1] + hc.constraints)

    def recheck() -> bool:  # the SINR floor, power and Tr HCRB of the returned covariance
        sig = 0.5 * (S.value + S.value.conj().T) * P
        g_ok = float(np.real(np.trace(gain @ sig))) / P >= g_req * (1 - RECHECK_TOL)
        return g_ok and covariance_meets(scn, sig, P, prob.pi_m2)
    try:
        status = solve(cp_prob, recheck, where="in the second-stage SDP")
    except SolverUnknownError:
        return None  # no certified improvement: the first-stage beams are kept
    if S.value is None or status not in ACCEPTED:
        return None
    sig = project_psd(S.value) * P
    w_c, w_0 = split_covariance(scn, sig)
    nrm = math.sqrt(float(np.sum(np.abs(w_c) ** 2 + np.abs(w_0) ** 2)) / P)
    if nrm > 1:
        w_c, w_0 = w_c / nrm, w_0 / nrm
    ok = (prob.d_o(model, float(scn.sinr(w_c, w_0)), rc) <= target * (1 + 1e-9)
          and scn.hcrb(covariance(w_c, w_0)).trace <= prob.pi_m2)
    return (w_c, w_0) if ok else None


def benchmark_design(prob: ASCCProblem, model: int | None = None,
                     bound: SINRBound | None = None) -> LinkDesign:
    """DJSCC-WF-ZF (:mod:`.benchmark`) at one point; ``model`` default: middle of the ladder.

    R_c = R_s / E_a^max (the whole bandwidth); under a table BER model raised to the table's
    lowest row if below it, and infeasible (:class:`InfeasibleError`) above its highest row.
    """
    t0 = time.perf_counter()
    g = default_model(prob.n_models) if model is None else int(prob.distortion.index(model))
    bb = benchmark_beams(prob.scenario, prob.power_w, prob.pi_m2)
    rc = float(prob.rc_min[g])
    if prob.uses_table:
        r_lo, r_hi = prob.ber_model.rc_range
        if rc > r_hi:
            raise InfeasibleError(
                f"abr={prob.abr:g} is infeasible for the benchmark codec "
                f"{prob.distortion.names[g]} under the {prob.ber_model_name} BER model: it "
                f"needs R_c >= {rc:.4g} and the table ends at {r_hi:g}; valid: abr >= "
                f"{prob.rs_bpd[g] / r_hi:.6g}")
        rc = max(rc, float(r_lo))
    extra: dict[str, Any] = {"p_c_wf_w": bb.p_c_wf, "p_0_wf_w": bb.p_0_wf,
                             "moved_to_sensing_w": bb.moved_w, "solver_calls": 0}
    if bound is not None:
        try:  # what ASCC could reach at the bound's SINR (best codec and R_c there)
            rb = best_rates(prob, bound.sinr)
            gb = select_model(prob, bound.sinr, rb)
            extra["stage1"] = {"msssim_at_bound": prob.predict(gb, bound.sinr, rb[gb].rc)
                               ["msssim"]}
        except InfeasibleError:
            pass
    return _design(prob, "benchmark", "benchmark", g, rc, bb.w_c, bb.w_0, t0,
                   sinr_bound_db=bound.sinr_db if bound is not None else math.nan,
                   extra=extra)


def solve_point(scenario: ISSCScenario, distortion: Any, pt_dbm: float, abr: float,
                pi_m2: float, schemes: tuple[str, ...] = ("ascc", "benchmark"),
                method: str = "paper", delta: float = 0.01, benchmark_model: int | None = None,
                rng: np.random.Generator | None = None, ber_model: Any = None,
                objective: str = "mse") -> list[LinkDesign]:
    """Designs of the requested schemes at one point, sharing one SDR bound.

    ``ber_model``: None (ASCC eq. (4)) or a :func:`linksim.ber_model.make_ber_model` model.
    ``objective``: D_o of ASCC's codec choice and second stage, ``"mse"`` (ASCC eq. (7))
    or ``"ms-ssim"`` (1 - MS-SSIM); the benchmark's codec is fixed either way.
    """
    prob = ASCCProblem(scenario, distortion, pt_dbm, abr, pi_m2, ber_model, objective)
    bound = sinr_bound(scenario, prob.power_w, pi_m2, rng, pt_dbm=pt_dbm)
    out = []
    for s in schemes:
        if s == "ascc":
            out.append(optimise_ascc(prob, method, delta, bound, rng))
        elif s == "benchmark":
            out.append(benchmark_design(prob, benchmark_model, bound))
        else:
            raise ValueError(f"scheme={s!r} is invalid: must be one of ('ascc', 'benchmark')")
    return out


__all__ = ["METHODS", "SolverUnknownError", "InfeasibleError", "benchmark_design",
           "optimise_ascc", "second_stage", "select_model", "solve_point"]
