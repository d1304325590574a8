"""NF figure grids (``issc figure nf-7`` ... ``nf-12``): each point one run of NF Algorithm 2.

Every figure runs its grid through the sweep engine (:func:`optim.sweep.run_grid`, worker
``optim.nearfield.points:nf_point``; ``--engine local|ray``, resumable: a rerun on the same
``--out`` computes only missing points) into ``OUT/grid/``, then writes ``results.csv`` (the
figure's table), ``nf_figN.png`` (the grid's parameters written on it) and ``meta.json``.
Each point's design is in ``OUT/grid/rows.csv`` (``design_json``), so a figure can be
redrawn without recomputing. ``--quick`` runs a small grid (tests, demo); the default is the
full grid. Infeasible points are recorded with their reason and left out of the curves.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path
from typing import Any

from scripts import argtypes as at
from scripts import plot_style as ps
from scripts.engine_args import add_engine_args, check_engine_args
from scripts.guards import check_nearfield, check_some_point_ok
from scripts.runinfo import run_record, write_csv_atomic, write_json_atomic

WORKER = "optim.nearfield.points:nf_point"
LABELS = {"bfgs": "FA, projected BFGS", "taylor": "FA, Taylor benchmark",
          "random": "FA, random positions", "fixed": "fixed antennas (FPA)",
          "dense_upa": "dense UPA (lambda/2)", "sparse_x": "X-axis sparse UPA",
          "sparse_z": "Z-axis sparse UPA", "sparse_upa": "sparse UPA",
          "joint": "FA, joint method"}


def _common(p: argparse.ArgumentParser, full: dict[str, list], quick: dict[str, list]) -> None:
    p.add_argument("--quick", action="store_true",
                   help="small grid (tests, demo): " + "; ".join(
                       f"{k} {','.join(map(str, v))}" for k, v in quick.items()))
    for name, values in full.items():
        p.add_argument(f"--{name.replace('_', '-')}", **at.list_of(at.positive_float),
                       default=None, help=f"grid values (default: full grid "
                       f"{','.join(map(str, values))}, or the --quick grid)")
    p.add_argument("--scenario", type=at.existing_file, default=None,
                   help="base NF scenario TOML (default: built-in, NF Table I)")
    p.add_argument("--method", choices=["paper", "joint"], default="paper",
                   help="paper: NF Algorithm 2 (the fluid curves are its position methods); "
                        "joint: optim.nearfield.joint for the fluid antennas and, with the "
                        "positions frozen, for every fixed array (a method-fair comparison)")
    p.add_argument("--max-iterations", type=at.positive_int, default=None,
                   help="paper: AO iterations of Algorithm 2 per point (default 15; 2 with "
                        "--quick)")
    p.add_argument("--iterations", type=at.nonneg_int, default=None,
                   help="joint: Adam iterations per start (default: 1000 + 60 N_t; 300 with "
                        "--quick)")
    p.add_argument("--starts", type=at.positive_int, default=None,
                   help="paper: starts of the position search per AO iteration (the "
                        "incumbent plus uniform draws in the regions, from --seed; default 1); "
                        "joint: starts of the whole method (default 8; 2 with --quick)")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of the run")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    add_engine_args(p)
    p.set_defaults(grid_full=full, grid_quick=quick)


def _grid_values(args: argparse.Namespace) -> dict[str, list]:
    base = args.grid_quick if args.quick else args.grid_full
    return {k: (getattr(args, k) or v) for k, v in base.items()}


def _context(args: argparse.Namespace, **scenario: Any) -> dict[str, Any]:
    from linksim.nearfield import NFScenario

    base = NFScenario() if args.scenario is None else NFScenario.from_toml(args.scenario)
    check_nearfield(base)
    scn = {**base.to_dict(), **scenario}
    scn.pop("notes", None)
    if args.method == "joint":
        joint: dict[str, Any] = {"starts": args.starts or (2 if args.quick else 8)}
        if args.iterations or args.quick:
            joint["iterations"] = args.iterations or 300
        return {"scenario": scn, "optimiser": "joint", "options": joint}
    iters = args.max_iterations or (2 if args.quick else 15)
    opts: dict[str, Any] = {"max_iterations": iters}
    if args.quick:
        opts["randomisation_draws"] = 20
    if (args.starts or 1) > 1:  # absent at 1: grids made before the option resume
        opts["position_starts"] = args.starts
    return {"scenario": scn, "options": opts}


def _fluid(args: argparse.Namespace, paper: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The fluid-antenna curves of a figure: NF Algorithm 2's position methods, or the joint
    method once per semantic setting."""
    if args.method == "paper":
        return paper
    return [("joint", sem) for sem in dict.fromkeys(sem for _, sem in paper)]


def _fa(args: argparse.Namespace) -> str:
    """The point method of the single fluid curve of NF Figs. 10-12."""
    return "joint" if args.method == "joint" else "bfgs"


def _run(args: argparse.Namespace, points: list[dict], context: dict, desc: str):
    from optim.sweep import run_grid

    check_engine_args(args)
    rows = run_grid(points, WORKER, Path(args.out) / "grid", args.seed, context=context,
                    engine=args.engine, workers=args.workers, address=args.address,
                    desc=desc)
    check_some_point_ok(rows, f"the {desc} grid")
    return rows


def _point_seconds(out: Path) -> dict[str, float]:
    """Measured wall seconds per point (engine log), for projecting the full grids."""
    secs = []
    log = out / "grid" / "rows.jsonl"
    for line in log.read_text().splitlines() if log.is_file() else []:
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("wall_s") is not None and r.get("status") == "ok":
            secs.append(float(r["wall_s"]))
    return {"points": len(secs), "mean_s": statistics.fmean(secs) if secs else math.nan,
            "max_s": max(secs) if secs else math.nan}


def _finish(args, meta, out: Path, rows, table: list[dict], summary: dict, fig, name: str,
            note: str) -> None:
    failed = [f"{ {k: v for k, v in r.items() if k not in ('seed', 'status', 'error')} }: "
              f"{r['error']}" for r in rows if r["status"] != "ok"]
    if not table:  # e.g. nf-7 whose fixed-antenna references all failed
        raise ValueError(f"the {name} grid gives no table row: {len(failed)} of {len(rows)} "
                         f"points failed (first: {' '.join(failed[0].split()) if failed else '-'})")
    summary = {**summary, "failed_points": failed, "seconds_per_point": _point_seconds(out),
               "points": len(rows), "resumed": rows.n_resumed, "ran_now": len(rows.ran_now)}
    write_csv_atomic(out / "results.csv", table)
    write_json_atomic(out / "results.json", summary)
    meta.update(summary)
    note += f"; {len(failed)} infeasible/failed point(s) left out" if failed else ""
    ps.footer(fig, note, quick=bool(args.quick))
    ps.save(fig, out / f"{name}.png")


def _ok(rows, **match) -> list[dict]:
    return [r for r in rows if r["status"] == "ok"
            and all(r.get(k) == v for k, v in match.items())]


def _note(args, ctx, values: dict, fixed: tuple[str, ...] = ("L", "xi", "T_max")) -> str:
    """The grid and the fixed parameters, written on the figure (``fixed``: those the
    figure does not vary)."""
    grid = "; ".join(f"{k}={','.join(f'{x:g}' for x in v)}" for k, v in values.items())
    scn = ctx["scenario"]
    known = {"L": f"L={len(scn['targets_d_m'])}", "xi": f"xi={scn['crb_limit']:g}",
             "T_max": f"[T_max, Q]=[{scn['t_max_s']:g} s, {scn['cycles_per_bit']:g}], "
                      f"U={scn['data_bits'] / 1e6:g} Mb"}
    o = ctx["options"]
    how = (f"joint method, {o['starts']} starts" if ctx.get("optimiser") == "joint"
           else f"NF Algorithm 2, AO iterations <= {o['max_iterations']}")
    return (f"{'quick' if args.quick else 'full'} grid: {grid}; {how}; seed {args.seed}; "
            f"K={len(scn['users_d_m'])}, "
            + "".join(known[k] + ", " for k in fixed)
            + f"P_t={scn['power_budget_dbm']:g} dBm")


# ----------------------------------------------------------------- nf-7 and nf-9
RANGES_FULL = {"ranges": [0.02, 0.05, 0.1, 0.15, 0.2]}
RANGES_QUICK = {"ranges": [0.05]}


def _range_grid(args, methods: list[tuple[str, bool]]):
    values = _grid_values(args)
    ranges = [float(r) for r in values["ranges"]]
    pitch = max(ranges)  # one nominal grid (the FPA reference) whose regions all tile
    ctx = _context(args, tx_spacing_x_m=pitch, tx_spacing_z_m=pitch)
    points = []
    for sem in sorted({s for _, s in methods}, reverse=True):
        points.append({"method": "fixed", "semantic": sem, "sqrt_c_m": 0.0})
    for r in ranges:
        for m, sem in methods:
            points.append({"method": m, "semantic": sem, "sqrt_c_m": r})
    return values, ranges, ctx, points


def _args7(p: argparse.ArgumentParser) -> None:
    _common(p, RANGES_FULL, RANGES_QUICK)


def run_fig7(args: argparse.Namespace) -> None:
    """NF Fig. 7: per-antenna gain over fixed antennas (%) against the movable range."""
    methods = _fluid(args, [("bfgs", True), ("taylor", True), ("random", True),
                            ("bfgs", False)])
    values, ranges, ctx, points = _range_grid(args, methods)
    out = Path(args.out)
    with run_record(out, seed=args.seed, grid=values, context_options=ctx["options"],
                    optimiser=ctx.get("optimiser", "paper")) as meta:
        rows = _run(args, points, ctx, "nf-7")
        table = []
        for m, sem in methods:
            ref = _ok(rows, method="fixed", semantic=sem)
            for r in ranges:
                sel = _ok(rows, method=m, semantic=sem, sqrt_c_m=r)
                if not (ref and sel):
                    continue
                s0, s, n_t = ref[0]["min_secrecy"], sel[0]["min_secrecy"], sel[0]["n_t"]
                table.append({"method": m, "semantic": sem, "sqrt_c_m": r, "min_secrecy": s,
                              "fixed_min_secrecy": s0, "n_t": n_t,
                              "gain_per_antenna_pct": 100.0 * (s - s0) / (s0 * n_t)})
        fig, ax = ps.figure()
        for k, (m, sem) in enumerate(methods):
            sel = [t for t in table if t["method"] == m and t["semantic"] == sem]
            ax.plot([t["sqrt_c_m"] * 100 for t in sel], [t["gain_per_antenna_pct"] for t in sel],
                    label=LABELS[m] + ("" if sem else ", no semantic"), **ps.style_of(k))
        ax.set_xlabel("movable range √C_i [cm]")
        ax.set_ylabel("per-antenna gain over fixed antennas [%]")
        ax.set_title("Gain of movable antennas against their range")
        ps.subtitle(ax, "100 (S - S_FPA) / (S_FPA N_t), S = min_k S_k")
        ps.legend_outside(ax)
        summary = {"table": table}
        _finish(args, meta, out, rows, table, summary, fig, "nf_fig7",
                "NF Fig. 7. " + _note(args, ctx, values)
                + f"; FPA = nominal grid, pitch {max(ranges):g} m")
    print("nf-7: " + "; ".join(f"{t['method']}{'' if t['semantic'] else '/nosem'} "
                               f"{t['sqrt_c_m']:g} m: {t['gain_per_antenna_pct']:.3f}%"
                               for t in table) + f"; results in {out}")


def _args9(p: argparse.ArgumentParser) -> None:
    _common(p, RANGES_FULL, RANGES_QUICK)


def run_fig9(args: argparse.Namespace) -> None:
    """NF Fig. 9: worst-case information efficiency against the movable range."""
    methods = _fluid(args, [("bfgs", True), ("taylor", True), ("random", True)])
    values, ranges, ctx, points = _range_grid(args, methods)
    out = Path(args.out)
    with run_record(out, seed=args.seed, grid=values, context_options=ctx["options"],
                    optimiser=ctx.get("optimiser", "paper")) as meta:
        rows = _run(args, points, ctx, "nf-9")
        table = [{"method": r["method"], "sqrt_c_m": r["sqrt_c_m"],
                  "min_efficiency": r["min_efficiency"], "min_secrecy": r["min_secrecy"]}
                 for r in _ok(rows, semantic=True)]
        fig, ax = ps.figure()
        fixed = [t for t in table if t["method"] == "fixed"]
        for k, (m, _) in enumerate(methods):
            sel = [t for t in table if t["method"] == m]
            ax.plot([t["sqrt_c_m"] * 100 for t in sel], [t["min_efficiency"] for t in sel],
                    label=LABELS[m], **ps.style_of(k))
        if fixed:
            ax.axhline(fixed[0]["min_efficiency"], color="k", ls=":", label=LABELS["fixed"])
        ax.set_xlabel("movable range √C_i [cm]")
        ax.set_ylabel("worst-case information efficiency min_k E_k")
        ax.set_title("Information efficiency against the movable range")
        ps.legend_outside(ax)
        _finish(args, meta, out, rows, table, {"table": table}, fig, "nf_fig9",
                "NF Fig. 9. " + _note(args, ctx, values)
                + f"; FPA = nominal grid, pitch {max(ranges):g} m")
    print("nf-9: " + "; ".join(f"{t['method']} {t['sqrt_c_m']:g} m: {t['min_efficiency']:.4f}"
                               for t in table) + f"; results in {out}")


# ----------------------------------------------------------------------- nf-8
def _args8(p: argparse.ArgumentParser) -> None:
    _common(p, {"antennas": [9, 16, 25, 36, 49, 64]}, {"antennas": [9, 12]})
    p.add_argument("--rx", type=at.positive_int, default=None,
                   help="receive array N_rx = N_rz (must give N_r > N_t; default 9, or 5 "
                        "with --quick)")


ARRAYS8 = ("bfgs", "taylor", "dense_upa", "sparse_x", "sparse_z", "sparse_upa")


def _arrays8(args: argparse.Namespace) -> tuple[str, ...]:
    """NF Fig. 8's curves: the fluid antennas (two position methods, or the joint method)
    and the four fixed arrays."""
    fixed = tuple(m for m in ARRAYS8 if m not in ("bfgs", "taylor"))
    return (("joint",) if args.method == "joint" else ("bfgs", "taylor")) + fixed


def run_fig8(args: argparse.Namespace) -> None:
    """NF Fig. 8: worst-case semantic secrecy rate against the number of antennas."""
    values = _grid_values(args)
    from optim.nearfield.points import ARRAY_SHAPES

    ns = [int(n) if float(n).is_integer() else n for n in values["antennas"]]
    rx = args.rx or (5 if args.quick else 9)
    for n in ns:
        if n not in ARRAY_SHAPES:
            raise ValueError(f"--antennas {n:g} is invalid: must be one of "
                             f"{sorted(ARRAY_SHAPES)}")
        if n >= rx * rx:
            raise ValueError(f"--antennas {n} is invalid with --rx {rx}: need N_t < "
                             f"N_r = {rx * rx} (raise --rx)")
    ctx = _context(args, n_rx=rx, n_rz=rx)
    arrays = _arrays8(args)
    points = [{"method": m, "n_fa": n} for n in ns for m in arrays]
    out = Path(args.out)
    with run_record(out, seed=args.seed, grid=values, n_rx=rx,
                    context_options=ctx["options"],
                    optimiser=ctx.get("optimiser", "paper")) as meta:
        rows = _run(args, points, ctx, "nf-8")
        table = [{"method": r["method"], "n_t": r["n_fa"], "min_secrecy": r["min_secrecy"]}
                 for r in _ok(rows)]
        fig, ax = ps.figure()
        for k, m in enumerate(arrays):
            sel = [t for t in table if t["method"] == m]
            ax.plot([t["n_t"] for t in sel], [t["min_secrecy"] for t in sel], label=LABELS[m],
                    **ps.style_of(k))
        ax.set_xlabel("number of transmit antennas N_t")
        ax.set_ylabel("worst-case semantic secrecy rate [bit/s/Hz]")
        ps.integer_ticks(ax, "x")
        ax.set_title("Secrecy rate against the number of antennas")
        ps.legend_outside(ax)
        _finish(args, meta, out, rows, table, {"table": table}, fig, "nf_fig8",
                f"NF Fig. 8. Receive array {rx}x{rx}. " + _note(args, ctx, values)
                + f"; FA range {math.sqrt(ctx['scenario']['region_area_m2']):g} m")
    print("nf-8: " + "; ".join(f"{t['method']} N={t['n_t']}: {t['min_secrecy']:.3f}"
                               for t in table) + f"; results in {out}")


# ---------------------------------------------------------------------- nf-10
def _args10(p: argparse.ArgumentParser) -> None:
    _common(p, {"xi": [1.25, 1.5, 2.0, 3.0, 4.0, 6.0]}, {"xi": [2.0, 4.0]})
    p.add_argument("--trials", type=at.positive_int, default=None,
                   help="Monte Carlo trials of the LS estimate per design (default 2000; "
                        "300 with --quick)")


def ls_at_designs(rows, ctx: dict, trials: int, seed: int) -> list[dict]:
    """LS estimate of the echo matrix G (NF eq. (10)) at each optimised design: Monte Carlo
    MSE against the CRB of NF eq. (16) at the design covariance, both normalised by
    CRB_min (the scenario's budget normalisation, so the limit reads xi)."""
    import numpy as np

    from linksim.nearfield import NFScenario, ls_mse_experiment
    from optim.nearfield.design import NFDesign
    from optim.nearfield.points import point_scenario

    table = []
    for r in _ok(rows):
        scn = NFScenario(**point_scenario({"method": r["method"], "crb_limit": r["crb_limit"]},
                                          ctx["scenario"]))
        d = NFDesign.from_json(json.loads(r["design_json"]))
        G = scn.echo_matrix(d.positions).numpy()
        ls = ls_mse_experiment(G, d.W, d.R, scn.frames, scn.noise_radar_w, trials,
                               np.random.default_rng([seed, int(r["seed"]) % 2**32]))
        ref = scn.crb_reference()
        table.append({"xi": r["crb_limit"], "crb_normalised": ls["crb_design"] / ref,
                      "mse_normalised": ls["mse"] / ref,
                      "mse_stderr_normalised": ls["mse_stderr"] / ref,
                      "ratio_design": ls["ratio_design"],
                      "ratio_theory_wishart": ls["ratio_theory"], "frames": scn.frames,
                      "n_t": scn.n_t, "trials": trials, "min_secrecy": r["min_secrecy"]})
    return table


def run_fig10(args: argparse.Namespace) -> None:
    """NF Fig. 10: LS estimate MSE of the echo matrix against the CRB limit, at the designs."""
    import numpy as np

    values = _grid_values(args)
    ctx = _context(args)
    points = [{"method": _fa(args), "crb_limit": float(x)} for x in values["xi"]]
    trials = args.trials or (300 if args.quick else 2000)
    out = Path(args.out)
    with run_record(out, seed=args.seed, grid=values, trials=trials,
                    context_options=ctx["options"],
                    optimiser=ctx.get("optimiser", "paper")) as meta:
        rows = _run(args, points, ctx, "nf-10")
        table = ls_at_designs(rows, ctx, trials, args.seed)
        F = ctx["scenario"]["frames"]
        fig, ax = ps.figure()
        xi = np.array([t["xi"] for t in table])
        crb = np.array([t["crb_normalised"] for t in table])
        ax.plot(xi, crb, "k--", label="MSE = CRB (at the design)")
        ax.fill_between(xi, crb * (1 - F ** -0.5), crb * (1 + F ** -0.5), color="0.85",
                        label=f"CRB (1 +- 1/sqrt(F)), F = {F}")
        ax.errorbar(xi, [t["mse_normalised"] for t in table],
                    yerr=[2 * t["mse_stderr_normalised"] for t in table], fmt="o-", ms=4,
                    capsize=2, label=f"LS estimate ({trials} trials, +-2 s.e.)")
        ax.set_xlabel("CRB limit ξ (normalised by CRB_min)")
        ax.set_ylabel("MSE of Ĝ / CRB_min")
        ax.set_title("Echo-matrix estimation error against the CRB limit")
        ps.legend_outside(ax)
        within = [abs(t["ratio_design"] - 1) <= F ** -0.5 for t in table]
        summary = {"table": table, "inverse_sqrt_f": F ** -0.5, "within_band": within}
        _finish(args, meta, out, rows, table, summary, fig, "nf_fig10",
                "NF Fig. 10, at the projected-BFGS designs. "
                + _note(args, ctx, values, ("L", "T_max")))
    print("nf-10: " + "; ".join(f"xi {t['xi']:g}: MSE/CRB {t['ratio_design']:.3f}"
                                for t in table) + f"; results in {out}")


# ---------------------------------------------------------------------- nf-11
def _args11(p: argparse.ArgumentParser) -> None:
    _common(p, {"xi": [1.25, 1.5, 2.0, 3.0, 4.0, 6.0]}, {"xi": [2.0]})


CURVES11 = [(L, n, sem) for L in (1, 3) for n in (9, 15) for sem in (True, False)]


def run_fig11(args: argparse.Namespace) -> None:
    """NF Fig. 11: worst-case semantic secrecy rate against the normalised CRB limit."""
    values = _grid_values(args)
    ctx = _context(args)
    points = [{"method": _fa(args), "crb_limit": float(x), "targets": L, "n_fa": n,
               "semantic": sem} for x in values["xi"] for L, n, sem in CURVES11]
    out = Path(args.out)
    with run_record(out, seed=args.seed, grid=values, context_options=ctx["options"],
                    optimiser=ctx.get("optimiser", "paper")) as meta:
        rows = _run(args, points, ctx, "nf-11")
        table = [{"xi": r["crb_limit"], "targets": r["targets"], "n_t": r["n_fa"],
                  "semantic": r["semantic"], "min_secrecy": r["min_secrecy"]} for r in _ok(rows)]
        fig, ax = ps.figure()
        for L, n, sem in CURVES11:
            sel = [t for t in table if (t["targets"], t["n_t"], t["semantic"]) == (L, n, sem)]
            ax.plot([t["xi"] for t in sel], [t["min_secrecy"] for t in sel],
                    ("o-" if sem else "s--"),
                    color=ps.COLORS[CURVES11.index((L, n, True)) // 2],
                    label=f"L={L}, N_t={n}" + ("" if sem else ", no semantic"))
        ax.set_xlabel("CRB limit ξ (normalised by CRB_min)")
        ax.set_ylabel("worst-case semantic secrecy rate [bit/s/Hz]")
        ax.set_title("Secrecy rate against the sensing limit")
        ps.legend_outside(ax)  # beside the axes: it covered a point inside
        _finish(args, meta, out, rows, table, {"table": table}, fig, "nf_fig11",
                "NF Fig. 11, projected BFGS. " + _note(args, ctx, values, ("T_max",)))
    print("nf-11: " + "; ".join(f"xi {t['xi']:g} L={t['targets']} N={t['n_t']}"
                                f"{'' if t['semantic'] else '/nosem'}: {t['min_secrecy']:.3f}"
                                for t in table) + f"; results in {out}")


# ---------------------------------------------------------------------- nf-12
SETTINGS12 = [(0.1, 110.0), (0.1, 150.0), (0.05, 110.0)]   # [T_max s, Q cycles/bit]


def _args12(p: argparse.ArgumentParser) -> None:
    _common(p, {"data_mb": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]}, {"data_mb": [0.2, 0.4]})


def run_fig12(args: argparse.Namespace) -> None:
    """NF Fig. 12: worst-case semantic secrecy rate against the data size per target."""
    values = _grid_values(args)
    ctx = _context(args)
    points = [{"method": _fa(args), "data_mb": float(u), "t_max_s": T, "cycles_per_bit": Q}
              for u in values["data_mb"] for T, Q in SETTINGS12]
    out = Path(args.out)
    with run_record(out, seed=args.seed, grid=values, context_options=ctx["options"],
                    optimiser=ctx.get("optimiser", "paper")) as meta:
        rows = _run(args, points, ctx, "nf-12")
        table = [{"data_mb": r["data_mb"], "t_max_s": r["t_max_s"],
                  "cycles_per_bit": r["cycles_per_bit"], "min_secrecy": r["min_secrecy"]}
                 for r in _ok(rows)]
        fig, ax = ps.figure()
        for k, (T, Q) in enumerate(SETTINGS12):
            sel = [t for t in table if (t["t_max_s"], t["cycles_per_bit"]) == (T, Q)]
            ax.plot([t["data_mb"] for t in sel], [t["min_secrecy"] for t in sel],
                    label=f"[T_max, Q] = [{T:g} s, {Q:g} cycles/bit]", **ps.style_of(k))
        ax.set_xlabel("data size per target U_l [Mbit]")
        ax.set_ylabel("worst-case semantic secrecy rate [bit/s/Hz]")
        ax.set_title("Secrecy rate against the data to process per target")
        ps.legend_outside(ax)
        _finish(args, meta, out, rows, table, {"table": table}, fig, "nf_fig12",
                "NF Fig. 12, projected BFGS. " + _note(args, ctx, values, ("L", "xi")))
    print("nf-12: " + "; ".join(f"U {t['data_mb']:g} Mb [{t['t_max_s']:g}, "
                                f"{t['cycles_per_bit']:g}]: {t['min_secrecy']:.3f}"
                                for t in table) + f"; results in {out}")


FIGURES = {"nf-7": (_args7, run_fig7), "nf-8": (_args8, run_fig8),
           "nf-9": (_args9, run_fig9), "nf-10": (_args10, run_fig10),
           "nf-11": (_args11, run_fig11), "nf-12": (_args12, run_fig12)}
