"""The shipped DJSCC ladder: its checkpoints, and the fitted MS-SSIM-vs-SNR curves.

``data/djscc/`` holds one checkpoint per (ABR, training SNR) named
``c<c>_snr<S>.ckpt`` (ABR = c/96), the curves file ``curves.json``
(:mod:`.curve`), its measured points ``curves.csv`` and plot ``curves.png``,
and a README card. :func:`fit_ladder_curves` measures every given checkpoint on
the shipped validation photos at a grid of SNRs, fits the curves and writes the
JSON and CSV; ``python -m scripts.fit_djscc_curves`` runs it and draws the PNG.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..atomic_io import write_csv_atomic
from ..datasets import shipped_photos
from ..runinfo import git_commit, run_command
from ..shipped_data import shipped_path
from .checkpoint import load_djscc
from .curve import DJSCCCurve, fit_djscc_curve, measure_djscc, save_djscc_curves

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
    """Measure and fit every checkpoint; writes ``out`` (JSON) and ``.csv`` beside it
    (``python -m scripts.fit_djscc_curves`` draws the ``.png``).

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
    return curves
