"""Fuzz the crash-proof decoder: many corrupted bodies, count crashes, hangs, bad outputs.

Usage::

    .venv/bin/python scripts/fuzz_decode.py --n 10000 --out runs/fuzz [--models DIR]

Corruptions (chosen uniformly per case): random bit flips at a log-uniform rate in
[1e-6, 0.5], truncation at a random length, empty body, all-0xFF (original
length or up to 20x longer), all-zero, random bytes of a random length. Each
case runs in an ``IsolatedPool`` worker: a segfault counts as a crash, no answer
within ``--timeout`` as a hang. Each output is checked for shape, finiteness
and range [0, 1]. Every native decode also runs a second time with random bytes
after the zero padding: a different result would mean the decoder read past the
padding (counted as ``overreads``). Writes ``fuzz.json`` and ``meta.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

KINDS = ("flips", "truncate", "empty", "all_ff", "all_zero", "random_bytes")


def _handler_factory(ckpts: list[str], n_images: int, crop: int):
    import torch

    from semcodec.checkpoint import load_codec
    from semcodec.datasets import shipped_photos
    from semcodec.payload import encode_image
    from semcodec.robust_decode import RobustDecoder

    class CanaryDecoder(RobustDecoder):
        """Decodes each stream twice: zero tail vs random tail after the padding."""

        overreads = 0

        def _native(self, string, n_symbols, indexes, table):
            a = super()._native(string, n_symbols, indexes, table)
            tail = np.random.default_rng(len(string)).integers(1, 256, 65536, np.uint8)
            padded = self._padded(string, n_symbols) + tail.tobytes()
            b = np.asarray(self._coder.decode_with_indexes(padded, indexes, table.cdf,
                                                           table.lengths, table.offsets))
            if not np.array_equal(a, b):
                CanaryDecoder.overreads += 1
            return a

    ds = shipped_photos("test", crop or None)
    imgs = [ds[i] for i in range(min(n_images, len(ds)))]
    coders = []
    for c in ckpts:
        model = load_codec(c)[0]
        coders.append((CanaryDecoder(model), [encode_image(model, im) for im in imgs]))

    def handle(task):
        m, i, kind, seed = task
        dec, payloads = coders[m]
        p = payloads[i]
        rng = np.random.default_rng(seed)
        n = len(p.body)
        ber = math.nan
        if kind == "flips":
            from semcodec.channel import flip_bits

            ber = float(10 ** rng.uniform(-6, math.log10(0.5)))
            body = flip_bits(p.body, ber, rng)[0]
        elif kind == "truncate":
            body = p.body[:int(rng.integers(0, n))]
        elif kind == "empty":
            body = b""
        elif kind == "all_ff":
            body = b"\xff" * (n if rng.random() < 0.5 else int(rng.integers(1, 20 * n)))
        elif kind == "all_zero":
            body = bytes(n)
        else:
            body = rng.integers(0, 256, int(rng.integers(1, 2 * n)), np.uint8).tobytes()
        before = CanaryDecoder.overreads
        t0 = time.perf_counter()
        rec, info = dec.safe_decode(p.header, body)
        dt = time.perf_counter() - t0
        ok_shape = tuple(rec.shape) == (3, p.header.height, p.header.width)
        finite = bool(torch.isfinite(rec).all())
        in_range = finite and float(rec.min()) >= 0 and float(rec.max()) <= 1
        return {"kind": kind, "ber": ber, "seconds": dt, "shape_ok": ok_shape,
                "finite": finite, "in_range": in_range, "decode_failed": info.decode_failed,
                "error": info.error, "overread": CanaryDecoder.overreads > before,
                "concealed": info.n_concealed}

    return handle


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10000, help="number of corrupted bodies")
    ap.add_argument("--models", default=None, help="ladder folder (default: shipped ladder)")
    ap.add_argument("--images", type=int, default=4, help="shipped test photos to use")
    ap.add_argument("--crop", type=int, default=192, help="centre crop side; 0: whole images")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds before a hang")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="runs/fuzz")
    args = ap.parse_args(argv)

    from tqdm import tqdm

    from scripts.runinfo import run_record, write_json_atomic
    from semcodec.isolated_pool import IsolatedPool, TaskFailure
    from semcodec.ladder import SHIPPED_CODECS, shipped_ladder
    from semcodec.progress import bar_disabled

    ckpts = [str(c) for c in shipped_ladder(args.models or SHIPPED_CODECS)]
    rng = np.random.default_rng(args.seed)
    tasks = [(int(rng.integers(len(ckpts))), int(rng.integers(args.images)),
              KINDS[int(rng.integers(len(KINDS)))], int(rng.integers(2**62)))
             for _ in range(args.n)]
    stats: dict[str, Counter] = defaultdict(Counter)
    worst_s = 0.0
    errors: Counter = Counter()
    with run_record(args.out, seed=args.seed, n=args.n, models=ckpts) as meta:
        with IsolatedPool(_handler_factory, (ckpts, args.images, args.crop),
                          workers=args.workers, timeout_s=args.timeout) as pool:
            pool.start()
            t0 = time.perf_counter()
            for task, res in tqdm(pool.imap_unordered(tasks), total=len(tasks), desc="fuzz",
                                  disable=bar_disabled()):
                s = stats[task[2]]
                s["n"] += 1
                if isinstance(res, TaskFailure):
                    s["crashes" if res.kind == "crash" else
                      "hangs" if res.kind == "timeout" else "errors"] += 1
                    continue
                s["nonfinite"] += not res["finite"]
                s["out_of_range"] += not res["in_range"]
                s["bad_shape"] += not res["shape_ok"]
                s["decode_failed"] += res["decode_failed"]
                s["overreads"] += res["overread"]
                s["with_concealment"] += res["concealed"] > 0
                if res["error"]:
                    errors[res["error"]] += 1
                worst_s = max(worst_s, res["seconds"])
            wall = time.perf_counter() - t0
            restarts = pool.n_restarts
        keys = ("n", "crashes", "hangs", "errors", "nonfinite", "out_of_range", "bad_shape",
                "decode_failed", "overreads", "with_concealment")
        total = {k: sum(s[k] for s in stats.values()) for k in keys}
        report = {"total": total, "by_kind": {k: {c: stats[k][c] for c in keys}
                                              for k in sorted(stats)},
                  "worker_restarts": restarts, "slowest_decode_s": round(worst_s, 3),
                  "wall_s": round(wall, 1), "decodes_per_s": round(args.n / wall, 2),
                  "python_errors": dict(errors), "crop": args.crop, "images": args.images,
                  "timeout_s": args.timeout}
        write_json_atomic(Path(args.out) / "fuzz.json", report)
        meta["fuzz"] = total
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
