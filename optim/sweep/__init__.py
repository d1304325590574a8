"""One resumable sweep engine for every grid: points -> a worker function -> tidy rows.

>>> from optim.sweep import run_grid
>>> rows = run_grid([{"ebn0_db": x, "n_bits": 10_000} for x in (0.0, 4.0)],
...                 "optim.sweep.probe:bpsk_ber", "runs/probe", seed=0,
...                 engine="local", workers=2)        # or engine="ray", address="auto"

Each point is a dict of JSON-able parameters; its seed is a function of the run
seed and the point only (:func:`point_seed`), so rows do not depend on the
engine, the worker count or the order. Finished points are appended to
``out/rows.jsonl`` (fsync'ed) as they finish; a rerun skips them; ``out``
written by another grid is refused with the difference named. A point whose
worker raises, crashes or hangs is recorded with its error and the sweep goes
on. See ``docs/sweep_engine.md`` (running on a multi-node Ray cluster).
"""

from .engines import (
    ENGINES,
    RAY_CONNECT_TIMEOUT_S,
    Engine,
    LocalEngine,
    Outcome,
    RayEngine,
    Task,
    make_engine,
    register_engine,
)
from .grid import canonical_json, point_key, point_seed
from .run import SweepRows, run_grid

__all__ = ["ENGINES", "RAY_CONNECT_TIMEOUT_S", "Engine", "LocalEngine", "Outcome", "RayEngine",
           "SweepRows", "Task", "canonical_json", "make_engine", "point_key", "point_seed",
           "register_engine", "run_grid"]
