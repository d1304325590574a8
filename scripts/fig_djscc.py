"""Figure ``djscc-vs-digital``: MS-SSIM against SINR, the digital ladder through the 5G LDPC
chain against the analog deep JSCC (Bourtsoulatze et al. 2019), measured on real photos.

Per ABR and SINR:

- **digital**: the ladder's best link at that SINR under the bandwidth limit c/96 of the
  DJSCC models it is compared with (the same channel uses per image; ASCC's own
  choice, codec R_s and rate R_c, with rho_b from the measured 5G LDPC table;
  :func:`optim.e2e.designs.best_digital_at`), sent through the real LDPC chain
  (``issc e2e --channel ldpc``);
- **DJSCC**: each DJSCC model of the realisable ABR nearest it (c/96), on the analog
  channel (complex AWGN at the SINR, unit power per channel use, :mod:`optim.e2e.analog`).

Both run through :func:`optim.e2e.run_e2e` (resumable: rerun the same command), the digital
designs in ``OUT/e2e_digital``, the DJSCC ones in ``OUT/e2e_djscc_<curves hash>``, on the
shipped ``test`` photos by default. Writes ``djscc_vs_digital.csv`` (one
row per family, ABR and SINR: predicted and measured MS-SSIM with the 95% bootstrap
interval over images, clipped to [0, 1], PSNR, BLER), ``crossings.json`` (SINRs where
the digital curve crosses the best DJSCC curve, linear interpolation between measured
points), ``djscc_vs_digital.png`` (+ ``.pdf``) and ``meta.json``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from scripts import argtypes as at
from scripts import plot_style as ps

DEFAULT_SINRS = "-5,0,5,10,15,20"
QUICK = {"sinr_db": "-5,20", "max_images": 1, "crop": 64, "trials": 1}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--abr", **at.list_of(at.positive_float), default=[0.1],
                   help="ABR values ('a,b' or 'a b'; channel uses per source dimension); each "
                        "is served by the DJSCC models of the nearest c/96")
    p.add_argument("--sinr-db", **at.list_of(at.finite_float), default=None,
                   help=f"SINRs [dB] ('a,b' or 'a b'; default {DEFAULT_SINRS})")
    p.add_argument("--split", default="test", choices=("train", "val", "test", "all"),
                   help="shipped photos (default test: held out from training and fits)")
    p.add_argument("--max-images", type=at.positive_int, default=8, help="first N photos")
    p.add_argument("--crop", type=at.positive_int, default=None,
                   help="centred square crop (pixels; default whole photos)")
    p.add_argument("--trials", type=at.positive_int, default=2,
                   help="trials per design and image")
    p.add_argument("--djscc", type=at.existing_dir, default=None,
                   help="DJSCC folder with curves.json and checkpoints (default: shipped)")
    p.add_argument("--num-iter", type=at.positive_int, default=20, help="LDPC BP iterations")
    p.add_argument("--workers", type=at.positive_int, default=2, help="isolated worker processes")
    p.add_argument("--quick", action="store_true",
                   help="tiny grid for tests and demos: SINR -5 and 20 dB, 1 photo cropped "
                        "to 64 px, 1 trial (explicit options still win)")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of noise and LDPC draws")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")


def crossings(x: list[float], digital: list[float], analog: list[float]) -> list[float]:
    """SINRs where ``digital - analog`` changes sign (linear between points; exact zeros)."""
    out = []
    d = [a - b for a, b in zip(digital, analog)]
    for k in range(len(x) - 1):
        if d[k] == 0.0:
            out.append(float(x[k]))
        elif d[k] * d[k + 1] < 0:
            out.append(float(x[k] + (x[k + 1] - x[k]) * d[k] / (d[k] - d[k + 1])))
    if d and d[-1] == 0.0:
        out.append(float(x[-1]))
    return out


def run(args: argparse.Namespace) -> None:
    """MS-SSIM vs SINR: digital ladder through 5G LDPC vs analog DJSCC (95% intervals)."""
    from optim.ascc.benchmark_djscc import load_djscc_ladder
    from optim.ascc.inputs import float_list
    from optim.e2e import run_e2e
    from optim.e2e.designs import best_digital_at, djscc_design_at
    from scripts.fig_e2e import e2e_intervals
    from scripts.runinfo import run_record, write_csv_atomic, write_json_atomic
    from semcodec.djscc import nearest_c

    q = QUICK if args.quick else {}
    sinrs = float_list(args.sinr_db or q.get("sinr_db", DEFAULT_SINRS), "sinr-db")
    abrs = float_list(args.abr, "abr", positive=True)
    max_images = q.get("max_images", args.max_images)
    crop = args.crop or q.get("crop")
    trials = q.get("trials", args.trials)
    curves_path = Path(args.djscc) / "curves.json" if args.djscc else None
    ladder = load_djscc_ladder(curves_path)
    for a in abrs:
        ladder.check_abr(a)
    out = Path(args.out)
    with run_record(out, seed=args.seed, abr=abrs, sinr_db=sinrs, split=args.split,
                    max_images=max_images, crop=crop, trials=trials,
                    djscc_curves=str(ladder.path), quick=bool(args.quick)) as meta:
        designs, tags = [], []
        for a in abrs:
            for s in sinrs:
                # the digital link gets the DJSCC models' bandwidth exactly: c/96
                designs.append(best_digital_at(s, nearest_c(a) / 96))
                tags.append(("digital", a, s))
            for c in (k for k in ladder.curves if k.c == nearest_c(a)):
                for s in sinrs:
                    designs.append(djscc_design_at(c, s, ladder.model_sha256.get(c.name, ""),
                                                   abr=a))
                    tags.append((c.name, a, s))
        # two resumable e2e folders: the digital half does not depend on the DJSCC ladder,
        # so a retrained ladder reuses it (the analog half is keyed by the curves' hash)
        dig = [k for k, t in enumerate(tags) if t[0] == "digital"]
        ana = [k for k, t in enumerate(tags) if t[0] != "digital"]
        by_design, counts = {}, {}
        for name, idx in (("e2e_digital", dig), (f"e2e_djscc_{ladder.sha256[:12]}", ana)):
            res = run_e2e(out / name, [designs[k] for k in idx], channel="ldpc",
                          trials=trials, seed=args.seed, workers=args.workers,
                          split=args.split, max_images=max_images, crop=crop,
                          num_iter=args.num_iter, djscc_dir=ladder.path.parent)
            iv = e2e_intervals(res["results"])  # bootstrap over images, inside [0, 1]
            by_design.update({idx[int(r["design"])]: r | dict(zip(
                ("msssim_lo", "msssim_hi"), iv[(int(r["design"]), r["channel"])]))
                for r in res["rows"]})
            counts[name] = res["counts"]
        rows = []
        for k, (fam, a, s) in enumerate(tags):
            r, d = by_design[k], designs[k]
            rows.append({"family": "digital" if fam == "digital" else "djscc", "model": fam
                         if fam != "digital" else d.model_name, "abr": a, "sinr_db": s,
                         "rc": d.rc, "msssim_pred": d.msssim_pred,
                         "msssim_meas": r["msssim_meas"], "msssim_lo": r["msssim_lo"],
                         "msssim_hi": r["msssim_hi"], "psnr_meas": r["psnr_meas"],
                         "bler_meas": r["bler_meas"], "n_images": r["n_images"],
                         "n_trials": r["n_trials"]})
        write_csv_atomic(out / "djscc_vs_digital.csv", rows)
        cross = {}
        for a in abrs:
            dig = [r for r in rows if r["abr"] == a and r["family"] == "digital"]
            ana = [r for r in rows if r["abr"] == a and r["family"] == "djscc"]
            best = [max(r["msssim_meas"] for r in ana if r["sinr_db"] == s) for s in sinrs]
            cross[f"{a:g}"] = {
                "sinr_db": sinrs, "digital": [r["msssim_meas"] for r in dig],
                "djscc_best": best,
                "digital_minus_djscc": [r["msssim_meas"] - b for r, b in zip(dig, best)],
                "crossings_db": crossings(sinrs, [r["msssim_meas"] for r in dig], best)}
        write_json_atomic(out / "crossings.json", cross)
        settings = (f"{args.split} photos, first {max_images}"
                    + (f", {crop} px crops" if crop else "") + f"; {trials} trial(s) per image; "
                    f"LDPC {args.num_iter} BP iterations; seed {args.seed}; intervals: 95% "
                    "bootstrap over images, clipped to [0, 1]")
        _plot(rows, abrs, sinrs, ladder, cross, out / "djscc_vs_digital.png", settings,
              quick=bool(args.quick))
        meta.update(figure="djscc-vs-digital", crossings=cross, counts=counts)
    for a, c in cross.items():
        print(f"ABR {a}: digital crosses the best DJSCC at SINR {c['crossings_db']} dB")
    print(f"wrote {out / 'djscc_vs_digital.png'} and {out / 'djscc_vs_digital.csv'}")


def _plot(rows: list[dict], abrs: list[float], sinrs: list[float], ladder, cross: dict,
          path: Path, settings: str = "", quick: bool = False) -> None:
    import numpy as np

    from semcodec.djscc import nearest_c

    fig, axes = ps.figure((7.0 * len(abrs), 4.8), 1, len(abrs), squeeze=False)
    fine = np.linspace(min(sinrs), max(sinrs), 200)
    for ax, a in zip(axes[0], abrs):
        fams = sorted({r["model"] for r in rows if r["abr"] == a and r["family"] == "djscc"})
        series = [("digital", "digital ladder, 5G LDPC (best codec, R_c per SINR)",
                   ps.COLORS[-1])]
        series += [(f, f"DJSCC {f}", ps.COLORS[n % 7]) for n, f in enumerate(fams)]
        for fam, label, col in series:
            rr = [r for r in rows if r["abr"] == a and (r["model"] == fam or (
                fam == "digital" and r["family"] == "digital"))]
            rr.sort(key=lambda r: r["sinr_db"])
            y = [r["msssim_meas"] for r in rr]
            err = [[max(0.0, r["msssim_meas"] - r["msssim_lo"])
                    if math.isfinite(r["msssim_lo"]) else 0 for r in rr],
                   [max(0.0, r["msssim_hi"] - r["msssim_meas"])
                    if math.isfinite(r["msssim_hi"]) else 0 for r in rr]]
            ax.errorbar([r["sinr_db"] for r in rr], y, yerr=err, fmt="-o" if fam == "digital"
                        else "-s", color=col, ms=4, capsize=3, label=f"{label} (measured)")
            if fam == "digital":
                ax.plot([r["sinr_db"] for r in rr], [r["msssim_pred"] for r in rr], ":",
                        color=col, lw=1, label="digital predicted (LDPC table + S-curve)")
                for r in rr:
                    ax.annotate(f"{r['model']} R_c={r['rc']:.2f}", (r["sinr_db"],
                                r["msssim_meas"]), fontsize=ps.MIN_FONT_PT, xytext=(5, 4),
                                textcoords="offset points")
        for n, c in enumerate(k for k in ladder.curves if k.c == nearest_c(a)):
            ax.plot(fine, c.predict_msssim(fine), "--", lw=0.8, color=ps.COLORS[n % 7],
                    label=f"DJSCC {c.name} fitted curve")
        for xc in cross[f"{a:g}"]["crossings_db"]:
            ax.axvline(xc, color="grey", lw=0.8, ls="-.")
        ax.set(xlabel="SINR at the receiver [dB] (unit power per channel use)",
               ylabel="MS-SSIM (mean over photos, 95% CI)",
               title=f"Digital link against deep JSCC, ABR {a:g}")
        ps.subtitle(ax, f"DJSCC models with c = {nearest_c(a)} ({nearest_c(a)}/96); "
                        "dash-dot: crossings" + (f"; only {len(sinrs)} SINR points: lines "
                                                 "join them, no cliff shape" if quick else ""))
        ps.fit_ylim(ax, [v for ln in ax.get_lines() for v in ln.get_ydata()], lo=0.0, hi=1.0)
        ps.legend_outside(ax, "below", ncol=2)
    ps.footer(fig, settings, quick=quick)
    ps.save(fig, path)


FIGURES = {"djscc-vs-digital": (add_arguments, run)}
