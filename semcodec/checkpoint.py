"""Codec checkpoints: weights + metadata in one file with an integrity hash.

File layout: the magic line ``ISSC-CODEC 1``, a line with the SHA-256 of the
payload, then the payload (a ``torch.save`` of ``{"meta": dict, "state_dict":
dict}``). Learned weights are stored in float16 to keep the shipped ladder
small; the metadata's measured rates and distortions are those of the loaded
(float32 cast of the float16) weights, so they describe exactly what a user
gets. Buffers (constants of the architecture such as the likelihood bound
1e-9, GDN bounds, the scale table) stay float32: float16 turns 1e-9 into 0,
which lets an estimated rate become infinite.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path
from typing import Any

import torch
from compressai.models import ScaleHyperprior

from .atomic_io import write_atomic
from .zoo import build_model

MAGIC = b"ISSC-CODEC 1\n"


class CheckpointError(ValueError):
    """A file that is not a valid codec checkpoint (wrong format, damaged, wrong model)."""


def half_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """State dict with the learned float32 parameters cast to float16; buffers kept as they are."""
    params = {k for k, _ in model.named_parameters()}
    return {k: (v.detach().half() if k in params and v.is_floating_point() else v.detach()).cpu()
            for k, v in model.state_dict().items()}


def restore_likelihood_bounds(state: dict[str, torch.Tensor],
                              model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """``state`` with the likelihood lower bounds taken from ``model`` (a freshly built codec).

    Files written before buffers were kept float32 hold the bound 1e-9 as 0
    (float16 underflow), and a warm start or a resume passes that 0 on. The
    bound touches only estimated rates (never the reconstruction nor the real
    bitstream), so restoring it leaves every measured number of such a file valid.
    """
    own = model.state_dict()
    return state | {k: own[k].clone() for k in own if k.endswith("likelihood_lower_bound.bound")}


def save_checkpoint(path: str | os.PathLike, model: torch.nn.Module, meta: dict[str, Any]) -> str:
    """Write model + metadata atomically; returns the payload's SHA-256 (hex)."""
    buf = io.BytesIO()
    torch.save({"meta": dict(meta), "state_dict": half_state(model)}, buf)
    payload = buf.getvalue()
    digest = hashlib.sha256(payload).hexdigest()
    write_atomic(path, MAGIC + digest.encode() + b"\n" + payload)
    return digest


def read_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Verify and read a checkpoint: ``{"meta", "state_dict", "sha256"}``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    raw = path.read_bytes()
    if not raw.startswith(MAGIC):
        raise CheckpointError(f"{path} is not an ISSC codec checkpoint (bad magic line)")
    rest = raw[len(MAGIC):]
    digest, _, payload = rest.partition(b"\n")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        raise CheckpointError(f"{path} is damaged: SHA-256 of its contents does not match its "
                              f"header")
    try:
        obj = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except Exception as exc:  # a valid hash over an unreadable payload: written by other code
        raise CheckpointError(f"{path} could not be read: {exc}") from exc
    obj["sha256"] = digest.decode()
    return obj


def load_codec(path: str | os.PathLike) -> tuple[ScaleHyperprior, dict[str, Any]]:
    """Load a trained codec (eval mode, float32, entropy tables ready) and its metadata."""
    obj = read_checkpoint(path)
    meta = obj["meta"]
    if meta.get("kind", "codec") != "codec":  # e.g. "djscc": semcodec.djscc.load_djscc
        raise CheckpointError(f"{path} is a {meta['kind']} checkpoint, not a digital codec; "
                              f"load it with semcodec.djscc.load_djscc")
    try:
        model = build_model(meta["preset"])
        state = {k: (v.float() if v.is_floating_point() else v)
                 for k, v in obj["state_dict"].items()}
        model.load_state_dict(restore_likelihood_bounds(state, model))
    except (KeyError, RuntimeError) as exc:
        raise CheckpointError(f"{path} does not hold a {meta.get('preset', '?')} codec: "
                              f"{str(exc).splitlines()[0]}") from exc
    model.eval()
    meta = dict(meta, sha256=obj["sha256"], path=str(path))
    # kept on the model too, so that encode_image writes the real model id into the header
    model.checkpoint_meta = meta
    return model, meta


def find_by_model_id(ckpts: list[Path], model_id: bytes) -> Path | None:
    """The checkpoint among ``ckpts`` whose SHA-256 starts with ``model_id`` (8 bytes).

    ``model_id`` is what a payload header carries (:func:`semcodec.payload.model_sha_bytes`);
    returns None when no checkpoint matches.
    """
    for c in ckpts:
        if bytes.fromhex(read_checkpoint(c)["sha256"][:16]) == model_id:
            return c
    return None
