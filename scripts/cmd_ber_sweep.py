"""``issc ber-sweep``: Monte Carlo bit-flip sweep over (model, rho_b, image, trial)."""

from __future__ import annotations

import argparse

from scripts import argtypes as at
from scripts.engine_args import add_engine_args, check_engine_args


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ber-sweep", help="distortion vs bit error rate (ASCC Fig. 2 data; "
                                         "resumable)")
    p.add_argument("--images", type=at.existing_dir, default=None,
                   help="folder of images; unreadable ones are skipped and counted "
                        "(default: the shipped test photos)")
    p.add_argument("--models", type=at.existing_dir, default=None,
                   help="folder of q<i>.ckpt files (default: the shipped ladder)")
    p.add_argument("--max-images", type=at.positive_int, default=None,
                   help="use only the first N images (default: all)")
    p.add_argument("--ber-min", type=at.probability, default=1e-9,
                   help="smallest bit error rate rho_b of the grid")
    p.add_argument("--ber-max", type=at.probability, default=1e-1,
                   help="largest bit error rate rho_b of the grid (at most 0.5)")
    p.add_argument("--points", type=at.positive_int, default=16,
                   help="log-spaced rho_b points")
    p.add_argument("--trials", type=at.positive_int, default=2,
                   help="trials per (model, rho_b, image)")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="base seed of the bit flips")
    add_engine_args(p, workers=2)
    p.add_argument("--sampling", default="conditional", choices=["conditional", "plain"],
                   help="conditional: trials given >= 1 flip, weighted by P(>= 1 flip) "
                        "(low noise at low rho_b); plain: plain channel draws")
    p.add_argument("--timeout", type=at.positive_float, default=120.0,
                   help="seconds after which a decode counts as hung")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p),
                   help="output folder (rerun the same to resume)")
    p.set_defaults(func=run, resumable=True)


def run(args: argparse.Namespace) -> None:
    import json

    from optim.sweep.bitflip import run_ber_sweep
    from scripts.runinfo import run_record
    from semcodec.sweep import ber_grid, resolve_inputs

    # refuse a bad grid, image folder or ladder before the output folder is made
    ber_grid(args.ber_min, args.ber_max, args.points)
    inputs = resolve_inputs(args.images, args.models, args.max_images)  # lists the folder once
    check_engine_args(args)
    with run_record(args.out, seed=args.seed) as meta:
        paths = run_ber_sweep(args.out, inputs=inputs,
                              ber_min=args.ber_min, ber_max=args.ber_max, points=args.points,
                              trials=args.trials, seed=args.seed, workers=args.workers,
                              timeout_s=args.timeout,
                              sampling=args.sampling, engine=args.engine,
                              address=args.address)
        summary = json.loads(paths["summary"].read_text())
        meta.update(sweep=summary, images=args.images or "shipped test split",
                    models=args.models or "shipped ladder")
    print(f"{summary['rows']} rows in {paths['results']} ({summary['decodes']} decoded now, "
          f"{summary['resumed_rows']} resumed); decode_failed {summary['decode_failed']}, "
          f"crashes {summary['crashes']}, hangs {summary['timeouts']}")
