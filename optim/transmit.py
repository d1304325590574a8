"""One image through the real 5G LDPC link: the LDPC twin of :func:`semcodec.transmit`.

``semcodec.transmit`` flips the body bits at a bit error rate (the binary symmetric channel
of ASCC eq. (4)'s rho_b); :func:`transmit_ldpc` sends the same entropy-coded body through
``linksim.payload_link.PayloadLink`` (Sionna PHY 5G LDPC + QAM + AWGN at a SINR) and decodes
what arrives with the crash-proof receiver. It lives in ``optim`` because it joins the two
layers (``semcodec`` and ``linksim`` never import each other)::

    import semcodec
    from optim.transmit import transmit_ldpc

    img = semcodec.load_image("photo.jpg")
    decoded, report = transmit_ldpc(img, sinr_db=12.0, rc=2.0, quality=3, seed=0)
    print(report.ber, report.bler, report.ms_ssim)

A design of the ASCC optimiser gives the arguments: ``rc=design.rc``,
``sinr_db=design.sinr_db``, ``quality=design.model + 1``, ``blocklength=design.blocklength``.
Needs the ``[phy]`` extra (Sionna).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch is imported where used
    import torch


@dataclass(frozen=True)
class LDPCReport:
    """What one :func:`transmit_ldpc` sent, measured and decoded."""

    quality: int | None  #: ladder index (1 = lowest rate), None for a codec given directly
    bits: int  #: entropy-coded body bits sent
    bpp: float  #: body bits per pixel of the original H x W
    rc: float  #: code rate of the link, information bits per channel use
    sinr_db: float  #: SINR of the AWGN channel, dB
    ber: float  #: measured bit error rate of the body after LDPC decoding
    bler: float  #: measured block error rate
    n_blocks: int  #: LDPC code blocks sent
    psnr_db: float  #: PSNR of the decoded image against the original, dB (peak 1)
    ms_ssim: float  #: MS-SSIM of the decoded image against the original
    decoded_ok: bool  #: the decoder produced an image (False: the mid-grey fallback)


def transmit_ldpc(image: torch.Tensor | str | os.PathLike, sinr_db: float, rc: float,
                  seed: int = 0, quality: int = 3, model: torch.nn.Module | None = None,
                  blocklength: int = 256) -> tuple[torch.Tensor, LDPCReport]:
    """Code ``image`` with the shipped codec ``quality`` (1-based; or ``model``), send its body
    through 5G LDPC at code rate ``rc`` (bit per channel use) and ``sinr_db`` (dB) with
    ``blocklength`` channel uses per block, decode crash-proof; ``(decoded, report)``.

    The decoded image is (3, H, W) float in [0, 1], the size of the input; the header travels
    error-free, as in ``semcodec.transmit`` (ASCC Sec. III-A.3)."""
    from pathlib import Path

    import numpy as np
    import torch

    import semcodec
    from linksim.payload_link import PayloadLink
    from semcodec.payload import encode_image
    from semcodec.robust_decode import RobustDecoder

    img = image if isinstance(image, torch.Tensor) else semcodec.load_image(Path(image))
    codec = model if model is not None else semcodec.load_codec(quality=quality)
    link = PayloadLink(float(rc), int(blocklength))
    with torch.no_grad():
        payload = encode_image(codec, img)
        received, stats = link.send_bytes(payload.body, float(sinr_db),
                                          np.random.default_rng(seed))
        decoded, info = RobustDecoder(codec).safe_decode(payload.header, received)
    h, w = img.shape[-2:]
    index = getattr(codec, "checkpoint_meta", {}).get("ladder_index")
    return decoded, LDPCReport(
        quality=index, bits=payload.n_bits, bpp=payload.n_bits / (h * w), rc=float(rc),
        sinr_db=float(sinr_db), ber=stats.ber, bler=stats.bler, n_blocks=stats.n_blocks,
        psnr_db=semcodec.psnr(img, decoded), ms_ssim=semcodec.ms_ssim(img, decoded),
        decoded_ok=not info.decode_failed)
