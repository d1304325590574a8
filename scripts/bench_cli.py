"""CLI start-up: ``issc --help`` and ``issc VERB --help`` with the lazy imports, against the
same call after importing what every verb imported up front before them (torch, compressai,
cvxpy, Sionna, the three packages' heavy modules), side by side in one run.

``python -m scripts.bench_cli --out runs/bench_cli [--repeats 5]``: each sample is a fresh
interpreter (``subprocess``), so imports are not cached between samples; writes
``results.csv`` and ``meta.json``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

#: what the verbs imported at start-up before the lazy imports (the eager baseline)
EAGER = ("import torch, compressai, cvxpy, sionna.phy, scipy.optimize, matplotlib.pyplot; "
         "import semcodec.sweep, optim.ascc.grid, optim.nearfield.joint, linksim.phy; ")
CALLS = {"issc --help": ["--help"], "issc ascc --help": ["ascc", "--help"],
         "issc figure nf-8 --help": ["figure", "nf-8", "--help"]}


def _sample(prefix: str, argv: list[str]) -> float:
    code = f"{prefix}import sys; from scripts.cli import main; sys.exit(main({argv!r}))"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    from scripts.runinfo import run_record, write_csv_atomic

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)
    rows = []
    with run_record(args.out, seed=0, repeats=args.repeats) as meta:
        print(f"{'call':28s} {'lazy [s]':>9s} {'eager [s]':>10s} {'ratio':>6s}")
        for name, call in CALLS.items():
            lazy = np.median([_sample("", call) for _ in range(args.repeats)])
            eager = np.median([_sample(EAGER, call) for _ in range(args.repeats)])
            rows.append({"call": name, "lazy_median_s": lazy, "eager_median_s": eager,
                         "ratio": eager / lazy, "repeats": args.repeats})
            print(f"{name:28s} {lazy:9.2f} {eager:10.2f} {eager / lazy:6.1f}")
        write_csv_atomic(f"{args.out}/results.csv", rows)
        meta["rows"] = rows


if __name__ == "__main__":
    main()
