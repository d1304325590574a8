"""A short, real grid point for trying and timing the sweep engine.

:func:`bpsk_ber` measures the bit error rate of BPSK over real AWGN by Monte
Carlo and returns it beside the exact value ``0.5 * erfc(sqrt(Eb/N0))``, so a
sweep of it checks itself: a point of ``n_bits`` bits takes about
``n_bits / 5e7`` s plus the engine's overhead (``scripts/bench_sweep_engine.py``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import erfc


def bpsk_ber(point: dict, seed: int, context: Any = None) -> dict:
    """Monte Carlo BER of BPSK at ``point["ebn0_db"]`` (dB) over ``point["n_bits"]`` bits.

    Returns ``{"n_errors", "ber", "ber_exact"}`` (the exact value is Q(sqrt(2 Eb/N0))).
    Raises ValueError for ``n_bits < 1`` (a failing point, for the engine's tests).
    """
    n = int(point["n_bits"])
    if n < 1:
        raise ValueError(f"n_bits={point['n_bits']} is invalid: must be >= 1")
    ebn0 = 10.0 ** (float(point["ebn0_db"]) / 10.0)
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2, n, dtype=np.int8)
    rx = (1.0 - 2.0 * bits) + rng.standard_normal(n) * math.sqrt(1.0 / (2.0 * ebn0))
    n_err = int(np.count_nonzero((rx < 0) != (bits == 1)))
    return {"n_errors": n_err, "ber": n_err / n, "ber_exact": float(0.5 * erfc(math.sqrt(ebn0)))}
