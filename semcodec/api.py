"""The short path for a user: a shipped codec by quality, one image through bit flips.

In the style of CompressAI's ``bmshj2018_hyperprior(quality=3)``::

    import semcodec
    model = semcodec.load_codec(quality=3)            # 1-based, as ``issc encode --model 3``
    img = semcodec.load_image("photo.jpg")            # (3, H, W) float in [0, 1]
    decoded, report = semcodec.transmit(img, ber=1e-4, seed=0, quality=3)
    print(report.bpp, report.flips, report.psnr_db, report.ms_ssim)

``transmit`` runs the real chain: the rANS bitstream of :func:`semcodec.payload.encode_image`,
the binary symmetric channel of :func:`semcodec.channel.flip_bits` on the body (the header is
error-free, ASCC Sec. III-A.3), and the crash-proof receiver of
:class:`semcodec.robust_decode.RobustDecoder`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where used (``import semcodec`` stays light)
    import torch
    from compressai.models import ScaleHyperprior


@dataclass(frozen=True)
class TransmitReport:
    """What one :func:`transmit` did and measured."""

    quality: int | None  #: ladder index (1 = lowest rate), None for a codec given directly
    bits: int  #: entropy-coded body bits sent through the channel
    bpp: float  #: body bits per pixel of the original H x W
    ber: float  #: bit error rate of the channel
    flips: int  #: body bits flipped by the channel
    psnr_db: float  #: PSNR of the decoded image against the original, dB (peak 1)
    ms_ssim: float  #: MS-SSIM of the decoded image against the original
    decoded_ok: bool  #: the decoder produced an image (False: the mid-grey fallback)
    concealed: int  #: latent symbols bounded by the receiver's concealment rule


def load_codec(quality: int | None = None, *, path: str | os.PathLike | None = None,
               models: str | os.PathLike | None = None) -> ScaleHyperprior:
    """A shipped codec by ``quality`` (1 = lowest rate .. G, as ``issc encode --model K``),
    or the checkpoint at ``path``; in eval mode, entropy tables ready.

    ``models`` names another ladder folder (default: the shipped ``codecs/compact``). The
    checkpoint's metadata (SHA-256, lambda, preset, ...) is ``model.checkpoint_meta``; the
    path-based loader returning ``(model, meta)`` is :func:`semcodec.checkpoint.load_codec`.
    """
    from .checkpoint import load_codec as load_checkpoint
    from .ladder import SHIPPED_CODECS, shipped_ladder

    if (quality is None) == (path is None):
        raise ValueError("give one of quality=K (a ladder index, 1 = lowest rate) or path=CKPT")
    if path is not None:
        return load_checkpoint(path)[0]
    ckpts = shipped_ladder(models if models is not None else SHIPPED_CODECS)
    if isinstance(quality, bool) or not isinstance(quality, int) \
            or not 1 <= quality <= len(ckpts):
        raise ValueError(f"quality={quality!r} is invalid: must be a ladder index 1..{len(ckpts)}"
                         f" (1 = lowest rate)")
    model, meta = load_checkpoint(ckpts[quality - 1])
    model.checkpoint_meta = dict(meta, ladder_index=quality)
    return model


def transmit(image: torch.Tensor | str | os.PathLike, ber: float = 1e-4, seed: int = 0,
             quality: int = 3, model: ScaleHyperprior | None = None
             ) -> tuple[torch.Tensor, TransmitReport]:
    """Code ``image`` (a (3, H, W) tensor in [0, 1] or an image file), flip its body bits at
    ``ber`` (seeded by ``seed``), decode it crash-proof; ``(decoded, report)``.

    The codec is ``model`` when given, else the shipped ``quality`` (1-based). The decoded
    image is (3, H, W) float in [0, 1], the same size as the input.
    """
    import numpy as np
    import torch

    from .channel import check_ber, flip_bits
    from .datasets import load_image
    from .evaluate import ms_ssim, psnr
    from .payload import encode_image
    from .robust_decode import RobustDecoder

    ber = check_ber(ber)
    img = image if isinstance(image, torch.Tensor) else load_image(Path(image))
    codec = model if model is not None else load_codec(quality)
    with torch.no_grad():
        payload = encode_image(codec, img)
        body, flips = flip_bits(payload.body, ber, np.random.default_rng(seed))
        decoded, info = RobustDecoder(codec).safe_decode(payload.header, body)
    h, w = img.shape[-2:]
    index = getattr(codec, "checkpoint_meta", {}).get("ladder_index")
    report = TransmitReport(quality=index, bits=payload.n_bits, bpp=payload.n_bits / (h * w),
                            ber=ber, flips=int(flips), psnr_db=psnr(img, decoded),
                            ms_ssim=ms_ssim(img, decoded), decoded_ok=not info.decode_failed,
                            concealed=info.n_concealed)
    return decoded, report
