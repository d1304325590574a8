"""``issc nf``: optimise one NF-ISCSC link (``--method paper``: NF Algorithm 2, the default;
``--method joint``: :mod:`optim.nearfield.joint`) and save the design.

Writes to ``--out``: ``design.json`` (positions, beams, R_x, f, rho and every constraint's
value and slack, :class:`optim.nearfield.NFDesign`), ``trace.csv`` (min_k S_k after every
sub-problem of every AO iteration), ``metrics.json`` (S_k, R_k, E_k, CRB, power terms,
latency), ``positions.png`` (the antenna positions in their movable regions) and
``meta.json``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at
from scripts.runinfo import run_record, write_csv_atomic, write_json_atomic


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nf", help="NF problem (28): optimise beams, FA positions and rho "
                                  "(NF Algorithm 2 or the joint method)")
    p.add_argument("--method", default="paper", choices=["paper", "joint"],
                   help="paper: NF Algorithm 2 (alternating); joint: one Adam run over beams, "
                        "sensing factor and positions per start, SDP polish, re-checked")
    p.add_argument("--scenario", type=at.existing_file, default=None,
                   help="NF scenario TOML (default: built-in)")
    p.add_argument("--positions", default="bfgs", choices=["bfgs", "taylor", "random", "fixed"],
                   help="FA position strategy (fixed: the nominal grid)")
    p.add_argument("--no-semantic", action="store_true",
                   help="conventional ISAC: rho_k = 1, no semantic computing")
    p.add_argument("--max-iterations", type=at.positive_int, default=15,
                   help="AO iterations at most")
    p.add_argument("--starts", type=at.positive_int, default=None,
                   help="paper (bfgs/taylor): starts of the position search per AO iteration "
                        "(the incumbent plus uniform draws in the regions, from --seed; default "
                        "1); joint: starts of the whole method (the nominal grid plus uniform "
                        "draws, from --seed; default 8)")
    p.add_argument("--iterations", type=at.nonneg_int, default=0,
                   help="joint: Adam iterations per start (0: 1000 + 60 N_t)")
    p.add_argument("--varsigma", type=at.positive_float, default=1e-3,
                   help="stop when min_k S_k changes by at most this (bits/s/Hz)")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="seed of the Gaussian randomisation and random positions")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.set_defaults(func=run)


def plot_positions(scn, pos, path: Path, title: str = "") -> None:
    """The antenna positions (dots), their nominal grid (x) and regions C_i (boxes)."""
    from matplotlib.patches import Rectangle

    from scripts import plot_style as ps

    lo, hi = (t.numpy() for t in scn.region_bounds())
    nominal = scn.tx_nominal().numpy()
    fig, ax = ps.figure((5.0, 5.4))
    for a, b in zip(lo, hi):
        ax.add_patch(Rectangle((a[0] * 1e3, a[1] * 1e3), (b[0] - a[0]) * 1e3,
                               (b[1] - a[1]) * 1e3, fill=False, ec="grey", lw=0.8))
    ax.plot(nominal[:, 0] * 1e3, nominal[:, 1] * 1e3, "kx", ms=5, label="nominal position")
    ax.plot(pos[:, 0] * 1e3, pos[:, 1] * 1e3, "o", color=ps.COLORS[1], ms=5,
            label="optimised position")
    ax.plot([], [], "s", mfc="none", mec="grey", ms=7, label="movable region C_i")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("z [mm]")
    ax.set_aspect("equal")
    ax.set_title(title)
    # below the axes: the regions fill the plot, so any corner would cover one of them
    ps.legend_outside(ax, "below", ncol=2, frameon=False)
    ps.save(fig, path)


def run(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from linksim.nearfield import NFScenario
    from optim.nearfield import NFOptions, optimise, save_design
    from optim.nearfield.joint import DesignCheckError, JointOptions, optimise_joint
    from semcodec.progress import bar_disabled

    joint = args.method == "joint"
    if joint:
        opts = JointOptions(starts=args.starts or 8, iterations=args.iterations,
                            semantic=not args.no_semantic)
    else:
        opts = NFOptions(positions=args.positions, semantic=not args.no_semantic,
                         max_iterations=args.max_iterations, varsigma=args.varsigma,
                         position_starts=args.starts or 1)
    from scripts.guards import check_nearfield

    scn = NFScenario() if args.scenario is None else NFScenario.from_toml(args.scenario)
    check_nearfield(scn)
    out = Path(args.out)
    with run_record(out, seed=args.seed, scenario=scn.to_dict(), options=opts.to_dict()) as meta:
        bars: list = []  # made at the first trace row: an infeasible scenario prints one line

        def progress(row: dict) -> None:
            if not bars:
                bars.append(tqdm(total=opts.starts if joint else opts.max_iterations,
                                 desc="nf joint" if joint else f"nf {opts.positions}",
                                 disable=bar_disabled()))
            if row["stage"] == ("restore" if joint else "extraction"):
                bars[0].update(1)
                bars[0].set_postfix(min_S=f"{row['min_secrecy']:.3f}")

        try:
            run_ = (optimise_joint(scn, opts, args.seed, progress=progress) if joint
                    else optimise(scn, opts, args.seed, progress=progress))
        except DesignCheckError as e:  # the method failed: no design is written
            if bars:
                bars[0].close()
            raise SystemExit(f"issc nf: {e}") from None
        if bars:
            bars[0].close()
        save_design(run_.design, out / "design.json")
        write_csv_atomic(out / "trace.csv", run_.trace)
        write_json_atomic(out / "metrics.json", {**run_.metrics,
                                                 "diagnostics": run_.diagnostics})
        d = run_.design
        how = ("joint method" if d.strategy == "joint"
               else f"NF Algorithm 2, {d.strategy} positions")
        plot_positions(scn, d.positions, out / "positions.png",
                       f"{how}{'' if d.semantic else ', no semantics'}: "
                       f"min_k S_k = {d.min_secrecy:.3f} bit/s/Hz")
        meta.update({"method": args.method, "min_secrecy": d.min_secrecy,
                     "feasible": d.constraints["feasible"],
                     "iterations": run_.diagnostics["iterations"]})
    done = (f"{run_.diagnostics['starts']} starts x {run_.diagnostics['iterations']} Adam "
            f"iterations, largest move {run_.diagnostics['largest_move_m'] * 1e3:.1f} mm"
            if joint else f"{run_.diagnostics['iterations']} AO iterations")
    print(f"nf: min_k S_k = {d.min_secrecy:.4f} bit/s/Hz after {done} ({d.strategy}, "
          f"{'semantic' if d.semantic else 'no semantic'}); CRB/CRB_min = "
          f"{run_.metrics['crb_normalised']:.4g} (xi = {scn.crb_limit}); feasible: "
          f"{d.constraints['feasible']}; results in {out}")
