"""Refuse, before allocating, what this machine's memory cannot hold (one-line ``ValueError``).

The estimators live next to the code that allocates and give bytes from the sizes alone:
:func:`linksim.farfield.bounds.sensing_memory_bytes`,
:func:`linksim.farfield.estimator.estimator_memory_bytes`,
:func:`linksim.nearfield.layout.scatterer_memory_bytes`,
:func:`linksim.phy_table.table_memory_bytes`, :func:`optim.ascc.bound.sdp_memory_bytes` and
:func:`semcodec.djscc.train.training_memory_bytes`. The one check they share is here, in
the lowest layer that needs it itself (an NF scenario draws its scatterers while it is
validated); semcodec may not import linksim, so its estimate is checked by the verb
(``issc train-djscc``, through :mod:`scripts.guards`), and so are optim's.
"""

from __future__ import annotations

import os


def available_memory_bytes() -> int:
    """Memory the kernel can give a new allocation without swapping (``MemAvailable``), B.

    Falls back to the free pages of ``os.sysconf`` where ``/proc/meminfo`` is missing.
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units, 3 significant digits: ``"745 GiB"``, ``"2.18 TiB"``."""
    for unit, scale in (("PiB", 2**50), ("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20),
                        ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n:.0f} B"


def check_memory(estimate_bytes: float, what: str, available: int | None = None) -> None:
    """Refuse (``ValueError``, one line) when ``estimate_bytes`` exceeds the available memory.

    ``what`` names the values behind the estimate, e.g. ``"scenario n_t=200000"``;
    ``available`` (B) replaces the machine's figure (tests).
    """
    avail = available_memory_bytes() if available is None else int(available)
    if estimate_bytes > avail:
        raise ValueError(f"{what} is invalid: it needs about {format_bytes(estimate_bytes)} of "
                         f"memory (estimate), more than the {format_bytes(avail)} available on "
                         f"this machine")
