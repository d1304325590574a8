"""``issc demo``: the main job on the embedded default (shipped photos and codecs).

Steps: (1) codec-eval of the shipped ladder on the shipped test photos against
JPEG and WebP at matched bpp (rate-distortion, ``codec_eval/rd.png``); (2) a small
bit-flip sweep over the shipped ladder and the fit of ASCC eq. (7)
(``scurves/fit/fig2.png``); (3) one optimised ASCC link and its DJSCC-WF-ZF benchmark
at the calibrated scenario's P_T (``ascc/designs.json``), and the ASCC link designed on the
measured 5G LDPC table instead of ASCC eq. (4) (``ascc_ldpc/designs.json``); (4) these
links end to end: the shipped test photos' real bitstreams through bit flips at the
predicted rho_b and through the 5G LDPC chain at the designed SINR, predicted against
measured MS-SSIM (``e2e/``);
(5) one NF-ISCSC optimisation at the default near-field scenario (``nf/``). Finishes in
several minutes on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the main job on the embedded default")
    p.add_argument("--out", type=at.out_dir, default="runs/demo", help="output folder")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="base seed of the bit flips")
    p.add_argument("--workers", type=at.positive_int, default=2,
                   help="decode worker processes (sweep)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> None:
    import numpy as np

    from linksim.nearfield import NFScenario
    from optim.ascc import demo_link
    from optim.e2e import format_summary, run_e2e
    from optim.nearfield import demo_run
    from scripts.cmd_codec_eval import plot_rd
    from scripts.cmd_fit_scurves import plot_fig2
    from scripts.cmd_nf import plot_positions
    from scripts.fig_e2e import e2e_intervals, plot_predicted_vs_measured
    from scripts.runinfo import run_record, write_json_atomic
    from semcodec.codec_eval import format_summary as format_rd_summary
    from semcodec.codec_eval import run_codec_eval
    from semcodec.datasets import shipped_photos
    from semcodec.sweep import DEMO_SWEEP, demo_sweep_and_fit

    out = Path(args.out)
    steps = ["codec-eval", "ber-sweep", "fit-scurves", "ascc", "e2e", "nf"]
    with run_record(out, seed=args.seed, steps=steps, demo_sweep=DEMO_SWEEP) as meta:
        print("[1/5] codec-eval: shipped ladder on the shipped test photos vs JPEG and WebP")
        summary = run_codec_eval(out / "codec_eval")
        plot_rd(summary, out / "codec_eval" / "rd.png")
        print(format_rd_summary(summary))
        meta["codec_eval"] = summary
        print("[2/5] bit-flip sweep + ASCC eq. (7) S-curve fit (small demo grid)")
        paths = demo_sweep_and_fit(out / "scurves", seed=args.seed, workers=args.workers)
        paths["fig2"] = plot_fig2(out / "scurves" / "fit")
        meta["fig2"] = str(paths["fig2"])

        print("[3/5] ASCC: one optimised link and the DJSCC-WF-ZF benchmark (BER of ASCC "
              "eq. (4), as the paper), and ASCC again on the measured 5G LDPC table")
        link = demo_link(out / "ascc", seed=args.seed)
        ldpc = demo_link(out / "ascc_ldpc", seed=args.seed, ber_model="ldpc")
        table = link["table"] + [r | {"scheme": "ascc-ldpc"} for r in ldpc["table"][:1]]
        print(_link_table(table))
        meta["ascc"] = table

        designs = [link["ascc"], link["benchmark"], ldpc["ascc"]]
        print(f"[4/5] end to end: {DEMO_E2E_IMAGES} shipped test photos through the "
              f"{len(designs)} designs (bit flips and 5G LDPC)")
        photos = shipped_photos("test", None).files[:DEMO_E2E_IMAGES]
        res = run_e2e(out / "e2e", designs, images=photos,
                      channel="both", trials=1, seed=args.seed, workers=args.workers)
        print(format_summary(res["rows"]))
        plot_predicted_vs_measured(res["rows"], out / "e2e" / "e2e.png",
                                   e2e_intervals(res["results"]))
        meta["e2e"] = res["rows"]

        print("[5/5] NF-ISCSC: Algorithm 2 at the default near-field scenario")
        nf = demo_run(seed=args.seed)
        (out / "nf").mkdir(parents=True, exist_ok=True)
        write_json_atomic(out / "nf" / "run.json", nf)
        plot_positions(NFScenario(), np.asarray(nf["design"]["positions_m"]),
                       out / "nf" / "positions.png", "NF Algorithm 2 at the default scenario")
        m = nf["metrics"]
        print(f"  min_k S_k = {m['min_secrecy']:.3f} bit/s/Hz after "
              f"{nf['diagnostics']['iterations']} AO iterations (projected BFGS, semantic)")
        meta["nf_min_secrecy"] = m["min_secrecy"]
    print(f"demo results in {out}: codec_eval/rd.png, scurves/fit/fig2.png, "
          "ascc/designs.json, ascc_ldpc/designs.json, e2e/summary.csv, e2e/e2e.png, "
          "nf/run.json, nf/positions.png")


#: shipped test photos sent end to end in step 4 (keeps the demo to minutes on 2 cores)
DEMO_E2E_IMAGES = 3


def _link_table(rows: list[dict]) -> str:
    head = (f"  {'scheme':>9} {'model':>5} {'R_c':>6} {'SINR dB':>7} {'rho_b':>9} "
            f"{'MS-SSIM':>7} {'Tr HCRB m^2':>11}")
    lines = [head]
    for r in rows:
        lines.append(f"  {r['scheme']:>9} {r['model']:>5} {r['rc']:>6.3f} {r['sinr_db']:>7.2f} "
                     f"{r['ber_pred']:>9.2e} {r['msssim_pred']:>7.4f} {r['hcrb_m2']:>11.1f}")
    return "\n".join(lines)
