"""Benchmark: DJSCC against the digital chain, training throughput and inference per image.

Measured side by side in one run, on the same CPU threads (``--threads``):

- training: seconds per step of :class:`semcodec.djscc.train.DJSCCTrainer` (DJSCC at
  ABR ``--c``/96 through AWGN) and of :class:`semcodec.train.Trainer` (the compact
  scale-hyperprior codec, rate-distortion loss), same crops (``--crop``) and batch
  (``--batch-size``); the ratio is codec / DJSCC. The validation PSNR the shipped DJSCC
  ladder reached and the hours of training it took are read from its checkpoints'
  metadata (wall time measured at training, one thread).
- inference per 256x256 image (a centre crop of the first shipped test photo):
  DJSCC encode + complex AWGN + decode, against the digital chain: codec encode with
  the real entropy coder + 5G LDPC / QAM / AWGN transport
  (:class:`linksim.payload_link.PayloadLink`, R_c ``--rc``, L = 256) + crash-proof decode.

Run: ``python -m scripts.bench_djscc --out DIR`` (prints a table, writes bench_djscc.json).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch


def main(argv: list[str] | None = None) -> None:
    from linksim.payload_link import PayloadLink
    from scripts.bench_timing import median_seconds
    from scripts.runinfo import run_record, write_json_atomic
    from semcodec.checkpoint import load_codec
    from semcodec.datasets import shipped_photos
    from semcodec.djscc import load_djscc
    from semcodec.djscc.ladder import SHIPPED_DJSCC, shipped_checkpoints
    from semcodec.djscc.train import DJSCCTrainConfig, DJSCCTrainer
    from semcodec.ladder import SHIPPED_CODECS
    from semcodec.payload import encode_image
    from semcodec.robust_decode import RobustDecoder
    from semcodec.train import TrainConfig, Trainer, stack_batch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output folder")
    ap.add_argument("--c", type=int, default=10, help="DJSCC channels (ABR c/96)")
    ap.add_argument("--snr-db", type=float, default=10.0, help="channel SNR / SINR [dB]")
    ap.add_argument("--model", default="q3", help="codec of the shipped ladder")
    ap.add_argument("--rc", type=float, default=1.0, help="digital R_c [bit/channel use]")
    ap.add_argument("--crop", type=int, default=64, help="training crop side [pixels]")
    ap.add_argument("--batch-size", type=int, default=16, help="training batch")
    ap.add_argument("--train-steps", type=int, default=10, help="timed training steps")
    ap.add_argument("--repeats", type=int, default=5, help="timed inference repeats (median)")
    ap.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    ap.add_argument("--seed", type=int, default=0, help="seed")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    with run_record(out, seed=args.seed) as meta:
        # -- training throughput, side by side
        tr = shipped_photos("train", args.crop, seed=args.seed)
        x = stack_batch(tr, torch.arange(args.batch_size))
        dj = DJSCCTrainer(DJSCCTrainConfig(abr=args.c / 96, snr_db=args.snr_db,
                                           crop=args.crop, batch_size=args.batch_size),
                          tr, [], out / "djscc_train")
        co = Trainer(TrainConfig(preset="compact", batch_size=args.batch_size, warmup_steps=1),
                     tr, tr, [], out / "codec_train")

        def steps(t) -> None:
            for _ in range(args.train_steps):
                t.train_step(x)

        t_dj = median_seconds(lambda: steps(dj), 1) / args.train_steps
        t_co = median_seconds(lambda: steps(co), 1) / args.train_steps
        ladder = []
        for ck in shipped_checkpoints(SHIPPED_DJSCC):
            m = load_djscc(ck)[1]
            ladder.append({"model": ck.stem, "val_psnr_db": m["eval"]["psnr"],
                           "val_ms_ssim": m["eval"]["ms_ssim"], "steps": m["steps"],
                           "train_hours": m["train_seconds"] / 3600})
        # -- inference on one 256x256 image, side by side
        img = shipped_photos("test", 256)[0]
        djm = dj.model.eval()
        gen = torch.Generator().manual_seed(args.seed)

        def djscc() -> None:
            with torch.no_grad():
                djm(img[None], args.snr_db, generator=gen)

        codec, _ = load_codec(SHIPPED_CODECS / f"{args.model}.ckpt")
        dec = RobustDecoder(codec)
        link = PayloadLink(args.rc, 256)
        rng = np.random.default_rng(args.seed)
        p = encode_image(codec, img)

        def digital() -> None:
            q = encode_image(codec, img)
            body, _ = link.send_bytes(q.body, args.snr_db, rng)
            dec.decode(q.header, body)

        t_inf_dj = median_seconds(djscc, args.repeats)
        t_inf_dg = median_seconds(digital, args.repeats)
        row = {"threads": args.threads, "crop": args.crop, "batch_size": args.batch_size,
               "djscc_step_s": t_dj, "codec_step_s": t_co, "codec_over_djscc_step": t_co / t_dj,
               "djscc_steps_per_s": 1 / t_dj, "codec_steps_per_s": 1 / t_co,
               "djscc_infer_s": t_inf_dj, "digital_infer_s": t_inf_dg,
               "digital_over_djscc_infer": t_inf_dg / t_inf_dj,
               "djscc_channel_uses": djm.channel_uses(256, 256),
               "digital_channel_uses": int(np.ceil(p.n_bits / link.k)) * 256,
               "digital_body_bits": p.n_bits, "ladder": ladder}
        meta.update(c=args.c, snr_db=args.snr_db, model=args.model, rc=args.rc)
        write_json_atomic(out / "bench_djscc.json", row)
    print(f"{args.threads} torch thread(s); training crops {args.crop}px x {args.batch_size}")
    print(f"training step: DJSCC c={args.c} {t_dj * 1e3:.1f} ms ({1 / t_dj:.2f} steps/s), "
          f"codec compact {t_co * 1e3:.1f} ms ({1 / t_co:.2f} steps/s): codec/DJSCC "
          f"{t_co / t_dj:.2f}x")
    print(f"inference 256x256 at {args.snr_db} dB: DJSCC {t_inf_dj * 1e3:.1f} ms "
          f"({row['djscc_channel_uses']} channel uses), digital {args.model} + LDPC R_c="
          f"{args.rc} + decode {t_inf_dg * 1e3:.1f} ms ({row['digital_channel_uses']} channel "
          f"uses): digital/DJSCC {t_inf_dg / t_inf_dj:.1f}x")
    for r in ladder:
        print(f"  {r['model']}: val PSNR {r['val_psnr_db']:.2f} dB after {r['steps']} steps, "
              f"{r['train_hours']:.3f} h of training (wall, one thread)")


if __name__ == "__main__":
    main()
