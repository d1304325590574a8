"""``run_grid``: run (or resume) a grid of points through an engine into a results folder."""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .engines import Engine, Task, make_engine, worker_name
from .grid import (
    RowLog,
    check_points,
    folder_lock,
    grid_record,
    open_folder,
    point_seed,
    tidy_rows,
    write_rows_csv,
)


class SweepRows(list):
    """The tidy rows of a sweep (a list of dicts in grid order) and how the run went.

    Attributes:
        n_resumed: points found finished in the folder (not run again).
        ran_now: keys of the points run by this call.
        wall_s: wall time of this call (s).
        engine: the engine name (``""`` when nothing had to run).
    """

    n_resumed: int = 0
    ran_now: frozenset = frozenset()
    wall_s: float = math.nan
    engine: str = ""

    def failed(self) -> list[dict]:
        """The rows whose status is not ``ok``."""
        return [r for r in self if r["status"] != "ok"]


def run_grid(points: Iterable[Mapping[str, Any]], worker: str | Callable, out: str | os.PathLike,
             seed: int = 0, *, context: Any = None, engine: str | Engine = "local",
             workers: int | None = None, address: str | None = None,
             timeout_s: float | None = None, retry_failed: bool = False, progress: bool = True,
             desc: str = "sweep", write_csv: bool = True,
             paths: Mapping[str, Any] | None = None) -> SweepRows:
    """Run every point of a grid not yet finished in ``out``; return all rows.

    Args:
        points: the grid: dicts of JSON-able parameters (each point once).
        worker: ``"package.module:function"`` or a module-level function,
            ``worker(point: dict, seed: int, context) -> dict`` of JSON-able values
            (names other than the point's parameters and ``seed/status/error``).
        out: results folder (``grid.json``, ``rows.jsonl``, ``rows.csv``).
        seed: the run seed; point p gets :func:`~optim.sweep.grid.point_seed` (seed, p).
        context: JSON-able data every call receives (models, scenario, fits); part of
            the grid's identity, sent once to each worker process or Ray node.
        engine: ``"local"`` (process pool) or ``"ray"`` (see :mod:`optim.sweep.engines`),
            or an :class:`~optim.sweep.engines.Engine` from :func:`make_engine` to share one
            engine (its processes and their caches) between grids; it is left open.
        workers: parallel workers (local: processes; ray: CPUs of the local cluster it
            starts). None: every CPU.
        address: Ray cluster address (``auto`` or ``HOST:PORT``; None: start a local one).
        timeout_s: a point running longer is stopped and recorded as ``timeout``.
        retry_failed: run again the points recorded with a status other than ``ok``.
        progress: show a tqdm bar (points, rate and ETA).
        desc: label of the progress bar.
        write_csv: write ``rows.csv`` at the end (off when the caller writes its own table).
        paths: JSON-able locations the worker needs but that do not change its results
            (the results folder, input files): passed to the worker as
            ``context | {"paths": paths}`` (``context`` must then be a dict) and left out
            of the grid's identity, so a results folder can move and still resume.

    Returns:
        :class:`SweepRows`: one dict per point in grid order, ``{**point, **values,
        "seed", "status", "error"}`` (``values`` absent for a failed point).

    Raises:
        ValueError: a bad point, worker, engine, worker count or address, or ``out``
            holding another grid (the message names the difference).
    """
    from tqdm import tqdm

    from semcodec.progress import bar_disabled, logger

    t0 = time.perf_counter()
    name = worker_name(worker)
    pts, keys = check_points(points)
    if isinstance(engine, Engine):
        eng, own = engine, False
    else:
        eng, own = make_engine(engine, workers, address, timeout_s), True
    try:
        json.dumps([context, paths])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"context is invalid: must be JSON-able ({exc})") from None
    if paths is not None and not isinstance(context, dict):
        raise ValueError("context is invalid with paths=...: must be a dict")
    sent = context if paths is None else context | {"paths": dict(paths)}
    out = Path(out)
    with folder_lock(out):
        open_folder(out, grid_record(name, seed, context, keys, paths))
        log = RowLog(out / "rows.jsonl")
        in_grid = set(keys)
        done = {k: r for k, r in log.read().items() if k in in_grid}
        todo = [Task(k, p, point_seed(seed, p)) for p, k in zip(pts, keys)
                if k not in done or (retry_failed and done[k]["status"] != "ok")]
        n_resumed = len(keys) - len(todo)
        used = ""
        if todo:  # the phase line a log gets where the bar is off (not a terminal)
            logger.info(f"{desc}: {len(todo)} of {len(keys)} points to run "
                        f"({n_resumed} already done)")
            bar = tqdm(total=len(keys), initial=n_resumed, desc=desc, unit="pt",
                       disable=bar_disabled(progress), smoothing=0.1)
            try:
                used = eng.name
                for task, oc in eng.imap_unordered(name, sent, todo):
                    row = {"key": task.key, "seed": task.seed, "status": oc.status,
                           "error": oc.error, "values": oc.values,
                           "wall_s": None if math.isnan(oc.wall_s) else round(oc.wall_s, 6),
                           "where": oc.where}
                    log.append(row)
                    done[task.key] = row
                    bar.update()
            finally:
                log.close()
                bar.close()
                if own:
                    eng.close()
        rows = SweepRows(tidy_rows(pts, keys, done))
        if write_csv:
            write_rows_csv(out / "rows.csv", rows)
    rows.n_resumed, rows.ran_now = n_resumed, frozenset(t.key for t in todo)
    rows.wall_s, rows.engine = time.perf_counter() - t0, used
    return rows
