"""Atomic file writes: a kill or crash leaves the old file or the new one, never half of one.

The one writer of the product: checkpoints, training states, payloads, CSV
tables, JSON records and fits all go through :func:`atomic_target` (a hidden
temporary file in the same folder, then a rename).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_target(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; renamed onto ``path`` when the block succeeds.

    The temporary name carries the process id, so parallel workers writing the
    same folder never share one. If the block raises, the temporary file is
    removed and ``path`` is left as it was.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (bytes, or text as UTF-8) to ``path`` atomically."""
    with atomic_target(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


def write_json_atomic(path: str | os.PathLike, obj: Any) -> None:
    """Write ``obj`` as JSON (indent 2; numpy arrays and paths allowed) atomically."""
    write_atomic(path, json.dumps(obj, indent=2, default=_jsonable))


def write_rows_atomic(path: str | os.PathLike, header: Sequence[str],
                      rows: Iterable[Sequence[Any]], lineterminator: str = "\r\n") -> None:
    """Write a CSV table (``header`` then ``rows``, values as ``csv`` formats them) atomically.

    ``lineterminator`` is the ``csv`` module's: ``"\\r\\n"`` (its default) or
    ``"\\n"`` (the resumable tables of a sweep, appended line by line).
    """
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator=lineterminator)
    w.writerow(header)
    w.writerows(rows)
    write_atomic(path, buf.getvalue())


def write_csv_atomic(path: str | os.PathLike, rows: list[dict]) -> None:
    """Write rows (dicts with the same keys; the first row's order) as CSV atomically."""
    header = list(rows[0])
    write_rows_atomic(path, header, ([r.get(k, "") for k in header] for r in rows))


def _jsonable(x: Any) -> Any:
    if hasattr(x, "tolist"):
        return x.tolist()
    if isinstance(x, Path):
        return str(x)
    raise TypeError(f"not JSON serialisable: {type(x).__name__}")
