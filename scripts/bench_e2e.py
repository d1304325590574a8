"""Benchmark of the end-to-end LDPC chain: seconds per image, against Sionna's bare LDPC time.

For a 256x256 crop and a whole shipped test photo, one codec (``--model``) at the default
operating point (R_c = 1 bit per channel use, L = 256, QPSK by the modulation rule, SINR
``--sinr-db``), timed side by side in one run (median of ``--repeats``):

- ``bare``: Sionna's own 5G LDPC encode + QAM map + AWGN + APP demap + BP decode of the
  same number of codewords (``LDPCQAMLink.run`` on the blocks);
- ``transport``: :meth:`linksim.payload_link.PayloadLink.send_bytes` of the payload body
  (block split, padding, the same Sionna chain, reassembly, error counts);
- ``chain``: what one ``issc e2e`` LDPC trial does in its worker: transport + crash-proof
  decode + MSE / PSNR / MS-SSIM (the encode is cached per image and timed apart).

Prints the ratios transport / bare and chain / bare (goal: <= 1.3) and seconds per image.
Run: ``python -m scripts.bench_e2e --out DIR``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch


def main(argv: list[str] | None = None) -> None:
    from linksim.payload_link import PayloadLink, bytes_to_bits, split_blocks
    from optim.e2e.worker import load_e2e_image
    from scripts.bench_timing import median_seconds
    from scripts.runinfo import run_record, write_json_atomic
    from semcodec.checkpoint import load_codec
    from semcodec.datasets import shipped_photos
    from semcodec.ladder import SHIPPED_CODECS
    from semcodec.payload import encode_image
    from semcodec.robust_decode import RobustDecoder
    from semcodec.sweep import image_metrics

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--model", default="q3", help="codec of the shipped ladder")
    ap.add_argument("--rc", type=float, default=1.0)
    ap.add_argument("--sinr-db", type=float, default=3.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    with run_record(out, seed=args.seed) as meta:
        model, _ = load_codec(SHIPPED_CODECS / f"{args.model}.ckpt")
        dec = RobustDecoder(model)
        link = PayloadLink(args.rc, 256)
        photo = shipped_photos("test", None).files[0]
        rows = []
        for label, crop in (("crop256", 256), ("whole", None)):
            img = load_e2e_image(str(photo), crop)
            t0 = time.perf_counter()
            p = encode_image(model, img)
            t_encode = time.perf_counter() - t0
            blocks, _ = split_blocks(bytes_to_bits(p.body), link.k, np.random.default_rng(0))

            def bare(blocks=blocks) -> None:
                gen = torch.Generator().manual_seed(args.seed)
                link.link.run(torch.from_numpy(blocks.astype(np.float32)), args.sinr_db, gen)

            def transport(p=p) -> bytes:
                return link.send_bytes(p.body, args.sinr_db, np.random.default_rng(args.seed))[0]

            def chain(p=p, img=img) -> None:
                rec, _ = dec.safe_decode(p.header, transport(p))
                image_metrics(img, rec)

            t_bare = median_seconds(bare, args.repeats)
            t_tr = median_seconds(transport, args.repeats)
            t_chain = median_seconds(chain, args.repeats)
            rows.append({"image": label, "pixels": int(img.shape[-1] * img.shape[-2]),
                         "body_bits": p.n_bits, "blocks": int(blocks.shape[0]),
                         "encode_s": t_encode, "bare_ldpc_s": t_bare, "transport_s": t_tr,
                         "chain_s": t_chain, "transport_over_bare": t_tr / t_bare,
                         "chain_over_bare": t_chain / t_bare,
                         "chain_plus_encode_s": t_chain + t_encode})
        meta.update(model=args.model, rc=args.rc, sinr_db=args.sinr_db, threads=args.threads,
                    photo=photo.name, k=link.k, bits_per_symbol=link.code.bits_per_symbol)
        write_json_atomic(out / "bench_e2e.json", rows)
    print(f"model {args.model}, R_c={args.rc} (k={link.k}, {link.code.bits_per_symbol} bit/sym),"
          f" SINR {args.sinr_db} dB, {args.threads} torch threads, median of {args.repeats}")
    print(f"{'image':>8} {'bits':>7} {'blocks':>6} {'bare s':>7} {'transp s':>8} {'chain s':>7}"
          f" {'tr/bare':>7} {'chain/bare':>10} {'+encode s':>9}")
    for r in rows:
        print(f"{r['image']:>8} {r['body_bits']:>7} {r['blocks']:>6} {r['bare_ldpc_s']:>7.3f} "
              f"{r['transport_s']:>8.3f} {r['chain_s']:>7.3f} {r['transport_over_bare']:>7.3f} "
              f"{r['chain_over_bare']:>10.3f} {r['chain_plus_encode_s']:>9.3f}")


if __name__ == "__main__":
    main()
