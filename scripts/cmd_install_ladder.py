"""``issc install-ladder``: make trained checkpoints the ladder other verbs use."""

from __future__ import annotations

import argparse

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("install-ladder",
                       help="install trained checkpoints (lowest rate first) as a codec ladder")
    p.add_argument("ckpts", nargs="+", type=at.existing_file,
                   help="checkpoints (.ckpt), lowest rate (lambda) first")
    p.add_argument("--out", "--dest", dest="dest", type=at.out_dir, default=None,
                   help="ladder folder (default: the shipped data/codecs/<preset of q1>)")
    p.set_defaults(func=run_install_ladder)


def run_install_ladder(args: argparse.Namespace) -> None:
    import time
    from pathlib import Path

    from scripts.runinfo import git_commit, run_command
    from semcodec.ladder import install_ladder

    installed = install_ladder([Path(c) for c in args.ckpts], args.dest, provenance={
        "command": run_command(), "commit": git_commit(),
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
    print(f"installed {len(args.ckpts)} codecs in {installed} (see ladder.json, README.md)")
