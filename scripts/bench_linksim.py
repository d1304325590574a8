"""Benchmark of the far-field ISSC link model (ASCC) at the default scenario (N = 1024).

Times per call: ``ISSCScenario.hcrb(Sigma)`` (single and a batch of 64 Sigma),
``fim(Sigma)``, ``sinr``, ``normal_approx_ber`` and ``u_log_ber`` on 1000 points,
the one-off ``fim_basis`` (zeta_1..zeta_6) of a fresh scenario, and the PHY
throughput (information Mbit/s through 5G LDPC + QPSK + AWGN + BP on the CPU).
Run: ``python -m scripts.bench_linksim --out DIR``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from linksim.farfield import fbl
from linksim.farfield.scenario import ISSCScenario, covariance
from linksim.phy import LDPCQAMLink
from scripts.bench_timing import time_samples
from scripts.runinfo import run_record, write_json_atomic


def _time(fn, repeats: int, warmup: int = 5) -> dict[str, float]:
    t = time_samples(fn, repeats, warmup)
    return {"median_ms": float(np.median(t) * 1e3), "min_ms": float(t.min() * 1e3),
            "repeats": repeats}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--phy-blocks", type=int, default=400)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    with run_record(out, seed=args.seed) as meta:
        scn = ISSCScenario()
        wc, w0 = scn.matched_beamformers(1.0)
        S = covariance(wc, w0)
        rng = np.random.default_rng(args.seed)
        Sb = covariance(*scn.matched_beamformers(rng.uniform(0.1, 10, 64)))
        g = rng.uniform(0.1, 10, 1000)
        r = rng.uniform(0.2, 3, 1000)
        res = {
            "hcrb_single": _time(lambda: scn.hcrb(S).trace, args.repeats),
            "hcrb_batch64": _time(lambda: scn.hcrb(Sb).trace, args.repeats),
            "fim_single": _time(lambda: scn.fim(S), args.repeats),
            "sinr_single": _time(lambda: scn.sinr(wc, w0), args.repeats),
            "fim_basis_fresh_scenario": _time(lambda: ISSCScenario().fim_basis(), 20),
            "normal_approx_ber_1000": _time(lambda: fbl.normal_approx_ber(g, r, 256),
                                            args.repeats),
            "u_log_ber_1000": _time(lambda: fbl.u_log_ber(g, r, 256), args.repeats),
        }
        link = LDPCQAMLink(0.5, 2)
        gen = torch.Generator().manual_seed(args.seed)
        info = torch.randint(0, 2, (args.phy_blocks, link.k), generator=gen).float()
        link.run(info[:10], 3.0, gen)
        t0 = time.perf_counter()
        link.run(info, 3.0, gen)
        dt = time.perf_counter() - t0
        res["phy_qpsk_r05_L256"] = {"info_bits": int(info.numel()), "seconds": dt,
                                    "mbit_per_s": info.numel() / dt / 1e6,
                                    "threads": args.threads, "bp_iterations": 20}
        meta["results"] = res
        write_json_atomic(out / "results.json", res)
    for k, v in res.items():
        print(k, {a: round(b, 4) if isinstance(b, float) else b for a, b in v.items()})


if __name__ == "__main__":
    main()
