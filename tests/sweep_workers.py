"""Grid workers for the sweep-engine tests: a point that crashes its process, one that hangs."""

from __future__ import annotations

import ctypes
import time

from optim.sweep.probe import bpsk_ber


def fragile_bpsk(point: dict, seed: int, context: object = None) -> dict:
    """:func:`optim.sweep.probe.bpsk_ber`, but ``point["fault"]`` = "segv" kills the process
    (a real segmentation fault) and "hang" never returns."""
    if point.get("fault") == "segv":
        ctypes.string_at(0)
    if point.get("fault") == "hang":
        time.sleep(600)
    return bpsk_ber(point, seed) | {"context": context}
