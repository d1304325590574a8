"""``issc codec-eval``: every shipped (or given) codec on a folder of images, against anchors."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("codec-eval",
                       help="rate-distortion of the codec ladder vs JPEG, WebP (and AVIF)")
    p.add_argument("--images", type=at.existing_dir, default=None,
                   help="folder of images; unreadable ones and ones smaller than the codec's "
                        "64-pixel padding unit are skipped and counted (default: the shipped "
                        "test split)")
    p.add_argument("--models", type=at.existing_dir, default=None,
                   help="folder of q<i>.ckpt files (default: the shipped ladder)")
    p.add_argument("--anchors", **at.list_of(at.anchor), default=["jpeg", "webp"],
                   help="classical codecs matched to each model's bpp per image: jpeg "
                        "(Pillow, 4:2:0, optimised Huffman), webp (Pillow, lossy, method 6), "
                        "avif (Pillow's libavif/libaom, speed 6, 4:2:0; about twice the time of "
                        "the other two together)")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="recorded only: evaluation is deterministic")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from semcodec.codec_eval import format_summary, run_codec_eval

    summary = run_codec_eval(args.out, args.images, args.models, anchors=args.anchors)
    plot_rd(summary, Path(args.out) / "rd.png")
    print(format_summary(summary))


def plot_rd(summary: list[dict], path: str | os.PathLike) -> Path:
    """Rate-distortion curves (PSNR [dB] and MS-SSIM against bpp), codec against each anchor
    at matched bpp; ``summary`` as :func:`semcodec.codec_eval.run_codec_eval` returns it."""
    from scripts import plot_style as ps
    from semcodec.anchors import ANCHORS

    names = [n for n in ANCHORS if summary and f"{n}_bpp" in summary[0]]
    fig, axes = ps.figure("double", 1, 2)
    for ax, key, label in ((axes[0], "psnr", "PSNR [dB]"), (axes[1], "ms_ssim", "MS-SSIM")):
        ax.plot([s["bpp"] for s in summary], [s[key] for s in summary],
                label="scale hyperprior (ours)", **ps.style_of(0))
        for k, n in enumerate(names, start=1):
            ax.plot([s[f"{n}_bpp"] for s in summary], [s[f"{n}_{key}"] for s in summary],
                    label=f"{ANCHORS[n].label}, matched bpp", **ps.style_of(k))
        for s in summary:  # the model index below-right of its point, clear of the line
            ax.annotate(f"q{s['model']}", (s["bpp"], s[key]), textcoords="offset points",
                        xytext=(5, -12), fontsize=ps.MIN_FONT_PT, color=ps.COLORS[0])
        ax.set_xlabel("bits per pixel [bpp]")
        ax.set_ylabel(label)
        ps.fit_ylim(ax, [s[k] for s in summary for k in [key] + [f"{n}_{key}" for n in names]],
                    lo=0.0 if key == "ms_ssim" else None, hi=1.0 if key == "ms_ssim" else None)
    ps.legend_outside(axes[1], "below", ncol=2)
    fig.suptitle("Rate-distortion of the codec ladder against classical codecs")
    ps.footer(fig, "mean over images; real entropy-coded bitstreams; anchors matched to each "
                   "model's bpp per image")
    return ps.save(fig, path)
