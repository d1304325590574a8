"""``issc codec-eval``: every shipped (or given) codec on a folder of images, against anchors."""

from __future__ import annotations

import argparse

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
    p.add_argument("--out", type=at.out_dir, required=True, help="output folder")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="recorded only: evaluation is deterministic")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from semcodec.codec_eval import format_summary, run_codec_eval

    summary = run_codec_eval(args.out, args.images, args.models, anchors=args.anchors)
    print(format_summary(summary))
