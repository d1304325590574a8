"""Run records: output folder and ``meta.json`` for every verb and module entry point.

Every job writes ``meta.json`` beside its results: the command line, seed,
package versions, git commit and wall time, so a result can be reproduced.
It lives in ``semcodec`` (not ``scripts``) because ``python -m semcodec.train_rate``,
the process :func:`semcodec.ladder.train_ladder_parallel` launches per rate,
records its run the same way ``issc train`` does.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from .atomic_io import write_json_atomic

_PACKAGES = ("torch", "compressai", "numpy", "scipy", "cvxpy", "sionna-no-rt", "sacrebleu",
             "pytorch-msssim")


def git_commit(path: str | os.PathLike | None = None) -> str:
    """Commit hash of the checkout holding ``path`` (``"unknown"`` outside git)."""
    here = Path(path) if path else Path(__file__).resolve().parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True,
                             text=True, timeout=5)
        commit = out.stdout.strip()
        if out.returncode != 0 or not commit:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _program() -> str:
    """The program name as a user types it (``issc`` also under ``python -m scripts.cli``).

    A ``semcodec`` module run with ``python -m`` is named that way (its file name
    alone would not run it).
    """
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if spec is not None and spec.name.startswith("semcodec."):
        return f"python -m {spec.name}"
    name = Path(sys.argv[0]).name
    return "issc" if name in ("cli.py", "__main__.py") else name


def run_command() -> str:
    """The command line of this process as the user typed it."""
    return " ".join([_program()] + sys.argv[1:])


@contextmanager
def run_record(out: str | os.PathLike, seed: int | None = None, **extra: Any) -> Iterator[dict]:
    """Create ``out`` and write ``meta.json`` there when the block finishes.

    Yields a dict the caller may fill with more metadata (defaults, notes).
    ``meta.json`` is written even when the block raises, with ``status``.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "command": run_command(),
        "seed": seed,
        "versions": versions(),
        "commit": git_commit(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **extra,
    }
    t0 = time.perf_counter()
    status = "ok"
    try:
        yield meta
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except BaseException:
        status = "failed"
        raise
    finally:
        meta["status"] = status
        meta["wall_time_s"] = round(time.perf_counter() - t0, 3)
        write_json_atomic(out / "meta.json", meta)
