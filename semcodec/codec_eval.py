"""Codec evaluation against a JPEG anchor at matched bits per pixel (``issc codec-eval``).

For every model and image: encode and decode through the real bitstream,
then encode the same image with Pillow JPEG at the quality whose bpp is
closest to the codec's (bisection), and report both. :func:`run_codec_eval`
is the whole job (tables, figure, ``meta.json``) that ``issc codec-eval`` and
``issc demo`` run.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .atomic_io import write_csv_atomic, write_json_atomic
from .checkpoint import load_codec
from .datasets import list_images, load_image, shipped_photos
from .evaluate import PAD_MULTIPLE, codec_roundtrip, jpeg_at_bpp, ms_ssim, psnr
from .ladder import SHIPPED_CODECS, shipped_ladder
from .runinfo import run_record

FIELDS = ["model", "lambda", "image", "bpp", "psnr", "ms_ssim", "jpeg_bpp", "jpeg_psnr",
          "jpeg_ms_ssim", "jpeg_quality"]


def evaluate_codecs(ckpts: list[str | os.PathLike], images: list[str | os.PathLike],
                    progress: bool = True) -> list[dict]:
    """Per-image rows (see ``FIELDS``) for every checkpoint (model index = position + 1)."""
    imgs = [(Path(p).name, load_image(p)) for p in images]
    rows = []
    bar = tqdm(total=len(ckpts) * len(imgs), desc="codec-eval", disable=not progress)
    for k, ck in enumerate(ckpts, 1):
        model, meta = load_codec(ck)
        for name, img in imgs:
            rec, nbits, _ = codec_roundtrip(model, img)
            bpp = nbits / (img.shape[-1] * img.shape[-2])
            jrec, jbpp, q = jpeg_at_bpp(img, bpp)
            rows.append({"model": k, "lambda": meta["lambda"], "image": name, "bpp": bpp,
                         "psnr": psnr(img, rec), "ms_ssim": ms_ssim(img, rec), "jpeg_bpp": jbpp,
                         "jpeg_psnr": psnr(img, jrec), "jpeg_ms_ssim": ms_ssim(img, jrec),
                         "jpeg_quality": q})
            bar.update(1)
    bar.close()
    return rows


def summarize(rows: list[dict]) -> list[dict]:
    """Per-model means of every numeric column, with the gains over JPEG."""
    by = defaultdict(list)
    for r in rows:
        by[r["model"]].append(r)
    out = []
    for k in sorted(by):
        rs = by[k]
        m = {f: float(np.mean([r[f] for r in rs])) for f in FIELDS[3:]}
        out.append({"model": k, "lambda": rs[0]["lambda"], "n_images": len(rs), **m,
                    "psnr_gain_db": m["psnr"] - m["jpeg_psnr"],
                    "ms_ssim_gain": m["ms_ssim"] - m["jpeg_ms_ssim"]})
    return out


def plot_rd(summary: list[dict], path: str | os.PathLike) -> None:
    """Rate-distortion curves (PSNR and MS-SSIM against bpp), codec against JPEG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key, label in ((axes[0], "psnr", "PSNR [dB]"), (axes[1], "ms_ssim", "MS-SSIM")):
        ax.plot([s["bpp"] for s in summary], [s[key] for s in summary], "o-",
                label="scale hyperprior (ours)")
        ax.plot([s["jpeg_bpp"] for s in summary], [s[f"jpeg_{key}"] for s in summary], "s--",
                label="JPEG (Pillow, matched bpp)")
        for s in summary:
            ax.annotate(str(s["model"]), (s["bpp"], s[key]), textcoords="offset points",
                        xytext=(4, -10), fontsize=8)
        ax.set_xlabel("bits per pixel")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("Rate-distortion: mean over images, real entropy-coded bitstreams")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run_codec_eval(out: str | os.PathLike, images: str | os.PathLike | None = None,
                   models: str | os.PathLike | None = None) -> list[dict]:
    """Evaluate a ladder on a folder of images into ``out``; returns the per-model summary.

    Args:
        out: output folder: ``results.csv`` (per image, ``FIELDS``), ``summary.json``
            (per model, :func:`summarize`), ``rd.png`` and ``meta.json``.
        images: folder of images (None: the shipped test split).
        models: folder of ``q<i>.ckpt`` (None: the shipped ladder).
    """
    if images:
        files, skipped = list_images(images, min_side=PAD_MULTIPLE)
    else:
        files, skipped = shipped_photos("test", None).files, 0
    ckpts = shipped_ladder(models or SHIPPED_CODECS)
    out = Path(out)
    with run_record(out, images=str(images or "shipped test split"),
                    models=[str(c) for c in ckpts], skipped_non_images=skipped) as meta:
        rows = evaluate_codecs(ckpts, files)
        write_csv_atomic(out / "results.csv", rows)
        summary = summarize(rows)
        write_json_atomic(out / "summary.json", summary)
        plot_rd(summary, out / "rd.png")
        meta["n_images"] = len(files)
    return summary
