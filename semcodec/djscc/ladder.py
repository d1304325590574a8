"""The shipped DJSCC ladder: its checkpoints, and the fitted MS-SSIM-vs-SNR curves.

``data/djscc/`` holds one checkpoint per (ABR, training SNR) named
``c<c>_snr<S>.ckpt`` (ABR = c/96), the curves file ``curves.json``
(:mod:`.curve`), its measured points ``curves.csv`` and plot ``curves.png``,
and a README card. ``python -m semcodec.djscc.ladder`` measures every given
checkpoint on the shipped validation photos at a grid of SNRs, fits the curves
and writes those three files.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

from ..atomic_io import atomic_target, write_csv_atomic
from ..datasets import shipped_photos
from ..runinfo import git_commit, run_command
from ..shipped_data import shipped_path
from .checkpoint import load_djscc
from .curve import CURVE_FORM, DJSCCCurve, fit_djscc_curve, measure_djscc, save_djscc_curves

#: Folder of the shipped ladder.
SHIPPED_DJSCC = shipped_path("djscc")

#: Default SNR grid of the curves [dB]: -5 to 25 in 2.5 dB steps.
SNR_GRID = tuple(float(v) for v in np.arange(-5.0, 25.01, 2.5))


def shipped_checkpoints(folder: str | os.PathLike = SHIPPED_DJSCC) -> list[Path]:
    """The DJSCC checkpoints of ``folder`` (``*.ckpt``, sorted by name)."""
    return sorted(Path(folder).glob("*.ckpt"))


def validation_images() -> list:
    """The shipped validation photos (split ``val``) as 256x256 centre crops, (3, 256, 256)."""
    val = shipped_photos("val", 256)
    return [val[i] for i in range(len(val))]


def fit_ladder_curves(ckpts: list[Path], out: str | os.PathLike,
                      snr_grid: tuple[float, ...] = SNR_GRID, trials: int = 1,
                      seed: int = 0, progress: bool = True) -> list[DJSCCCurve]:
    """Measure and fit every checkpoint; writes ``out`` (JSON), ``.csv`` and ``.png`` beside.

    Checkpoint paths are stored relative to the folder of ``out`` when they lie in it.
    """
    from tqdm import tqdm

    from ..progress import bar_disabled

    out = Path(out)
    images = validation_images()
    curves = []
    for ck in tqdm(ckpts, desc="DJSCC curves", disable=bar_disabled(progress)):
        model, meta = load_djscc(ck)
        pts = measure_djscc(model, images, list(snr_grid), trials=trials, seed=seed)
        rel = os.path.relpath(ck, out.parent) if Path(ck).resolve().parent == \
            out.parent.resolve() else str(ck)
        curves.append(fit_djscc_curve(Path(ck).stem, rel, model,
                                      tuple(meta.get("train_snr_db", (np.nan, np.nan))), pts))
    save_djscc_curves(curves, out, {
        "images": f"data/photos split val, {len(images)} photos, 256x256 centre crops",
        "trials": trials, "seed": seed, "snr_grid_db": list(snr_grid),
        "command": run_command(), "commit": git_commit()})
    write_csv_atomic(out.with_suffix(".csv"), [
        {"model": c.name, "c": c.c, "abr": c.abr, "train_snr_lo": c.train_snr_db[0],
         "train_snr_hi": c.train_snr_db[1], **p,
         "ms_ssim_fit": float(c.predict_msssim(p["snr_db"]))} for c in curves for p in c.points])
    plot_curves(curves, out.with_suffix(".png"))
    return curves


def plot_curves(curves: list[DJSCCCurve], path: str | os.PathLike) -> Path:
    """MS-SSIM against SNR per model: measured points and fitted logistic."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.8))
    cmap = plt.get_cmap("viridis")
    cs = sorted({c.c for c in curves})
    for cur in curves:
        col = cmap(cs.index(cur.c) / max(1, len(cs) - 1) * 0.9)
        x = np.array([p["snr_db"] for p in cur.points])
        xs = np.linspace(x.min(), x.max(), 200)
        ls = "-" if cur.train_snr_db[0] == min(k.train_snr_db[0] for k in curves) else "--"
        ax.plot(x, [p["ms_ssim"] for p in cur.points], "o", color=col, ms=3)
        ax.plot(xs, cur.predict_msssim(xs), ls, color=col,
                label=f"{cur.name}: ABR {cur.c}/96, train {cur.train_snr_db[0]:g} dB")
    ax.set(xlabel="channel SNR [dB]", ylabel="MS-SSIM (val photos)",
           title=f"DJSCC MS-SSIM vs SNR (dots measured, lines {CURVE_FORM})")
    ax.title.set_fontsize(8)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = Path(path)
    with atomic_target(path) as tmp:
        fig.savefig(tmp, dpi=120, format="png")
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m semcodec.djscc.ladder``: fit the curves of the given (or shipped) ladder."""
    p = argparse.ArgumentParser(prog="python -m semcodec.djscc.ladder",
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
        for cur in fit_ladder_curves(ckpts, args.out, trials=args.trials, seed=args.seed):
            print(f"{cur.name}: R2 {cur.r2:.4f}, RMSE {cur.rmse:.4f}, MS-SSIM at -5/0/5/10/15/20 "
                  f"dB: " + " ".join(f"{v:.3f}" for v in cur.predict_msssim(
                      np.array([-5.0, 0, 5, 10, 15, 20]))))
    except (ValueError, FileNotFoundError) as exc:
        print(f"semcodec.djscc.ladder: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
