"""Learning curves of a training run: ``history.csv`` and ``history.png`` beside its state.

A trainer (the codec's :class:`semcodec.train.Trainer`, the DJSCC trainer) appends one
record per validation to its history: ``step``, ``train_s`` (training seconds so far,
over every resumed run, so a curve reads as quality per CPU hour) and its ``val_*`` /
``train_*`` metrics (codec: ``val_loss``, ``val_bpp``, ``val_psnr`` ... estimated on
the validation crops; DJSCC: ``val_psnr``, ``val_ms_ssim`` at its training SNR). The
history lives in ``train_state.pt``; :func:`record_history` also writes it as a table
and (with the figure writer the CLI passes, ``scripts.cmd_learning_curves``) a figure at
every validation, so a long run in the background can be watched and
two runs compared (``issc learning-curves``) without loading any state.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from .atomic_io import write_rows_atomic

HISTORY_CSV = "history.csv"
HISTORY_PNG = "history.png"
STATE_FILE = "train_state.pt"
#: the validation metrics a figure shows, in this order, when a history has them
PLOTTED = (("val_psnr", "validation PSNR [dB]"), ("val_bpp", "validation rate [bpp]"),
           ("val_ms_ssim", "validation MS-SSIM"), ("val_loss", "validation loss"))


def read_train_state(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Load a training state (``train_state.pt``) or refuse it in one line naming the file.

    A truncated, zeroed or foreign file raises ``ValueError`` (not torch's traceback), so
    a rerun that resumes says which file to delete.
    """
    path = Path(path)
    try:
        st = torch.load(path, map_location=map_location, weights_only=False)
    except OSError:
        raise
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError, ...
        why = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ValueError(f"{path} is not a readable training state ({why}); delete it to "
                         f"train from the start, or use another --out") from None
    if not isinstance(st, dict) or "config" not in st or "step" not in st:
        raise ValueError(f"{path} is not a training state written by issc train or "
                         f"train-djscc (no config/step); delete it or use another --out")
    return st

def history_columns(history: Sequence[Mapping[str, Any]]) -> list[str]:
    """Columns of a history table: ``step``, ``train_s``, then every other key in order of
    first appearance (a resumed run of older code may lack ``train_s``)."""
    cols = ["step", "train_s"]
    for row in history:
        cols += [k for k in row if k not in cols]
    return cols


def write_history(path: str | os.PathLike, history: Sequence[Mapping[str, Any]]) -> Path:
    """Write the history as CSV (one row per validation; a missing value is empty), atomically."""
    cols = history_columns(history)
    write_rows_atomic(path, cols, ([row.get(c, "") for c in cols] for row in history))
    return Path(path)


def read_history(run: str | os.PathLike) -> list[dict[str, float]]:
    """The history of a training folder: its ``history.csv``, or the one inside its
    ``train_state.pt`` (runs of versions that did not write the table).

    Raises:
        FileNotFoundError: ``run`` holds neither (one line naming the folder).
        ValueError: a history that is not numbers by step (one line naming the folder).
    """
    run = Path(run)
    if (run / HISTORY_CSV).is_file():
        with open(run / HISTORY_CSV, newline="") as fh:
            rows = [{k: v for k, v in row.items() if v not in ("", None)}
                    for row in csv.DictReader(fh)]
    elif (run / STATE_FILE).is_file():
        rows = read_train_state(run / STATE_FILE).get("history", [])
    else:
        raise FileNotFoundError(f"run folder {str(run)!r} is invalid: it holds neither "
                                f"{HISTORY_CSV} nor {STATE_FILE} (a training --out folder)")
    try:
        return [{k: int(v) if k == "step" else float(v) for k, v in row.items()} for row in rows]
    except (TypeError, ValueError, AttributeError):
        raise ValueError(f"run folder {str(run)!r} is invalid: its history is not a table of "
                         "numbers with a step column (written by issc train / train-djscc)"
                         ) from None


#: A figure writer ``(png_path, {run name: history}, title)``: the CLI passes
#: ``scripts.cmd_learning_curves.plot_histories`` (figures live in ``scripts``).
HistoryPlot = Callable[[Path, Mapping[str, Sequence[Mapping[str, Any]]], str], Any]


def record_history(out: str | os.PathLike, history: Sequence[Mapping[str, Any]],
                   title: str = "", plot: HistoryPlot | None = None) -> None:
    """Write ``out/history.csv`` and, with ``plot``, ``out/history.png`` (nothing for an
    empty history)."""
    if history:
        out = Path(out)
        write_history(out / HISTORY_CSV, history)
        if plot is not None:
            plot(out / HISTORY_PNG, {out.name: history}, title)
