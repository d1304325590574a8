"""Image codecs behind one protocol: the learned ladder, JPEG, WebP and AVIF (issue 31).

A :class:`Codec` is one codec family at one integer quality. It encodes an image
(3, H, W) float in [0, 1] (as :func:`semcodec.datasets.load_image` returns it) into
an :class:`Encoded`: the ``payload`` bytes that cross the channel, the error-free
:class:`SideInfo` the receiver also holds, and the rate (bits, bpp). It decodes any
received bytes (flipped, truncated, empty, random) into an image of the sent size
and a :class:`DecodeReport`; a stream it cannot decode gives the fallback image and
says why. ``decode`` never raises on received bytes; native crashes and hangs of a
decoder are bounded by :func:`decode_isolated`, which runs decodes in
:class:`~semcodec.isolated_pool.IsolatedPool` workers (the pool the bit-flip sweep
uses for the learned decoder).

``CODECS`` is the registry (family name -> class, called ``cls(quality, **options)``);
adding a codec is one :class:`RobustCodec` subclass and one entry. The families:

========  =========================================================  ====================
name      what crosses the channel, and the rate counted             quality range
========  =========================================================  ====================
learned   the entropy-coded body of a ladder model's payload; its     1..G (model index
          56-byte header is error-free side information (ASCC Sec.    of the ladder,
          III-A.3) and not counted, as in ``ladder.json``'s bpp       lowest rate first)
jpeg      the whole JPEG file (headers, Huffman tables, scans)        1..95
webp      the whole WebP file (RIFF + VP8)                            0..100
avif      the whole AVIF file (ISOBMFF + AV1)                         0..100
========  =========================================================  ====================

The classical settings (JPEG optimised Huffman 4:2:0, WebP method 6, AVIF libaom
speed :data:`~semcodec.anchors.AVIF_SPEED` 4:2:0) and quality ranges are those of
:data:`semcodec.anchors.ANCHORS`, the one place they are set.

Fallback (documented; part of the measured distortion): a failed decode is scored
with :func:`semcodec.robust_decode.fallback_image`, uniform mid-grey 0.5 at the sent
H x W (the minimum-MSE constant for pixels in [0, 1] with no knowledge of the
image), the fallback of the learned decoder too. Its rate is still the sent rate.

Classical decoding runs in-process with Pillow, restricted to the codec's own
format (random bytes are never parsed as another format), and the size the stream
declares is checked against the sent size *before* pixels are decoded, so a
corrupted header cannot make Pillow allocate or decode a larger image.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from .anchors import ANCHORS, Anchor, _to_uint8
from .isolated_pool import IsolatedPool, TaskFailure
from .robust_decode import fallback_image

#: ``DecodeReport.failure`` values: the stream raised in the decoder (``undecodable``), the
#: decoder gave an image of another size (``wrong_size``), or, in :func:`decode_isolated`,
#: the decoding process died (``crash``) or did not answer in time (``timeout``)
FAILURES = ("undecodable", "wrong_size", "crash", "timeout")
#: name of the fallback image in reports
FALLBACK = "mid-grey 0.5 (robust_decode.fallback_image)"


@dataclass(frozen=True)
class SideInfo:
    """What the receiver knows without the channel: codec, quality, image size, header.

    ``header`` is codec-specific error-free side information (the learned ladder's
    56-byte payload header; empty for the classical codecs, whose headers travel in
    the payload and are exposed to the channel).
    """

    codec: str
    quality: int
    height: int
    width: int
    header: bytes = b""


@dataclass(frozen=True)
class Encoded:
    """One coded image: ``payload`` crosses the channel, ``side`` does not."""

    side: SideInfo
    payload: bytes

    @property
    def n_bits(self) -> int:
        """Bits exposed to the channel (the rate R_s of ASCC eq. (7), bits per image)."""
        return 8 * len(self.payload)

    @property
    def bpp(self) -> float:
        """Bits per pixel of the original H x W."""
        return self.n_bits / (self.side.height * self.side.width)


@dataclass(frozen=True)
class DecodeReport:
    """What happened in one robust decode.

    ``decoded_ok`` is False when the fallback image was returned; ``failure`` is then
    one of :data:`FAILURES` and ``detail`` says why in words. ``n_concealed`` counts
    the learned decoder's symbols bounded by its concealment rule (0 for the others).
    """

    decoded_ok: bool
    failure: str = ""
    detail: str = ""
    fallback: str = ""
    n_concealed: int = 0

    @property
    def fallback_used(self) -> bool:
        return bool(self.fallback)


def failed(side: SideInfo, failure: str, detail: str) -> tuple[torch.Tensor, DecodeReport]:
    """The fallback image at the sent size and the report of a failed decode."""
    return (fallback_image(side.height, side.width),
            DecodeReport(False, failure, detail, FALLBACK))


@runtime_checkable
class Codec(Protocol):
    """One image codec family at one quality (see the module docstring)."""

    name: str
    quality: int

    def encode(self, img: torch.Tensor) -> Encoded:
        """Code (3, H, W) float in [0, 1]; ValueError (one line) for another shape."""
        ...

    def decode(self, side: SideInfo, received: bytes) -> tuple[torch.Tensor, DecodeReport]:
        """Any received bytes -> ((3, H, W) float32 in [0, 1] at the sent size, report).

        Never raises on ``received``; ValueError for side information of another codec.
        """
        ...


def check_quality(name: str, quality: int, lo: int, hi: int) -> int:
    """``quality`` as int if it is an integer in ``lo..hi``, else a one-line ValueError."""
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) \
            or not lo <= int(quality) <= hi:
        raise ValueError(f"{name} quality={quality!r} is invalid: must be an integer in "
                         f"{lo}..{hi}")
    return int(quality)


def check_image(img: torch.Tensor) -> None:
    if not isinstance(img, torch.Tensor) or img.dim() != 3 or img.shape[0] != 3 \
            or min(img.shape[1:]) < 1:
        shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        raise ValueError(f"image shape={shape} is invalid: must be (3, H, W) with H, W >= 1")


class StreamSizeError(ValueError):
    """A stream that declares another image size than the one sent (``wrong_size``)."""


class RobustCodec:
    """Base of the registered codecs: :meth:`decode` made total around :meth:`decode_stream`.

    A subclass sets ``name``, validates its quality in ``__init__`` and implements
    :meth:`encode` and :meth:`decode_stream` (which may raise on a bad stream); the
    exception, a wrong size and non-finite pixels are handled here, once.
    """

    name: ClassVar[str]
    quality: int

    def encode(self, img: torch.Tensor) -> Encoded:
        raise NotImplementedError

    def decode_stream(self, side: SideInfo, received: bytes) -> tuple[torch.Tensor, int]:
        """Decode ``received`` (may raise): (image (3, h, w), symbols concealed)."""
        raise NotImplementedError

    def check_side(self, side: SideInfo) -> None:
        if (side.codec, side.quality) != (self.name, self.quality):
            raise ValueError(f"side information of {side.codec} quality {side.quality} is "
                             f"invalid for {self.name} quality {self.quality}: decode with the "
                             f"codec that encoded it")

    def decode(self, side: SideInfo, received: bytes) -> tuple[torch.Tensor, DecodeReport]:
        self.check_side(side)
        try:
            img, n_concealed = self.decode_stream(side, bytes(received))
        except StreamSizeError as exc:
            return failed(side, "wrong_size", str(exc))
        except Exception as exc:  # a corrupted stream: counted and explained, never raised
            msg = str(exc).splitlines()[0] if str(exc) else ""
            return failed(side, "undecodable", f"{type(exc).__name__}: {msg}".rstrip(": "))
        if tuple(img.shape) != (3, side.height, side.width):
            return failed(side, "wrong_size", f"decoded {tuple(img.shape)}, sent "
                                              f"(3, {side.height}, {side.width})")
        img = torch.nan_to_num(img.float(), nan=0.5, posinf=1.0, neginf=0.0).clamp(0.0, 1.0)
        return img.contiguous(), DecodeReport(True, n_concealed=n_concealed)


# ------------------------------------------------------------------------- classical codecs

class PillowCodec(RobustCodec):
    """A classical codec through Pillow with the settings of ``anchor`` (anchors.ANCHORS)."""

    anchor: ClassVar[Anchor]
    pil_format: ClassVar[str]  #: Pillow's format name; decoding accepts no other

    def __init__(self, quality: int) -> None:
        self.quality = check_quality(self.name, quality, self.anchor.q_min, self.anchor.q_max)

    @classmethod
    def quality_range(cls) -> tuple[int, int]:
        return cls.anchor.q_min, cls.anchor.q_max

    def encode(self, img: torch.Tensor) -> Encoded:
        check_image(img)
        buf = io.BytesIO()
        self.anchor.save(Image.fromarray(_to_uint8(img)), buf, self.quality)
        h, w = img.shape[-2:]
        return Encoded(SideInfo(self.name, self.quality, int(h), int(w)), buf.getvalue())

    def decode_stream(self, side: SideInfo, received: bytes) -> tuple[torch.Tensor, int]:
        if not received:
            raise ValueError("empty stream")
        with warnings.catch_warnings():
            # a corrupted size field may exceed Pillow's bomb limit: refused below by size
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            try:
                im = Image.open(io.BytesIO(received), formats=[self.pil_format])
            except UnidentifiedImageError:  # its message names a memory address
                raise ValueError(f"not a {self.pil_format} stream Pillow recognises") from None
            with im:
                if im.size != (side.width, side.height):  # before any pixel is decoded
                    raise StreamSizeError(f"stream declares {im.size[0]}x{im.size[1]} px, sent "
                                     f"{side.width}x{side.height}")
                arr = np.asarray(im.convert("RGB")).copy()
        return torch.from_numpy(arr).permute(2, 0, 1).float() / 255.0, 0


class JpegCodec(PillowCodec):
    """JPEG, Pillow (libjpeg-turbo), 4:2:0, optimised Huffman tables; quality 1..95."""

    name = "jpeg"
    anchor = ANCHORS["jpeg"]
    pil_format = "JPEG"


class WebpCodec(PillowCodec):
    """Lossy WebP (VP8), Pillow (libwebp), method 6; quality 0..100."""

    name = "webp"
    anchor = ANCHORS["webp"]
    pil_format = "WEBP"


class AvifCodec(PillowCodec):
    """AVIF (AV1 intra), Pillow 13 (libavif, libaom at anchors.AVIF_SPEED), 4:2:0; 0..100."""

    name = "avif"
    anchor = ANCHORS["avif"]
    pil_format = "AVIF"


# ------------------------------------------------------------------------- the learned ladder

class LearnedCodec(RobustCodec):
    """Model ``quality`` (1..G) of a ladder folder: a thin adapter over the product's path.

    Encoding is :func:`semcodec.payload.encode_image`; decoding is
    :meth:`semcodec.robust_decode.RobustDecoder.safe_decode` (padding, concealment,
    finite output), so the numbers are those of the bit-flip sweep. The payload
    header is the side information; the body is the payload.

    Args:
        quality: model index in the ladder, 1 = lowest rate.
        ladder: folder of ``q<i>.ckpt`` (default: the shipped ladder).
    """

    name = "learned"

    def __init__(self, quality: int, ladder: str | os.PathLike | None = None) -> None:
        from .checkpoint import load_codec
        from .ladder import SHIPPED_CODECS, shipped_ladder
        from .payload import model_sha_bytes
        from .robust_decode import RobustDecoder

        ckpts = shipped_ladder(ladder or SHIPPED_CODECS)
        self.quality = check_quality(self.name, quality, 1, len(ckpts))
        self.checkpoint = Path(ckpts[self.quality - 1])
        self.model, self.meta = load_codec(self.checkpoint)
        self.model_sha = model_sha_bytes(self.meta.get("sha256"))
        self._decoder = RobustDecoder(self.model)

    @classmethod
    def quality_range(cls, ladder: str | os.PathLike | None = None) -> tuple[int, int]:
        from .ladder import SHIPPED_CODECS, shipped_ladder

        return 1, len(shipped_ladder(ladder or SHIPPED_CODECS))

    def encode(self, img: torch.Tensor) -> Encoded:
        from .payload import encode_image

        check_image(img)
        p = encode_image(self.model, img, model_index=self.quality, model_sha=self.model_sha)
        side = SideInfo(self.name, self.quality, p.header.height, p.header.width,
                        p.header.to_bytes())
        return Encoded(side, p.body)

    def decode_stream(self, side: SideInfo, received: bytes) -> tuple[torch.Tensor, int]:
        from .payload import PayloadHeader, check_model_id

        header = PayloadHeader.from_bytes(side.header, "side information")
        check_model_id(header, self.model_sha, "side information", str(self.checkpoint))
        img, info = self._decoder.safe_decode(header, received)
        if info.decode_failed:  # safe_decode already gave robust_decode's fallback image
            raise RuntimeError(info.error)
        return img, info.n_concealed


#: The registry: family name -> class, built as ``cls(quality, **options)``.
CODECS: dict[str, Callable[..., Codec]] = {
    "learned": LearnedCodec,
    "jpeg": JpegCodec,
    "webp": WebpCodec,
    "avif": AvifCodec,
}
#: the classical families (their qualities are matched to the ladder by classical_ladder)
CLASSICAL = ("jpeg", "webp", "avif")


def codec_class(name: str) -> Callable[..., Codec]:
    """The registered class of family ``name``; one-line ValueError listing the registered."""
    key = str(name).strip().lower()
    if key not in CODECS:
        raise ValueError(f"codec {name!r} is invalid: must be one of {', '.join(CODECS)}")
    return CODECS[key]


def get_codec(name: str, quality: int, **options: Any) -> Codec:
    """Family ``name`` at ``quality`` (one-line ValueError for an unknown name or quality)."""
    return codec_class(name)(quality, **options)


# ------------------------------------------------------------------------- isolated decoding

def _isolated_handler(codec: str | Callable[..., Codec], quality: int, options: dict
                      ) -> Callable[[tuple[int, SideInfo, bytes]], tuple[np.ndarray, DecodeReport]]:
    """Built in each pool worker: a codec (by registry name or class) whose decode it runs."""
    c = codec_class(codec)(quality, **options) if isinstance(codec, str) else \
        codec(quality, **options)

    def handle(task: tuple[int, SideInfo, bytes]) -> tuple[np.ndarray, DecodeReport]:
        img, report = c.decode(task[1], task[2])
        return img.numpy(), report

    return handle


def decode_isolated(codec: str | Callable[..., Codec], quality: int,
                    items: Sequence[tuple[SideInfo, bytes]], workers: int = 1,
                    timeout_s: float = 60.0, **options: Any
                    ) -> list[tuple[torch.Tensor, DecodeReport]]:
    """Decode ``(side, received)`` pairs in crash-isolated worker processes, in order.

    A decode whose process crashes (``failure="crash"``) or runs past ``timeout_s``
    (``"timeout"``) gives the fallback image; the pool restarts the worker and goes on.
    ``codec`` is a registry name or a codec class (picklable by reference).
    """
    if isinstance(codec, str):
        codec_class(codec)  # an unknown name is refused here, not in every worker
    out: list[tuple[torch.Tensor, DecodeReport] | None] = [None] * len(items)
    tasks = [(i, side, bytes(rx)) for i, (side, rx) in enumerate(items)]
    with IsolatedPool(_isolated_handler, (codec, quality, options), workers=workers,
                      timeout_s=timeout_s) as pool:
        for task, res in pool.imap_unordered(tasks):
            i, side = task[0], task[1]
            if isinstance(res, TaskFailure):
                kind = res.kind if res.kind in FAILURES else "undecodable"
                out[i] = failed(side, kind, f"{res.kind}: {res.detail}")
            else:
                out[i] = (torch.from_numpy(res[0]), res[1])
    return [r for r in out if r is not None]

