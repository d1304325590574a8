"""Wall-clock samples for the ``bench_*`` scripts (one timing loop for all of them)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def time_samples(fn: Callable[[], object], repeats: int, warmup: int = 1) -> np.ndarray:
    """Seconds of ``repeats`` calls of ``fn`` (float64, shape (repeats,)), after ``warmup``
    untimed calls (caches, lazy imports and allocator warm-up stay out of the samples)."""
    for _ in range(warmup):
        fn()
    t = np.empty(int(repeats))
    for i in range(int(repeats)):
        t0 = time.perf_counter()
        fn()
        t[i] = time.perf_counter() - t0
    return t


def median_seconds(fn: Callable[[], object], repeats: int, warmup: int = 1) -> float:
    """Median seconds of one call of ``fn`` (:func:`time_samples`)."""
    return float(np.median(time_samples(fn, repeats, warmup)))
