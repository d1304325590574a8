"""Codec evaluation against classical anchors at matched bits per pixel (``issc codec-eval``).

For every model and image: encode and decode through the real bitstream,
then encode the same image with every anchor of :mod:`semcodec.anchors` (Pillow
JPEG and WebP by default, AVIF on request) at the quality whose bpp is closest to the codec's
(bisection), and report them side by side. :func:`run_codec_eval`
is the measurement (tables, ``meta.json``) that ``issc codec-eval`` and ``issc demo``
run; they draw ``rd.png`` from its summary (scripts.cmd_codec_eval.plot_rd).
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .anchors import ANCHORS, MATCH_TOLERANCE, Anchor, get_anchors
from .atomic_io import write_json_atomic, write_rows_atomic
from .checkpoint import load_codec
from .datasets import list_images, load_image, shipped_photos
from .evaluate import PAD_MULTIPLE, codec_roundtrip, ms_ssim, psnr
from .ladder import SHIPPED_CODECS, shipped_ladder
from .progress import bar_disabled
from .runinfo import run_record

#: anchors evaluated by default (``issc codec-eval --anchors``); AVIF is asked for by name
#: (``--anchors jpeg,webp,avif``): its match costs about twice the other two together
#: (1.5 s against 0.26 + 0.58 s on a 512 x 288 photo)
DEFAULT_ANCHORS = ("jpeg", "webp")
#: the per-anchor result columns, prefixed by the anchor's name (``jpeg_bpp``, ``webp_psnr``)
ANCHOR_COLUMNS = ("bpp", "psnr", "ms_ssim", "quality")


def fields(anchors: Sequence[Anchor] | Sequence[str] = DEFAULT_ANCHORS) -> list[str]:
    """Columns of ``results.csv``: the codec's, then ``<anchor>_<column>`` per anchor."""
    names = [a if isinstance(a, str) else a.name for a in anchors]
    return (["model", "lambda", "image", "bpp", "psnr", "ms_ssim"]
            + [f"{n}_{c}" for n in names for c in ANCHOR_COLUMNS])


#: the columns with both default anchors (JPEG columns first, as before WebP existed)
FIELDS = fields()


def evaluate_codecs(ckpts: list[str | os.PathLike], images: list[str | os.PathLike],
                    progress: bool = True,
                    anchors: Sequence[str] | str = DEFAULT_ANCHORS) -> list[dict]:
    """Per-image rows (see :func:`fields`) for every checkpoint (model index = position + 1).

    Each anchor is matched to the codec's bpp on the same image
    (:meth:`semcodec.anchors.Anchor.at_bpp`); ``<anchor>_matched`` (not a CSV
    column) says whether the match landed within ``MATCH_TOLERANCE``.
    """
    anchors = get_anchors(anchors)
    imgs = [(Path(p).name, load_image(p)) for p in images]
    rows = []
    bar = tqdm(total=len(ckpts) * len(imgs), desc="codec-eval", disable=bar_disabled(progress))
    for k, ck in enumerate(ckpts, 1):
        model, meta = load_codec(ck)
        for name, img in imgs:
            rec, nbits, _ = codec_roundtrip(model, img)
            bpp = nbits / (img.shape[-1] * img.shape[-2])
            row = {"model": k, "lambda": meta["lambda"], "image": name, "bpp": bpp,
                   "psnr": psnr(img, rec), "ms_ssim": ms_ssim(img, rec)}
            for a in anchors:
                m = a.at_bpp(img, bpp)
                row |= {f"{a.name}_bpp": m.bpp, f"{a.name}_psnr": psnr(img, m.rec),
                        f"{a.name}_ms_ssim": ms_ssim(img, m.rec),
                        f"{a.name}_quality": m.quality, f"{a.name}_matched": m.within_tolerance}
            rows.append(row)
            bar.update(1)
    bar.close()
    return rows


def _anchor_names(rows: list[dict]) -> list[str]:
    return [n for n in ANCHORS if rows and f"{n}_bpp" in rows[0]]


def summarize(rows: list[dict]) -> list[dict]:
    """Per-model means of every numeric column, with the gains over each anchor.

    Gains: ``psnr_gain_db`` / ``ms_ssim_gain`` over JPEG (their names before WebP
    existed) and ``<anchor>_psnr_gain_db`` / ``<anchor>_ms_ssim_gain`` for every
    other anchor; ``<anchor>_matched_frac`` is the fraction of images whose anchor
    bpp landed within ``MATCH_TOLERANCE`` of the codec's.
    """
    names = _anchor_names(rows)
    numeric = fields(names)[3:]
    by = defaultdict(list)
    for r in rows:
        by[r["model"]].append(r)
    out = []
    for k in sorted(by):
        rs = by[k]
        m = {f: float(np.mean([r[f] for r in rs])) for f in numeric}
        s = {"model": k, "lambda": rs[0]["lambda"], "n_images": len(rs), **m}
        for n in names:
            prefix = "" if n == "jpeg" else f"{n}_"
            s[f"{prefix}psnr_gain_db"] = m["psnr"] - m[f"{n}_psnr"]
            s[f"{prefix}ms_ssim_gain"] = m["ms_ssim"] - m[f"{n}_ms_ssim"]
            if f"{n}_matched" in rs[0]:
                s[f"{n}_matched_frac"] = float(np.mean([bool(r[f"{n}_matched"]) for r in rs]))
        out.append(s)
    return out


def gain_keys(name: str) -> tuple[str, str]:
    """Summary keys of the PSNR and MS-SSIM gains over anchor ``name``."""
    prefix = "" if name == "jpeg" else f"{name}_"
    return f"{prefix}psnr_gain_db", f"{prefix}ms_ssim_gain"


def format_summary(summary: list[dict]) -> str:
    """The per-model table printed by ``issc codec-eval`` and ``issc demo``."""
    names = [n for n in ANCHORS if summary and f"{n}_bpp" in summary[0]]
    head = f"{'model':>5} {'bpp':>7} {'PSNR':>7} {'MS-SSIM':>8}"
    for n in names:
        head += (f" | {n.upper() + ' bpp':>8} {'PSNR':>7} {'MS-SSIM':>8} {'dPSNR':>6} "
                 f"{'dMS-SSIM':>8}")
    lines = [head]
    for s in summary:
        line = f"{s['model']:>5} {s['bpp']:7.4f} {s['psnr']:7.2f} {s['ms_ssim']:8.4f}"
        for n in names:
            gp, gm = gain_keys(n)
            line += (f" | {s[f'{n}_bpp']:8.4f} {s[f'{n}_psnr']:7.2f} {s[f'{n}_ms_ssim']:8.4f} "
                     f"{s[gp]:+6.2f} {s[gm]:+8.4f}")
        lines.append(line)
    return "\n".join(lines)


def run_codec_eval(out: str | os.PathLike, images: str | os.PathLike | None = None,
                   models: str | os.PathLike | None = None,
                   anchors: Sequence[str] | str = DEFAULT_ANCHORS) -> list[dict]:
    """Evaluate a ladder on a folder of images into ``out``; returns the per-model summary.

    Args:
        out: output folder: ``results.csv`` (per image, :func:`fields` then
            ``<anchor>_matched``), ``summary.json`` (per model, :func:`summarize`)
            and ``meta.json`` (``issc codec-eval`` draws ``rd.png`` from the summary).
        images: folder of images (None: the shipped test split).
        models: folder of ``q<i>.ckpt`` (None: the shipped ladder).
        anchors: anchor names of :data:`semcodec.anchors.ANCHORS` (default: JPEG and WebP).
    """
    names = [a.name for a in get_anchors(anchors)]  # refuse a bad name before any work
    if images:
        files, skipped = list_images(images, min_side=PAD_MULTIPLE)
    else:
        files, skipped = shipped_photos("test", None).files, 0
    ckpts = shipped_ladder(models or SHIPPED_CODECS)
    out = Path(out)
    with run_record(out, images=str(images or "shipped test split"),
                    models=[str(c) for c in ckpts], skipped_non_images=skipped,
                    anchors=names, match_tolerance=MATCH_TOLERANCE) as meta:
        rows = evaluate_codecs(ckpts, files, anchors=names)
        header = fields(names) + [f"{n}_matched" for n in names]
        write_rows_atomic(out / "results.csv", header, ([r[k] for k in header] for r in rows))
        summary = summarize(rows)
        write_json_atomic(out / "summary.json", summary)
        meta["n_images"] = len(files)
    return summary
