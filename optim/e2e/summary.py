"""Aggregation of end-to-end rows: means and 95% intervals per design and channel.

The S-curves predict the mean over images of the expected distortion, so the interval is
taken over images: per image the mean over its trials, then a Student-t 95% interval of
the mean over images (over trials when there is one image; NaN from a single row).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from scipy import stats

SUMMARY_COLUMNS = ("design", "scheme", "pt_dbm", "abr", "model", "rc", "sinr_db", "ber_model",
                   "channel", "n_images", "n_trials", "ber_pred", "ber_meas", "bler_meas",
                   "msssim_pred", "msssim_meas", "msssim_lo", "msssim_hi", "msssim_clean",
                   "mse_pred", "mse_meas", "mse_lo", "mse_hi", "psnr_meas", "decode_failed",
                   "violations")


def mean_ci(values: Iterable[float], level: float = 0.95,
            bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float, float]:
    """(mean, lower, upper) Student-t interval, clipped to the metric's range ``bounds``
    (MS-SSIM: [0, 1]; a few images far apart would otherwise reach below 0); NaN bounds
    for fewer than 2 values."""
    v = np.asarray(list(values), dtype=float)
    if v.size == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if v.size < 2:
        return m, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))
    return m, max(m - half, bounds[0]), min(m + half, bounds[1])


def _clustered(rows: list[dict], key: str,
               bounds: tuple[float, float] = (-math.inf, math.inf)) -> tuple[float, float, float]:
    per_image: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        per_image[r["image"]].append(float(r[key]))
    if len(per_image) >= 2:
        return mean_ci((np.mean(v) for v in per_image.values()), bounds=bounds)
    return mean_ci((float(r[key]) for r in rows), bounds=bounds)


def summarise(rows: list[dict], clean: dict[tuple[str, str], float] | None = None,
              ber_models: dict[int, str] | None = None) -> list[dict]:
    """Summary rows (:data:`SUMMARY_COLUMNS`) per (design, channel), in design order.

    Args:
        rows: result rows (strings or numbers) with the ``results.csv`` columns.
        clean: ``(model, image) -> clean MS-SSIM`` for the ``msssim_clean`` column.
        ber_models: design index -> the BER model its prediction used.
    """
    groups: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for r in rows:
        groups[(int(r["design"]), r["channel"])].append(r)
    out = []
    for (d, ch), rs in sorted(groups.items()):
        f = rs[0]
        ms, ms_lo, ms_hi = _clustered(rs, "msssim_meas", (0.0, 1.0))
        mse, mse_lo, mse_hi = _clustered(rs, "mse_meas", (0.0, math.inf))
        images = sorted({r["image"] for r in rs})
        cl = [clean[(f["model"], im)] for im in images if clean and (f["model"], im) in clean]
        out.append({
            "design": d, "scheme": f["scheme"], "pt_dbm": float(f["pt_dbm"]),
            "abr": float(f["abr"]), "model": f["model"], "rc": float(f["rc"]),
            "sinr_db": float(f["sinr_db"]), "ber_model": (ber_models or {}).get(d, ""),
            "channel": ch, "n_images": len(images), "n_trials": len(rs),
            "ber_pred": float(f["ber_pred"]),
            "ber_meas": float(np.mean([float(r["ber_meas"]) for r in rs])),
            "bler_meas": float(np.mean([float(r["bler_meas"]) for r in rs])),
            "msssim_pred": float(f["msssim_pred"]), "msssim_meas": ms, "msssim_lo": ms_lo,
            "msssim_hi": ms_hi, "msssim_clean": float(np.mean(cl)) if cl else math.nan,
            "mse_pred": float(f["mse_pred"]), "mse_meas": mse, "mse_lo": mse_lo,
            "mse_hi": mse_hi,
            "psnr_meas": float(np.mean([float(r["psnr_meas"]) for r in rs])),
            "decode_failed": int(sum(int(r["decode_failed"]) for r in rs)),
            # constraints of its scenario the design violates (issc e2e --allow-infeasible)
            "violations": f.get("violations", ""),
        })
    return out


def format_summary(summary: list[dict]) -> str:
    """A short plain-text table: predicted against measured MS-SSIM per design and channel."""
    head = (f"{'design':>6} {'scheme':>9} {'model':>5} {'R_c':>5} {'SINR dB':>7} {'channel':>7} "
            f"{'BER pred':>9} {'BER meas':>9} {'MS-SSIM pred':>12} {'measured [95% CI]':>24}")
    lines = [head, "-" * len(head)]
    for s in summary:
        ci = (f"[{s['msssim_lo']:.3f}, {s['msssim_hi']:.3f}]"
              if math.isfinite(s["msssim_lo"]) else "[n/a]")
        lines.append(f"{s['design']:>6} {s['scheme']:>9} {s['model']:>5} {s['rc']:>5.2f} "
                     f"{s['sinr_db']:>7.2f} {s['channel']:>7} {s['ber_pred']:>9.2e} "
                     f"{s['ber_meas']:>9.2e} {s['msssim_pred']:>12.4f} "
                     f"{s['msssim_meas']:>8.4f} {ci:>15}")
    return "\n".join(lines)
