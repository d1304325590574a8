"""``issc encode`` / ``issc decode``: one image to a payload file and back.

The payload (``semcodec.payload``) holds an error-free header (model id,
shapes, stream lengths) and the entropy-coded body. ``decode`` can pass the
body through the bit-flip channel first (``--ber``) and always decodes
crash-proof (``semcodec.robust_decode``), in a separate process unless
``--in-process``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at
from semcodec.atomic_io import write_atomic

#: semcodec.payload.DEFAULT_MAX_PIXELS, written out so that --help does not import torch
DEFAULT_MAX_PIXELS = 1 << 25


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("encode", help="code one image into an ISSC payload file")
    p.add_argument("--model", required=True,
                   help="ladder index K (1 = lowest rate) or a path to a .ckpt file")
    p.add_argument("--models", type=at.existing_dir, default=None,
                   help="ladder folder of q<i>.ckpt (default: the shipped ladder)")
    p.add_argument("--image", type=at.existing_file, required=True, help="input image file")
    p.add_argument("--out", type=at.out_file, required=True, help="output payload file")
    p.set_defaults(func=run_encode)

    p = sub.add_parser("decode", help="decode an ISSC payload file to a PNG (crash-proof)")
    p.add_argument("--payload", type=at.existing_file, required=True,
                   help="payload file written by issc encode")
    p.add_argument("--out", type=at.out_file, required=True, help="output PNG file")
    p.add_argument("--model", type=at.existing_file, default=None,
                   help="checkpoint to decode with; must be the one that coded the payload "
                        "(default: found in --models by the payload's model id)")
    p.add_argument("--models", type=at.existing_dir, default=None,
                   help="ladder folder to search (default: the shipped ladder)")
    p.add_argument("--ber", type=at.finite_float, default=0.0,
                   help="flip the body bits at this bit error rate in [0, 0.5] first "
                        "(default 0)")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of the bit flips")
    p.add_argument("--max-pixels", type=at.positive_int, default=DEFAULT_MAX_PIXELS,
                   help="refuse payloads whose image has more pixels than this (bounds the "
                        "decoder's memory; %(default)s px = 2^25, an 8K UHD frame fits)")
    p.add_argument("--in-process", action="store_true",
                   help="decode in this process (no crash isolation)")
    p.set_defaults(func=run_decode)


def _ladder(models: str | None) -> list[Path]:
    from semcodec.ladder import SHIPPED_CODECS, shipped_ladder

    return shipped_ladder(models or SHIPPED_CODECS)


def _pick_model(spec: str, models: str | None) -> tuple[Path, int]:
    path = Path(spec)
    if path.suffix == ".ckpt" or path.is_file():
        if not path.is_file():
            raise FileNotFoundError(f"checkpoint {path} does not exist")
        return path, 0
    ckpts = _ladder(models)
    try:
        k = int(spec)
    except ValueError:
        raise ValueError(f"model={spec!r} is invalid: must be a ladder index 1..{len(ckpts)} "
                         f"or a .ckpt path") from None
    if not 1 <= k <= len(ckpts):
        raise ValueError(f"model={k} is invalid: must be a ladder index 1..{len(ckpts)}")
    return ckpts[k - 1], k


def run_encode(args: argparse.Namespace) -> None:
    import torch

    from semcodec.checkpoint import load_codec
    from semcodec.datasets import load_image
    from semcodec.payload import encode_image, model_sha_bytes

    ckpt, k = _pick_model(args.model, args.models)
    img = load_image(args.image)  # refuses an unreadable image before the model loads
    torch.set_num_threads(max(1, torch.get_num_threads()))
    model, meta = load_codec(ckpt)
    p = encode_image(model, img, model_index=k, model_sha=model_sha_bytes(meta["sha256"]))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, p.to_bytes())
    h, w = img.shape[-2:]
    print(f"{out}: model {ckpt.name} (lambda {meta.get('lambda')}), {w}x{h} px, "
          f"body {len(p.body)} bytes = {p.n_bits / (h * w):.4f} bpp "
          f"(y {p.header.y_len} + z {p.header.z_len}), header {len(p.to_bytes()) - len(p.body)} "
          f"bytes")


def _find_checkpoint(model_sha: bytes, model_index: int, models: str | None) -> Path:
    from semcodec.checkpoint import find_by_model_id

    ckpts = _ladder(models)
    if model_sha != b"\0" * 8:
        found = find_by_model_id(ckpts, model_sha)
        if found is not None:
            return found
        raise FileNotFoundError(f"no checkpoint in {ckpts[0].parent} matches the payload's model "
                                f"id {model_sha.hex()} (use --model PATH or --models DIR)")
    if 1 <= model_index <= len(ckpts):
        return ckpts[model_index - 1]
    raise ValueError(f"model_index={model_index} is invalid for {ckpts[0].parent}: use --model")


def run_decode(args: argparse.Namespace) -> None:
    import numpy as np
    from PIL import Image

    from semcodec.channel import check_ber, flip_bits
    from semcodec.payload import Payload, check_decode_size, check_model_id, checkpoint_model_id
    from semcodec.robust_decode import RobustDecoder, decode_isolated

    ber = check_ber(args.ber)
    src = Path(args.payload)
    p = Payload.from_bytes(src.read_bytes(), str(src))
    check_decode_size(p.header, args.max_pixels, str(src))
    if args.model:
        ckpt = Path(args.model)
        check_model_id(p.header, checkpoint_model_id(ckpt), str(src), str(ckpt))
    else:
        ckpt = _find_checkpoint(p.header.model_sha, p.header.model_index, args.models)
    body, n_flipped = flip_bits(p.body, ber, np.random.default_rng(args.seed))
    if args.in_process:
        from semcodec.checkpoint import load_codec

        img, info = RobustDecoder(load_codec(ckpt)[0]).safe_decode(p.header, body)
    else:
        img, info = decode_isolated(ckpt, p.header, body)
    arr = (img.permute(1, 2, 0).numpy() * 255.0).round().clip(0, 255).astype(np.uint8)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, _png_bytes(Image.fromarray(arr)))
    if info.decode_failed:
        status = f"decode FAILED ({info.error}): fallback grey image written"
    elif info.n_concealed:
        status = (f"decode damaged: {info.n_concealed} latent symbols concealed "
                  f"(y {info.y_concealed}, z {info.z_concealed})")
    elif n_flipped:
        status = "decode done: no latent symbol needed concealment"
    else:
        status = "decode ok"
    print(f"{out}: {p.header.width}x{p.header.height} px with {ckpt.name}; {n_flipped} of "
          f"{p.n_bits} body bits flipped (ber {ber:g}); {status}")


def _png_bytes(img) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()
