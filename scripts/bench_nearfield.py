"""Benchmark of the NF position optimiser's inner loop at the default scenario.

Times, per call: (a) all K users' SINRs (NF eq. (17)) from the FA positions;
(b) the same plus the gradient of their sum in the positions (one backward);
(c) the full Jacobian dgamma_k / du (K x N_t x 2, torch.func.jacrev); (d) every
link metric (SINRs, leakage, rates, secrecy margin) plus the gradient of the
worst-case secrecy margin min_k S_k (eq. (33a)). Beams: the MRT + isotropic
baseline at P_t. Run: ``python -m scripts.bench_nearfield --out DIR``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from linksim.nearfield import NFScenario
from scripts.bench_timing import time_samples
from scripts.runinfo import run_record, write_json_atomic


def _time(fn, repeats: int, warmup: int = 20) -> dict[str, float]:
    samples = time_samples(fn, repeats, warmup)
    q1, med, q3 = np.percentile(samples * 1e6, [25, 50, 75])
    return {"median_us": float(med), "q1_us": float(q1), "q3_us": float(q3),
            "min_us": float(samples.min() * 1e6), "repeats": repeats}


def benchmark(scn: NFScenario, repeats: int) -> dict[str, dict[str, float]]:
    W, R = scn.baseline_beamformers()
    rho = torch.full((scn.K,), 0.5, dtype=torch.float64)
    pos0 = scn.tx_nominal()

    def sinr_only():
        with torch.no_grad():
            return scn.sinr(pos0, W, R)

    def sinr_and_grad():
        pos = pos0.clone().requires_grad_(True)
        return torch.autograd.grad(scn.sinr(pos, W, R).sum(), pos)[0]

    jac = torch.func.jacrev(lambda p: scn.sinr(p, W, R))

    def sinr_jacobian():
        return jac(pos0)

    def secrecy_and_grad():
        pos = pos0.clone().requires_grad_(True)
        m = scn.link_metrics(pos, W, R, rho)
        return torch.autograd.grad(m["secrecy_margin"].min(), pos)[0]

    assert sinr_jacobian().shape == (scn.K, scn.n_t, 2)
    return {"sinr_forward": _time(sinr_only, repeats),
            "sinr_forward_backward": _time(sinr_and_grad, repeats),
            "sinr_full_jacobian": _time(sinr_jacobian, repeats),
            "link_metrics_secrecy_grad": _time(secrecy_and_grad, repeats)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default=None, help="NF scenario TOML (default: NF Table I)")
    p.add_argument("--repeats", type=int, default=500)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--seed", type=int, default=0, help="recorded only (nothing is random)")
    p.add_argument("--out", required=True)
    args = p.parse_args(argv)
    if args.repeats <= 0:
        raise SystemExit(f"repeats={args.repeats} is invalid: must be > 0")
    torch.set_num_threads(args.threads)
    scn = NFScenario() if args.scenario is None else NFScenario.from_toml(args.scenario)
    out = Path(args.out)
    with run_record(out, seed=args.seed, threads=args.threads) as meta:
        res = benchmark(scn, args.repeats)
        write_json_atomic(out / "results.json", {"threads": args.threads, "K": scn.K,
                                                 "n_t": scn.n_t, "L": scn.L, **res})
        meta["results"] = res
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3))
        names = list(res)
        ax.barh(names, [res[n]["median_us"] for n in names],
                xerr=[[res[n]["median_us"] - res[n]["q1_us"] for n in names],
                      [res[n]["q3_us"] - res[n]["median_us"] for n in names]])
        ax.set_xlabel(f"median time per call (us), {args.threads} thread(s)")
        fig.tight_layout()
        fig.savefig(out / "bench_nearfield.png", dpi=120)
        plt.close(fig)
    for name, r in res.items():
        print(f"{name:28s} median {r['median_us']:9.1f} us  (IQR {r['q1_us']:.1f}-"
              f"{r['q3_us']:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
