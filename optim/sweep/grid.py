"""Grid points, per-point seeds and the results folder of a sweep (resume and refusal).

A grid is a list of points; a point is a dict of JSON-able parameters. Its
*key* is its canonical JSON (sorted keys, no spaces), so a point is the same
point whatever its position in the list. Its seed is drawn from
``SeedSequence([run_seed, *sha256(key)])``: a pure function of the run seed and
the point, never of the order, the engine or the worker count.

The results folder holds

- ``grid.json``: the worker name, the run seed, the context and every point key
  (written once; a later run with another grid is refused, naming the difference);
- ``rows.jsonl``: one line per finished point, appended (flushed, then fsync'ed
  within a second) as it finishes (a half-written last line after a kill is cut on the next run);
- ``rows.csv``: the tidy table in grid order, rewritten atomically at the end.
"""

from __future__ import annotations

import csv
import fcntl
import hashlib
import io
import json
import math
import os
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import ConfigDict, Field

from linksim.schema import StrictModel, check
from semcodec.atomic_io import write_atomic

GRID_VERSION = 1
#: Columns the engine adds to every row, after the point's parameters and the worker's values.
ENGINE_COLUMNS = ("seed", "status", "error")
#: ``status`` of a point: the worker returned (``ok``), raised (``error``), its process
#: died (``crash``) or it ran past the time limit (``timeout``).
STATUSES = ("ok", "error", "crash", "timeout")


class GridRecordV1(StrictModel):
    """``grid.json`` (version 1), the identity of a results folder's grid."""

    model_config = ConfigDict(allow_inf_nan=True)  # a context may hold NaN
    version: Literal[1] = Field(description="layout version of grid.json")
    worker: str = Field(description="the registered worker that runs each point")
    seed: int = Field(ge=0, description="the run seed")
    context: Any = Field(description="what every point shares (JSON)")
    paths: dict[str, Any] = Field(default_factory=dict, description="locations the workers "
                                  "need (absent in folders written before it existed)")
    points: list[str] = Field(description="every point's key (canonical JSON)")


class RowV1(StrictModel):
    """One line of ``rows.jsonl``: a finished point."""

    model_config = ConfigDict(allow_inf_nan=True)  # a worker's values may hold NaN
    key: str = Field(description="the point's key (canonical JSON)")
    seed: int = Field(ge=0, description="the point's seed")
    status: Literal[STATUSES] = Field(description="how the point ended")
    error: str = Field(description="the worker's error, empty when ok")
    values: dict[str, Any] | None = Field(description="the worker's values (ok) or null")
    wall_s: float | None = Field(description="the worker's run time in s, or null")
    where: str = Field(description="engine, host and process that ran it")


def _read_json(path: Path, what: str) -> Any:
    """A JSON file of a results folder, or one line naming it and how to recover."""
    try:
        return json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{path}: is not the {what} a sweep wrote ({e}); use another folder "
                         "or remove it to start over") from None


def canonical_json(obj: Any) -> str:
    """The canonical JSON text of a JSON-able object (sorted keys, no spaces, no NaN)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False)


def point_key(point: Mapping[str, Any]) -> str:
    """The key of a point: its canonical JSON. Raises ValueError for a point that is not one."""
    if not isinstance(point, Mapping) or not point:
        raise ValueError(f"point={point!r} is invalid: must be a non-empty dict of parameters")
    bad = [k for k in point if not isinstance(k, str)]
    if bad:
        raise ValueError(f"point={point!r} is invalid: parameter names must be strings, "
                         f"got {bad[0]!r}")
    reserved = [k for k in point if k in ENGINE_COLUMNS]
    if reserved:
        raise ValueError(f"point={point!r} is invalid: {reserved[0]!r} is a column the engine "
                         f"writes; rename the parameter")
    try:
        return canonical_json(dict(point))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"point={point!r} is invalid: parameters must be finite JSON values "
                         f"({exc})") from None


def point_seed(run_seed: int, point: Mapping[str, Any]) -> int:
    """The seed of one point (an int in [0, 2**63)): a function of ``run_seed`` and the point.

    Workers build their generator as ``np.random.default_rng(seed)``.
    """
    digest = hashlib.sha256(point_key(point).encode()).digest()
    words = np.frombuffer(digest, dtype="<u4").tolist()
    state = np.random.SeedSequence([int(run_seed), *words]).generate_state(2, np.uint32)
    return (int(state[0]) << 31) ^ int(state[1])


def check_points(points: Iterable[Mapping[str, Any]]) -> tuple[list[dict], list[str]]:
    """(points as dicts, their keys); refuses an empty grid and a point given twice."""
    pts = [dict(p) if isinstance(p, Mapping) else p for p in points]
    keys = [point_key(p) for p in pts]
    if not keys:
        raise ValueError("points=[] is invalid: the grid needs at least one point")
    seen: set[str] = set()
    for k in keys:
        if k in seen:
            raise ValueError(f"point {k} is given twice: every grid point must differ")
        seen.add(k)
    return pts, keys


# ----------------------------------------------------------------------------- grid.json

def grid_record(worker: str, run_seed: int, context: Any, keys: Sequence[str],
                paths: Mapping[str, Any] | None = None) -> dict:
    """What ``grid.json`` holds; ``paths`` (locations the workers need, e.g. the results
    folder) are recorded but not part of the grid's identity, so a folder may move."""
    return {"version": GRID_VERSION, "worker": worker, "seed": int(run_seed),
            "context": context, "paths": dict(paths or {}), "points": list(keys)}


def _json(obj: Any) -> str:
    """Canonical JSON that also allows NaN (a context may hold NaN, e.g. an unknown lambda)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def grid_difference(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """A one-line description of how two grid records differ ("" when they are the same)."""
    parts = []
    for name in ("version", "worker", "seed"):
        if old.get(name) != new.get(name):
            parts.append(f"{name} {old.get(name)!r} there, {new.get(name)!r} here")
    if _json(old.get("context")) != _json(new.get("context")):
        a, b = old.get("context"), new.get("context")
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            names = sorted(k for k in set(a) | set(b) if _json(a.get(k)) != _json(b.get(k)))
            parts.append(f"context ({', '.join(names)})")
        else:
            parts.append("context")
    old_pts, new_pts = set(old.get("points", [])), set(new.get("points", []))
    if old_pts != new_pts:
        extra, missing = sorted(new_pts - old_pts), sorted(old_pts - new_pts)
        msg = []
        if extra:
            msg.append(f"{len(extra)} point(s) not in it (first {extra[0]})")
        if missing:
            msg.append(f"{len(missing)} of its point(s) not here (first {missing[0]})")
        parts.append("points: " + "; ".join(msg))
    return "; ".join(parts)


def open_folder(out: Path, record: dict) -> None:
    """Create ``out`` with ``grid.json``, or check that ``out`` holds the same grid."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "grid.json"
    if path.is_file():
        old = _read_json(path, "grid.json")
        if isinstance(old, Mapping) and isinstance(old.get("version"), int) \
                and old["version"] != GRID_VERSION:
            raise ValueError(f"{path}: version={old['version']} is invalid: this issc reads "
                             f"grid folders of version {GRID_VERSION}; rerun into a new folder "
                             "to regenerate it")
        old = check(GridRecordV1, old, str(path)).model_dump()
        diff = grid_difference(old, record)
        if diff:
            raise ValueError(f"out={out} holds results of a different grid ({diff}): use "
                             f"another folder, or the same grid to resume")
        return
    write_atomic(path, json.dumps(record, indent=1))


@contextmanager
def folder_lock(out: Path) -> Iterator[None]:
    """Hold ``out/.lock`` (an OS lock, freed when the process dies): two sweeps never
    append to one folder at once; the second is refused in one line."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "a+") as f:
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "?"
            raise ValueError(f"out={out} is in use by another running sweep (pid {holder}): "
                             f"wait for it, or use another folder") from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


# ----------------------------------------------------------------------------- rows

#: Seconds between two fsyncs of ``rows.jsonl`` (a row is flushed at once, so a killed
#: process loses none; fsync, ~5 ms on ext4, guards against a host crash at most this late).
FSYNC_EVERY_S = 1.0


class RowLog:
    """``rows.jsonl``: finished points, one JSON object a line.

    Each line is flushed to the OS as its point finishes (a kill of the process
    loses no row) and fsync'ed at most :data:`FSYNC_EVERY_S` later and at close
    (a host crash loses at most the last second).

    A line is ``{"key", "seed", "status", "error", "values", "wall_s", "where"}``
    (``values``: the worker's dict; ``where``: engine and process that ran it).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._f: io.TextIOWrapper | None = None
        self._synced = -math.inf

    def read(self) -> dict[str, dict]:
        """Finished rows by point key; a torn last line (kill mid-write) is cut from the file."""
        if not self.path.is_file():
            return {}
        raw = self.path.read_bytes()
        if raw and not raw.endswith(b"\n"):
            raw = raw[:raw.rfind(b"\n") + 1]
            with open(self.path, "r+b") as f:
                f.truncate(len(raw))
        rows: dict[str, dict] = {}
        try:
            text = raw.decode()
        except UnicodeDecodeError as e:
            raise ValueError(f"{self.path}: is not a rows.jsonl a sweep wrote ({e}); use "
                             "another folder or remove it to start over") from None
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                where = f"{self.path} line {n}"
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{where}: is not a row a sweep wrote ({e}); use another "
                                     "folder or remove the line to run that point again") \
                        from None
                row = check(RowV1, obj, where).model_dump()
                rows[row["key"]] = row  # a point written twice (lost ack) keeps one row
        return rows

    def append(self, row: dict) -> None:
        if self._f is None:
            self._f = open(self.path, "a", encoding="utf-8")
        self._f.write(json.dumps(row, allow_nan=True) + "\n")
        self._f.flush()
        if time.monotonic() - self._synced >= FSYNC_EVERY_S:
            os.fsync(self._f.fileno())
            self._synced = time.monotonic()

    def close(self) -> None:
        if self._f is not None:
            self._f.flush()
            os.fsync(self._f.fileno())
            self._f.close()
            self._f = None


def tidy_rows(points: Sequence[dict], keys: Sequence[str], done: Mapping[str, dict]
              ) -> list[dict]:
    """The tidy rows of the finished points in grid order: parameters, values, engine columns."""
    rows = []
    for p, k in zip(points, keys):
        if k in done:
            r = done[k]
            rows.append({**p, **(r.get("values") or {}), "seed": r["seed"],
                         "status": r["status"], "error": r.get("error", "")})
    return rows


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    if isinstance(v, (list, dict)):
        return canonical_json(v)
    return str(v)


def write_rows_csv(path: Path, rows: Sequence[dict]) -> None:
    """Write rows as CSV atomically; columns are the union of keys in first-seen order."""
    columns: dict[str, None] = {}
    for r in rows:
        columns.update(dict.fromkeys(c for c in r if c not in ENGINE_COLUMNS))
    columns.update(dict.fromkeys(ENGINE_COLUMNS))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(columns))
    for r in rows:
        w.writerow([_cell(r.get(c)) for c in columns])
    write_atomic(path, buf.getvalue())
