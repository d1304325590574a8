"""Figure ``ascc-3-e2e``: ASCC Fig. 3 (MS-SSIM against P_T per scheme and ABR) with the
predicted curves as lines and the measured end-to-end points (``issc e2e``: bit flips and the
5G LDPC chain) as markers with 95% intervals (bootstrap over images, clipped to MS-SSIM's
[0, 1], :func:`e2e_intervals`). Also the predicted-vs-measured scatter that
``issc e2e`` writes beside its tables.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
from pathlib import Path

from scripts import argtypes as at
from scripts import plot_style as ps

MARKERS = {"bitflip": ("o", "bit flips at predicted ρ_b"), "ldpc": ("s", "5G LDPC chain"),
           "analog": ("D", "analog DJSCC link")}
#: Words for a design's BER model in the legends (ASCC eq. (4) or the measured LDPC table).
BER_MODEL_WORDS = {"fbl": "eq. (4) design", "ldpc": "LDPC-table design", "ldpc-ber":
                   "LDPC-table design", "": "design"}


def e2e_intervals(results: str | os.PathLike | list[dict], level: float = 0.95,
                  seed: int = 0) -> dict[tuple[int, str], tuple[float, float]]:
    """(design, channel) -> bootstrap interval of the mean MS-SSIM, clipped to [0, 1].

    ``results``: an ``issc e2e`` ``results.csv`` (or its rows). Clustered as the summary's
    mean (optim.e2e.summary): per image the mean over its trials, then the mean over
    images is resampled (over trials when there is one image).
    """
    if not isinstance(results, list):
        with open(results, newline="") as fh:
            results = list(csv.DictReader(fh))
    groups: dict[tuple[int, str], dict[str, list[float]]] = {}
    for r in results:
        g = groups.setdefault((int(r["design"]), r["channel"]), {})
        g.setdefault(r["image"], []).append(float(r["msssim_meas"]))
    out = {}
    for key, per_image in groups.items():
        vals = ([sum(v) / len(v) for v in per_image.values()] if len(per_image) >= 2
                else next(iter(per_image.values())))
        out[key] = ps.bootstrap_ci(vals, level=level, seed=seed, lo=0.0, hi=1.0)
    return out


def _with_intervals(summary: list[dict], intervals: dict | None) -> list[dict]:
    """Summary rows with msssim_lo/hi replaced by the bootstrap intervals where given."""
    if not intervals:
        return summary
    return [s | dict(zip(("msssim_lo", "msssim_hi"),
                         intervals.get((int(s["design"]), s["channel"]),
                                       (math.nan, math.nan)))) for s in summary]


def _err(s: dict) -> tuple[float, float]:
    if not (math.isfinite(s["msssim_lo"]) and math.isfinite(s["msssim_hi"])):
        return 0.0, 0.0
    return (max(0.0, s["msssim_meas"] - s["msssim_lo"]),
            max(0.0, s["msssim_hi"] - s["msssim_meas"]))


def plot_predicted_vs_measured(summary: list[dict], path: str | os.PathLike,
                               intervals: dict | None = None) -> Path:
    """Measured MS-SSIM (95% interval) against predicted, one marker per design and channel.

    ``intervals``: :func:`e2e_intervals` of the run (bootstrap, in [0, 1]); without it the
    summary's own intervals, clipped to [0, 1].
    """
    summary = _with_intervals(summary, intervals)
    fig, ax = ps.figure((5.8, 5.2))
    for ch, (mk, label) in MARKERS.items():
        rows = [s for s in summary if s["channel"] == ch]
        if not rows:
            continue
        lo_hi = list(zip(*(_err(s) for s in rows)))
        ax.errorbar([s["msssim_pred"] for s in rows], [s["msssim_meas"] for s in rows],
                    yerr=lo_hi, fmt=mk, ms=5, capsize=3, label=label)
    v = [s[k] for s in summary for k in ("msssim_pred", "msssim_meas")
         if math.isfinite(s[k])] or [0.0, 1.0]
    lo, hi = max(0.0, min(v) - 0.02), min(1.0, max(v) + 0.02)
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="measured = predicted")
    ax.set(xlabel="predicted MS-SSIM (S-curve at the design's ρ_b)",
           ylabel="measured MS-SSIM (mean over images, 95% CI)",
           title="Predicted against measured image quality", xlim=(lo, hi),
           ylim=(max(0.0, lo), min(1.0, hi)))
    ps.legend_outside(ax, "below", ncol=2)
    ps.footer(fig, "intervals: " + ("bootstrap over images, clipped to [0, 1]" if intervals
                                    else "from the summary, clipped to [0, 1]"))
    return ps.save(fig, path)


def _read_summary(folder: Path) -> list[dict]:
    path = folder / "summary.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: is {folder} an `issc e2e` output "
                                f"folder?")
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    num = {"design", "pt_dbm", "abr", "rc", "sinr_db", "ber_pred", "ber_meas", "msssim_pred",
           "msssim_meas", "msssim_lo", "msssim_hi"}
    return [{k: (float(v) if k in num else v) for k, v in r.items()} for r in rows]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--designs", required=True, help="designs.json (any run of `issc ascc`)")
    p.add_argument("--e2e", default=None,
                   help="an `issc e2e` output folder for the measured markers (optional)")
    p.add_argument("--allow-infeasible", action="store_true",
                   help="draw designs that violate a constraint of their scenario (each is "
                        "re-verified first: power, HCRB, R_c, SINR; refused without this)")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")


def run(args: argparse.Namespace) -> None:
    """ASCC Fig. 3 with measured end-to-end MS-SSIM (bit flips, LDPC) and 95% intervals."""
    from optim.ascc import load_designs
    from optim.ascc.verify import verify_designs
    from scripts.runinfo import run_record, write_csv_atomic

    out = Path(args.out)
    designs = load_designs(args.designs)
    if not designs:
        raise ValueError(f"designs file {args.designs} holds no designs")
    # a figure draws the designs' predictions: re-check each against its scenario first
    verify_designs(designs, args.allow_infeasible,
                   f"designs file {args.designs!r}")
    measured = _read_summary(Path(args.e2e)) if args.e2e else []
    if measured and (Path(args.e2e) / "results.csv").is_file():
        measured = _with_intervals(measured, e2e_intervals(Path(args.e2e) / "results.csv"))
    use_pt = all(math.isfinite(d.pt_dbm) for d in designs)
    xname = "pt_dbm" if use_pt else "sinr_db"
    with run_record(out, seed=None, designs=str(args.designs), e2e=args.e2e) as meta:
        rows = []
        for k, d in enumerate(designs):
            x = d.pt_dbm if use_pt else d.sinr_db
            rows.append({"design": k, "scheme": d.scheme, "abr": d.abr, "x": x, "kind":
                         "predicted", "channel": "", "model": d.model_name,
                         "ber_model": d.ber_model,
                         "msssim": d.msssim_pred, "lo": math.nan, "hi": math.nan})
        for s in measured:
            if int(s["design"]) >= len(designs):
                raise ValueError(f"e2e folder {args.e2e} has design {int(s['design'])}, the "
                                 f"designs file only {len(designs)}: not the same designs")
            d = designs[int(s["design"])]
            rows.append({"design": int(s["design"]), "scheme": d.scheme, "abr": d.abr,
                         "x": d.pt_dbm if use_pt else d.sinr_db, "kind": "measured",
                         "channel": s["channel"], "model": s["model"],
                         "ber_model": d.ber_model,
                         "msssim": s["msssim_meas"], "lo": s["msssim_lo"],
                         "hi": s["msssim_hi"]})
        write_csv_atomic(out / "fig3_e2e.csv", rows)
        fig, ax = ps.figure("wide")
        # a Fig. 3 grid: one line per (scheme, BER model of the design, ABR); designs
        # without P_T: one per codec too
        def key(r: dict) -> tuple:
            abr = "n/a" if math.isnan(r["abr"]) else f"{r['abr']:g}"
            return (r["scheme"], r["ber_model"], abr) + (() if use_pt else (r["model"],))

        groups = sorted({key(r) for r in rows})
        many = len(groups) > len(ps.COLORS)
        for n, g in enumerate(groups):
            col = ps.COLORS[n % len(ps.COLORS)]
            ls = ps.LINESTYLES[n // len(ps.COLORS) % len(ps.LINESTYLES)] if many else (
                "-" if g[0] == "ascc" else "--")
            name = ("ASCC" if g[0] == "ascc" else "DJSCC-WF-ZF") + (
                f" ({BER_MODEL_WORDS.get(g[1], g[1])})" if g[0] == "ascc" else "") + \
                f", ABR {g[2]}" + (f", {g[3]}" if len(g) > 3 else "")
            pred = sorted((r for r in rows if r["kind"] == "predicted" and key(r) == g),
                          key=lambda r: r["x"])
            ax.plot([r["x"] for r in pred], [r["msssim"] for r in pred], ls, color=col,
                    label=f"{name} (predicted)")
            for ch, (mk, label) in MARKERS.items():
                mes = [r for r in rows if r["kind"] == "measured" and r["channel"] == ch
                       and key(r) == g]
                if mes:
                    err = [[max(0.0, r["msssim"] - r["lo"]) if math.isfinite(r["lo"]) else 0
                            for r in mes],
                           [max(0.0, r["hi"] - r["msssim"]) if math.isfinite(r["hi"]) else 0
                            for r in mes]]
                    ax.errorbar([r["x"] for r in mes], [r["msssim"] for r in mes], yerr=err,
                                fmt=mk, color=col, mfc="none" if ch == "ldpc" else col, ms=6,
                                capsize=3, label=f"{name}: {label}")
        ax.set(xlabel="transmit power P_T [dBm]" if use_pt else
               "SINR at the CRE [dB] (designs carry no P_T)", ylabel="MS-SSIM",
               title="Predicted and measured image quality"
                     + ("" if measured else " (predicted only)"))
        ps.fit_ylim(ax, [r["msssim"] for r in rows] + [r[k] for r in rows if r["kind"] ==
                                                       "measured" for k in ("lo", "hi")],
                    lo=0.0, hi=1.0)
        ps.legend_outside(ax)
        ps.footer(fig, "ASCC Fig. 3 end to end. Lines: predicted (ASCC eq. (7) at the "
                       "design's ρ_b); markers: measured, 95% bootstrap interval over images "
                       "clipped to [0, 1]" + ("" if measured else "; no --e2e folder given"))
        ps.save(fig, out / "fig3_e2e.png")
        meta.update(x_axis=xname, n_designs=len(designs), n_measured=len(measured))
    print(f"figure -> {out / 'fig3_e2e.png'}")


FIGURES = {"ascc-3-e2e": (add_arguments, run)}
