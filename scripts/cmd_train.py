"""``issc train`` (one rate) and ``issc train-all`` (the G-rate ladder)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at
from scripts.runinfo import run_record


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="compact", choices=["compact", "bmshj2018"],
                   help="compact (N=64, M=96) or bmshj2018 (N=128, M=192)")
    p.add_argument("--dataset", default="shipped",
                   choices=["shipped", "shipped+extra", "cub", "folder"],
                   help="shipped photos, shipped photos with data/photos_train_extra added to "
                        "the training split (same val / test), CUB-200-2011 or any image folder "
                        "(unreadable images are skipped and counted)")
    p.add_argument("--data", default=None,
                   help="dataset root for cub / folder, or the extra photo folder (with "
                        "ATTRIBUTION.csv and LICENSES/) for shipped+extra (default: none, needed "
                        "for cub / folder)")
    p.add_argument("--crop", type=at.multiple_of(64), default=128,
                   help="training crop side [pixels], a multiple of the codec's 64-pixel unit")
    p.add_argument("--batch-size", type=at.positive_int, default=8, help="crops per step")
    p.add_argument("--lr", type=at.positive_float, default=1e-4, help="Adam learning rate")
    p.add_argument("--warmup-steps", type=at.nonneg_int, default=500,
                   help="linear lr warm-up steps")
    p.add_argument("--val-every", type=at.positive_int, default=500,
                   help="steps between validations")
    p.add_argument("--ckpt-every", type=at.positive_int, default=250,
                   help="steps between saved training states")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="seed of the initialisation and the crops")
    p.add_argument("--device", type=at.device, default=None,
                   help="cpu, cuda or cuda:N (default: cuda when present)")
    p.add_argument("--threads", type=at.positive_int, default=None,
                   help="torch CPU threads (default: torch's choice)")
    p.add_argument("--out", type=at.out_dir, required=True,
                   help="output folder (rerun the same to resume)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train one codec at one lambda (resumable)")
    _common(p)
    p.add_argument("--lmbda", "--lambda", dest="lmbda", type=at.finite_float, required=True,
                   help="rate-distortion trade-off: loss = lambda 255^2 MSE + bpp (CompressAI's "
                        "MSE objective)")
    p.add_argument("--steps", type=at.positive_int, default=20000, help="training steps")
    p.add_argument("--init", type=at.existing_file, default=None,
                   help="warm start from this checkpoint (default: random initialisation)")
    p.set_defaults(func=run_train, resumable=True)

    p = sub.add_parser("train-all", help="train the G-rate ladder (warm-started, resumable)")
    _common(p)
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
    from semcodec.train import TrainConfig
    from semcodec.train_rate import train_rate

    device = _setup(args)
    cfg = TrainConfig(preset=args.preset, lmbda=args.lmbda, steps=args.steps,
                      batch_size=args.batch_size, lr=args.lr, val_every=args.val_every,
                      ckpt_every=args.ckpt_every, seed=args.seed, device=device, init=args.init,
                      warmup_steps=args.warmup_steps)
    train_rate(cfg, args.out, args.dataset, args.data, args.crop)


def run_train_all(args: argparse.Namespace) -> None:
    from semcodec.ladder import install_ladder, train_ladder, train_ladder_parallel
    from semcodec.zoo import rate_ladder

    device = _setup(args)
    lams = rate_ladder(args.G, args.lambdas)
    if args.data and not Path(args.data).is_dir():  # train reads it before its output folder
        raise FileNotFoundError(f"data={args.data!r} is invalid: not an existing folder")
    with run_record(args.out, seed=args.seed, lambdas=lams) as meta:
        if args.parallel:
            targs = ["--preset", args.preset, "--dataset", args.dataset, "--crop", str(args.crop),
                     "--batch-size", str(args.batch_size), "--lr", str(args.lr),
                     "--warmup-steps", str(args.warmup_steps),
                     "--val-every", str(args.val_every), "--ckpt-every", str(args.ckpt_every),
                     "--device", device] + (["--data", args.data] if args.data else []) \
                + ["--threads", str(args.threads or _threads_per_rate(len(lams)))]
            paths = train_ladder_parallel(lams, args.out, args.base_steps, targs, seed=args.seed)
        else:
            paths = train_ladder(lams, args.out, args.base_steps, args.finetune_steps,
                                 preset=args.preset, dataset=args.dataset, root=args.data,
                                 crop=args.crop, seed=args.seed, device=device,
                                 meta={"command": meta["command"]}, batch_size=args.batch_size,
                                 lr=args.lr, warmup_steps=args.warmup_steps,
                                 val_every=args.val_every,
                                 ckpt_every=args.ckpt_every)
        meta["checkpoints"] = [str(p) for p in paths]
        if args.install:
            meta["installed"] = str(install_ladder(paths, provenance={
                "command": meta["command"], "commit": meta["commit"], "time": meta["started"]}))
