"""The sweep-engine options every grid verb shares: ``--engine``, ``--workers``, ``--address``.

A verb calls :func:`add_engine_args` on its parser and passes
``engine=args.engine, workers=args.workers, address=args.address`` to
:func:`optim.sweep.run_grid` (or a driver built on it).
"""

from __future__ import annotations

import argparse

from scripts import argtypes as at


def add_engine_args(p: argparse.ArgumentParser, workers: int = 2) -> None:
    """Add ``--engine local|ray``, ``--workers N`` and ``--address auto|HOST:PORT`` to ``p``."""
    from optim.sweep import ENGINES, RAY_CONNECT_TIMEOUT_S

    p.add_argument("--engine", default="local", choices=sorted(ENGINES),
                   help="local: a process pool on this machine; ray: a Ray cluster "
                        "(see docs/sweep_engine.md)")
    p.add_argument("--workers", type=at.positive_int, default=None,
                   help=f"parallel workers (local: processes, default {workers}; ray: CPUs of "
                        f"the local cluster it starts, or with --address the most points run "
                        f"at once, default every CPU of the cluster)")
    p.set_defaults(local_workers=workers)
    p.add_argument("--address", default=None,
                   help=f"Ray cluster to join: 'auto' or HOST:PORT of the head (refused in one "
                        f"line when nothing answers within {RAY_CONNECT_TIMEOUT_S:g} s; "
                        f"default: start a local cluster)")


def check_engine_args(args: argparse.Namespace) -> None:
    """Refuse ``--address`` without ``--engine ray``, ``--workers`` < 1 and a ``HOST:PORT``
    where no Ray head answers (ValueError, before any work starts)."""
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers {args.workers} is invalid: must be >= 1")
    if args.workers is None and (args.engine == "local" or args.address is None):
        args.workers = args.local_workers
    if args.address is not None and args.engine != "ray":
        raise ValueError(f"--address {args.address} needs --engine ray (engine "
                         f"{args.engine!r} runs on this machine)")
    if args.engine == "ray" and args.address not in (None, "auto"):
        from optim.sweep.engines import check_ray_address

        check_ray_address(args.address)
