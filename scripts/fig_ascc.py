"""ASCC figures: the sensing-communication front (``ascc-front``), ASCC Fig. 3 (``ascc-3``,
MS-SSIM vs P_T) and Fig. 4 (``ascc-4``, Tr HCRB vs P_T); PNG + CSV + meta.json each."""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at
from scripts import plot_style as ps
from scripts.engine_args import add_engine_args, check_engine_args


def _common(p: argparse.ArgumentParser, out: str) -> None:
    p.add_argument("--scenario", type=at.existing_file, default=None,
                   help="scenario TOML (default: the calibrated data/scenarios/issc_ascc.toml; "
                        "data/scenarios/issc_default.toml is the old two-way reading)")
    p.add_argument("--fits", default=None, help="S-curve fits.json (default: shipped fits)")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed recorded in meta.json")
    p.add_argument("--out", type=at.out_dir, default=out, help="output folder")


# ----------------------------------------------------------------------------- ascc-front
FRONT_COLUMNS = ("pt_dbm", "pi_m2", "max_snr_db", "min_hcrb_m2", "comm_only_hcrb_m2",
                 "sinr_bound_db", "rank_one", "status")


def front_arguments(p: argparse.ArgumentParser) -> None:
    _common(p, "runs/fig_ascc_front")
    add_engine_args(p, workers=2)
    p.add_argument("--pt-dbm", **at.list_of(at.finite_float),
                   default=[-10.0, -5.0, 0.0, 5.0, 10.0, 15.0],
                   help="P_T values [dBm] ('a,b' or 'a b')")
    p.add_argument("--pi-min", type=at.positive_float, default=1.0,
                   help="smallest Pi on the grid (m^2)")
    p.add_argument("--pi-max", type=at.positive_float, default=1e4,
                   help="largest Pi on the grid (m^2)")
    p.add_argument("--points", type=at.int_at_least(2), default=25, help="Pi values (log grid)")


def front_run(args: argparse.Namespace) -> None:
    """SDR bound's largest CRE SINR against Pi at several P_T (the trade-off map)."""
    import numpy as np

    from linksim.units import dbm_to_watt
    from optim.ascc.bound import min_hcrb
    from optim.ascc.grid_point import FRONT_WORKER
    from optim.ascc.inputs import float_list, load_scenario, param_text
    from optim.sweep import run_grid
    from scripts.guards import check_farfield, check_power_dbm, check_some_point_ok
    from scripts.runinfo import run_record, write_csv_atomic

    pts = check_power_dbm(float_list(args.pt_dbm, "pt-dbm"))
    if not (0 < args.pi_min < args.pi_max) or args.points < 2:
        raise ValueError(f"pi-min={args.pi_min!r}, pi-max={args.pi_max!r}, points="
                         f"{args.points!r} are invalid: need 0 < pi-min < pi-max, points >= 2")
    scn = load_scenario(args.scenario)
    check_engine_args(args)
    check_farfield(scn, solver=True)
    out = Path(args.out)
    pis = np.geomspace(args.pi_min, args.pi_max, args.points)
    with run_record(out, seed=args.seed, scenario=scn.to_dict()) as meta:
        points = []
        for pt in pts:
            m = min_hcrb(scn, float(dbm_to_watt(pt)))
            # the knee sits just above the smallest reachable HCRB: sample it densely
            knee = m.value_m2 * np.array([1.0005, 1.003, 1.01, 1.03, 1.1, 1.25, 1.5, 2.0, 3.0, 4.0])
            points += [{"pt_dbm": pt, "pi_m2": float(pi)}
                       for pi in np.unique(np.concatenate([pis, knee]))]
        grid = run_grid(points, FRONT_WORKER, out / "grid", args.seed,
                        context={"scenario": scn.to_dict(), "seed": args.seed},
                        engine=args.engine, workers=args.workers, address=args.address,
                        desc="ascc-front")
        check_some_point_ok(grid, "the ascc-front grid")
        if grid.failed():
            r = grid.failed()[0]
            raise RuntimeError(f"{len(grid.failed())} point(s) failed, first P_T={r['pt_dbm']} "
                               f"Pi={r['pi_m2']}: {r['status']} {r['error']}; rerun to retry")
        rows = [{k: r[k] for k in FRONT_COLUMNS[:-1]} | {"status": r["bound_status"]}
                for r in grid]
        write_csv_atomic(out / "front.csv", rows)
        fig, ax = ps.figure("wide")
        many = len(pts) > len(ps.COLORS)
        colour = ps.colorbar(fig, ax, pts, "P_T [dBm]") if many else None
        for k, pt in enumerate(pts):
            r = [x for x in rows if x["pt_dbm"] == pt]
            st = {"color": colour(pt)} if many else ps.style_of(k)
            ax.semilogx([x["pi_m2"] for x in r], [x["sinr_bound_db"] for x in r], ms=3,
                        **st | {"marker": st.get("marker", "o"), "linestyle": "-"},
                        label=f"P_T = {pt:g} dBm")
            ax.axvline(r[0]["min_hcrb_m2"], color=st["color"], ls=":", lw=0.8)
        ax.set(xlabel="HCRB limit Π [m²]", ylabel="largest CRE SINR (SDR bound) [dB]",
               title="Sensing against communication: best SINR for a sensing-error limit")
        if not many:
            ps.legend_outside(ax)
        ps.footer(fig, "dotted: smallest reachable Tr HCRB at that P_T. " + param_text(scn))
        ps.save(fig, out / "front.png")
        meta.update(figure="ascc-front", pt_dbm=pts, pi_m2=pis.tolist(), engine=args.engine,
                    workers=args.workers, resumed_points=grid.n_resumed)
    print(f"wrote {out / 'front.png'} and {out / 'front.csv'}")


FIGURES = {"ascc-front": (front_arguments, front_run)}


# ----------------------------------------------------------------------------- ascc-3 / ascc-4
def _grid_arguments(p: argparse.ArgumentParser, out: str) -> None:
    _common(p, out)
    p.add_argument("--pt-dbm", **at.list_of(at.finite_float), default=None,
                   help="P_T values [dBm] ('a,b' or 'a b'); default: the scenario file's "
                        "[ascc] pt_dbm")
    p.add_argument("--abr", **at.list_of(at.positive_float), default=None,
                   help="ABR values ('a,b' or 'a b'); default: [ascc] abr")
    p.add_argument("--pi", type=at.positive_float, default=None,
                   help="HCRB limit (m^2); default: [ascc]")
    p.add_argument("--method", default="paper", help="paper or sdr")
    p.add_argument("--delta", type=at.nonneg_float, default=0.01,
                   help="second-stage slack (0 = off)")
    p.add_argument("--grid", default=None, help="folder of the (resumable) optimisation grid, "
                   "shared by ascc-3 and ascc-4 (default: runs/ascc_grid, or "
                   "runs/ascc_grid_djscc with --benchmark-codec djscc)")
    add_engine_args(p, workers=2)
    p.add_argument("--benchmark-codec", default="digital",
                   help="codec of DJSCC-WF-ZF: digital (fixed codec) or djscc (trained deep "
                        "JSCC, docs/optim_ascc.md)")
    p.add_argument("--djscc-curves", type=at.existing_file, default=None,
                   help="DJSCC curves.json for --benchmark-codec djscc (default: shipped)")


def _grid_inputs(args: argparse.Namespace) -> dict:
    """The grid's inputs, checked before anything is written (``--out`` or ``--grid``)."""
    from optim.ascc.inputs import (
        DEFAULT_SCENARIO,
        figure_defaults,
        float_list,
        load_distortion,
        load_scenario,
    )
    from scripts.guards import check_farfield, check_power_dbm

    scn = load_scenario(args.scenario)
    d = figure_defaults(args.scenario or DEFAULT_SCENARIO)
    pts = check_power_dbm(float_list(args.pt_dbm if args.pt_dbm is not None
                                     else d.get("pt_dbm", []), "pt-dbm"))
    abrs = float_list(args.abr if args.abr is not None else d.get("abr", []), "abr",
                      positive=True)
    pi = float(args.pi if args.pi is not None else d.get("pi_m2", float("nan")))
    dm = load_distortion(args.fits)
    check_farfield(scn, solver=True)
    return {"scn": scn, "pts": pts, "abrs": abrs, "pi": pi, "dm": dm}


def _solve_grid(args: argparse.Namespace, inputs: dict):
    from optim.ascc.grid import FAILED, run_grid
    from scripts.guards import check_some_point_ok

    scn, pts, abrs, pi, dm = (inputs[k] for k in ("scn", "pts", "abrs", "pi", "dm"))
    codec = getattr(args, "benchmark_codec", "digital")
    grid = Path(args.grid) if args.grid else Path(
        "runs/ascc_grid" + ("_djscc" if codec == "djscc" else ""))
    rows, _ = run_grid(scn, dm, pts, abrs, pi, grid, ["ascc", "benchmark"], args.method,
                       args.delta, None, args.seed, engine=args.engine, workers=args.workers,
                       address=args.address, benchmark_codec=codec,
                       djscc_curves=getattr(args, "djscc_curves", None))
    want = {(round(p, 9), round(a, 12)) for p in pts for a in abrs}
    rows = [r for r in rows if (round(float(r["pt_dbm"]), 9), round(float(r["abr"]), 12)) in want
            and (r["scheme"] == "benchmark" or r["method"] == args.method)]
    check_some_point_ok(rows, f"the ASCC grid {grid}", ok=lambda r: r["status"] not in FAILED,
                        error_key="message")
    return scn, pts, abrs, pi, rows, grid


def fig3_run(args: argparse.Namespace) -> None:
    """ASCC Fig. 3: predicted MS-SSIM vs P_T, ASCC and DJSCC-WF-ZF, several ABR."""
    from optim.ascc.inputs import param_text
    from scripts.runinfo import run_record, write_csv_atomic

    check_engine_args(args)
    inputs = _grid_inputs(args)
    out = Path(args.out)
    with run_record(out, seed=args.seed) as meta:
        scn, pts, abrs, pi, rows, grid = _solve_grid(args, inputs)
        write_csv_atomic(out / "fig3.csv", rows)
        # two panels: every curve, and the band of the ASCC curves where the schemes differ
        fig, (ax, zoom) = ps.figure("double", 1, 2)
        band = []
        for k, abr in enumerate(abrs):
            col = ps.COLORS[k % len(ps.COLORS)]
            for scheme, ls, mk in (("ascc", "-", "o"), ("benchmark", "--", "s")):
                rr = sorted((r for r in rows if r["scheme"] == scheme
                             and float(r["abr"]) == abr and r["status"] == "ok"),
                            key=lambda r: float(r["pt_dbm"]))
                x = [float(r["pt_dbm"]) for r in rr]
                y = [float(r["msssim_pred"]) for r in rr]
                band += y if scheme == "ascc" else []
                name = "ASCC" if scheme == "ascc" else "DJSCC-WF-ZF" + (
                    " (deep JSCC)" if getattr(args, "benchmark_codec", "") == "djscc" else "")
                for a in (ax, zoom):
                    a.plot(x, y, ls, marker=mk, ms=4, color=col, label=f"{name}, ABR {abr:g}")
                if scheme == "ascc":  # label the model at each switch (the plateaus)
                    prev = None
                    for r, xi, yi in zip(rr, x, y):
                        if r["model"] != prev:
                            zoom.annotate(r["model"], (xi, yi), fontsize=ps.MIN_FONT_PT,
                                          color=col, xytext=(2, 5), textcoords="offset points")
                        prev = r["model"]
        for a in (ax, zoom):
            a.set(xlabel="transmit power P_T [dBm]")
        ax.set(ylabel="predicted MS-SSIM (fitted S-curves)",
               title="Image quality against transmit power")
        zoom.set(title="Zoom on the ASCC band")
        ps.fit_ylim(ax, [v for ln in ax.get_lines() for v in ln.get_ydata()], lo=0.0, hi=1.0)
        ps.fit_ylim(zoom, band, pad=0.15, lo=0.0, hi=1.0)
        ps.legend_outside(zoom)
        ps.footer(fig, f"ASCC Fig. 3. HCRB limit Π = {pi:g} m², method {args.method}, "
                       f"second-stage slack δ = {args.delta:g}; labels: codec chosen from "
                       f"there on. " + param_text(scn))
        ps.save(fig, out / "fig3.png")
        meta.update(figure="ascc-3", grid=str(grid), engine=args.engine, workers=args.workers,
                    pi_m2=pi, pt_dbm=pts, abr=abrs, method=args.method, delta=args.delta)
    print(f"wrote {out / 'fig3.png'} and {out / 'fig3.csv'}")


def fig4_arguments(p: argparse.ArgumentParser) -> None:
    _grid_arguments(p, "runs/fig_ascc_4")
    p.add_argument("--fig-abr", type=float, default=None,
                   help="ABR whose ASCC designs are drawn (default: the middle ABR)")


def fig4_run(args: argparse.Namespace) -> None:
    """ASCC Fig. 4: Tr HCRB vs P_T for ASCC and DJSCC-WF-ZF, with and without the TS error."""
    from optim.ascc.inputs import param_text
    from scripts.runinfo import run_record, write_csv_atomic

    check_engine_args(args)
    inputs = _grid_inputs(args)
    abrs = inputs["abrs"]
    abr = args.fig_abr if args.fig_abr is not None else abrs[len(abrs) // 2]
    if abr not in abrs:
        raise ValueError(f"fig-abr={abr!r} is invalid: must be one of {abrs}")
    out = Path(args.out)
    with run_record(out, seed=args.seed) as meta:
        scn, pts, abrs, pi, rows, grid = _solve_grid(args, inputs)
        rows = [r for r in rows if float(r["abr"]) == abr]
        write_csv_atomic(out / "fig4.csv", rows)
        fig, ax = ps.figure("wide")
        for scheme, col in (("ascc", ps.COLORS[0]), ("benchmark", ps.COLORS[1])):
            rr = sorted((r for r in rows if r["scheme"] == scheme and r["status"] == "ok"),
                        key=lambda r: float(r["pt_dbm"]))
            x = [float(r["pt_dbm"]) for r in rr]
            name = "ASCC" if scheme == "ascc" else "DJSCC-WF-ZF"
            ax.semilogy(x, [float(r["hcrb"]) for r in rr], "-o", ms=3, color=col,
                        label=f"{name}, with TS error (HCRB)")
            ax.semilogy(x, [float(r["hcrb_no_ts"]) for r in rr], ":s", ms=3, color=col,
                        label=f"{name}, perfect sync (CRB)")
        ax.axhline(pi, color="k", lw=0.8, ls="--", label=f"Π = {pi:g} m²")
        ax.set(xlabel="transmit power P_T [dBm]", ylabel="Tr HCRB(p_o) [m²]",
               title="Sensing error bound against transmit power")
        ps.legend_outside(ax)
        ps.footer(fig, f"ASCC Fig. 4. ABR {abr:g}, method {args.method}, second-stage slack "
                       f"δ = {args.delta:g}. " + param_text(scn))
        ps.save(fig, out / "fig4.png")
        meta.update(figure="ascc-4", grid=str(grid), engine=args.engine, workers=args.workers,
                    pi_m2=pi, abr=abr, method=args.method, delta=args.delta)
    print(f"wrote {out / 'fig4.png'} and {out / 'fig4.csv'}")


FIGURES["ascc-3"] = (lambda p: _grid_arguments(p, "runs/fig_ascc_3"), fig3_run)
FIGURES["ascc-4"] = (fig4_arguments, fig4_run)
