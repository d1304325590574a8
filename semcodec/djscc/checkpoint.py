"""DJSCC checkpoints: the codec checkpoint format with a ``kind: "djscc"`` marker.

The file is written and verified by :mod:`semcodec.checkpoint` (magic line,
SHA-256 of the payload, float16 weights); the metadata carries ``kind =
"djscc"``, ``c`` and ``abr`` so that :func:`load_djscc` refuses a digital codec
checkpoint and :func:`semcodec.checkpoint.load_codec` refuses a DJSCC one.
"""

from __future__ import annotations

import os
from typing import Any

from ..checkpoint import CheckpointError, read_checkpoint, save_checkpoint
from .model import DeepJSCC

#: Value of ``meta["kind"]`` in a DJSCC checkpoint.
KIND = "djscc"


def save_djscc(path: str | os.PathLike, model: DeepJSCC, meta: dict[str, Any]) -> str:
    """Write ``model`` + ``meta`` (kind, c and abr added) atomically; returns the SHA-256 (hex)."""
    return save_checkpoint(path, model, dict(meta, kind=KIND, c=model.c, abr=model.abr))


def load_djscc(path: str | os.PathLike) -> tuple[DeepJSCC, dict[str, Any]]:
    """Load a DJSCC model (eval mode, float32) and its metadata (with ``sha256`` and ``path``).

    Raises :class:`semcodec.checkpoint.CheckpointError` (a ValueError, one line)
    for a file of another kind (e.g. a digital codec) or damaged contents.
    """
    obj = read_checkpoint(path)
    meta = obj["meta"]
    if meta.get("kind") != KIND:
        what = (f"a digital codec checkpoint (preset {meta['preset']})" if "preset" in meta
                else f"a checkpoint of kind {meta.get('kind')!r}")
        raise CheckpointError(f"{path} is {what}, not a DJSCC checkpoint; load it with "
                              f"semcodec.checkpoint.load_codec")
    try:
        model = DeepJSCC(int(meta["c"]))
        model.load_state_dict({k: (v.float() if v.is_floating_point() else v)
                               for k, v in obj["state_dict"].items()})
    except (KeyError, RuntimeError, ValueError) as exc:
        raise CheckpointError(f"{path} does not hold a DJSCC model with c={meta.get('c')}: "
                              f"{str(exc).splitlines()[0]}") from exc
    model.eval()
    return model, dict(meta, sha256=obj["sha256"], path=str(path))

