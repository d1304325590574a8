"""``issc train-djscc``: train one deep JSCC model (Bourtsoulatze et al. 2019) over AWGN.

The work is :func:`semcodec.djscc.train.train_djscc` (also ``python -m
semcodec.djscc.train``); see ``docs/semcodec_djscc.md``.
"""

from __future__ import annotations

import argparse
from fractions import Fraction

from scripts import argtypes as at


def abr(text: str) -> float:
    """Type: an ABR the DJSCC architecture realises (k/96, e.g. ``0.125`` or ``5/96``)."""
    from semcodec.djscc.model import c_for_abr

    try:
        v = float(Fraction(text)) if "/" in text else float(text)
    except (ValueError, ZeroDivisionError):
        raise at.ArgumentTypeError(f"{text!r} is invalid: must be an ABR k/96 for integer "
                                   f"k >= 1 (e.g. 0.125 or 5/96)") from None
    try:
        c_for_abr(v)
    except ValueError as exc:
        raise at.ArgumentTypeError(f"{text} is invalid: {str(exc).split(': ', 1)[1]}") from None
    return v


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train-djscc",
                       help="train one deep JSCC model over AWGN at an ABR (resumable)")
    p.add_argument("--abr", type=abr, required=True,
                   help="bandwidth ratio k/n = channel uses per source dimension = c/96 "
                        "(k/96 for integer k >= 1; '5/96' is accepted)")
    p.add_argument("--snr-db", type=at.finite_float, required=True,
                   help="training SNR [dB] (with --snr-range: the SNR of validation and the "
                        "card)")
    p.add_argument("--snr-range", type=at.finite_float, nargs=2, default=None,
                   metavar=("LO", "HI"),
                   help="train at SNRs drawn uniformly in [LO, HI] dB, one per image "
                        "(default: none, train at --snr-db)")
    p.add_argument("--steps", type=at.positive_int, default=3000, help="training steps")
    p.add_argument("--batch-size", type=at.positive_int, default=16, help="crops per step")
    p.add_argument("--crop", type=at.multiple_of(8), default=64,
                   help="training crop side [pixels], a multiple of 8 (>= 16)")
    p.add_argument("--lr", type=at.positive_float, default=1e-3,
                   help="Adam learning rate (divided by 10 after 80%% of the steps)")
    p.add_argument("--val-every", type=at.positive_int, default=500,
                   help="steps between validations")
    p.add_argument("--ckpt-every", type=at.positive_int, default=250,
                   help="steps between saved training states")
    p.add_argument("--seed", type=at.nonneg_int, default=0,
                   help="seed of the initialisation, the crops and the channel noise")
    p.add_argument("--device", type=at.device, default="cpu", help="cpu, cuda or cuda:N")
    p.add_argument("--threads", type=at.positive_int, default=None,
                   help="torch CPU threads (default: torch's choice)")
    p.add_argument("--init", type=at.existing_file, default=None,
                   help="warm start from this DJSCC checkpoint of the same ABR (default: "
                        "random initialisation)")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p),
                   help="output folder (rerun the same to resume)")
    p.set_defaults(func=run, resumable=True)


def run(args: argparse.Namespace) -> None:
    from scripts.cmd_learning_curves import plot_histories
    from scripts.guards import check_memory
    from semcodec.djscc.checkpoint import load_djscc
    from semcodec.djscc.train import config_from_args, train_djscc, training_memory_bytes

    cfg = config_from_args(args)
    check_memory(training_memory_bytes(cfg.c, cfg.batch_size, cfg.crop),
                 f"--abr={args.abr:g} (c={cfg.c} channels, batch {cfg.batch_size} of "
                 f"{cfg.crop}x{cfg.crop} crops)")
    if cfg.init:  # refuse a checkpoint of another kind or ABR before --out is created
        model, _ = load_djscc(cfg.init)
        if model.c != cfg.c:
            raise ValueError(f"init={cfg.init} has ABR {model.c}/96, not {cfg.c}/96: a warm "
                             f"start needs the same ABR")
    train_djscc(cfg, args.out, plot_history=plot_histories)
