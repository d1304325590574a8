"""``issc train-gpu``: the whole ladder trained on at once on a GPU under a wall-clock budget.

The library side is :mod:`semcodec.gpu_run`; ``--finish`` is its CPU half.
"""

from __future__ import annotations

import argparse

from scripts import argtypes as at
from semcodec.train_options import add_schedule_arguments


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train-gpu",
        help="train every rate of the shipped ladder at once on a GPU, stopping before a "
             "wall-clock budget (resumable); writes finish.sh, the CPU commands that follow")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p),
                   help="run folder (rerun the same to continue every rate)")
    p.add_argument("--budget-s", type=at.positive_float, default=None,
                   help="wall-clock budget [s] of this command, start-up included: every rate "
                        "saves and stops before it (needed unless --finish)")
    p.add_argument("--finish", action="store_true",
                   help="on the CPU, after the GPU run: write each rate's model.ckpt from its "
                        "state, measured with the real coder (the first line of finish.sh)")
    p.add_argument("--device", type=at.device, default=None,
                   help="cuda, cuda:N, or cpu for a test run (default: cuda; refused when "
                        "there is none)")
    p.add_argument("--rates", **at.list_of(at.positive_int), default=None,
                   help="which rates, e.g. 5,6 (default: every rate of the shipped ladder)")
    p.add_argument("--steps", type=at.positive_int, default=100000,
                   help="step target of each rate over every resumed run (lr x 0.1 at 90%% "
                        "of it)")
    p.add_argument("--save-every-s", type=at.positive_float, default=180.0,
                   help="wall seconds between saved training states of each rate")
    p.add_argument("--margin-s", type=at.positive_float, default=30.0,
                   help="seconds kept at the end of the budget: each rate stops at budget - "
                        "margin, a SIGTERM at budget - margin/2 and a SIGKILL at budget - "
                        "margin/4 catch one that does not")
    add_schedule_arguments(p, at)
    # full size from trained codecs: CompressAI's crop and batch, a short warm-up
    p.set_defaults(dataset="shipped+extra", crop=256, batch_size=16, warmup_steps=300,
                   ckpt_every=5000)
    p.add_argument("--threads", type=at.positive_int, default=None,
                   help="torch CPU threads per rate (default: CPU cores / rates)")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="seed base: rate q<i> uses seed + i")
    p.set_defaults(func=run_train_gpu, resumable=True)


def run_train_gpu(args: argparse.Namespace) -> None:
    from scripts.cmd_train import _threads_per_rate
    from scripts.runinfo import run_record
    from semcodec import gpu_run

    t0 = gpu_run.process_start_time()  # the budget counts start-up and imports too

    if args.finish:
        with run_record(f"{args.out}/finish") as meta:
            meta["models"] = gpu_run.finish_gpu(args.out)
        for m in meta["models"]:
            print(f"{m['rate']}: {m['checkpoint']} ({m['steps']} steps) {m['bpp']:.4f} bpp "
                  f"{m['psnr']:.2f} dB MS-SSIM {m['ms_ssim']:.4f}")
        return
    if args.budget_s is None:
        raise ValueError("--budget-s is missing: give the wall-clock budget [s] of the run "
                         "(e.g. --budget-s 540 on a 10-minute GPU lease)")
    device = args.device or "cuda"
    if args.device is None:
        import torch

        if not torch.cuda.is_available():
            raise ValueError("--device=cuda is invalid: torch sees no CUDA GPU on this machine; "
                             "valid: run on a GPU machine, or --device cpu for a test run")
    if args.dataset in ("cub", "folder") and not args.data:
        raise ValueError(f"dataset={args.dataset} needs --data PATH (the dataset folder)")
    gpu_run.check_budget(args.budget_s, args.margin_s, args.save_every_s)
    n = len(gpu_run.gpu_plan(args.out, args.rates, args.seed))  # refuse before writing
    train_args = ["--dataset", args.dataset, *(["--data", args.data] if args.data else []),
                  "--crop", str(args.crop), "--batch-size", str(args.batch_size),
                  "--lr", repr(args.lr), "--warmup-steps", str(args.warmup_steps),
                  "--quantizer", args.quantizer, "--val-every", str(args.val_every),
                  "--ckpt-every", str(args.ckpt_every), "--device", device,
                  "--threads", str(args.threads or _threads_per_rate(n))]
    with run_record(args.out, seed=args.seed, budget_s=args.budget_s, device=device) as meta:
        res = gpu_run.train_gpu(args.out, args.budget_s, t0, train_args, rates=args.rates,
                                steps=args.steps, seed=args.seed,
                                save_every_s=args.save_every_s, margin_s=args.margin_s,
                                plan_extra={"dataset": args.dataset, "data": args.data,
                                            "crop": args.crop, "batch_size": args.batch_size})
        meta.update(res)
    for r in res["rates"]:
        print(f"{r['rate']} ({r['preset']}): step {r['step']} (+{r['steps_this_run']} this run), "
              f"stopped by {r['stopped_by']}")
    print(f"returned {res['finished_s']:.0f} s into a {args.budget_s:g} s budget; on the CPU "
          f"run: sh {args.out}/finish.sh")
