"""``issc codec-eval``: every shipped (or given) codec on a folder of images, against JPEG."""

from __future__ import annotations

import argparse

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("codec-eval", help="rate-distortion of the codec ladder vs JPEG")
    p.add_argument("--images", type=at.existing_dir, default=None,
                   help="folder of images; unreadable ones and ones smaller than the codec's "
                        "64-pixel padding unit are skipped and counted (default: the shipped "
                        "test split)")
    p.add_argument("--models", type=at.existing_dir, default=None,
                   help="folder of q<i>.ckpt files (default: the shipped ladder)")
    p.add_argument("--out", type=at.out_dir, required=True, help="output folder")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="recorded only: evaluation is deterministic")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from semcodec.codec_eval import run_codec_eval

    summary = run_codec_eval(args.out, args.images, args.models)
    print(f"{'model':>5} {'bpp':>7} {'PSNR':>7} {'MS-SSIM':>8} | {'JPEG bpp':>8} {'PSNR':>7} "
          f"{'MS-SSIM':>8} | {'dPSNR':>6} {'dMS-SSIM':>8}")
    for s in summary:
        print(f"{s['model']:>5} {s['bpp']:7.4f} {s['psnr']:7.2f} {s['ms_ssim']:8.4f} | "
              f"{s['jpeg_bpp']:8.4f} {s['jpeg_psnr']:7.2f} {s['jpeg_ms_ssim']:8.4f} | "
              f"{s['psnr_gain_db']:+6.2f} {s['ms_ssim_gain']:+8.4f}")
