"""Benchmark of the ASCC optimiser: time per (P_T, ABR) point, all G models, side by side.

For each point, in one run and interleaved: the SDR bound alone (min-HCRB SDP + bound SDP),
ASCC with the SDR method (bound + rate SCA over the G models + second stage), and ASCC with
the paper's method (FP + Schur-LMI iterations + rate SCA + second stage; the bound it
reports is passed in, so this time is the method's own). Prints the times, their ratios
and the solver calls per point. Run: ``python -m scripts.bench_ascc --out DIR``.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from optim.ascc.bound import sinr_bound
from optim.ascc.inputs import float_list, load_distortion, load_scenario
from optim.ascc.optimise import optimise_ascc
from optim.ascc.problem import ASCCProblem
from scripts.runinfo import run_record, write_json_atomic


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--pt-dbm", default="-11,-9,0,9")
    ap.add_argument("--abr", default="0.1")
    ap.add_argument("--pi", type=float, default=400.0)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--scenario", default=None)
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=UserWarning)
    scn = load_scenario(args.scenario)
    dm = load_distortion()
    pts = float_list(args.pt_dbm, "pt-dbm")
    abrs = float_list(args.abr, "abr", positive=True)
    out = Path(args.out)
    rows = []
    with run_record(out, scenario=scn.to_dict()) as meta:
        optimise_ascc(ASCCProblem(scn, dm, pts[0], abrs[0], args.pi), "sdr")  # warm-up
        for pt in pts:
            for abr in abrs:
                prob = ASCCProblem(scn, dm, pt, abr, args.pi)
                t = {"bound": [], "sdr": [], "paper": []}
                calls = {}
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    b = sinr_bound(scn, prob.power_w, args.pi)
                    t["bound"].append(time.perf_counter() - t0)
                    t0 = time.perf_counter()
                    d = optimise_ascc(prob, "sdr")
                    t["sdr"].append(time.perf_counter() - t0)
                    calls["sdr"] = d.extra["solver_calls"]
                    t0 = time.perf_counter()
                    d = optimise_ascc(prob, "paper", bound=b)
                    t["paper"].append(time.perf_counter() - t0)
                    calls["paper"] = d.extra["solver_calls"]
                    calls["paper_beam_iterations"] = d.extra["beam_iterations"]
                med = {k: float(np.median(v)) for k, v in t.items()}
                row = {"pt_dbm": pt, "abr": abr, "pi_m2": args.pi, "n_models": dm.n_models,
                       **{f"{k}_s": v for k, v in med.items()},
                       "sdr_over_bound": med["sdr"] / med["bound"],
                       "paper_over_sdr": med["paper"] / med["sdr"],
                       "solver_calls_bound": b.solver_calls, **{f"solver_calls_{k}": v
                                                   for k, v in calls.items()}}
                rows.append(row)
                print(" ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in row.items()), flush=True)
        write_json_atomic(out / "bench_ascc.json", rows)
        meta.update(rows=rows)


if __name__ == "__main__":
    main()
