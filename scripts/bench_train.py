"""Benchmark: codec training throughput, full steps vs model-only steps, side by side.

Usage::

    .venv/bin/python -m scripts.bench_train --out runs/bench_train [--steps 60 --threads 2]

In one run, on one fresh ``Trainer`` (compact preset, batch 8, 128x128 crops of
the shipped training photos):

* ``full``: ``Trainer`` steps as ``issc train`` runs them: random crops drawn
  from the (cached) photos, stacking, forward, backward, Adam, aux step;
* ``model_only``: the same ``train_step`` on one batch built beforehand (no
  data pipeline).

The two are interleaved in rounds so that machine noise hits both alike. The
ratio full / model-only says whether the data pipeline starves training (1.0:
it costs nothing). Writes ``bench.json`` and ``meta.json``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> dict:
    import torch

    from scripts.runinfo import run_record, write_json_atomic
    from semcodec.ladder import make_datasets
    from semcodec.train import TrainConfig, Trainer, stack_batch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/bench_train")
    p.add_argument("--steps", type=int, default=60, help="steps per mode and round")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    with run_record(out, seed=args.seed, threads=args.threads) as meta:
        tr, va, ev, _ = make_datasets("shipped", None, args.crop, args.seed)
        cfg = TrainConfig(steps=10**6, batch_size=args.batch_size, seed=args.seed,
                          val_every=10**6, ckpt_every=10**6, warmup_steps=1)
        t = Trainer(cfg, tr, va, ev[:1], out / "trainer")
        n = len(tr)
        for i in range(n):  # decode every photo once (the cache a long run has anyway)
            tr.image(i)
        fixed = stack_batch(tr, torch.randint(0, n, (args.batch_size,), generator=t.gen))
        for _ in range(5):  # warm-up
            t.train_step(fixed)
        times = {"full": 0.0, "model_only": 0.0}
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            for _ in range(args.steps):
                idx = torch.randint(0, n, (args.batch_size,), generator=t.gen)
                t.train_step(stack_batch(tr, idx))
            times["full"] += time.perf_counter() - t0
            t0 = time.perf_counter()
            for _ in range(args.steps):
                t.train_step(fixed)
            times["model_only"] += time.perf_counter() - t0
        total = args.steps * args.rounds
        res = {"steps_per_mode": total, "threads": args.threads, "batch_size": args.batch_size,
               "crop": args.crop,
               "full_s_per_step": times["full"] / total,
               "model_only_s_per_step": times["model_only"] / total,
               "full_steps_per_s": total / times["full"],
               "model_only_steps_per_s": total / times["model_only"],
               "full_over_model_only_throughput": times["model_only"] / times["full"]}
        write_json_atomic(out / "bench.json", res)
        meta["bench"] = res
    print(f"full step {res['full_s_per_step'] * 1e3:.1f} ms, model-only step "
          f"{res['model_only_s_per_step'] * 1e3:.1f} ms: throughput ratio "
          f"{res['full_over_model_only_throughput']:.3f} (1.0 = data pipeline costs nothing)")
    return res


if __name__ == "__main__":
    main()
