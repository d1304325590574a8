"""``issc learning-curves``: compare training runs (codec or DJSCC) by their validation curves."""

from __future__ import annotations

import argparse
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("learning-curves",
                       help="validation curves of training runs side by side (CSV + PNG)")
    p.add_argument("runs", nargs="+", type=at.existing_dir,
                   help="training --out folders (history.csv or train_state.pt inside)")
    p.add_argument("--labels", type=str, default=None,
                   help="comma-separated names, one per run (default: the folder names)")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from math import nan
    from pathlib import Path

    from scripts.runinfo import run_record
    from semcodec.atomic_io import write_rows_atomic
    from semcodec.learning_curve import history_columns, read_history

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


def plot_histories(path: str | os.PathLike, runs: Mapping[str, Sequence[Mapping[str, Any]]],
                   title: str = "") -> Path:
    """One panel per validation metric that some run has
    (:data:`semcodec.learning_curve.PLOTTED`) against training step, one line per run;
    PNG + PDF (the trainers' ``history.png`` and ``issc learning-curves``' ``curves.png``)."""
    from scripts import plot_style as ps
    from semcodec.learning_curve import PLOTTED

    keys = [(k, lab) for k, lab in PLOTTED if any(k in r for h in runs.values() for r in h)]
    keys = keys or [("step", "step")]
    fig, axes = ps.figure((4.4 * len(keys), 3.6), 1, len(keys), squeeze=False)
    for ax, (k, lab) in zip(axes[0], keys):
        for n, (name, hist) in enumerate(runs.items()):
            pts = [(r["step"], r[k]) for r in hist if k in r and math.isfinite(r[k])]
            if pts:
                st = ps.style_of(n % len(ps.COLORS))
                ax.plot(*zip(*pts), marker=st["marker"], ms=3, color=st["color"],
                        ls=st["linestyle"], label=name)
        ax.set_xlabel("training step")
        ax.set_ylabel(lab)
        ps.integer_ticks(ax, "x", nbins=4)  # three narrow panels: step counts in thousands
    if len(runs) > 1:
        ps.legend_outside(axes[0][-1])
    fig.suptitle(title or "Validation during training")
    return ps.save(fig, path)
