"""The bit-flip sweep's grid points as worker functions (for ``optim.sweep.run_grid``).

Two kinds of point, each a pure function of its parameters and the sweep's
settings (``context``: ``sweep.json`` without the input paths, plus
``context["paths"] = {"models", "images", "out"}``):

- :func:`encode_point` ``{"m", "i"}``: code image i with model m into its
  payload file (``out/payloads/...``) and return its clean-decode row;
- :func:`trial_point` ``{"m", "b", "i", "t"}``: flip the body of that payload
  at rho_b = ``bers[b]`` with the sweep's own generator
  ``SeedSequence([seed, m, b, i, t])`` (:func:`semcodec.sweep_worker.seed_for`, so the
  numbers are those of every earlier release; the engine's per-point seed is
  not used) and return the decode's distortion row.

The maths lives in :class:`semcodec.sweep_worker.SweepHandler`; each worker process
keeps one handler (models loaded once) for the context it last saw.
"""

from __future__ import annotations

import json
from typing import Any

_HANDLER: dict[str, Any] = {}


def _handler(context: dict) -> Any:
    from .sweep_worker import SweepHandler

    key = json.dumps(context, sort_keys=True)
    if key not in _HANDLER:
        _HANDLER.clear()
        paths = context["paths"]
        config = {k: v for k, v in context.items() if k != "paths"}
        config |= {"models": paths["models"], "images": paths["images"]}
        _HANDLER[key] = SweepHandler(config, paths["out"])
    return _HANDLER[key]


def encode_point(point: dict, seed: int, context: dict) -> dict[str, Any]:
    """The clean row (``CLEAN_COLUMNS``) of model m on image i; writes its payload file."""
    return _handler(context).encode(int(point["m"]), int(point["i"]))


def trial_point(point: dict, seed: int, context: dict) -> dict[str, Any]:
    """One decode of trial t: ``n_flipped, mse, psnr, ms_ssim, decode_failed, n_concealed,
    p_any_flip`` and ``decode_error`` (the robust decoder's caught error, "" if none)."""
    res = _handler(context).trial(int(point["m"]), int(point["b"]), int(point["i"]),
                                  int(point["t"]))
    res["decode_error"] = res.pop("error")
    return res
