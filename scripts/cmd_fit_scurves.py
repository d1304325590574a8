"""``issc fit-scurves``: fit ASCC eq. (7) per model to a ber-sweep; fits.json + fig2.png."""

from __future__ import annotations

import argparse

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit-scurves", help="fit the logistic S-curves of ASCC eq. (7); Fig. 2")
    p.add_argument("--sweep", type=at.existing_dir, required=True,
                   help="folder written by issc ber-sweep")
    p.add_argument("--out", type=at.out_dir, required=True, help="output folder")
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
