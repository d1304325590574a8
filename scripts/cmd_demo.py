"""``issc demo``: the main job on the embedded default (shipped photos and codecs).

Steps: (1) codec-eval of the shipped ladder on the shipped test photos against
JPEG at matched bpp (rate-distortion, ``codec_eval/rd.png``); (2) a small
bit-flip sweep over the shipped ladder and the fit of ASCC eq. (7)
(``scurves/fit/fig2.png``). Finishes in a few minutes on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the main job on the embedded default")
    p.add_argument("--out", type=at.out_dir, default="runs/demo", help="output folder")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="base seed of the bit flips")
    p.add_argument("--workers", type=at.positive_int, default=2,
                   help="decode worker processes (sweep)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from scripts.runinfo import run_record
    from semcodec.codec_eval import run_codec_eval
    from semcodec.sweep import DEMO_SWEEP, demo_sweep_and_fit

    out = Path(args.out)
    with run_record(out, seed=args.seed, steps=["codec-eval", "ber-sweep", "fit-scurves"],
                    demo_sweep=DEMO_SWEEP) as meta:
        print("[1/2] codec-eval: shipped ladder on the shipped test photos vs JPEG")
        summary = run_codec_eval(out / "codec_eval")
        meta["codec_eval"] = summary
        print("[2/2] bit-flip sweep + ASCC eq. (7) S-curve fit (small demo grid)")
        paths = demo_sweep_and_fit(out / "scurves", seed=args.seed, workers=args.workers)
        meta["fig2"] = str(paths["fig2"])
    print(f"demo results in {out}: codec_eval/rd.png, scurves/fit/fig2.png")
