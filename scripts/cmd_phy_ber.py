"""``issc phy-ber``: measured 5G LDPC BER/BLER against ASCC eq. (4) at the same (R_c, SINR, L)."""

from __future__ import annotations

import argparse

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("phy-ber", help="measured LDPC BER (Sionna PHY) vs ASCC eq. (4)")
    p.add_argument("--rc", **at.list_of(at.positive_float), default=[1.0],
                   help="coding rates R_c [information bits per channel use]")
    p.add_argument("--sinr-db", **at.list_of(at.finite_float),
                   default=[-2.0, -1.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0],
                   help="SINR points [dB] (a negative first value: --sinr-db=-2,-1,0)")
    p.add_argument("--bits-per-symbol", type=int, default=2, choices=[1, 2, 4, 6, 8],
                   help="QAM bits per symbol")
    p.add_argument("--blocklength", type=at.positive_int, default=256,
                   help="L channel uses per codeword")
    p.add_argument("--max-blocks", type=at.positive_int, default=2000,
                   help="codewords per point (at most)")
    p.add_argument("--min-block-errors", type=at.positive_int, default=50,
                   help="stop a point after this many block errors")
    p.add_argument("--num-iter", type=at.positive_int, default=20, help="BP iterations")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="base seed of the channel draws")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    from pathlib import Path

    import numpy as np
    from tqdm import tqdm

    from linksim.farfield import fbl
    from linksim.phy import LDPCQAMLink, measure_ber
    from linksim.units import db_to_lin
    from scripts import plot_style as ps
    from scripts.runinfo import run_record, write_csv_atomic
    from semcodec.progress import bar_disabled

    out = Path(args.out)
    rows = []
    # the links check (R_c, bits per symbol, L) before any work or output folder
    links = [LDPCQAMLink(rc / args.bits_per_symbol, args.bits_per_symbol, args.blocklength,
                         args.num_iter) for rc in args.rc]
    with run_record(out, seed=args.seed) as meta:
        jobs = [(lk, s) for lk in links for s in args.sinr_db]
        for i, (lk, s) in enumerate(tqdm(jobs, desc="phy-ber", disable=bar_disabled())):
            m = measure_ber(lk, s, args.max_blocks, args.seed + i, args.min_block_errors)
            g = db_to_lin(s)
            rc = lk.rate_bits_per_channel_use
            rows.append({"rc": rc, "k": lk.k, "n": lk.n, **m,
                         "eq4_ber": fbl.normal_approx_ber(g, rc, args.blocklength),
                         "normal_approx_bler": fbl.normal_approx_bler(g, rc, args.blocklength)})
        write_csv_atomic(out / "results.csv", rows)
        fig, ax = ps.figure("double", 1, 2)
        for k, lk in enumerate(links):
            col = ps.COLORS[k % len(ps.COLORS)]  # the model dashed in its row's colour
            rc = lk.rate_bits_per_channel_use
            r = [x for x in rows if x["rc"] == rc]
            s = [x["sinr_db"] for x in r]
            floor = lambda v, n: np.where(np.asarray(v) > 0, v, np.nan)  # noqa: E731
            ax[0].semilogy(s, floor([x["ber"] for x in r], 0), "o-", color=col,
                           label=f"LDPC, R_c = {rc:.3g}")
            ax[0].semilogy(s, floor([x["eq4_ber"] for x in r], 0), "--", color=col,
                           label=f"ASCC eq. (4), R_c = {rc:.3g}")
            ax[1].semilogy(s, floor([x["bler"] for x in r], 0), "o-", color=col,
                           label=f"LDPC, R_c = {rc:.3g}")
            ax[1].semilogy(s, floor([x["normal_approx_bler"] for x in r], 0), "--", color=col,
                           label=f"normal approximation Q(.), R_c = {rc:.3g}")
        for a, t in zip(ax, ("bit error rate", "block error rate")):
            a.set_xlabel("SINR [dB]")
            a.set_ylabel(t)
            a.legend(loc="lower left")
        fig.suptitle("Measured 5G LDPC error rates against the normal approximation")
        ps.footer(fig, f"BP boxplus-phi, {args.num_iter} iterations; {args.bits_per_symbol} "
                       f"bit/symbol; L = {args.blocklength}; at most {args.max_blocks} blocks "
                       f"per point; seed {args.seed}")
        ps.save(fig, out / "phy_ber.png")
        meta.update(notes="interference treated as Gaussian noise (AWGN at the SINR); one "
                          "codeword = L channel uses; eq. (4) divides the block error by R_c L")
    print(f"{len(rows)} points -> {out / 'results.csv'}")
