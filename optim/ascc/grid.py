"""A resumable grid of ASCC operating points: ``results.csv`` + ``designs.json`` in a folder.

The points (scheme, method, P_T, ABR, Pi) run on a sweep engine (:mod:`optim.sweep`:
local processes or a Ray cluster; the worker is :mod:`optim.ascc.grid_point`). Each
finished point is written at once (atomic rewrite of both files), so an interrupted run
loses at most the points in progress, and a rerun with the same configuration skips what
is done; the files list the points in grid order whatever order they finish in, so the
engine and the worker count do not change them. Infeasible points are recorded with their
one-line reason (status ``infeasible``); solver failures as ``unknown``. The BER model
(``fbl``: ASCC eq. (4), or a measured table, :mod:`linksim.ber_model`) and the seed are
part of a run's identity: a folder made with others is refused, naming the difference.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

from linksim.farfield import ISSCScenario
from semcodec.atomic_io import write_atomic
from semcodec.distortion_model import DistortionModel

from ..sweep import Engine, Outcome, Task, make_engine, point_key, point_seed
from .benchmark_djscc import check_benchmark_codec, load_djscc_ladder
from .design import LinkDesign, load_designs, save_designs
from .grid_point import WORKER, design_of, grid_context
from .optimise import METHODS
from .problem import OBJECTIVES

SCHEMES = ("ascc", "benchmark")
COLUMNS = ("scheme", "method", "ber_model", "pt_dbm", "abr", "pi", "model", "rs_bits", "rc",
           "sinr_db",
           "ber_pred", "mse_pred", "msssim_pred", "hcrb", "hcrb_no_ts", "sinr_bound_db",
           "gap_to_bound_db", "msssim_gap_to_bound", "solve_s", "resolves", "status", "message")


def design_row(d: LinkDesign) -> dict[str, Any]:
    """One results.csv row of a design."""
    return {"scheme": d.scheme, "method": d.method, "ber_model": d.ber_model,
            "pt_dbm": d.pt_dbm, "abr": d.abr,
            "pi": d.pi_m2, "model": d.model_name, "rs_bits": d.rs_bits, "rc": d.rc,
            "sinr_db": d.sinr_db, "ber_pred": d.ber_pred, "mse_pred": d.mse_pred,
            "msssim_pred": d.msssim_pred, "hcrb": d.hcrb, "hcrb_no_ts": d.hcrb_no_ts,
            "sinr_bound_db": d.sinr_bound_db, "gap_to_bound_db": d.gap_to_bound_db,
            "msssim_gap_to_bound": d.extra.get("stage1", {}).get("msssim_at_bound", math.nan)
            - d.msssim_pred,
            "solve_s": d.solve_s, "status": "ok", "message": ""}


def _key(scheme: str, method: str, pt: float, abr: float, pi: float) -> tuple:
    return (scheme, method if scheme == "ascc" else "benchmark", round(float(pt), 9),
            round(float(abr), 12), round(float(pi), 9))


def config_hash(scn: ISSCScenario, dm: DistortionModel, delta: float,
                benchmark_model: int | None, ber_model: str = "fbl",
                djscc_curves_sha256: str | None = None, objective: str = "mse") -> str:
    """What makes two runs' points comparable (scenario, fits, delta, benchmark codec, BER
    model, objective). ``fbl``, a digital benchmark and the ``mse`` objective add nothing,
    so older folders resume."""
    doc = {"scenario": scn.to_dict(), "fits": dm.doc.get("models"), "delta": delta,
           "benchmark_model": benchmark_model}
    if objective != "mse":
        doc["objective"] = objective
    if djscc_curves_sha256 is not None:  # --benchmark-codec djscc: its curves file
        doc["benchmark_codec"] = "djscc"
        doc["djscc_curves_sha256"] = djscc_curves_sha256
    if ber_model != "fbl":
        from linksim.ber_model import SHIPPED_TABLE

        doc["ber_model"] = ber_model
        doc["ber_table_sha256"] = hashlib.sha256(Path(SHIPPED_TABLE).read_bytes()).hexdigest()
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def check_request(schemes: list[str], method: str, objective: str = "mse") -> None:
    """Refuse unknown schemes, methods or objectives with one line."""
    if objective not in OBJECTIVES:
        raise ValueError(f"objective={objective!r} is invalid: must be one of {OBJECTIVES}")
    for s in schemes:
        if s not in SCHEMES:
            raise ValueError(f"scheme={s!r} is invalid: must be one of {SCHEMES}")
    if not schemes:
        raise ValueError("scheme list is empty: valid: ascc, benchmark or both")
    if method not in METHODS:
        raise ValueError(f"method={method!r} is invalid: must be one of {METHODS}")


def run_grid(scn: ISSCScenario, dm: DistortionModel, pts: list[float], abrs: list[float],
             pi_m2: float | list[float], out: str | os.PathLike, schemes: list[str],
             method: str = "paper",
             delta: float = 0.01, benchmark_model: int | None = None, seed: int = 0,
             progress: bool = True, ber_model: str = "fbl", benchmark_codec: str = "digital",
             djscc_curves: str | os.PathLike | None = None, objective: str = "mse", *,
             engine: str | Engine = "local",
             workers: int | None = None, address: str | None = None,
             timeout_s: float | None = None
             ) -> tuple[list[dict[str, Any]], list[LinkDesign]]:
    """Solve every (scheme, P_T, ABR, Pi) point not yet in ``out`` on a sweep engine.

    Each point is :func:`optim.ascc.grid_point.solve_grid_point`, run by ``engine``
    (``local``: ``workers`` processes, None = every CPU; ``ray``: a Ray cluster at
    ``address`` or a local one; or an :class:`optim.sweep.Engine` to share, left open).
    As each point finishes, ``results.csv`` and ``designs.json`` are rewritten atomically
    (previous rows first, then this call's points in grid order), so a rerun skips it; a
    point whose worker raised, crashed or ran past ``timeout_s`` is recorded with status
    ``error``/``crash``/``timeout`` and its message, and solved again by the next run.

    ``ber_model``: ``fbl`` (ASCC eq. (4), default), ``ldpc`` or ``ldpc-ber``
    (:func:`linksim.ber_model.make_ber_model` at the scenario's blocklength). ``seed``:
    the run seed of the points' generators (see :mod:`optim.ascc.grid_point`).
    ``benchmark_codec``: ``digital`` (a fixed codec, :mod:`.benchmark`) or ``djscc`` (the
    trained deep JSCC of ``djscc_curves``, default the shipped ladder, :mod:`.benchmark_djscc`).
    ``objective``: ASCC's D_o, ``mse`` (ASCC eq. (7), default) or ``ms-ssim`` (1 - MS-SSIM,
    :data:`optim.ascc.problem.OBJECTIVES`); part of the run's identity when not ``mse``.
    Returns the rows of ``results.csv`` and the designs, in file order.
    """
    from tqdm import tqdm

    from linksim.ber_model import make_ber_model
    from semcodec.progress import bar_disabled

    check_request(schemes, method, objective)
    ladder = None
    if check_benchmark_codec(benchmark_codec) == "djscc":
        ladder = load_djscc_ladder(djscc_curves)
        if "benchmark" in schemes:
            for a in abrs:
                ladder.check_abr(a)
    ber_law = make_ber_model(ber_model, scn.blocklength)
    pis = [float(p) for p in (pi_m2 if isinstance(pi_m2, (list, tuple)) else [pi_m2])]
    for p in pis:
        if not (math.isfinite(p) and p > 0):
            raise ValueError(f"pi={p!r} is invalid: must be finite and > 0 m^2")
    eng = engine if isinstance(engine, Engine) else make_engine(engine, workers, address,
                                                                 timeout_s)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    djscc_sha = ladder.sha256 if ladder is not None else None
    cfg = config_hash(scn, dm, delta, benchmark_model, ber_law.name, djscc_sha, objective)
    parts = _config_parts(scn, dm, delta, benchmark_model, ber_law.name, seed)
    if objective != "mse":  # the paper's objective adds nothing, so older folders resume
        parts["objective"] = objective
    if ladder is not None:  # a digital benchmark adds nothing, so older folders resume
        parts["djscc_curves_sha256"] = djscc_sha
    rows, designs = _open_run(out, cfg, parts)
    done = {_row_key(r) for r in rows if r["status"] not in FAILED}
    todo = list({_key(s, method, pt, abr, pi): (s, pt, abr, pi) for pi in pis for pt in pts
                 for abr in abrs for s in schemes
                 if _key(s, method, pt, abr, pi) not in done}.values())
    # a failed point of an earlier run is solved again: its old row goes
    again = {_key(s, method, pt, abr, pi) for s, pt, abr, pi in todo}
    rows = [r for r in rows if _row_key(r) not in again]
    if not todo:
        if not (out / "results.csv").exists():
            _write(out, rows, designs, cfg)
        if eng is not engine:
            eng.close()
        return rows, designs
    context = grid_context(scn, dm, delta, benchmark_model, ber_law.name, method,
                           None if ladder is None else str(ladder.path), objective)
    tasks = []
    for s, pt, abr, pi in todo:
        point = {"scheme": s, "method": method if s == "ascc" else "benchmark",
                 "pt_dbm": float(pt), "abr": float(abr), "pi": float(pi)}
        tasks.append(Task(point_key(point), point, point_seed(seed, point)))
    order = {t.key: n for n, t in enumerate(tasks)}
    finished: dict[str, tuple[list[dict[str, Any]], list[LinkDesign]]] = {}
    bar = tqdm(total=len(tasks), desc="ASCC points", disable=bar_disabled(progress))
    try:
        for task, oc in eng.imap_unordered(WORKER, context, tasks):
            finished[task.key] = _outcome_rows(task.point, oc, ber_law.name)
            new = [finished[k] for k in sorted(finished, key=order.__getitem__)]
            _write(out, rows + [r for rr, _ in new for r in rr],
                   designs + [d for _, dd in new for d in dd], cfg)
            bar.update()
    finally:
        bar.close()
        if eng is not engine:
            eng.close()
    new = [finished[t.key] for t in tasks if t.key in finished]
    return rows + [r for rr, _ in new for r in rr], designs + [d for _, dd in new for d in dd]


#: statuses of points whose worker failed (solved again by the next run)
FAILED = ("error", "crash", "timeout")


def _row_key(r: dict[str, Any]) -> tuple:
    return _key(r["scheme"], r["method"], float(r["pt_dbm"]), float(r["abr"]), float(r["pi"]))


def _outcome_rows(point: dict[str, Any], oc: Outcome, ber_model: str
                  ) -> tuple[list[dict[str, Any]], list[LinkDesign]]:
    """(results rows, designs) of one finished point."""
    resolves = oc.values.get("resolves", "") if oc.status == "ok" else ""
    if oc.status == "ok" and oc.values["outcome"] == "ok":
        d = design_of(oc.values)
        return [{**design_row(d), "resolves": resolves}], [d]
    status, message = ((oc.values["outcome"], oc.values["message"]) if oc.status == "ok"
                       else (oc.status, oc.error))
    return [{**{c: "" for c in COLUMNS}, "scheme": point["scheme"], "method": point["method"],
             "ber_model": ber_model, "pt_dbm": point["pt_dbm"], "abr": point["abr"],
             "pi": point["pi"], "resolves": resolves, "status": status,
             "message": message}], []


def _config_parts(scn: ISSCScenario, dm: DistortionModel, delta: float,
                  benchmark_model: int | None, ber_model: str, seed: int) -> dict[str, Any]:
    """The settings behind :func:`config_hash` one by one (and the seed), so a refusal can
    name what differs."""
    fits = hashlib.sha256(json.dumps(dm.doc.get("models"), sort_keys=True, default=str)
                          .encode()).hexdigest()
    return {"scenario": scn.to_dict(), "fits_sha256": fits, "delta": delta,
            "benchmark_model": benchmark_model, "ber_model": ber_model, "seed": int(seed)}


def _open_run(out: Path, cfg: str, parts: dict[str, Any]
              ) -> tuple[list[dict[str, Any]], list[LinkDesign]]:
    """Rows and designs already in ``out`` (after checking it holds the same settings), or
    a new ``run.json``."""
    run_file = out / "run.json"
    rows: list[dict[str, Any]] = []
    designs: list[LinkDesign] = []
    if not run_file.is_file():
        write_atomic(run_file, json.dumps({"config": cfg, "parts": parts}, default=list)
                     .encode())
        return rows, designs
    old = json.loads(run_file.read_text())
    old_parts = old.get("parts")
    diff = []
    if isinstance(old_parts, dict):  # folders since the sweep engine name the difference
        new_parts = json.loads(json.dumps(parts, default=list))
        for k in new_parts:
            if old_parts.get(k) != new_parts[k]:
                a, b = old_parts.get(k), new_parts[k]
                if isinstance(a, dict) and isinstance(b, dict):
                    keys = sorted(x for x in set(a) | set(b) if a.get(x) != b.get(x))
                    diff.append(f"{k} ({', '.join(keys)})")
                elif k.endswith("sha256"):
                    diff.append(k.removesuffix("_sha256"))
                else:
                    diff.append(f"{k} ({a!r} there, {b!r} here)")
    if old.get("config") != cfg and not diff:
        diff = ["scenario, fits, delta, benchmark codec or BER model"]
    if diff:
        raise ValueError(f"out={str(out)!r} holds a run with another {'; '.join(diff)}; "
                         "valid: a new --out folder (or the same settings to resume)")
    if (out / "results.csv").is_file():
        with open(out / "results.csv", newline="") as fh:
            rows = list(csv.DictReader(fh))
    if (out / "designs.json").is_file():
        designs = load_designs(out / "designs.json")
    return rows, designs


def _write(out: Path, rows: list[dict[str, Any]], designs: list[LinkDesign], cfg: str) -> None:
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({c: (repr(v) if isinstance(v, float) else v) for c, v in r.items()
                    if c in COLUMNS})
    write_atomic(out / "results.csv", buf.getvalue().encode())
    save_designs(designs, out / "designs.json", meta={"config": cfg})


def summarise(rows: list[dict[str, Any]], designs: list[LinkDesign],
              scn: ISSCScenario, dm: DistortionModel | None = None) -> dict[str, Any]:
    """The numbers the ASCC figures claim, measured on a finished grid.

    * ``ascc_minus_benchmark_msssim``: min over points where both are feasible (>= 0 means
      ASCC is never worse), and the number of points where it is negative;
    * ``ascc_minus_benchmark_hcrb_m2``: max (<= 0 means ASCC's HCRB never higher);
    * ``max_gap_to_bound_db``: largest first-stage SINR gap of ASCC to the SDR bound;
    * ``monotone_violation``: largest relative increase of the first-stage optimal D_o when
      P_T, ABR or Pi grows (0 = monotone);
    * ``hcrb_binding_fraction``: share of feasible (P_T, Pi) where the bound's SINR is below
      the interference-free SNR, i.e. where the HCRB limit binds;
    * ``sca_minus_dense_log10_mse_max``: the SCA's R_c against a dense search at the same
      (first-stage) SINR on ASCC eq. (23) (<= ~0: the SCA found the optimum), and
      ``eq23_vs_eq4_log10_mse_max``: what optimising eq. (23) instead of eq. (4) costs;
    * solver calls and solve times per ASCC point; ``resolves`` (re-solves after an
      inaccurate solver status, :mod:`linksim.solver_policy`) and ``points_resolved``.
    """
    asc = {(d.pt_dbm, d.abr, d.pi_m2): d for d in designs if d.scheme == "ascc"}
    ben = {(d.pt_dbm, d.abr, d.pi_m2): d for d in designs if d.scheme == "benchmark"}
    both = sorted(set(asc) & set(ben))
    dms = [asc[k].msssim_pred - ben[k].msssim_pred for k in both]
    dh = [asc[k].hcrb - ben[k].hcrb for k in both]
    out: dict[str, Any] = {
        "points": len(rows), "ascc_designs": len(asc), "benchmark_designs": len(ben),
        "ascc_infeasible": sum(r["status"] == "infeasible" and r["scheme"] == "ascc"
                               for r in rows),
        "benchmark_infeasible": sum(r["status"] == "infeasible" and r["scheme"] == "benchmark"
                                    for r in rows),
        "unknown": sum(r["status"] == "unknown" for r in rows),
        "compared_points": len(both),
        "ascc_minus_benchmark_msssim_min": min(dms) if dms else math.nan,
        "ascc_below_benchmark_msssim_points": int(sum(v < 0 for v in dms)),
        "ascc_minus_benchmark_hcrb_m2_max": max(dh) if dh else math.nan,
        "ascc_above_benchmark_hcrb_points": int(sum(v > 1e-9 for v in dh)),
    }
    # re-solves after an inaccurate solver status (linksim.solver_policy); "" in older rows
    res = [int(r["resolves"]) for r in rows if str(r.get("resolves", "")) != ""]
    out["resolves"] = int(sum(res))
    out["points_resolved"] = int(sum(v > 0 for v in res))
    if asc:
        gaps = [d.extra.get("stage1", {}).get("gap_to_bound_db", math.nan) for d in asc.values()]
        msg = [d.extra.get("stage1", {}).get("msssim_at_bound", math.nan)
               - d.extra.get("stage1", {}).get("msssim", d.msssim_pred) for d in asc.values()]
        out["max_msssim_gap_to_bound_stage1"] = float(np.nanmax(msg))
        out["max_gap_to_bound_db"] = float(np.nanmax(gaps))
        s1 = {k: _stage1_d_o(d) for k, d in asc.items()}
        worst = 0.0
        for axis in range(3):
            for k, v in s1.items():
                nxt = [k2 for k2 in s1 if all(k2[i] == k[i] for i in range(3) if i != axis)
                       and k2[axis] > k[axis]]
                for k2 in nxt:
                    worst = max(worst, (s1[k2] - v) / v)
        out["monotone_violation"] = worst
        snr = {k: 10 * math.log10(10 ** ((k[0] - 30) / 10) * float(np.linalg.norm(scn.h_c) ** 2)
                                  / scn.noise_cre_w) for k in asc}
        bind = {(k[0], k[2]): asc[k].sinr_bound_db < snr[k] - 1e-3 for k in asc}
        out["hcrb_binding_fraction"] = float(np.mean(list(bind.values())))
        s1db = [d.extra.get("stage1", {}).get("sinr_db", d.sinr_db) for d in asc.values()]
        out["stage1_sinr_db_range"] = [float(min(s1db)), float(max(s1db))]
        if dm is not None:
            out.update(_rate_checks(list(asc.values()), dm))
        calls = [d.extra.get("solver_calls", 0) for d in asc.values()]
        out["ascc_solver_calls_mean"] = float(np.mean(calls))
        out["ascc_solver_calls_max"] = int(max(calls))
        out["ascc_solve_s_mean"] = float(np.mean([d.solve_s for d in asc.values()]))
    return out


def _stage1_d_o(d: LinkDesign) -> float:
    """First-stage D_o of an ASCC design under its objective (MSE or 1 - MS-SSIM)."""
    s1 = d.extra.get("stage1", {})
    if d.extra.get("objective", "mse") == "mse":
        return s1.get("mse", d.mse_pred)
    return 1.0 - s1.get("msssim", d.msssim_pred)


def _rate_params(d: LinkDesign, dm: DistortionModel) -> tuple[float, float, float, float]:
    """The S-curve the design's coding-rate SCA minimised (see ASCCProblem.rate_params)."""
    if d.extra.get("objective", "mse") == "mse":
        return dm.params(d.model)
    _, c, e1, e2 = dm.ms_ssim_params(d.model)
    return (0.0, -c, e1, e2)


def _rate_checks(designs: list[LinkDesign], dm: DistortionModel) -> dict[str, float]:
    """Dense one-dimensional R_c search at each design's first-stage SINR (see summarise)."""
    from linksim.ber_model import make_ber_model
    from linksim.farfield.fbl import log10_normal_approx_ber

    from .sca_rate import dense_rate_search, dense_rate_search_table, log10_mse_at

    worst_sca, worst_eq4 = -math.inf, -math.inf
    models: dict[tuple[str, int], Any] = {}
    for d in designs:
        s1 = d.extra.get("stage1", {})
        if "sinr_db" not in s1:
            continue
        sinr = 10 ** (s1["sinr_db"] / 10)
        params = _rate_params(d, dm)
        rc_min = d.rs_bpd / d.abr
        cap = math.log2(1 + sinr)
        if d.ber_model != "fbl":  # the table model's SCA against a dense search on it
            key = (d.ber_model, d.blocklength)
            ber_law = models.setdefault(key, make_ber_model(*key))
            lo, hi = max(rc_min, ber_law.rc_range[0]), min(cap, ber_law.rc_range[1])
            if lo > hi:
                continue
            _, f_dense = dense_rate_search_table(sinr, lo, hi, params, ber_law)
            x = min(float(ber_law.log10_ber(d.rc, sinr)), math.log10(0.5))
            worst_sca = max(worst_sca, float(log10_mse_at(params, x)) - f_dense)
            continue
        if rc_min > cap:
            continue
        for exact in (False, True):
            _, f_dense = dense_rate_search(sinr, rc_min, params, d.blocklength, exact)
            x = min(float(log10_normal_approx_ber(sinr, d.rc, d.blocklength, exact)),
                    math.log10(0.5))
            gap = float(log10_mse_at(params, x)) - f_dense
            if exact:
                worst_eq4 = max(worst_eq4, gap)
            else:
                worst_sca = max(worst_sca, gap)
    return {"sca_minus_dense_log10_mse_max": worst_sca if worst_sca > -math.inf else math.nan,
            "eq23_vs_eq4_log10_mse_max": worst_eq4 if worst_eq4 > -math.inf else math.nan}
