"""``issc hcrb``: Tr(HCRB) vs P_T with/without the sync error (ASCC Fig. 4 shape, fixed
beamformer) and the ML estimator's MSE against the HCRB by Monte Carlo."""

from __future__ import annotations

import argparse

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hcrb", help="Tr(HCRB) vs P_T and estimator MSE vs HCRB (far field)")
    p.add_argument("--scenario", type=at.text_file, default=None,
                   help="scenario TOML file (default: ASCC Sec. V)")
    p.add_argument("--pt-dbm", type=at.power_dbm, nargs=2, default=[0.0, 80.0],
                   metavar=("MIN", "MAX"), help="transmit power range P_T [dBm]")
    p.add_argument("--points", type=at.int_at_least(2), default=33,
                   help="P_T points (linearly spaced in dBm)")
    p.add_argument("--comm-fraction", type=at.unit_interval, default=0.5,
                   help="power share of the SemCom beam in [0, 1] (w_c matched to h_c, w_0 to "
                        "target)")
    p.add_argument("--mc-pt-dbm", **at.list_of(at.power_dbm, nargs="*"),
                   default=[45, 50, 55, 60, 65, 70, 75],
                   help="powers P_T [dBm] for the estimator check (empty: skip)")
    p.add_argument("--trials", type=at.positive_int, default=100,
                   help="Monte Carlo trials per power")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of the Monte Carlo draws")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from pathlib import Path

    import numpy as np
    from tqdm import tqdm

    from linksim.farfield import ISSCScenario
    from linksim.farfield.studies import HCRB_COLUMNS, NOTES, estimator_check, hcrb_vs_power
    from scripts.guards import check_farfield
    from scripts.runinfo import run_record, write_csv_atomic, write_rows_atomic
    from semcodec.progress import bar_disabled, logger

    out = Path(args.out)
    scn = ISSCScenario.from_toml(args.scenario) if args.scenario else ISSCScenario()
    if args.points < 2:
        raise ValueError(f"points={args.points} is invalid: must be >= 2")
    check_farfield(scn, monte_carlo=bool(args.mc_pt_dbm))
    with run_record(out, seed=args.seed, scenario=scn.to_dict()) as meta:
        pt = np.linspace(args.pt_dbm[0], args.pt_dbm[1], args.points)
        bound = hcrb_vs_power(scn, pt, args.comm_fraction)
        write_rows_atomic(out / "hcrb_vs_pt.csv", HCRB_COLUMNS,
                          ([f"{v:.10g}" for v in row] for row in bound))
        _plot_bound(bound, args.comm_fraction, out / "hcrb_vs_pt.png")

        rng = np.random.default_rng(args.seed)
        logger.info(f"estimator MC: {len(args.mc_pt_dbm)} P_T values x {args.trials} trials")
        rows = list(tqdm(estimator_check(scn, args.mc_pt_dbm, args.trials, rng,
                                         args.comm_fraction),
                         total=len(args.mc_pt_dbm), desc="estimator MC",
                         disable=bar_disabled()))
        if rows:
            write_csv_atomic(out / "estimator_mse.csv", rows)
            _plot_estimator(rows, args.trials, out / "estimator_mse.png")
        meta.update(notes=NOTES, estimator=rows)
    print(f"{args.points} bound points -> {out / 'hcrb_vs_pt.csv'}; "
          + "; ".join(f"{r['pt_dbm']:g} dBm: MSE/HCRB={r['mse_over_hcrb']:.3f}" for r in rows))


def _plot_bound(bound: list[tuple], comm_fraction: float, path) -> None:
    """Tr HCRB and Tr CRB against P_T (rows of ``linksim.farfield.studies.hcrb_vs_power``)."""
    from scripts import plot_style as ps

    pt, tr_hcrb, tr_crb, _, _ = zip(*bound)
    fig, ax = ps.figure()
    ax.semilogy(pt, tr_hcrb, "o-", ms=3, label="Tr HCRB (with TS error)")
    ax.semilogy(pt, tr_crb, "s--", ms=3, label="Tr CRB (perfect sync)")
    ax.set_xlabel("transmit power P_T [dBm]")
    ax.set_ylabel("bound on position MSE [m²]")
    ax.set_title("Position error bounds against transmit power")
    ax.legend(loc="upper right")
    ps.footer(fig, f"fixed beams, {comm_fraction:.0%} of the power to semantic communication")
    ps.save(fig, path)


def _plot_estimator(rows: list[dict], trials: int, path) -> None:
    """Estimator MSE (95 % interval) against Tr HCRB and Tr CRB at the checked powers."""
    from scripts import plot_style as ps

    fig, ax = ps.figure()
    x = [r["pt_dbm"] for r in rows]
    ax.errorbar(x, [r["mse"] for r in rows], yerr=[r["mse_ci95"] for r in rows],
                fmt="o-", capsize=3, label=f"ML/MAP estimator MSE ({trials} trials)")
    ax.semilogy(x, [r["hcrb"] for r in rows], "k--", label="Tr HCRB")
    ax.semilogy(x, [r["crb"] for r in rows], ":", label="Tr CRB (perfect sync)")
    ax.set_yscale("log")
    ax.set_xlabel("transmit power P_T [dBm]")
    ax.set_ylabel("position MSE [m²]")
    ax.set_title("Estimator error against the bounds")
    ax.legend(loc="upper right")
    ps.footer(fig, f"{trials} Monte Carlo trials per power; interval: 95 %")
    ps.save(fig, path)
