"""``issc learning-curves``: compare training runs (codec or DJSCC) by their validation curves."""

from __future__ import annotations

import argparse

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("learning-curves",
                       help="validation curves of training runs side by side (CSV + PNG)")
    p.add_argument("runs", nargs="+", type=at.existing_dir,
                   help="training --out folders (history.csv or train_state.pt inside)")
    p.add_argument("--labels", type=str, default=None,
                   help="comma-separated names, one per run (default: the folder names)")
    p.add_argument("--out", type=at.out_dir, required=True, help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from math import nan
    from pathlib import Path

    from scripts.runinfo import run_record
    from semcodec.atomic_io import write_rows_atomic
    from semcodec.learning_curve import history_columns, plot_histories, read_history

    labels = [Path(r).resolve().name for r in args.runs] if args.labels is None else \
        [s.strip() for s in args.labels.split(",")]
    if len(labels) != len(args.runs) or not all(labels) or len(set(labels)) != len(labels):
        raise ValueError(f"labels={args.labels!r} is invalid: give {len(args.runs)} distinct "
                         "non-empty comma-separated names, one per run")
    runs = {lab: read_history(r) for lab, r in zip(labels, args.runs)}  # refuse before --out
    empty = [lab for lab, h in runs.items() if not h]
    if empty:
        raise ValueError(f"run {empty[0]!r} is invalid: it has no validation yet "
                         "(the first comes after --val-every steps)")
    with run_record(args.out, runs=dict(zip(labels, map(str, args.runs)))):
        cols = history_columns([r for h in runs.values() for r in h])
        write_rows_atomic(Path(args.out) / "curves.csv", ["run", *cols],
                          ([lab, *(row.get(c, "") for c in cols)]
                           for lab, h in runs.items() for row in h))
        plot_histories(Path(args.out) / "curves.png", runs)
    print(f"{'run':>16} {'step':>7} {'hours':>6} {'val PSNR':>9} {'val bpp':>8} {'val loss':>9}")
    for lab, h in runs.items():
        last = {"train_s": nan, "val_psnr": nan, "val_bpp": nan, "val_loss": nan} | h[-1]
        print(f"{lab:>16} {last['step']:7d} {last['train_s'] / 3600:6.2f} "
              f"{last['val_psnr']:9.3f} {last['val_bpp']:8.4f} {last['val_loss']:9.4f}")
    print(f"curves: {Path(args.out) / 'curves.csv'}  figure: {Path(args.out) / 'curves.png'}")
