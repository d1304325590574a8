"""``issc e2e``: send real images through optimised links (bit flips and/or the 5G LDPC chain)
and measure PSNR / MS-SSIM against the design's predictions (results.csv, summary.csv, PNG)."""

from __future__ import annotations

import argparse

from scripts import argtypes as at
from scripts.engine_args import add_engine_args, check_engine_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("e2e", help="real images through optimised links: measured vs predicted "
                                   "MS-SSIM")
    p.add_argument("--designs", type=at.existing_file, required=True,
                   help="designs.json written by `issc ascc`")
    p.add_argument("--images", type=at.existing_dir, default=None,
                   help="image folder (default: the shipped photos of --split)")
    p.add_argument("--split", default="val", choices=("train", "val", "test", "all"),
                   help="shipped photos used when --images is not given (val: held out from "
                        "codec training and the S-curve fit)")
    p.add_argument("--max-images", type=at.positive_int, default=None,
                   help="use the first N images")
    p.add_argument("--crop", type=at.positive_int, default=None,
                   help="centred square crop (pixels)")
    p.add_argument("--channel", default="both", help="bitflip, ldpc or both")
    p.add_argument("--trials", type=at.positive_int, default=2,
                   help="trials per design, image, channel")
    p.add_argument("--ladder", type=at.existing_dir, default=None,
                   help="codec ladder folder (default: shipped)")
    p.add_argument("--djscc", type=at.existing_dir, default=None,
                   help="folder of the DJSCC models (curves.json + checkpoints) that DJSCC "
                        "designs name (default: shipped data/djscc); they run on the analog "
                        "channel whatever --channel says")
    p.add_argument("--num-iter", type=at.positive_int, default=20, help="LDPC BP iterations")
    add_engine_args(p, workers=2)
    p.add_argument("--timeout", type=at.positive_float, default=900.0,
                   help="seconds after which a trial counts as hung (fallback image)")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of flips and noise")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p),
                   help="output folder (rerun the same to resume)")
    p.add_argument("--allow-infeasible", action="store_true",
                   help="evaluate designs that violate a constraint of their scenario (power, "
                        "HCRB, SINR, R_c, ...; re-computed from the beams before any work); "
                        "their rows name the violations (column 'violations'). Without it such "
                        "a design is refused")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run, resumable=True)


def run(args: argparse.Namespace) -> None:
    from pathlib import Path

    from optim.ascc import load_designs
    from optim.ascc.verify import verify_designs
    from optim.e2e import check_channel, format_summary, run_e2e
    from optim.e2e.runner import check_designs
    from scripts.fig_e2e import e2e_intervals, plot_predicted_vs_measured
    from scripts.runinfo import run_record

    # refuse a file that is not a designs file, or a design that breaks a constraint of its
    # scenario, before --out exists
    designs = load_designs(args.designs)
    verify_designs(designs, args.allow_infeasible, f"designs file {args.designs!r}")
    check_designs(designs, check_channel(args.channel))
    check_engine_args(args)
    out = Path(args.out)
    with run_record(out, seed=args.seed) as meta:
        res = run_e2e(out, args.designs, images=args.images, channel=args.channel,
                      trials=args.trials, seed=args.seed, workers=args.workers,
                      ladder=args.ladder, split=args.split, max_images=args.max_images,
                      crop=args.crop, num_iter=args.num_iter, progress=not args.no_progress,
                      engine=args.engine, address=args.address, timeout_s=args.timeout,
                      djscc_dir=args.djscc, allow_infeasible=args.allow_infeasible)
        png = plot_predicted_vs_measured(res["rows"], out / "e2e.png",
                                         e2e_intervals(res["results"]))
        meta.update(counts=res["counts"], figure=str(png),
                    notes="only the payload body crosses the channel (56-byte header error-"
                          "free, as in the S-curve sweep); ldpc: AWGN at the design SINR, "
                          "interference treated as Gaussian noise; 95% intervals over images")
    print(format_summary(res["rows"]))
    print(f"results in {out}: results.csv, summary.csv, e2e.png")
