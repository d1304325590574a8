"""``issc fit-scurves``: fit ASCC eq. (7) per model to a ber-sweep; fits.json + fig2.png."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit-scurves", help="fit the logistic S-curves of ASCC eq. (7); Fig. 2")
    p.add_argument("--sweep", type=at.existing_dir, required=True,
                   help="folder written by issc ber-sweep")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="recorded only: the fit is deterministic")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    import json

    from scripts.runinfo import run_record
    from semcodec.distortion_model import aggregate_sweep, fit_scurves

    aggregate_sweep(args.sweep)  # refuse a folder that is not a readable sweep before any work
    with run_record(args.out, seed=args.seed, sweep=str(args.sweep)) as meta:
        paths = fit_scurves(args.sweep, args.out)
        paths["fig2"] = plot_fig2(Path(args.out))
        doc = json.loads(paths["fits"].read_text())
        meta["fits"] = {m["model"]: {"r2_log10_mse": m["mse_fit"]["r2_log10"],
                                     "r2_ms_ssim": m["ms_ssim_fit"]["r2"],
                                     "plateau_error_mse": m["mse_fit"]["plateau_error"],
                                     "plateau_error_ms_ssim": m["ms_ssim_fit"]["plateau_error"]}
                        for m in doc["models"]}
    print("plateau anchored to the measured clean point; plateau error = fitted - measured "
          "clean (free: the same fit with the plateau left free)")
    print(f"{'model':>6} {'R_s bits':>9} {'Ds':>7} {'Dc':>6} {'E1':>6} {'E2':>6} {'R2':>6} "
          f"{'RMSE':>6} {'MSE plat.err':>12} {'free':>10} | {'MS-SSIM R2':>10} "
          f"{'plat.err':>9} {'free':>9}")

    def num(v: float | None, fmt: str) -> str:
        return "-" if v is None else format(v, fmt)

    for m in doc["models"]:
        f, g = m["mse_fit"], m["ms_ssim_fit"]
        print(f"{m['model']:>6} {m['rs_bits']:9.0f} {f['Ds']:7.3f} {f['Dc']:6.3f} {f['E1']:6.2f} "
              f"{f['E2']:6.2f} {f['r2_log10']:6.4f} {f['rmse_log10']:6.4f} "
              f"{f['plateau_error']:12.3e} {num(f['free_plateau_error'], '10.3e')} | "
              f"{g['r2']:10.4f} {g['plateau_error']:9.2e} {num(g['free_plateau_error'], '9.2e')}")
    order = doc["clean_order"]
    print(f"clean-quality order kept (best first, MS-SSIM {' > '.join(order['ms_ssim']['fitted'])}"
          f"): {order['kept']}" + ("" if order["free_kept"] is None
                                  else f"; free fit would keep it: {order['free_kept']}"))
    print(f"fits: {paths['fits']}  figure: {paths['fig2']}")


def plot_fig2(fit_dir: str | os.PathLike, path: str | os.PathLike | None = None) -> Path:
    """ASCC Fig. 2 from a fit folder (``fits.json`` + ``points.csv`` of
    :func:`semcodec.distortion_model.fit_scurves`): D_o (MSE) against rho_b, log-log, per
    model, measured and fitted; MS-SSIM beside. Written to ``fit_dir/fig2.png`` by default."""
    import csv
    import json
    import math

    import numpy as np

    from scripts import plot_style as ps
    from semcodec.distortion_model import scurve

    fit_dir = Path(fit_dir)
    doc = json.loads((fit_dir / "fits.json").read_text())
    with open(fit_dir / "points.csv", newline="") as fh:
        points = [{k: v if k == "model" else float(v) for k, v in r.items()}
                  for r in csv.DictReader(fh)]
    fig, (ax1, ax2) = ps.figure("double", 1, 2)
    bers = [p["ber"] for p in points]
    xs = np.linspace(math.log10(min(bers)), math.log10(max(bers)), 300)
    ms_all = []
    for k, m in enumerate(doc["models"]):
        st = ps.style_of(k % len(ps.COLORS))
        col, mk = st["color"], st["marker"]
        pts = [p for p in points if p["model"] == m["model"]]
        b = np.array([p["ber"] for p in pts])
        f1, f2 = m["mse_fit"], m["ms_ssim_fit"]
        ax1.loglog(b, [p["mse"] for p in pts], mk, color=col, ms=4, ls="none")
        ax1.loglog(10 ** xs, 10 ** scurve(xs, f1["Ds"], f1["Dc"], f1["E1"], f1["E2"]), "-",
                   color=col, label=f"{m['model']}: {m['rs_bits'] / 1000:.1f} kbit "
                                    f"({m.get('bpp', math.nan):.3f} bpp), R² {f1['r2_log10']:.3f}")
        if "clean_mse" in m:
            ax1.axhline(m["clean_mse"], color=col, ls=":", lw=0.8)
        fitted = scurve(xs, f2["S"], f2["C"], f2["E1"], f2["E2"])
        ms_all += [p["ms_ssim"] for p in pts] + list(fitted)
        ax2.semilogx(b, [p["ms_ssim"] for p in pts], mk, color=col, ms=4, ls="none")
        ax2.semilogx(10 ** xs, fitted, "-", color=col,
                     label=f"{m['model']}, R² {f2['r2']:.3f}")
    s = doc["sweep"]
    ax1.set(xlabel="bit error rate ρ_b", ylabel="distortion D_o (MSE, pixels in [0, 1])",
            title="Distortion against bit error rate")
    ax2.set(xlabel="bit error rate ρ_b", ylabel="MS-SSIM", title="MS-SSIM against bit error rate")
    ps.fit_ylim(ax2, ms_all, lo=0.0, hi=1.0)
    ps.legend_outside(ax1, "below", ncol=2, title="model: R_s, fit")
    ps.legend_outside(ax2, "below", ncol=3, title="model, fit")
    ps.footer(fig, f"ASCC Fig. 2. Markers: measured mean over {s['n_images']} images x "
                   f"{s['trials']} trials at {s['points']} ρ_b points (seed {s['seed']}); "
                   f"lines: ASCC eq. (7) fit; dotted: clean (error-free) MSE")
    return ps.save(fig, fit_dir / "fig2.png" if path is None else path)
