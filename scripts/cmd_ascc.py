"""``issc ascc``: optimise ASCC links (model choice R_s, coding rate R_c, beams w_c, w_0)
under an HCRB limit over a grid of P_T and ABR, against the DJSCC-WF-ZF benchmark.

Writes ``results.csv``, ``designs.json`` (the hand-off read by ``issc e2e``), ``summary.png``,
``summary.json`` (the claims of ASCC Figs. 3-4 measured on the grid, see
:func:`optim.ascc.grid.summarise`) and ``meta.json``; a rerun with the same settings
skips finished points. ``--ber-model`` picks the rho_b model (ASCC eq. (4) or a measured
5G LDPC table, :mod:`linksim.ber_model`); it is part of the folder's resume identity.
"""

from __future__ import annotations

import argparse

from scripts import argtypes as at
from scripts.engine_args import add_engine_args, check_engine_args

#: The ``[ascc]`` table of the shipped data/scenarios/issc_ascc.toml as ``--help`` states it
#: (reading it would import the optimiser); tests/test_cli_startup.py checks that they agree.
SHIPPED_ASCC = {"pt_dbm": "-12 to 12 in steps of 1", "abr": "0.05,0.1,0.2", "pi_m2": "400"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ascc", help="optimise ASCC links (R_s, R_c, beams) under an HCRB limit")
    p.add_argument("--scenario", type=at.existing_file, default=None,
                   help="scenario TOML (default: data/scenarios/issc_ascc.toml); its [ascc] "
                        "table gives the default Pi, P_T list and ABR list")
    p.add_argument("--fits", type=at.existing_file, default=None,
                   help="S-curve fits.json (default: shipped fits)")
    p.add_argument("--pt-dbm", **at.list_of(str), default=None,
                   help="P_T values [dBm] ('a,b' or 'a b'; default: from the scenario's [ascc] "
                        f"pt_dbm, shipped: {SHIPPED_ASCC['pt_dbm']})")
    p.add_argument("--abr", **at.list_of(str), default=None,
                   help="ABR values, channel uses per source dimension (> 0; 'a,b' or 'a b'; "
                        f"default: from the scenario's [ascc] abr, shipped: {SHIPPED_ASCC['abr']})")
    p.add_argument("--pi", **at.list_of(str), default=None,
                   help="HCRB limit Pi [m^2] (> 0); a list ('a,b' or 'a b') runs each (default: "
                        f"from the scenario's [ascc] pi_m2, shipped: {SHIPPED_ASCC['pi_m2']})")
    p.add_argument("--method", default="paper", help="ASCC beams: paper (FP + Schur-LMI "
                   "iterations) or sdr (the bound's rank-one solution)")
    p.add_argument("--ber-model", type=at.ber_model, default="fbl",
                   help="rho_b of the SINR: fbl (ASCC eq. (4), the paper), ldpc (measured 5G "
                        "LDPC table, block errors / (R_c L)) or ldpc-ber (its measured BER); "
                        "the table models bound R_c to the table's rows (docs/e2e.md)")
    p.add_argument("--scheme", **at.list_of(str), default=["ascc", "benchmark"],
                   help="schemes: ascc, benchmark ('a,b' or 'a b')")
    p.add_argument("--objective", choices=("mse", "ms-ssim"), default="mse",
                   help="ASCC's D_o: mse (the fitted MSE of ASCC eq. (7), the paper; default) "
                        "or ms-ssim (1 - the fitted MS-SSIM); picks the codec and sets the "
                        "second stage's slack; part of the folder's resume identity")
    p.add_argument("--delta", type=at.nonneg_float, default=0.01,
                   help="second stage: allow D_o <= (1+delta) D_o* to lower the HCRB (0 = off)")
    p.add_argument("--benchmark-model", default=None,
                   help="codec of DJSCC-WF-ZF (name or index; default: middle of the ladder)")
    p.add_argument("--benchmark-codec", default="digital",
                   help="codec of DJSCC-WF-ZF: digital (a fixed codec of the ladder, default) "
                        "or djscc (the trained deep JSCC whose ABR is nearest each --abr, "
                        "predicted by its fitted MS-SSIM-vs-SNR curve)")
    p.add_argument("--djscc-curves", type=at.existing_file, default=None,
                   help="DJSCC curves.json for --benchmark-codec djscc (default: the shipped "
                        "data/djscc/curves.json)")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="run seed: each point's generator (used only by the SDR's Gaussian "
                        "randomisation when its covariance is not rank one) is derived from "
                        "it and the point")
    add_engine_args(p, workers=2)
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p),
                   help="output folder (rerun the same settings to resume or add points)")
    p.set_defaults(func=run, resumable=True)


def run(args: argparse.Namespace) -> None:
    import math
    from pathlib import Path

    from optim.ascc.benchmark_djscc import check_benchmark_codec
    from optim.ascc.grid import FAILED, check_request, run_grid, summarise
    from optim.ascc.inputs import (
        DEFAULT_SCENARIO,
        figure_defaults,
        float_list,
        load_distortion,
        load_scenario,
    )
    from scripts.guards import check_farfield, check_power_dbm, check_some_point_ok
    from scripts.runinfo import run_record, write_json_atomic

    for name in ("pt_dbm", "abr", "pi", "scheme"):  # checked by the library's own messages
        v = getattr(args, name)
        if isinstance(v, list):
            setattr(args, name, at.join_list(v))
    scen_path = Path(args.scenario) if args.scenario else DEFAULT_SCENARIO
    scn = load_scenario(scen_path)
    dflt = figure_defaults(scen_path)
    dm = load_distortion(args.fits)
    schemes = [s for s in args.scheme.replace(" ", "").split(",") if s]
    check_request(schemes, args.method, args.objective)
    pts = check_power_dbm(float_list(args.pt_dbm if args.pt_dbm is not None
                                     else dflt.get("pt_dbm", []), "pt-dbm"))
    abrs = float_list(args.abr if args.abr is not None else dflt.get("abr", []), "abr",
                      positive=True)
    pi_arg = args.pi if args.pi is not None else dflt.get("pi_m2")
    if pi_arg is None:
        raise ValueError("pi is missing: give --pi or a scenario file with [ascc] pi_m2")
    pis = float_list(str(pi_arg) if not isinstance(pi_arg, str) else pi_arg, "pi")
    for pi in pis:
        if not (math.isfinite(pi) and pi > 0):
            raise ValueError(f"pi={pi!r} is invalid: must be finite and > 0 m^2")
    if not (math.isfinite(args.delta) and args.delta >= 0):
        raise ValueError(f"delta={args.delta!r} is invalid: must be finite and >= 0")
    if check_benchmark_codec(args.benchmark_codec) == "djscc" and "benchmark" in schemes:
        from optim.ascc.benchmark_djscc import load_djscc_ladder

        ladder = load_djscc_ladder(args.djscc_curves)  # refuse before --out is made
        for a in abrs:
            ladder.check_abr(a)
    benchmark_model = None
    if args.benchmark_model is not None:
        v = args.benchmark_model
        benchmark_model = int(dm.index(int(v) if v.lstrip("-").isdigit() else v))
    check_engine_args(args)
    check_farfield(scn, solver="ascc" in schemes)
    out = Path(args.out)
    with run_record(out, seed=args.seed, scenario=scn.to_dict(), scenario_file=str(scen_path),
                    pi_m2=pis, pt_dbm=pts, abr=abrs, method=args.method, schemes=schemes,
                    delta=args.delta, ber_model=args.ber_model, objective=args.objective,
                    **({"benchmark_codec": "djscc", "djscc_curves": args.djscc_curves}
                       if args.benchmark_codec == "djscc" else {})) as meta:
        rows, designs = run_grid(scn, dm, pts, abrs, pis, out, schemes, args.method,
                                 args.delta, benchmark_model, args.seed, ber_model=args.ber_model,
                                 engine=args.engine, workers=args.workers,
                                 address=args.address, benchmark_codec=args.benchmark_codec,
                                 djscc_curves=args.djscc_curves, objective=args.objective)
        check_some_point_ok(rows, "the ASCC grid",
                            ok=lambda r: r["status"] not in FAILED, error_key="message")
        plot_summary(rows, out / "summary.png", pis)
        summary = summarise(rows, designs, scn, dm)
        write_json_atomic(out / "summary.json", summary)
        failed = [r for r in rows if r["status"] in FAILED]
        meta.update(points=len(rows), infeasible=sum(r["status"] == "infeasible" for r in rows),
                    unknown=sum(r["status"] == "unknown" for r in rows), failed=len(failed),
                    engine=args.engine, workers=args.workers)
    print(f"wrote {out / 'results.csv'} ({len(rows)} rows), {out / 'designs.json'}")
    for r in failed[:5]:
        print(f"point {r['scheme']} P_T={r['pt_dbm']} ABR={r['abr']} Pi={r['pi']} failed "
              f"({r['status']}): {r['message']}; a rerun solves it again")


def plot_summary(rows: list[dict], path, pis: list[float]) -> None:
    """MS-SSIM and Tr HCRB against P_T per scheme and ABR; at a single P_T (a degenerate
    axis) one marker per scheme and ABR with its value written beside it."""
    from scripts import plot_style as ps

    ok = [r for r in rows if r["status"] == "ok"]
    fig, (a1, a2) = ps.figure("double", 1, 2)
    groups = sorted({(r["scheme"], float(r["abr"]), float(r["pi"])) for r in ok})
    single = len({float(r["pt_dbm"]) for r in ok}) == 1
    name = {"ascc": "ASCC", "benchmark": "DJSCC-WF-ZF"}
    labels = []
    for n, (scheme, abr, pi) in enumerate(groups):
        rr = sorted((r for r in ok if r["scheme"] == scheme and float(r["abr"]) == abr
                     and float(r["pi"]) == pi), key=lambda r: float(r["pt_dbm"]))
        lab = f"{name.get(scheme, scheme)}, ABR {abr:g}" + (f", Π {pi:g} m²" if len(pis) > 1
                                                            else "")
        st = ps.style_of(n % len(ps.COLORS))
        ms = [float(r["msssim_pred"]) for r in rr]
        hc = [float(r["hcrb"]) for r in rr]
        if single:  # categories on x: one marker each, its value beside it
            labels.append(lab)
            a1.plot([n], ms, st["marker"], color=st["color"], ms=8)
            a2.semilogy([n], hc, st["marker"], color=st["color"], ms=8)
            a1.annotate(f"{ms[0]:.4f}", (n, ms[0]), xytext=(7, -3), textcoords="offset points")
            a2.annotate(f"{hc[0]:.3g} m²", (n, hc[0]), xytext=(7, -3),
                        textcoords="offset points")
        else:
            x = [float(r["pt_dbm"]) for r in rr]
            st["linestyle"] = "-" if scheme == "ascc" else "--"
            a1.plot(x, ms, ms=4, label=lab, **st)
            a2.semilogy(x, hc, ms=4, label=lab, **st)
    for pi in pis:
        a2.axhline(pi, color="k", lw=0.8, ls=":", label=f"HCRB limit Π = {pi:g} m²")
    a1.set(ylabel="predicted MS-SSIM", title="Image quality")
    a2.set(ylabel="Tr HCRB [m²]", title="Sensing error bound")
    ps.fit_ylim(a1, [v for ln in a1.get_lines() for v in ln.get_ydata()], pad=0.2,
                lo=0.0, hi=1.0)
    if single:
        pt = float(ok[0]["pt_dbm"]) if ok else float("nan")
        for a in (a1, a2):
            a.set_xticks(range(len(labels)), labels, rotation=20, ha="right")
            a.set_xlim(-0.5, len(labels) - 0.3)
            a.set_xlabel(f"scheme and ABR at P_T = {pt:g} dBm")
        a2.legend(loc="best")
    else:
        for a in (a1, a2):
            a.set_xlabel("transmit power P_T [dBm]")
        ps.legend_outside(a2)
    ps.footer(fig, f"{len(ok)} solved points of {len(rows)}; HCRB limit(s) Π = "
                   f"{', '.join(f'{p:g}' for p in pis)} m²")
    ps.save(fig, path)
