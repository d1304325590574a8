"""The resumable CSV tables of a bit-flip sweep (``clean.csv``, ``results.csv``).

Rows are appended line by line as decodes finish (``"\\n"`` line ends, floats
as ``repr``, so a resumed sweep reads back the same text it wrote); a
half-written last line left by a kill is cut on reading; at the end each
table is rewritten sorted, atomically.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .atomic_io import write_atomic, write_rows_atomic

#: Columns of ``results.csv`` (one row per decode; see :mod:`semcodec.sweep`).
RESULT_COLUMNS = ("model", "lambda", "rs_bits", "bpp", "ber", "image", "trial", "n_bits",
                  "n_flipped", "mse", "psnr", "ms_ssim", "decode_failed", "n_concealed",
                  "p_any_flip")
#: Columns of ``clean.csv`` (one row per (model, image): the decode with no flip).
CLEAN_COLUMNS = ("model", "lambda", "image", "n_bits", "bpp", "mse", "psnr", "ms_ssim")


def cell(v: Any) -> str:
    """The text of one value: floats as ``repr`` (exact round trip), the rest as ``str``."""
    if isinstance(v, float):
        return repr(v)
    return str(v)


def read_rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a table written here; a half-written last line (after a kill) is cut."""
    if not path.is_file():
        return []
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raw = raw[:raw.rfind(b"\n") + 1]
        write_atomic(path, raw)
    lines = raw.decode().splitlines()
    if not lines:
        return []
    if tuple(lines[0].split(",")) != tuple(columns):
        raise ValueError(f"{path} has columns {lines[0]!r}: expected {','.join(columns)}; use "
                         f"another --out folder")
    return [r for r in csv.DictReader(lines) if None not in r.values() and len(r) == len(columns)]


class RowAppender:
    """Appends rows to a table (header first when the file is new), flushed line by line."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        new = not path.is_file() or path.stat().st_size == 0
        self.f = open(path, "a", newline="")
        self.w = csv.writer(self.f, lineterminator="\n")
        self.columns = columns
        if new:
            self.w.writerow(columns)
            self.f.flush()

    def write(self, row: dict[str, Any]) -> None:
        self.w.writerow([cell(row[c]) for c in self.columns])
        self.f.flush()

    def close(self) -> None:
        self.f.close()


def rewrite_sorted(path: Path, columns: Sequence[str], rows: list[dict[str, str]],
                   key: Callable[[dict[str, str]], Any]) -> None:
    """Rewrite the table ``path`` with ``rows`` sorted by ``key``, atomically."""
    rows = sorted(rows, key=key)
    write_rows_atomic(path, columns, ([r[c] for c in columns] for r in rows),
                      lineterminator="\n")
