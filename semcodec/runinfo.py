"""Run records: output folder and ``meta.json`` for every verb and module entry point.

Every job writes ``meta.json`` beside its results: the command line, seed,
package versions, git commit and wall time, so a result can be reproduced.
It lives in ``semcodec`` (not ``scripts``) because ``python -m semcodec.train_rate``,
the process :func:`semcodec.ladder.train_ladder_parallel` launches per rate,
records its run the same way ``issc train`` does.

A run refused for bad input (:data:`USER_ERRORS`) before it wrote a result leaves its output
folder as it was: :func:`run_record` removes what the run created and writes no
``meta.json``, so every verb gets the rule "nothing half-written in --out" from this one
place; results already written stay, so that a long run resumes.
"""

from __future__ import annotations

import csv
import errno
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

from .atomic_io import write_json_atomic

#: Exceptions that mean "the input was bad": ``issc`` prints them on one line with exit
#: status 2, and :func:`run_record` undoes the run's writes.
USER_ERRORS = (ValueError, KeyError, OSError, csv.Error)

#: ``OSError`` numbers of a storage failure (not bad input): the run's partial results stay,
#: so that a rerun after freeing space resumes from them.
_STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS})

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


class NoResults(ValueError):
    """A user error after which the run's files hold no result (every point of its grid
    failed): :func:`run_record` removes what the run wrote, as for a refusal before work."""


def is_user_error(exc: BaseException) -> bool:
    """Whether ``exc`` means bad input (refused: undo the run's writes), not a failure of the
    machine or a bug (kept, with ``meta.json`` marked failed)."""
    if not isinstance(exc, USER_ERRORS):
        return False
    return not (isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS)


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet (what ``mkdir -p`` creates)."""
    missing = None
    for p in (path, *path.parents):
        if p.exists():
            return missing
        missing = p
    return missing


def _added(out: Path, created: Path | None, before: set[str]) -> list[Path]:
    """What the run added: the outermost folder it created, or the new entries of ``out``."""
    if created is not None:
        return [created] if created.exists() else []
    return [out / name for name in set(os.listdir(out)) - before]


def _holds_results(paths: list[Path]) -> bool:
    """Whether any of ``paths`` is, or holds, a non-empty file: work a rerun resumes from."""
    for p in paths:
        files = [p] if not p.is_dir() else [q for q in p.rglob("*") if not q.is_dir()]
        if any(q.is_file() and q.stat().st_size > 0 for q in files):
            return True
    return False


def _undo(paths: list[Path]) -> None:
    """Remove what the run added (folders whole, files and links one by one)."""
    for p in paths:
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


@contextmanager
def run_record(out: str | os.PathLike, seed: int | None = None, **extra: Any) -> Iterator[dict]:
    """Create ``out`` and write ``meta.json`` there when the block finishes.

    Yields a dict the caller may fill with more metadata (defaults, notes).
    ``meta.json`` is written even when the block raises, with ``status``
    (``interrupted``: a rerun resumes; ``failed``: a bug or the machine). A block that
    raises a user error (:func:`is_user_error`: bad input, refused) before it wrote any
    result leaves ``out`` as it was: a folder the run created is removed, in an existing
    folder the entries the run added are removed (files that were there stay,
    ``meta.json`` included). Once the run has written a non-empty file, a user error keeps
    what it wrote (a long run resumes from it) and ``meta.json`` says ``failed``.
    """
    out = Path(out)
    created = _first_missing(out.absolute())
    before = set() if created is not None else set(os.listdir(out))
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
    exc: BaseException | None = None
    try:
        yield meta
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    except BaseException as e:
        exc = e
        status = "refused" if is_user_error(e) else "failed"
        raise
    finally:
        added = _added(out, created, before) if status == "refused" else []
        if status == "refused" and _holds_results(added) and not isinstance(exc, NoResults):
            status = "failed"  # results exist: keep them for the rerun that resumes
        if status == "refused":
            _undo(added)
        else:
            meta["status"] = status
            meta["wall_time_s"] = round(time.perf_counter() - t0, 3)
            write_json_atomic(out / "meta.json", meta)
