"""Benchmark: sweep decode throughput (isolated workers) vs plain CompressAI, side by side.

Usage::

    .venv/bin/python scripts/bench_sweep.py --out runs/bench [--models DIR] [--images 6]

In one run, on the same models and the same shipped test photos (full size):

* ``plain``: CompressAI's stock ``compress`` + ``decompress`` in this process,
  one torch thread (round trips per second), and ``decompress`` alone;
* ``sweep_w1``: ``run_sweep`` with one isolated worker (decodes per second in
  the Monte Carlo phase: flip + robust decode + MSE + MS-SSIM per decode);
* ``sweep_w2``: the same with two workers (both cores).

The plain loop is timed before and after the sweeps and averaged. Writes
``bench.json``, ``bench.png`` and ``meta.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def plain_rates(ckpts, images) -> dict[str, float]:
    import torch

    from semcodec.checkpoint import load_codec
    from semcodec.evaluate import pad_to_multiple

    torch.set_num_threads(1)
    models = [load_codec(c)[0] for c in ckpts]
    xs = [pad_to_multiple(im[None]) for im in images]
    t_rt = t_dec = 0.0
    n = 0
    with torch.no_grad():
        for m in models:
            for x in xs:
                t0 = time.perf_counter()
                enc = m.compress(x)
                t1 = time.perf_counter()
                m.decompress(enc["strings"], enc["shape"])
                t2 = time.perf_counter()
                t_rt += t2 - t0
                t_dec += t2 - t1
                n += 1
    return {"roundtrips_per_s": n / t_rt, "decompress_per_s": n / t_dec, "n": n}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=None, help="ladder folder (default: shipped ladder)")
    ap.add_argument("--images", type=int, default=6, help="first N shipped test photos")
    ap.add_argument("--points", type=int, default=4)
    ap.add_argument("--trials", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/bench")
    args = ap.parse_args(argv)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from scripts.runinfo import run_record, write_json_atomic
    from semcodec.datasets import shipped_photos
    from semcodec.ladder import SHIPPED_CODECS, shipped_ladder
    from semcodec.sweep import run_sweep

    out = Path(args.out)
    ckpts = shipped_ladder(args.models or SHIPPED_CODECS)
    ds = shipped_photos("test", None)
    images = [ds.image(i) for i in range(min(args.images, len(ds)))]
    with run_record(out, seed=args.seed, models=[str(c) for c in ckpts]) as meta:
        plain = [plain_rates(ckpts, images)]
        sweeps = {}
        for w in (1, 2):
            d = out / f"sweep_w{w}"
            shutil.rmtree(d, ignore_errors=True)
            paths = run_sweep(d, models=ckpts, max_images=args.images, ber_min=1e-6,
                              ber_max=1e-2, points=args.points, trials=args.trials,
                              seed=args.seed, workers=w, progress=False)
            s = json.loads(paths["summary"].read_text())
            sweeps[f"sweep_w{w}"] = {"decodes": s["decodes"], "trial_phase_s": s["trial_phase_s"],
                                     "decodes_per_s": s["decodes"] / s["trial_phase_s"],
                                     "startup_s": s["startup_s"], "crashes": s["crashes"],
                                     "decode_failed": s["decode_failed"]}
        plain.append(plain_rates(ckpts, images))
        rt = sum(p["roundtrips_per_s"] for p in plain) / 2
        dec = sum(p["decompress_per_s"] for p in plain) / 2
        report = {"plain_roundtrips_per_s_1core": rt, "plain_decompress_per_s_1core": dec,
                  "plain_runs": plain, **sweeps,
                  "ratio_w1_vs_plain_roundtrip": sweeps["sweep_w1"]["decodes_per_s"] / rt,
                  "ratio_w2_vs_plain_roundtrip": sweeps["sweep_w2"]["decodes_per_s"] / rt,
                  "ratio_w1_vs_plain_decompress": sweeps["sweep_w1"]["decodes_per_s"] / dec,
                  "n_models": len(ckpts), "n_images": len(images),
                  "image_shapes": [list(im.shape) for im in images]}
        write_json_atomic(out / "bench.json", report)
        meta["bench"] = {k: v for k, v in report.items() if k.startswith("ratio")}
    fig, ax = plt.subplots(figsize=(6, 3.5))
    names = ["plain compress+\ndecompress (1 core)", "plain decompress\n(1 core)",
             "sweep, 1 worker", "sweep, 2 workers"]
    vals = [rt, dec, sweeps["sweep_w1"]["decodes_per_s"], sweeps["sweep_w2"]["decodes_per_s"]]
    ax.bar(names, vals, color=["grey", "silver", "tab:blue", "tab:green"])
    ax.set_ylabel("images per second")
    ax.set_title("Sweep throughput (flip + isolated robust decode + metrics)", fontsize=9)
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    fig.savefig(out / "bench.png", dpi=120)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
