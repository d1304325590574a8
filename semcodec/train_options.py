"""The options of a training job, defined once.

``issc train`` / ``issc train-all`` (:mod:`scripts.cmd_train`) and
``python -m semcodec.train_rate`` (what :func:`semcodec.ladder.train_ladder_parallel`
launches once per rate) add their options with :func:`add_training_arguments`
and :func:`add_rate_arguments`, so both take the same names, defaults and help.

``semcodec`` never imports ``scripts``, so the value checks come in as
``types``: an object with the validators ``multiple_of(n)``, ``positive_int``,
``nonneg_int``, ``positive_float``, ``finite_float``, ``device``, ``out_dir``
and ``existing_file``. ``issc`` passes :mod:`scripts.argtypes` (one-line
errors before any work); the module entry point uses :data:`PLAIN_TYPES`
(plain ``int`` / ``float`` / ``str``), since the verb that launched it checked
the values already, and :class:`semcodec.train.TrainConfig` checks them again.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from .zoo import PRESETS

#: Conversions without range checks (``python -m semcodec.train_rate``).
PLAIN_TYPES = SimpleNamespace(
    multiple_of=lambda unit: int, positive_int=int, nonneg_int=int, positive_float=float,
    finite_float=float, device=str, out_dir=str, existing_file=str)

#: Options of every training job whose values are passed on to each rate's process
#: by :func:`training_argv` (``--seed`` and ``--out`` differ per rate, so they are not).
PASSED_ON = ("preset", "dataset", "data", "crop", "batch_size", "lr", "warmup_steps", "quantizer",
             "val_every", "ckpt_every", "device", "threads")


def add_training_arguments(p: argparse.ArgumentParser, types: Any = PLAIN_TYPES) -> None:
    """The options every training job takes (``issc train``, ``issc train-all``, one rate)."""
    p.add_argument("--preset", default="compact", choices=list(PRESETS),
                   help="codec size: " + ", ".join(f"{k} (N={v['N']}, M={v['M']})"
                                                   for k, v in PRESETS.items())
                        + "; with --init from a smaller preset the codec is grown (semcodec.widen)")
    add_schedule_arguments(p, types)
    p.add_argument("--seed", type=types.nonneg_int, default=0,
                   help="seed of the initialisation and the crops")
    p.add_argument("--device", type=types.device, default=None,
                   help="cpu, cuda or cuda:N (default: cuda when present)")
    p.add_argument("--threads", type=types.positive_int, default=None,
                   help="torch CPU threads (default: torch's choice)")
    # the CLI's --out rule (scripts.argtypes.default_out): runs/<verb>
    p.add_argument("--out", type=types.out_dir, default=f"runs/{p.prog.split()[-1]}",
                   help="output folder (rerun the same to resume)")


def add_schedule_arguments(p: argparse.ArgumentParser, types: Any = PLAIN_TYPES) -> None:
    """The data and schedule options of a training job (also ``issc train-gpu``'s, which
    changes their defaults with ``set_defaults``)."""
    p.add_argument("--dataset", default="shipped",
                   choices=["shipped", "shipped+extra", "cub", "folder"],
                   help="shipped photos, shipped photos with data/photos_train_extra added to "
                        "the training split (same val / test), CUB-200-2011 or any image folder "
                        "(unreadable images are skipped and counted)")
    p.add_argument("--data", default=None,
                   help="dataset root for cub / folder, or the extra photo folder (with "
                        "ATTRIBUTION.csv and LICENSES/) for shipped+extra (default: none, needed "
                        "for cub / folder)")
    p.add_argument("--crop", type=types.multiple_of(64), default=128,
                   help="training crop side [pixels], a multiple of the codec's 64-pixel unit")
    p.add_argument("--batch-size", type=types.positive_int, default=8, help="crops per step")
    p.add_argument("--lr", type=types.positive_float, default=1e-4, help="Adam learning rate")
    p.add_argument("--warmup-steps", type=types.nonneg_int, default=500,
                   help="linear lr warm-up steps")
    p.add_argument("--quantizer", default="noise", choices=["noise", "mixed"],
                   help="training-time quantiser of the latents: noise (CompressAI's uniform "
                        "noise) or mixed (noise for the rate, straight-through rounding into "
                        "the decoder, Minnen & Singh 2020)")
    p.add_argument("--val-every", type=types.positive_int, default=500,
                   help="steps between validations")
    p.add_argument("--ckpt-every", type=types.positive_int, default=250,
                   help="steps between saved training states")


def add_rate_arguments(p: argparse.ArgumentParser, types: Any = PLAIN_TYPES) -> None:
    """The options of one rate (``issc train``, ``python -m semcodec.train_rate``)."""
    p.add_argument("--lmbda", "--lambda", dest="lmbda", type=types.finite_float, required=True,
                   help="rate-distortion trade-off: loss = lambda 255^2 MSE + bpp (CompressAI's "
                        "MSE objective)")
    p.add_argument("--steps", type=types.positive_int, default=20000, help="training steps")
    p.add_argument("--init", type=types.existing_file, default=None,
                   help="warm start from this checkpoint; one of a smaller preset is widened "
                        "into --preset first, computing the same (default: random "
                        "initialisation)")


def add_budget_arguments(p: argparse.ArgumentParser, types: Any = PLAIN_TYPES) -> None:
    """The wall-clock options of one rate run under a budget (``issc train-gpu`` passes them
    to each ``python -m semcodec.train_rate``)."""
    p.add_argument("--stop-at", type=types.positive_float, default=None,
                   help="wall-clock deadline [s since the epoch, time.time()]: save the state "
                        "and stop before a step that would end after it (default: none)")
    p.add_argument("--save-every-s", type=types.positive_float, default=None,
                   help="also save the training state every this many wall seconds")
    p.add_argument("--no-finalize", action="store_true",
                   help="do not write model.ckpt at the end (finalized later, e.g. on a CPU)")


def training_argv(values: Mapping[str, Any]) -> list[str]:
    """The :data:`PASSED_ON` options of ``values`` (parsed options) as command-line words.

    Options whose value is None are left out (their default applies again).
    """
    argv: list[str] = []
    for dest in PASSED_ON:
        if values.get(dest) is not None:
            argv += ["--" + dest.replace("_", "-"), str(values[dest])]
    return argv
