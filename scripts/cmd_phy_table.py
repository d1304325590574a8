"""``issc phy-table``: measured 5G LDPC BER/BLER over a grid of (R_c, SINR) at the scenario's L.

The table feeds the ``ldpc`` BER model (:mod:`linksim.ber_model`); the product ships one
in ``data/phy/`` (see ``docs/e2e.md`` for the command and its Monte Carlo counts).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from scripts import argtypes as at

#: :data:`linksim.phy_table.DEFAULT_RCS` as ``--help`` shows it, without importing the PHY
#: (torch) to build the parser; tests/test_cli_startup.py checks that the two agree.
DEFAULT_RCS_SHOWN = "0.25,0.5,0.75,1,1.5,2,3,4"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("phy-table", help="measured LDPC BER/BLER table over (R_c, SINR) for the "
                                         "ldpc BER model")
    p.add_argument("--rc", **at.list_of(at.positive_float), default=None,
                   help="coding rates R_c (information bits per channel use; default: "
                        f"linksim.phy_table.DEFAULT_RCS, {DEFAULT_RCS_SHOWN})")
    p.add_argument("--blocklength", type=at.positive_int, default=256,
                   help="L channel uses per codeword")
    p.add_argument("--num-iter", type=at.positive_int, default=20, help="BP iterations")
    p.add_argument("--max-bits", type=at.positive_float, default=2.5e6,
                   help="information bits per point at most")
    p.add_argument("--min-block-errors", type=at.positive_int, default=100,
                   help="stop a point after these")
    p.add_argument("--step-db", type=at.positive_float, default=0.5,
                   help="SINR step of every row (dB)")
    p.add_argument("--below-db", type=at.finite_float, default=0.5,
                   help="first SINR of a row: this far under the Shannon limit of its R_c")
    p.add_argument("--above-db", type=at.finite_float, default=6.0,
                   help="last SINR of a row: this far over the Shannon limit")
    p.add_argument("--deep", type=float, nargs=2, action="append", metavar=("RC", "BITS"),
                   default=[], help="give the row of this R_c a larger bit budget (repeatable)")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of the channel noise")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.add_argument("--finalize", action="store_true",
                   help="measure nothing: write the table from the points of an interrupted "
                        "run in --out (same settings)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from linksim.ber_model import LDPCTableBERModel
    from linksim.phy_table import (
        DEFAULT_RCS,
        check_request,
        grid_size,
        measure_table,
        table_memory_bytes,
    )
    from scripts.guards import check_memory
    from scripts.runinfo import run_record

    if args.rc is None:
        args.rc = list(DEFAULT_RCS)
    out = Path(args.out)
    # refuse an empty SINR window or --finalize on nothing before --out is made
    check_request(out, args.rc, args.step_db, args.below_db, args.above_db, args.finalize,
                  dict(args.deep))
    rows = len(args.rc)
    n = grid_size(args.step_db, args.below_db, args.above_db)
    check_memory(table_memory_bytes(rows, args.step_db, args.below_db, args.above_db),
                 f"--step-db={args.step_db:g} ({n:.4g} SINR points in each of {rows} rows)")
    with run_record(out, seed=args.seed) as meta:
        path = measure_table(out, args.rc, args.blocklength, args.num_iter, args.max_bits,
                             args.min_block_errors, args.step_db, args.below_db,
                             args.above_db, args.seed, deep=dict(args.deep),
                             finalize=args.finalize, progress=not args.no_progress)
        meta.update(notes="AWGN at the SINR (interference treated as Gaussian noise); "
                          "modulation rule of linksim.payload_link; a row stops at its "
                          "first point without block errors", table=str(path))
        try:
            model = LDPCTableBERModel.from_json(path)
        except ValueError as e:  # e.g. one row, measured to be joined with others
            meta["figure"] = None
            print(f"table -> {path} (no figure: {e})")
            return
        meta["figure"] = str(plot_table(model, out / "ldpc_table.png"))
    print(f"table -> {path}")


def plot_table(model, path: str | os.PathLike) -> Path:
    """Measured BER per R_c (markers), the ldpc model (solid) and ASCC eq. (4) (dashed).

    ``model`` is a :class:`linksim.ber_model.LDPCTableBERModel`. The rows (often 25) are
    told apart by a colourbar of R_c, not a legend entry each.
    """
    import numpy as np
    from matplotlib.lines import Line2D

    from linksim.ber_model import FBLBERModel
    from scripts import plot_style as ps

    fig, ax = ps.figure("wide")
    eq4 = FBLBERModel(model.blocklength)
    by_rc: dict[float, list[dict]] = {}
    for p in model.table["points"]:
        by_rc.setdefault(float(p["rc"]), []).append(p)
    colour = ps.colorbar(fig, ax, sorted(by_rc), "R_c [bit per channel use]")
    for rc in sorted(by_rc):
        col = colour(rc)
        pts = sorted(by_rc[rc], key=lambda p: p["sinr_db"])
        s = np.array([p["sinr_db"] for p in pts])
        b = np.array([(p["ber"] if model.quantity == "ber" else p["bler"] / p["k"])
                      if p["bit_errors"] else np.nan for p in pts])
        ax.semilogy(s, b, "o", color=col, ms=4)
        grid = np.linspace(s.min(), s.max() + 2.0, 200)
        g = 10.0 ** (grid / 10.0)
        if model.rc_range[0] <= rc <= model.rc_range[1]:
            ax.semilogy(grid, model.ber(rc, g), "-", color=col, lw=1)
        ax.semilogy(grid, eq4.ber(pts[0]["rc_eff"], g), "--", color=col, lw=0.8)
    ax.set(xlabel="SINR [dB]", ylim=(1e-9, 0.5),
           ylabel="bit error rate" if model.quantity == "ber" else
           "ρ_b = block error rate / (R_c L)",
           title=f"5G LDPC bit error rate against SINR, block length {model.blocklength}")
    ax.legend(handles=[Line2D([], [], color="0.2", marker="o", ls="none", label="measured"),
                       Line2D([], [], color="0.2", ls="-", label="ldpc model (interpolated)"),
                       Line2D([], [], color="0.2", ls="--", label="ASCC eq. (4) (normal "
                                                                 "approximation)")],
              loc="lower left")
    mods = sorted({p["bits_per_symbol"] for p in model.table["points"]})
    ps.footer(fig, f"{len(by_rc)} code rows R_c in [{min(by_rc):g}, {max(by_rc):g}], "
                   f"modulation {', '.join(str(m) for m in mods)} bit/symbol; L = "
                   f"{model.blocklength}; quantity: {model.quantity}"
                   + ("" if model.quantity == "ber" else " (ASCC eq. (4) definition)"))
    return ps.save(fig, path)
