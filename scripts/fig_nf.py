"""NF figures of Algorithm 1 (``issc figure nf-5``, ``issc figure nf-6``).

- nf-5 (NF Fig. 5): convergence of projected BFGS (Algorithm 1): min_k S_k per iteration
  for movable ranges sqrt(C_i) = 0.02, 0.05, 0.1 m on the same nominal array (pitch 0.1 m
  so every range fits without overlap), at the beams of sub-problem 1 on the nominal grid.
- nf-6 (NF Fig. 6): time per iteration of projected BFGS against the second-order Taylor
  benchmark, measured side by side in one run on the same beams and start.

Each writes PNG + CSV + meta.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from scripts import argtypes as at
from scripts import plot_style as ps
from scripts.runinfo import run_record, write_csv_atomic, write_json_atomic


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", type=at.existing_file, default=None,
                   help="NF scenario TOML (default: built-in)")
    p.add_argument("--iterations", type=at.positive_int, default=40, help="Algorithm 1 iterations")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of the run")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")


def _beams(scn, seed: int, sca_iterations: int = 3):
    """Sub-problem 1 at the nominal grid (the start of every AO run): W, Rx, rho."""
    import numpy as np

    from optim.nearfield.alternating import user_rho_lb
    from optim.nearfield.beamforming_sca import (
        BeamformingSDP,
        initial_design,
        solve_beamforming,
    )

    rho = user_rho_lb(scn)
    pos = scn.tx_nominal().numpy()
    W0, Rx0 = initial_design(scn, pos, rho)
    res = solve_beamforming(scn, BeamformingSDP(scn), pos, rho, W0, Rx0,
                            np.random.default_rng(seed), sca_iterations)
    return res.W, res.Rx, rho, pos


def _scenario(path: str | None, **overrides):
    from linksim.nearfield import NFScenario
    from scripts.guards import check_nearfield

    scn = NFScenario() if path is None else NFScenario.from_toml(path)
    scn = dataclasses.replace(scn, **overrides) if overrides else scn
    check_nearfield(scn)
    return scn


def _check_iterations(n: int) -> None:
    if n <= 0:
        raise ValueError(f"iterations={n} is invalid: must be a positive integer")


def run_fig5(args: argparse.Namespace) -> None:
    """NF Fig. 5: convergence of projected BFGS for movable ranges 0.02/0.05/0.1 m."""
    from tqdm import tqdm

    from optim.nearfield.positions import PositionObjective, projected_bfgs
    from semcodec.progress import bar_disabled

    _check_iterations(args.iterations)
    for r in args.ranges:
        if not r > 0:
            raise ValueError(f"range={r} is invalid: must be > 0 m")
    pitch = max(args.ranges)
    out = Path(args.out)
    rows = []
    with run_record(out, seed=args.seed, ranges_m=args.ranges, pitch_m=pitch) as meta:
        for r in tqdm(args.ranges, desc="nf-5", disable=bar_disabled()):
            scn = _scenario(args.scenario, region_area_m2=r * r, tx_spacing_x_m=pitch,
                            tx_spacing_z_m=pitch)
            W, Rx, rho, pos = _beams(scn, args.seed)
            obj = PositionObjective(scn, W, Rx, rho)
            res = projected_bfgs(obj, obj.to_x(pos), max_iter=args.iterations, tol=0.0)
            for i, v in enumerate(res.trace):
                rows.append({"range_m": r, "iteration": i, "min_secrecy": max(v, 0.0),
                             "min_margin": v})
        write_csv_atomic(out / "results.csv", rows)
        summary = {str(r): {"start": next(x["min_secrecy"] for x in rows if x["range_m"] == r),
                            "end": [x["min_secrecy"] for x in rows if x["range_m"] == r][-1]}
                   for r in args.ranges}
        write_json_atomic(out / "results.json", summary)
        meta["summary"] = summary
        fig, ax = ps.figure()
        for k, r in enumerate(args.ranges):
            sel = [x for x in rows if x["range_m"] == r]
            st = ps.style_of(k % len(ps.COLORS))  # marker and dash differ: coinciding curves
            ax.plot([x["iteration"] for x in sel], [x["min_secrecy"] for x in sel],
                    markevery=max(1, len(sel) // 8), markersize=6 + 2 * (len(args.ranges) - k),
                    mfc="none", label=f"$\\sqrt{{C_i}}$ = {r:g} m", **st)
        ax.set_xlabel("iteration of Algorithm 1")
        ax.set_ylabel("worst-case semantic secrecy rate [bit/s/Hz]")  # true min, not g(u)
        ps.integer_ticks(ax, "x")
        ends = [v["end"] for v in summary.values()]
        coincide = len(ends) > 1 and max(ends) - min(ends) < 1e-9
        ax.set_title("Convergence of the antenna-position search")
        ax.legend(loc="lower right")
        ps.footer(fig, f"NF Fig. 5. Projected BFGS; antenna pitch {pitch:g} m; seed "
                       f"{args.seed}" + ("; all ranges give the same curve: the stationary "
                                         "point lies inside the smallest" if coincide else ""))
        ps.save(fig, out / "nf_fig5.png")
    print("nf-5: " + "; ".join(f"{k} m: {v['start']:.3f} -> {v['end']:.3f}"
                               for k, v in summary.items()) + f" bit/s/Hz; results in {out}")


def time_position_algorithms(scn, iterations: int, seed: int) -> list[dict]:
    """Per-iteration wall time of projected BFGS and the Taylor benchmark, side by side on
    the same beams and start (after one untimed warm-up call of each)."""
    from optim.nearfield.positions import PositionObjective, projected_bfgs, taylor_benchmark

    W, Rx, rho, pos = _beams(scn, seed)
    obj = PositionObjective(scn, W, Rx, rho)
    x0 = obj.to_x(pos)
    projected_bfgs(obj, x0, max_iter=2)      # warm-up: first autograd / functorch use
    taylor_benchmark(obj, x0, max_iter=1)
    rows = []
    for name, fn in (("projected_bfgs", projected_bfgs), ("taylor", taylor_benchmark)):
        t0 = time.perf_counter()
        res = fn(obj, x0, max_iter=iterations, tol=0.0)
        total = time.perf_counter() - t0
        for i, s in enumerate(res.seconds):
            rows.append({"algorithm": name, "n_t": scn.n_t, "iteration": i + 1, "seconds": s,
                         "min_secrecy": max(res.trace[min(i + 1, len(res.trace) - 1)], 0.0),
                         "total_s": total})
    return rows


def run_fig6(args: argparse.Namespace) -> None:
    """NF Fig. 6: time per iteration, projected BFGS against the Taylor benchmark."""
    import numpy as np

    _check_iterations(args.iterations)
    out = Path(args.out)
    with run_record(out, seed=args.seed) as meta:
        scn = _scenario(args.scenario)
        rows = time_position_algorithms(scn, args.iterations, args.seed)
        write_csv_atomic(out / "results.csv", rows)
        per = {a: float(np.mean([r["seconds"] for r in rows if r["algorithm"] == a]))
               for a in ("projected_bfgs", "taylor")}
        summary = {"mean_seconds_per_iteration": per,
                   "ratio_bfgs_over_taylor": per["projected_bfgs"] / per["taylor"],
                   "n_t": scn.n_t}
        write_json_atomic(out / "results.json", summary)
        meta.update(summary)
        fig, ax = ps.figure()
        for k, (a, label) in enumerate((("projected_bfgs", "projected BFGS (Algorithm 1)"),
                                        ("taylor", "second-order Taylor benchmark"))):
            sel = [r for r in rows if r["algorithm"] == a]
            med = float(np.median([r["seconds"] for r in sel]))
            ax.semilogy([r["iteration"] for r in sel], [r["seconds"] for r in sel], ms=4,
                        label=f"{label}: median {med * 1e3:.1f} ms, mean {per[a] * 1e3:.1f} ms",
                        **ps.style_of(k))
        ax.set_xlabel("iteration")
        ax.set_ylabel("time per iteration [s]")
        ps.integer_ticks(ax, "x")
        ax.set_title("Time per iteration of the antenna-position search")
        ps.legend_outside(ax, "below", ncol=1)
        ps.footer(fig, f"NF Fig. 6. N_t = {scn.n_t}; mean BFGS / Taylor = "
                       f"{summary['ratio_bfgs_over_taylor']:.3f} (one slow iteration moves "
                       f"the mean: see the median); seed {args.seed}")
        ps.save(fig, out / "nf_fig6.png")
    print(f"nf-6: mean s/iteration BFGS {per['projected_bfgs']:.4g}, Taylor "
          f"{per['taylor']:.4g} (ratio {summary['ratio_bfgs_over_taylor']:.3f}); results in "
          f"{out}")


def _args5(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--ranges", **at.list_of(at.positive_float), default=[0.02, 0.05, 0.1],
                   help="movable ranges sqrt(C_i), m")


def _args6(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.set_defaults(iterations=20)


FIGURES = {"nf-5": (_args5, run_fig5), "nf-6": (_args6, run_fig6)}
