"""``issc train`` (one rate) and ``issc train-all`` (the G-rate ladder)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at
from scripts.runinfo import run_record
from semcodec.train_options import (
    add_budget_arguments,
    add_rate_arguments,
    add_training_arguments,
    training_argv,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train one codec at one lambda (resumable)")
    add_training_arguments(p, at)
    add_rate_arguments(p, at)
    add_budget_arguments(p, at)
    p.set_defaults(func=run_train, resumable=True)

    p = sub.add_parser("train-all", help="train the G-rate ladder (warm-started, resumable)")
    add_training_arguments(p, at)
    p.add_argument("--G", type=at.positive_int, default=None,
                   help="number of rates (default: 6, or the number of --lambdas)")
    p.add_argument("--lambdas", **at.list_of(at.positive_float), default=None,
                   help="lambdas of the ladder, 'a,b' or 'a b' (default: CompressAI's "
                        "qualities 1..G)")
    p.add_argument("--base-steps", type=at.positive_int, default=20000,
                   help="steps of the first (or, with --parallel, every) rate")
    p.add_argument("--finetune-steps", type=at.nonneg_int, default=5000,
                   help="steps of each warm-started rate")
    p.add_argument("--parallel", action="store_true",
                   help="train all rates at once from scratch, one process each (for a GPU); "
                        "--base-steps steps per rate, no warm start")
    p.add_argument("--install", action="store_true",
                   help="copy the finished ladder to data/codecs/<preset> (the shipped default)")
    p.set_defaults(func=run_train_all, resumable=True)


def _setup(args: argparse.Namespace) -> str:
    from semcodec.train_rate import train_device

    if args.dataset in ("cub", "folder") and not args.data:
        raise ValueError(f"dataset={args.dataset} needs --data PATH (the dataset folder)")
    return train_device(args.device, args.threads)


def _threads_per_rate(g: int) -> int:
    """CPU threads per process when G rates train at once.

    Unbounded, every process starts one torch thread per core; measured on a
    16-core GPU host with 6 processes this oversubscription made steps 1.1 s
    instead of 0.06 s.
    """
    import os

    return max(1, (os.cpu_count() or 1) // g)


def run_train(args: argparse.Namespace) -> None:
    from scripts.cmd_learning_curves import plot_histories
    from semcodec.train_rate import config_from_args, train_rate

    cfg = config_from_args(args, _setup(args))
    train_rate(cfg, args.out, args.dataset, args.data, args.crop, stop_at=args.stop_at,
               save_every_s=args.save_every_s, finalize=not args.no_finalize,
               plot_history=plot_histories)


def run_train_all(args: argparse.Namespace) -> None:
    from scripts.cmd_learning_curves import plot_histories
    from semcodec.ladder import install_ladder, train_ladder, train_ladder_parallel
    from semcodec.zoo import rate_ladder

    device = _setup(args)
    lams = rate_ladder(args.G, args.lambdas)
    if args.data and not Path(args.data).is_dir():  # train reads it before its output folder
        raise FileNotFoundError(f"data={args.data!r} is invalid: not an existing folder")
    with run_record(args.out, seed=args.seed, lambdas=lams) as meta:
        if args.parallel:
            targs = training_argv(vars(args) | {
                "device": device, "threads": args.threads or _threads_per_rate(len(lams))})
            paths = train_ladder_parallel(lams, args.out, args.base_steps, targs, seed=args.seed)
        else:
            paths = train_ladder(lams, args.out, args.base_steps, args.finetune_steps,
                                 preset=args.preset, dataset=args.dataset, root=args.data,
                                 crop=args.crop, seed=args.seed, device=device,
                                 meta={"command": meta["command"]}, plot_history=plot_histories,
                                 batch_size=args.batch_size,
                                 lr=args.lr, warmup_steps=args.warmup_steps,
                                 quantizer=args.quantizer,
                                 val_every=args.val_every,
                                 ckpt_every=args.ckpt_every)
        meta["checkpoints"] = [str(p) for p in paths]
        if args.install:
            meta["installed"] = str(install_ladder(paths, provenance={
                "command": meta["command"], "commit": meta["commit"], "time": meta["started"]}))
