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
from .learning_curve import STATE_FILE, HistoryPlot, read_train_state
from .runinfo import run_record
from .train import TrainConfig, Trainer
from .train_options import add_budget_arguments, add_rate_arguments, add_training_arguments


def train_device(device: str | None, threads: int | None) -> str:
    """Set torch's CPU threads (when given) and pick the device (default: cuda when present)."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    return device or ("cuda" if torch.cuda.is_available() else "cpu")


def train_rate(cfg: TrainConfig, out: str | os.PathLike, dataset: str = "shipped",
               root: str | None = None, crop: int = 128, stop_at: float | None = None,
               save_every_s: float | None = None,
               finalize: bool = True,
               plot_history: HistoryPlot | None = None) -> tuple[Path | None, int]:
    """Train (or resume) one codec into ``out``; writes ``meta.json`` there.

    Args:
        cfg: hyper-parameters (lambda, steps, seed, device, warm start, ...).
        out: the rate's folder (``train_state.pt``, ``model.ckpt``, ``meta.json``).
        dataset, root, crop: the training data (:func:`semcodec.ladder.make_datasets`).
        stop_at, save_every_s, finalize: a wall-clock deadline (``time.time()``), wall
            seconds between saved states, and whether to write ``model.ckpt`` here
            (:meth:`semcodec.train.Trainer.fit`).
        plot_history: draws ``history.png`` at each validation (:class:`Trainer`).

    Returns:
        (``model.ckpt`` path, or None when stopped before ``cfg.steps`` or not
        finalized; the step reached).
    """
    tr, va, ev, desc = make_datasets(dataset, root, crop, cfg.seed)
    with run_record(out, seed=cfg.seed, dataset=desc) as meta:
        t = Trainer(cfg, tr, va, ev, out,
                    meta={"dataset": desc, "crop": crop, "command": meta["command"]},
                    plot_history=plot_history)
        path = t.fit(stop_at=stop_at, save_every_s=save_every_s, finalize=finalize)
        meta["checkpoint"] = str(path) if path else None
        meta["step"] = t.step
        meta["steps_this_run"] = t.meta["steps_this_run"]
    return path, t.step


def finalize_state(out: str | os.PathLike, dataset: str = "shipped", root: str | None = None,
                   crop: int = 128, command: str | None = None) -> Path:
    """Write ``out/model.ckpt`` from the saved ``out/train_state.pt``, measured on the CPU.

    For a run that stopped before its ``steps`` (a wall-clock budget) or trained with
    ``finalize=False`` on a machine whose time is better spent training: the weights
    at the step reached get their entropy tables and are measured with the real coder
    on the evaluation images of ``dataset`` (as :meth:`semcodec.train.Trainer.finalize`
    does at the end of a run). The checkpoint records the configuration the state was
    trained with (its device included) and ``command``, the command that trained it.
    """
    out = Path(out)
    state = out / STATE_FILE
    if not state.is_file():
        raise FileNotFoundError(f"{state}: no training state to finalize (train first)")
    saved = read_train_state(state)["config"]
    cfg = TrainConfig(**{**saved, "device": "cpu"})
    tr, va, ev, desc = make_datasets(dataset, root, crop, cfg.seed)
    t = Trainer(cfg, tr, va, ev, out, meta={"dataset": desc, "crop": crop, "command": command,
                                            "finalized_on": "cpu"})
    t.cfg = TrainConfig(**saved)  # what it trained with, not the CPU that only measures
    return t.finalize()


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
    add_budget_arguments(p)
    return p


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` (the options of ``issc train``) and train; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        cfg = config_from_args(args, train_device(args.device, args.threads))
        train_rate(cfg, args.out, args.dataset, args.data, args.crop, stop_at=args.stop_at,
                   save_every_s=args.save_every_s, finalize=not args.no_finalize)
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
    code = main()
    # Every file is written (atomically) and closed by now; skip the interpreter's
    # teardown, which with torch loaded takes seconds on a busy host: under a wall-clock
    # budget (issc train-gpu) those seconds are the margin the parent keeps.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
