"""``issc demo``: the main job on the embedded default (shipped photos and codecs)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the main job on the embedded default")
    p.add_argument("--out", default="runs/demo")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from scripts.cmd_codec_eval import codec_eval
    from scripts.runinfo import run_record

    out = Path(args.out)
    with run_record(out, seed=args.seed, steps=["codec-eval"]):
        print("[1/1] codec-eval: shipped ladder on the shipped test photos vs JPEG")
        codec_eval(None, None, out / "codec_eval")
    print(f"demo results in {out}")
