"""``python -m scripts.fit_djscc_curves``: measure and fit the DJSCC MS-SSIM-vs-SNR curves of
the given (or shipped) ladder (:func:`semcodec.djscc.ladder.fit_ladder_curves`) and draw them.

Writes ``curves.json``, ``curves.csv`` and ``curves.png`` (+ ``.pdf``) at ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from semcodec.djscc.curve import CURVE_FORM, DJSCCCurve
from semcodec.djscc.ladder import SHIPPED_DJSCC, fit_ladder_curves, shipped_checkpoints


def plot_curves(curves: list[DJSCCCurve], path: str | os.PathLike) -> Path:
    """MS-SSIM against SNR [dB] per model: measured points and the fitted logistic."""
    from scripts import plot_style as ps

    fig, ax = ps.figure("wide")
    lowest = min(k.train_snr_db[0] for k in curves)
    values = []
    for n, cur in enumerate(curves):
        st = ps.style_of(n % len(ps.COLORS))
        x = np.array([p["snr_db"] for p in cur.points])
        xs = np.linspace(x.min(), x.max(), 200)
        y = [p["ms_ssim"] for p in cur.points]
        values += y
        ax.plot(x, y, st["marker"], color=st["color"], ms=4, ls="none")
        ax.plot(xs, cur.predict_msssim(xs), "-" if cur.train_snr_db[0] == lowest else "--",
                color=st["color"], label=f"{cur.name}: ABR {cur.c}/96, trained at "
                                        f"{cur.train_snr_db[0]:g} dB")
    ax.set(xlabel="channel SNR [dB]", ylabel="MS-SSIM (validation photos)",
           title="Deep JSCC quality against channel SNR")
    ps.fit_ylim(ax, values, lo=0.0, hi=1.0)
    ps.legend_outside(ax)
    ps.footer(fig, f"markers: measured; lines: fitted {CURVE_FORM}")
    return ps.save(fig, path)


def main(argv: list[str] | None = None) -> int:
    """Fit the curves of the given (or shipped) ladder, write them and their figure."""
    p = argparse.ArgumentParser(prog="python -m scripts.fit_djscc_curves",
                                description="measure and fit DJSCC MS-SSIM-vs-SNR curves")
    p.add_argument("--ckpts", nargs="*", default=None,
                   help="DJSCC checkpoints (default: data/djscc/*.ckpt)")
    p.add_argument("--out", default=str(SHIPPED_DJSCC / "curves.json"), help="curves JSON")
    p.add_argument("--trials", type=int, default=1, help="noise draws per image and SNR")
    p.add_argument("--seed", type=int, default=0, help="seed of the channel noise")
    args = p.parse_args(argv)
    try:
        ckpts = [Path(c) for c in args.ckpts] if args.ckpts else shipped_checkpoints()
        if not ckpts:
            raise ValueError("no DJSCC checkpoints given or found in data/djscc")
        curves = fit_ladder_curves(ckpts, args.out, trials=args.trials, seed=args.seed)
        plot_curves(curves, Path(args.out).with_suffix(".png"))
        for cur in curves:
            print(f"{cur.name}: R2 {cur.r2:.4f}, RMSE {cur.rmse:.4f}, MS-SSIM at -5/0/5/10/15/20 "
                  f"dB: " + " ".join(f"{v:.3f}" for v in cur.predict_msssim(
                      np.array([-5.0, 0, 5, 10, 15, 20]))))
    except (ValueError, FileNotFoundError) as exc:
        print(f"fit_djscc_curves: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
