"""Benchmark: training throughput of the codec presets (compact, bmshj2018, ...) side by side.

Usage::

    .venv/bin/python -m scripts.bench_train_presets --out runs/bench_train_presets \\
        [--presets compact,bmshj2018 --steps 20 --rounds 3 --threads 1]

In one run, one fresh ``Trainer`` per preset (same lambda, batch, crops of the
shipped training photos, same seed) takes full training steps as ``issc train``
runs them (random crops, forward, backward, Adam, aux step). The presets take
turns in rounds so that machine noise hits all of them alike. Prints and writes
(``bench.json``, ``meta.json``) wall-clock steps per second and seconds per
step, the CPU time per step and steps per CPU hour (this process's CPU time, so
a shared machine's load does not distort them), the parameter count and each
preset's wall-clock throughput relative to the first, so the next person can
plan training time.
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
    from semcodec.zoo import PRESETS

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="runs/bench_train_presets", help="output folder")
    p.add_argument("--presets", default=",".join(PRESETS),
                   help=f"comma-separated presets of semcodec.zoo.PRESETS ({', '.join(PRESETS)})")
    p.add_argument("--steps", type=int, default=20, help="steps per preset and round")
    p.add_argument("--rounds", type=int, default=3, help="rounds (presets take turns)")
    p.add_argument("--batch-size", type=int, default=8, help="crops per step")
    p.add_argument("--crop", type=int, default=128, help="crop side [pixels]")
    p.add_argument("--lmbda", type=float, default=0.0130, help="rate-distortion lambda")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0, help="seed of initialisation and crops")
    args = p.parse_args(argv)
    presets = [s.strip() for s in args.presets.split(",") if s.strip()]
    for name in presets:
        if name not in PRESETS:
            raise SystemExit(f"preset {name!r} is invalid: must be one of {', '.join(PRESETS)}")
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    with run_record(out, seed=args.seed, threads=args.threads, presets=presets) as meta:
        tr, va, ev, _ = make_datasets("shipped", None, args.crop, args.seed)
        for i in range(len(tr)):  # decode every photo once (the cache a long run has anyway)
            tr.image(i)
        trainers = {}
        for name in presets:
            cfg = TrainConfig(preset=name, lmbda=args.lmbda, steps=10**6,
                              batch_size=args.batch_size, seed=args.seed, val_every=10**6,
                              ckpt_every=10**6, warmup_steps=1)
            trainers[name] = Trainer(cfg, tr, va, ev[:1], out / f"trainer_{name}")
        gen = torch.Generator().manual_seed(args.seed)
        for t in trainers.values():  # warm-up (allocator, first-call overheads)
            for _ in range(3):
                t.train_step(stack_batch(tr, torch.randint(0, len(tr), (args.batch_size,),
                                                           generator=gen)))
        spent, cpu = dict.fromkeys(presets, 0.0), dict.fromkeys(presets, 0.0)
        for _ in range(args.rounds):
            for name, t in trainers.items():
                t0, c0 = time.perf_counter(), time.process_time()
                for _ in range(args.steps):
                    idx = torch.randint(0, len(tr), (args.batch_size,), generator=gen)
                    t.train_step(stack_batch(tr, idx))
                spent[name] += time.perf_counter() - t0
                cpu[name] += time.process_time() - c0
        total = args.steps * args.rounds
        rows = []
        for name, t in trainers.items():
            rows.append({"preset": name, **PRESETS[name],
                         "params": sum(q.numel() for q in t.model.parameters()),
                         "steps": total, "s_per_step": spent[name] / total,
                         "steps_per_s": total / spent[name],
                         "cpu_s_per_step": cpu[name] / total,
                         "steps_per_cpu_hour": 3600 * total / cpu[name],
                         "throughput_vs_first": spent[presets[0]] / spent[name]})
        res = {"threads": args.threads, "batch_size": args.batch_size, "crop": args.crop,
               "lambda": args.lmbda, "rounds": args.rounds, "presets": rows}
        write_json_atomic(out / "bench.json", res)
        meta["bench"] = res
    print(f"{'preset':>10} {'N':>4} {'M':>4} {'params':>9} {'ms/step':>8} {'steps/s':>8} "
          f"{'CPU ms/step':>11} {'steps/CPU h':>11} {'vs ' + presets[0]:>12}")
    for r in rows:
        print(f"{r['preset']:>10} {r['N']:>4} {r['M']:>4} {r['params']:>9} "
              f"{r['s_per_step'] * 1e3:8.1f} {r['steps_per_s']:8.3f} "
              f"{r['cpu_s_per_step'] * 1e3:11.1f} {r['steps_per_cpu_hour']:11.0f} "
              f"{r['throughput_vs_first']:12.3f}")
    return res


if __name__ == "__main__":
    main()
