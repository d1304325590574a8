"""``issc train`` (one rate) and ``issc train-all`` (the G-rate ladder)."""

from __future__ import annotations

import argparse

from scripts.runinfo import run_record


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="compact", help="compact (N=64, M=96) or bmshj2018")
    p.add_argument("--dataset", default="shipped", choices=["shipped", "cub", "folder"])
    p.add_argument("--data", default=None, help="dataset root for cub / folder")
    p.add_argument("--crop", type=int, default=128, help="training crop side in pixels")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--warmup-steps", type=int, default=500, help="linear lr warm-up steps")
    p.add_argument("--val-every", type=int, default=500)
    p.add_argument("--ckpt-every", type=int, default=250)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda when present)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--out", required=True, help="output folder (rerun the same to resume)")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train one codec at one lambda (resumable)")
    _common(p)
    p.add_argument("--lmbda", "--lambda", dest="lmbda", type=float, required=True)
    p.add_argument("--steps", type=int, default=20000)
    p.add_argument("--init", default=None, help="warm start from this checkpoint")
    p.set_defaults(func=run_train)

    p = sub.add_parser("train-all", help="train the G-rate ladder (warm-started, resumable)")
    _common(p)
    p.add_argument("--G", type=int, default=None, help="number of rates (default: 6)")
    p.add_argument("--lambdas", type=float, nargs="+", default=None)
    p.add_argument("--base-steps", type=int, default=20000)
    p.add_argument("--finetune-steps", type=int, default=5000)
    p.add_argument("--parallel", action="store_true",
                   help="train all rates at once from scratch, one process each (for a GPU); "
                        "--base-steps steps per rate, no warm start")
    p.add_argument("--install", action="store_true",
                   help="copy the finished ladder to data/codecs/<preset> (the shipped default)")
    p.set_defaults(func=run_train_all)


def _setup(args: argparse.Namespace) -> str:
    from semcodec.train_rate import train_device

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
