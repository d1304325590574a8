"""Train one rate of the ladder: the job of ``issc train``, and its module entry point.

``python -m semcodec.train_rate --lmbda L --out DIR [options]`` takes the
options of ``issc train`` and is what
:func:`semcodec.ladder.train_ladder_parallel` launches once per rate, so that
``semcodec`` never calls up into the command-line front end. Like the
``issc`` verbs it prints a user error on one line and exits 2, and exits 130
with one line when SIGINT / SIGTERM stopped it (the state is saved).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .ladder import make_datasets
from .runinfo import run_record
from .train import TrainConfig, Trainer
from .train_options import add_rate_arguments, add_training_arguments


def train_device(device: str | None, threads: int | None) -> str:
    """Set torch's CPU threads (when given) and pick the device (default: cuda when present)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    return device or ("cuda" if torch.cuda.is_available() else "cpu")


def train_rate(cfg: TrainConfig, out: str | os.PathLike, dataset: str = "shipped",
               root: str | None = None, crop: int = 128) -> tuple[Path | None, int]:
    """Train (or resume) one codec into ``out``; writes ``meta.json`` there.

    Args:
        cfg: hyper-parameters (lambda, steps, seed, device, warm start, ...).
        out: the rate's folder (``train_state.pt``, ``model.ckpt``, ``meta.json``).
        dataset, root, crop: the training data (:func:`semcodec.ladder.make_datasets`).

    Returns:
        (``model.ckpt`` path, or None when stopped before ``cfg.steps``; the step reached).
    """
    tr, va, ev, desc = make_datasets(dataset, root, crop, cfg.seed)
    with run_record(out, seed=cfg.seed, dataset=desc) as meta:
        t = Trainer(cfg, tr, va, ev, out,
                    meta={"dataset": desc, "crop": crop, "command": meta["command"]})
        path = t.fit()
        meta["checkpoint"] = str(path) if path else None
        meta["step"] = t.step
    return path, t.step


def config_from_args(args: argparse.Namespace, device: str) -> TrainConfig:
    """The :class:`TrainConfig` of parsed training options (:mod:`semcodec.train_options`)."""
    return TrainConfig(preset=args.preset, lmbda=args.lmbda, steps=args.steps,
                       batch_size=args.batch_size, lr=args.lr, val_every=args.val_every,
                       ckpt_every=args.ckpt_every, seed=args.seed, device=device, init=args.init,
                       warmup_steps=args.warmup_steps, quantizer=args.quantizer)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m semcodec.train_rate",
                                description="train one codec at one lambda (resumable)")
    add_training_arguments(p)
    add_rate_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (the options of ``issc train``) and train; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        cfg = config_from_args(args, train_device(args.device, args.threads))
        train_rate(cfg, args.out, args.dataset, args.data, args.crop)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        msg = exc.args[0] if exc.args else repr(exc)
        print(f"train_rate: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        msg = exc.args[0] if exc.args else "interrupted"
        print(f"train_rate: {msg}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
