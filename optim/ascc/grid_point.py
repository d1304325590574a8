"""One point of the ASCC grid as a sweep-engine worker (:mod:`optim.sweep`).

A point is ``{"scheme", "method", "pt_dbm", "abr", "pi"}``; the context is what every
point shares (:func:`grid_context`: the scenario's fields, the S-curve fits, delta, the
benchmark codec, the BER model and the beam method), all plain JSON, so the same call runs
in this process, in a local worker process or on a Ray node. Each worker process rebuilds
the scenario, the fits and the BER model once per context (:func:`_inputs`).

The point's generator is ``np.random.default_rng(seed)`` with the engine's per-point seed
(:func:`optim.sweep.point_seed`): it is drawn from only when the SDR covariance of the
SINR bound is not rank one (Gaussian randomisation, :func:`optim.ascc.bound.
beams_from_covariance`), and then the point's numbers do not depend on the order, the
worker count or a resume.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from linksim.farfield import ISSCScenario
from linksim.solver_policy import count_solves
from semcodec.distortion_model import DistortionModel

from .benchmark_djscc import load_djscc_ladder, solve_djscc_benchmark
from .design import LinkDesign
from .errors import InfeasibleError, SolverUnknownError
from .optimise import solve_point

#: ``"module:function"`` of :func:`solve_grid_point` (what the engines import by name)
WORKER = "optim.ascc.grid_point:solve_grid_point"

_CACHE: dict[str, tuple[ISSCScenario, DistortionModel, Any]] = {}


def grid_context(scn: ISSCScenario, dm: DistortionModel, delta: float,
                 benchmark_model: int | None, ber_model: str, method: str,
                 djscc_curves: str | None = None, objective: str = "mse") -> dict[str, Any]:
    """The JSON context every point of one grid call receives (``djscc_curves``: the DJSCC
    ladder's curves file when the benchmark codec is ``djscc``; ``objective``: ASCC's D_o)."""
    ctx = {"scenario": scn.to_dict(), "fits": dm.doc, "delta": float(delta),
           "benchmark_model": None if benchmark_model is None else int(benchmark_model),
           "ber_model": ber_model, "method": method, "objective": objective}
    if djscc_curves is not None:
        ctx["djscc_curves"] = djscc_curves
    return ctx


def _inputs(context: dict[str, Any]) -> tuple[ISSCScenario, DistortionModel, Any]:
    """(scenario, fits, BER model or None for ASCC eq. (4)) of a context, built once."""
    key = json.dumps(context, sort_keys=True)
    if key not in _CACHE:
        from linksim.ber_model import make_ber_model

        _CACHE.clear()
        scn = ISSCScenario.from_dict(context["scenario"])
        ber_law = make_ber_model(context["ber_model"], scn.blocklength)
        _CACHE[key] = (scn, DistortionModel(context["fits"]),
                       None if ber_law.name == "fbl" else ber_law)
    return _CACHE[key]


def solve_grid_point(point: dict[str, Any], seed: int, context: dict[str, Any]
                     ) -> dict[str, Any]:
    """Solve one scheme at one (P_T, ABR, Pi).

    Returns:
        ``{"outcome": "ok", "design": LinkDesign JSON}`` or ``{"outcome": "infeasible" |
        "unknown", "message": one line}`` (Pi below the reachable HCRB, no model fits the
        ABR; a solver failure is ``unknown``, never ``infeasible``), each with
        ``resolves``: the point's re-solves after an inaccurate status
        (:mod:`linksim.solver_policy`).
    """
    with count_solves() as counts:
        out = _solve_grid_point(point, seed, context)
    return {**out, "resolves": counts.resolves}


def _solve_grid_point(point: dict[str, Any], seed: int, context: dict[str, Any]
                      ) -> dict[str, Any]:
    scn, dm, ber_law = _inputs(context)
    try:
        if point["scheme"] == "benchmark" and context.get("djscc_curves"):
            d = solve_djscc_benchmark(scn, dm, float(point["pt_dbm"]), float(point["abr"]),
                                      float(point["pi"]), _djscc_ladder(context["djscc_curves"]),
                                      np.random.default_rng(seed))
            return {"outcome": "ok", "design": d.to_json()}
        (d,) = solve_point(scn, dm, float(point["pt_dbm"]), float(point["abr"]),
                           float(point["pi"]), (point["scheme"],), context["method"],
                           context["delta"], context["benchmark_model"],
                           np.random.default_rng(seed), ber_law,
                           context.get("objective", "mse"))
    except (InfeasibleError, SolverUnknownError) as e:
        return {"outcome": "infeasible" if isinstance(e, InfeasibleError) else "unknown",
                "message": str(e)}
    return {"outcome": "ok", "design": d.to_json()}


def _djscc_ladder(path: str) -> Any:
    """The DJSCC ladder of a curves file, loaded once per worker process."""
    if path not in _LADDERS:
        _LADDERS.clear()
        _LADDERS[path] = load_djscc_ladder(path)
    return _LADDERS[path]


_LADDERS: dict[str, Any] = {}


def design_of(values: dict[str, Any]) -> LinkDesign:
    """The :class:`LinkDesign` of an ``ok`` outcome of :func:`solve_grid_point`."""
    return LinkDesign.from_json(values["design"])


# ----------------------------------------------------------------------------- ascc-front
#: ``"module:function"`` of :func:`front_point`
FRONT_WORKER = "optim.ascc.grid_point:front_point"


def front_point(point: dict[str, Any], seed: int, context: dict[str, Any]) -> dict[str, Any]:
    """One point ``{"pt_dbm", "pi_m2"}`` of the sensing-communication front: the SDR bound's
    largest CRE SINR under Tr HCRB <= Pi (:func:`optim.ascc.bound.sinr_bound`).

    ``context``: ``{"scenario": fields, "seed": run seed}``; the SDR randomisation draws
    from ``default_rng(context["seed"])`` at every point (as the figure always did).
    Returns ``max_snr_db`` (all power on h_c, no interference), ``min_hcrb_m2``,
    ``comm_only_hcrb_m2`` (Tr HCRB of that all-communication design), ``sinr_bound_db``
    (NaN unless feasible), ``rank_one`` and ``bound_status`` (``infeasible``, ``binding``,
    ``free`` or ``unknown``).
    """
    import math

    from linksim.units import dbm_to_watt

    from .bound import min_hcrb, sinr_bound

    scn = _scenario(context["scenario"])
    pt, pi = float(point["pt_dbm"]), float(point["pi_m2"])
    P = float(dbm_to_watt(pt))
    snr = 10 * math.log10(P * float(np.linalg.norm(scn.h_c) ** 2) / scn.noise_cre_w)
    m = min_hcrb(scn, P)
    u = scn.h_c / np.linalg.norm(scn.h_c)
    row = {"max_snr_db": snr, "min_hcrb_m2": m.value_m2,
           "comm_only_hcrb_m2": float(scn.hcrb(P * np.outer(u, u.conj())).trace),
           "sinr_bound_db": math.nan, "rank_one": "", "bound_status": "infeasible"}
    if pi >= m.value_m2:
        try:
            b = sinr_bound(scn, P, pi, np.random.default_rng(context["seed"]), start=m)
            row.update(sinr_bound_db=b.sinr_db, rank_one=b.rank_one,
                       bound_status="binding" if b.sinr_db < snr - 1e-3 else "free")
        except SolverUnknownError:
            row["bound_status"] = "unknown"
    return row


_SCENARIOS: dict[str, ISSCScenario] = {}


def _scenario(fields: dict[str, Any]) -> ISSCScenario:
    key = json.dumps(fields, sort_keys=True)
    if key not in _SCENARIOS:
        _SCENARIOS.clear()
        _SCENARIOS[key] = ISSCScenario.from_dict(fields)
    return _SCENARIOS[key]
