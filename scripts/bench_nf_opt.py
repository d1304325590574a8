"""Benchmark of NF Algorithm 2: time per AO iteration and per sub-problem, projected BFGS
(Algorithm 1) against the second-order Taylor benchmark, side by side in one run.

Part 1 (default scenario, K = 5, 3x3 FAs): ``--ao-iterations`` AO iterations with each
position strategy from the same start and seed, ``--repeats`` times alternating; median
seconds per AO iteration and per sub-problem (beamforming SDP, positions, extraction).
Part 2 (3x3, 6x6, 8x8 FAs, receive arrays one element larger per side): the positions
sub-problem alone, Algorithm 1 against the benchmark, ``--position-iterations`` each on the
same beams (sub-problem 1 at the nominal grid for 3x3; for 6x6 and 8x8, where one SDP is
slow, the MRT + isotropic start design of Algorithm 2, stated in the output), ratio of
mean seconds per iteration. The paper reports 63 s against 170 s per iteration on an
i7-12700H.
Part 3 (``--paper-arrays``, ``--joint-arrays``; issue 29): one whole design per method and
array (N_tx = N_tz = n, K = 5, L = 2, 9x9 receive array), NF Algorithm 2 (``paper``,
projected BFGS) against the joint method (:mod:`optim.nearfield.joint`), each in a fresh
process: CPU seconds, peak resident memory (and the process's memory after imports),
min_k S_k, CPU seconds per joint start and the largest antenna move. Run:
``python -m scripts.bench_nf_opt --out DIR`` (pin to 2 cores with
``taskset -c 0,1`` to match the target machine).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

import numpy as np

from linksim.nearfield import NFScenario
from scripts.runinfo import run_record, write_csv_atomic, write_json_atomic


def ao_part(scn: NFScenario, iterations: int, seed: int, repeats: int) -> list[dict]:
    """Both strategies, alternating (bfgs, taylor, bfgs, ...) so that a load change on a
    shared machine hits both alike; per-iteration times are medians over the repeats."""
    from optim.nearfield import NFOptions, optimise

    samples: dict[str, list[dict]] = {"bfgs": [], "taylor": []}
    for _ in range(repeats):
        for strategy in ("bfgs", "taylor"):
            t0 = time.perf_counter()
            run = optimise(scn, NFOptions(positions=strategy, max_iterations=iterations,
                                          varsigma=1e-12), seed)
            wall = time.perf_counter() - t0
            tr = [r for r in run.trace if r["iteration"] > 0]
            n = max(r["iteration"] for r in tr)
            per = {st: sum(r["seconds"] for r in tr if r["stage"] == st) / n
                   for st in ("beamforming", "positions", "extraction")}
            samples[strategy].append({"ao_iterations": n, "wall_s": wall,
                                      "min_secrecy": run.metrics["min_secrecy"],
                                      **{f"s_{k}": v for k, v in per.items()},
                                      "s_per_ao_iteration": sum(per.values())})
    rows = []
    for strategy, runs in samples.items():
        med = {k: float(np.median([r[k] for r in runs])) for k in runs[0]}
        rows.append({"strategy": strategy, "n_t": scn.n_t, "repeats": repeats, **med})
    return rows


def scaled(n: int) -> NFScenario:
    base = NFScenario()
    return dataclasses.replace(base, n_tx=n, n_tz=n, n_rx=n + 1 if n > 3 else base.n_rx,
                               n_rz=n + 1 if n > 3 else base.n_rz)


def positions_part(n: int, iterations: int, seed: int) -> list[dict]:
    from optim.nearfield.alternating import user_rho_lb
    from optim.nearfield.beamforming_sca import initial_design
    from scripts.fig_nf import time_position_algorithms

    scn = scaled(n)
    if n == 3:
        rows = time_position_algorithms(scn, iterations, seed)
        start = "sub-problem 1 beams at the nominal grid"
    else:
        from optim.nearfield.positions import (
            PositionObjective,
            projected_bfgs,
            taylor_benchmark,
        )
        rho = user_rho_lb(scn)
        pos = scn.tx_nominal().numpy()
        W, Rx = initial_design(scn, pos, rho)
        obj = PositionObjective(scn, W, Rx, rho)
        x0 = obj.to_x(pos)
        projected_bfgs(obj, x0, max_iter=2)
        taylor_benchmark(obj, x0, max_iter=1)
        rows = []
        for name, fn in (("projected_bfgs", projected_bfgs), ("taylor", taylor_benchmark)):
            res = fn(obj, x0, max_iter=iterations, tol=0.0)
            rows += [{"algorithm": name, "n_t": scn.n_t, "iteration": i + 1, "seconds": s}
                     for i, s in enumerate(res.seconds)]
        start = "MRT + isotropic start design"
    out = []
    for name in ("projected_bfgs", "taylor"):
        s = [r["seconds"] for r in rows if r["algorithm"] == name]
        out.append({"array": f"{n}x{n}", "n_t": scn.n_t, "algorithm": name,
                    "iterations": len(s), "mean_s_per_iteration": float(np.mean(s)),
                    "median_s_per_iteration": float(np.median(s)), "beams": start})
    return out


def method_scenario(n: int) -> NFScenario:
    """Part 3's scenario: n x n fluid antennas, 9x9 receive array, defaults otherwise."""
    return dataclasses.replace(NFScenario(), n_tx=n, n_tz=n, n_rx=9, n_rz=9)


def _method_child(method: str, n: int, starts: int, seed: int, queue) -> None:
    import resource

    from optim.nearfield import JointOptions, NFOptions, optimise, optimise_joint

    scn = method_scenario(n)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    c0, w0 = time.process_time(), time.perf_counter()
    if method == "paper":
        run = optimise(scn, NFOptions(positions="bfgs"), seed)
    else:
        run = optimise_joint(scn, JointOptions(starts=starts), seed)
    d = run.diagnostics
    queue.put({"method": method, "n_t": scn.n_t, "cpu_s": time.process_time() - c0,
               "wall_s": time.perf_counter() - w0,
               "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
               "rss_after_imports_mb": rss0 / 1024,
               "min_secrecy": run.metrics["min_secrecy"],
               "feasible": run.design.constraints["feasible"],
               "cpu_s_per_start": float(np.mean(d["cpu_s_per_start"]))
               if method == "joint" else float("nan"),
               "largest_move_mm": 1e3 * float(np.linalg.norm(
                   run.design.positions - scn.tx_nominal().numpy(), axis=1).max())})


def methods_part(paper: list[int], joint: list[int], starts: int, seed: int) -> list[dict]:
    """Part 3: each design in a fresh (spawned) process, so its peak memory is its own."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    rows = []
    for method, arrays in (("paper", paper), ("joint", joint)):
        for n in arrays:
            queue = ctx.Queue()
            proc = ctx.Process(target=_method_child, args=(method, n, starts, seed, queue))
            proc.start()
            row = queue.get()
            proc.join()
            rows.append(row)
            print(f"{method:5s} N_t={row['n_t']:3d}: {row['cpu_s']:8.1f} CPU s, peak "
                  f"{row['peak_rss_mb']:7.0f} MB (imports {row['rss_after_imports_mb']:.0f}), "
                  f"min S_k {row['min_secrecy']:.3f}, feasible {row['feasible']}, "
                  f"CPU s/start {row['cpu_s_per_start']:.1f}, largest move "
                  f"{row['largest_move_mm']:.1f} mm", flush=True)
    return rows


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ao-iterations", type=int, default=3)
    p.add_argument("--repeats", type=int, default=2, help="alternating AO runs per strategy")
    p.add_argument("--position-iterations", type=int, default=10)
    p.add_argument("--arrays", type=int, nargs="+", default=[3, 6, 8])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--paper-arrays", type=int, nargs="*", default=[3, 4],
                   help="part 3: n (n x n FAs) for NF Algorithm 2")
    p.add_argument("--joint-arrays", type=int, nargs="*", default=[3, 4, 5, 6, 8],
                   help="part 3: n (n x n FAs) for the joint method")
    p.add_argument("--joint-starts", type=int, default=8)
    p.add_argument("--methods-only", action="store_true", help="part 3 only")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.methods_only:
        with run_record(out, seed=args.seed, cpus=len(os.sched_getaffinity(0))):
            rows = methods_part(args.paper_arrays, args.joint_arrays, args.joint_starts,
                                args.seed)
            write_csv_atomic(out / "methods.csv", rows)
        return
    with run_record(out, seed=args.seed, cpus=len(os.sched_getaffinity(0))) as meta:
        ao = ao_part(NFScenario(), args.ao_iterations, args.seed, args.repeats)
        write_csv_atomic(out / "ao.csv", ao)
        for r in ao:
            print(f"AO {r['strategy']:7s}: {r['s_per_ao_iteration']:.2f} s/iteration "
                  f"(SDP {r['s_beamforming']:.2f}, positions {r['s_positions']:.3f}, "
                  f"rho {r['s_extraction']:.4f}); min S_k {r['min_secrecy']:.3f}", flush=True)
        pos_rows = []
        for n in args.arrays:
            rows = positions_part(n, args.position_iterations, args.seed)
            pos_rows += rows
            b, t = rows[0]["mean_s_per_iteration"], rows[1]["mean_s_per_iteration"]
            print(f"positions {n}x{n}: BFGS {b:.4f} s/it, Taylor {t:.4f} s/it, ratio "
                  f"{b / t:.3f}", flush=True)
        write_csv_atomic(out / "positions.csv", pos_rows)
        summary = {"ao": ao, "positions": pos_rows,
                   "ao_ratio_bfgs_over_taylor": ao[0]["s_per_ao_iteration"]
                   / ao[1]["s_per_ao_iteration"],
                   "positions_ratio_bfgs_over_taylor": {
                       r["array"]: r["mean_s_per_iteration"] / t["mean_s_per_iteration"]
                       for r, t in zip(pos_rows[0::2], pos_rows[1::2])}}
        methods = methods_part(args.paper_arrays, args.joint_arrays, args.joint_starts,
                               args.seed)
        write_csv_atomic(out / "methods.csv", methods)
        summary["methods"] = methods
        write_json_atomic(out / "bench_nf_opt.json", summary)
        meta.update({k: v for k, v in summary.items() if "ratio" in k})
    print(f"ratio BFGS/Taylor per AO iteration: {summary['ao_ratio_bfgs_over_taylor']:.3f}; "
          f"results in {out}")


if __name__ == "__main__":
    main()
