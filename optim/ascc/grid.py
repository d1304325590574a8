"""A resumable grid of ASCC operating points: ``results.csv`` + ``designs.json`` in a folder.

Each finished point (scheme, method, P_T, ABR, Pi) is written at once (atomic rewrite of
both files), so an interrupted run loses at most the point in progress, and a rerun with
the same configuration skips what is done. Infeasible points are recorded with their
one-line reason (status ``infeasible``); solver failures as ``unknown``.
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

from .design import LinkDesign, load_designs, save_designs
from .errors import InfeasibleError, SolverUnknownError
from .optimise import METHODS, solve_point

SCHEMES = ("ascc", "benchmark")
COLUMNS = ("scheme", "method", "pt_dbm", "abr", "pi", "model", "rs_bits", "rc", "sinr_db",
           "ber_pred", "mse_pred", "msssim_pred", "hcrb", "hcrb_no_ts", "sinr_bound_db",
           "gap_to_bound_db", "solve_s", "status", "message")


def design_row(d: LinkDesign) -> dict[str, Any]:
    """One results.csv row of a design."""
    return {"scheme": d.scheme, "method": d.method, "pt_dbm": d.pt_dbm, "abr": d.abr,
            "pi": d.pi_m2, "model": d.model_name, "rs_bits": d.rs_bits, "rc": d.rc,
            "sinr_db": d.sinr_db, "ber_pred": d.ber_pred, "mse_pred": d.mse_pred,
            "msssim_pred": d.msssim_pred, "hcrb": d.hcrb, "hcrb_no_ts": d.hcrb_no_ts,
            "sinr_bound_db": d.sinr_bound_db, "gap_to_bound_db": d.gap_to_bound_db,
            "solve_s": d.solve_s, "status": "ok", "message": ""}


def _key(scheme: str, method: str, pt: float, abr: float, pi: float) -> tuple:
    return (scheme, method if scheme == "ascc" else "benchmark", round(float(pt), 9),
            round(float(abr), 12), round(float(pi), 9))


def config_hash(scn: ISSCScenario, dm: DistortionModel, delta: float,
                benchmark_model: int | None) -> str:
    """What makes two runs' points comparable (scenario, fits, delta, benchmark codec)."""
    doc = {"scenario": scn.to_dict(), "fits": dm.doc.get("models"), "delta": delta,
           "benchmark_model": benchmark_model}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def check_request(schemes: list[str], method: str) -> None:
    """Refuse unknown schemes or methods with one line."""
    for s in schemes:
        if s not in SCHEMES:
            raise ValueError(f"scheme={s!r} is invalid: must be one of {SCHEMES}")
    if not schemes:
        raise ValueError("scheme list is empty: valid: ascc, benchmark or both")
    if method not in METHODS:
        raise ValueError(f"method={method!r} is invalid: must be one of {METHODS}")


def run_grid(scn: ISSCScenario, dm: DistortionModel, pts: list[float], abrs: list[float],
             pi_m2: float, out: str | os.PathLike, schemes: list[str], method: str = "paper",
             delta: float = 0.01, benchmark_model: int | None = None, seed: int = 0,
             progress: bool = True) -> tuple[list[dict[str, Any]], list[LinkDesign]]:
    """Solve every (P_T, ABR) point for the schemes, resuming from ``out``.

    Returns the rows of ``results.csv`` and the designs, in grid order.
    """
    from tqdm import tqdm

    check_request(schemes, method)
    if not (math.isfinite(pi_m2) and pi_m2 > 0):
        raise ValueError(f"pi={pi_m2!r} is invalid: must be finite and > 0 m^2")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = config_hash(scn, dm, delta, benchmark_model)
    run_file = out / "run.json"
    rows: list[dict[str, Any]] = []
    designs: list[LinkDesign] = []
    if run_file.is_file():
        if json.loads(run_file.read_text()).get("config") != cfg:
            raise ValueError(f"out={str(out)!r} holds a run with another scenario, fits, delta "
                             "or benchmark codec; valid: a new --out folder (or the same "
                             "settings to resume)")
        if (out / "results.csv").is_file():
            with open(out / "results.csv", newline="") as fh:
                rows = list(csv.DictReader(fh))
        if (out / "designs.json").is_file():
            designs = load_designs(out / "designs.json")
    else:
        write_atomic(run_file, json.dumps({"config": cfg}).encode())
    done = {_key(r["scheme"], r["method"], float(r["pt_dbm"]), float(r["abr"]), float(r["pi"]))
            for r in rows}
    todo = [(pt, abr) for pt in pts for abr in abrs
            if any(_key(s, method, pt, abr, pi_m2) not in done for s in schemes)]
    rng = np.random.default_rng(seed)
    for pt, abr in tqdm(todo, desc="ASCC points", disable=not progress):
        need = [s for s in schemes if _key(s, method, pt, abr, pi_m2) not in done]
        new_rows, new_designs = [], []
        for s in need:  # one scheme at a time so that one's infeasibility spares the other
            try:
                ds = solve_point(scn, dm, pt, abr, pi_m2, (s,), method, delta,
                                 benchmark_model, rng)
                new_designs += ds
                new_rows += [design_row(d) for d in ds]
            except (InfeasibleError, SolverUnknownError) as e:
                status = "infeasible" if isinstance(e, InfeasibleError) else "unknown"
                new_rows.append({**{c: "" for c in COLUMNS}, "scheme": s,
                                 "method": method if s == "ascc" else "benchmark",
                                 "pt_dbm": pt, "abr": abr, "pi": pi_m2, "status": status,
                                 "message": str(e)})
        rows += new_rows
        designs += new_designs
        done |= {_key(r["scheme"], r["method"], float(r["pt_dbm"]), float(r["abr"]),
                      float(r["pi"])) for r in new_rows}
        _write(out, rows, designs, cfg)
    if not todo and not (out / "results.csv").exists():
        _write(out, rows, designs, cfg)
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
