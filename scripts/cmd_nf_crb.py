"""``issc nf-crb`` (LS-estimator MSE vs CRB limit, NF Fig. 10) and ``issc nf-fresnel``
(Fresnel / plane-wave error vs distance at the scenario's geometry)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at
from scripts.runinfo import run_record, write_csv_atomic, write_json_atomic


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("nf-crb", help="NF Fig. 10: LS estimate of the echo matrix, MSE vs CRB")
    p.add_argument("--scenario", type=at.text_file, default=None,
                   help="NF scenario TOML (default: NF Table I)")
    p.add_argument("--xi", **at.list_of(at.positive_float),
                   default=[0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
                   help="CRB limits xi (sum of entry variances of G)")
    p.add_argument("--frames", type=at.positive_int, default=None,
                   help="F frames per estimate (default: the scenario's)")
    p.add_argument("--trials", type=at.positive_int, default=500,
                   help="Monte Carlo trials per xi")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of the Monte Carlo draws")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.set_defaults(func=run_crb)

    p = sub.add_parser("nf-fresnel", help="Fresnel and plane-wave phase error vs distance")
    p.add_argument("--scenario", type=at.text_file, default=None,
                   help="NF scenario TOML (default: NF Table I)")
    p.add_argument("--dmin", type=at.positive_float, default=None,
                   help="smallest distance [m] (default: the array aperture)")
    p.add_argument("--dmax", type=at.positive_float, default=None,
                   help="largest distance [m] (default: 20 Rayleigh distances)")
    p.add_argument("--points", type=at.int_at_least(2), default=40,
                   help="log-spaced distances")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="recorded only (the sweep is exact)")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.set_defaults(func=run_fresnel)


def _scenario(path: str | None):
    from linksim.nearfield import NFScenario
    from scripts.guards import check_nearfield

    scn = NFScenario() if path is None else NFScenario.from_toml(path)
    check_nearfield(scn)
    return scn



def run_crb(args: argparse.Namespace) -> None:
    import numpy as np
    from tqdm import tqdm

    from linksim.nearfield.studies import crb_limit_sweep
    from scripts import plot_style as ps
    from semcodec.progress import bar_disabled

    scn = _scenario(args.scenario)
    if args.frames is not None and args.frames <= scn.n_t:  # before any work or output folder
        raise ValueError(f"frames={args.frames} is invalid: must exceed N_t={scn.n_t} (X must "
                         f"have full row rank, NF Sec. II-A)")
    out = Path(args.out)
    with run_record(out, seed=args.seed, scenario=scn.to_dict()) as meta:
        rng = np.random.default_rng(args.seed)
        rows = list(tqdm(crb_limit_sweep(scn, args.xi, args.trials, rng, args.frames),
                         total=len(args.xi), desc="nf-crb",
                         disable=bar_disabled()))
        write_csv_atomic(out / "results.csv", rows)
        frames = rows[0]["frames"]
        gaps = [r["ratio_design"] - 1 for r in rows]
        summary = {"frames": frames, "n_t": scn.n_t, "n_r": scn.n_r, "trials": args.trials,
                   "mean_gap_vs_design_crb": float(np.mean(gaps)),
                   "theory_gap_wishart": frames / (frames - scn.n_t) - 1,
                   "inverse_sqrt_f": frames ** -0.5,
                   "mean_ratio_vs_realised_crb": float(np.mean([r["ratio_realised"]
                                                                for r in rows])),
                   "design": "MRT + isotropic sensing (80/20) scaled so CRB(G) = xi (binding)",
                   "rows": rows}
        write_json_atomic(out / "results.json", summary)
        meta.update({k: v for k, v in summary.items() if k != "rows"})

        xi = np.array([r["xi"] for r in rows])
        fig, ax = ps.figure()
        ax.plot(xi, xi, "k--", label="ideal: MSE = CRB = $\\xi$")
        ax.plot(xi, xi * frames / (frames - scn.n_t), ":", color=ps.COLORS[2],
                label=f"Wishart: $\\xi F/(F-N_t)$, F={frames}")
        ax.errorbar(xi, [r["mse"] for r in rows], yerr=[2 * r["mse_stderr"] for r in rows],
                    fmt="o-", ms=4, capsize=2, label=f"LS estimate ({args.trials} trials)")
        ax.set_xlabel("CRB upper limit $\\xi$")
        ax.set_ylabel("MSE of $\\hat{G}$  (sum over entries)")
        ax.set_title("Echo-matrix estimation error against the CRB limit")
        ax.legend(loc="upper left")
        ps.footer(fig, f"NF Fig. 10 form. Mean gap to the CRB "
                       f"{100 * summary['mean_gap_vs_design_crb']:.1f}% (1/√F = "
                       f"{100 * frames ** -0.5:.0f}%); {args.trials} trials; bars ±2 s.e.; "
                       f"seed {args.seed}")
        ps.save(fig, out / "nf_crb.png")
    print(f"nf-crb: mean MSE/CRB - 1 = {summary['mean_gap_vs_design_crb']:.4f} "
          f"(Wishart theory {summary['theory_gap_wishart']:.4f}, 1/sqrt(F) "
          f"{summary['inverse_sqrt_f']:.4f}); results in {out}")


def run_fresnel(args: argparse.Namespace) -> None:
    import numpy as np

    from linksim.nearfield.studies import fresnel_error_sweep
    from scripts import plot_style as ps

    scn = _scenario(args.scenario)
    dmin = scn.aperture_m * 1.01 if args.dmin is None else args.dmin
    dmax = 20 * scn.rayleigh_distance_m if args.dmax is None else args.dmax
    if not 0 < dmin < dmax:
        raise ValueError(f"dmin={dmin}, dmax={dmax} is invalid: need 0 < dmin < dmax")
    if args.points < 2:
        raise ValueError(f"points={args.points} is invalid: must be >= 2")
    out = Path(args.out)
    with run_record(out, seed=args.seed, scenario=scn.to_dict()) as meta:
        rows = list(fresnel_error_sweep(scn, np.geomspace(dmin, dmax, args.points)))
        write_csv_atomic(out / "results.csv", rows)
        at_rayleigh = list(fresnel_error_sweep(scn, [scn.rayleigh_distance_m]))
        users = list(fresnel_error_sweep(scn, [min(scn.users_d_m), max(scn.users_d_m)]))
        summary = {"aperture_m": scn.aperture_m, "rayleigh_distance_m": scn.rayleigh_distance_m,
                   "wavelength_m": scn.wavelength, "at_rayleigh_distance": at_rayleigh,
                   "at_user_distances": users}
        write_json_atomic(out / "results.json", summary)
        meta.update(summary)

        fig, ax = ps.figure()
        # legend text kept as shipped; the model is NF eq. (8) with NF eq. (9)
        labels = {"fresnel": "Fresnel, eqs. (8)-(9) as printed",
                  "fresnel_full": "Fresnel with x z cross term", "planar": "plane wave"}
        for k, (model, label) in enumerate(labels.items()):
            sel = [r for r in rows if r["model"] == model]
            ax.loglog([r["distance_m"] for r in sel], [r["max_phase_error_rad"] for r in sel],
                      label=label, color=ps.COLORS[k], ls=ps.LINESTYLES[k])
        ax.axvline(scn.rayleigh_distance_m, color="k", ls="--", lw=0.8,
                   label=f"Rayleigh 2D$^2/\\lambda$ = {scn.rayleigh_distance_m:.1f} m")
        ax.axhline(np.pi / 8, color="grey", ls=":", lw=0.8, label="$\\pi/8$")
        ax.set_xlabel("distance d [m]")
        ax.set_ylabel("largest phase error against the exact model [rad]")
        ax.set_title("Phase models against the exact spherical wave")
        ps.legend_outside(ax)
        ps.footer(fig, "at the corners of the movable-antenna regions")
        ps.save(fig, out / "nf_fresnel.png")
    for r in at_rayleigh:
        print(f"nf-fresnel: at d = {r['distance_m']:.2f} m (Rayleigh) {r['model']}: max phase "
              f"error {r['max_phase_error_rad']:.4f} rad")
    print(f"results in {out}")
