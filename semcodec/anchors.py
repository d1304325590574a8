"""Classical image codecs as anchors at matched bits per pixel (JPEG, WebP and AVIF, Pillow).

An :class:`Anchor` is one codec with an integer quality knob: :meth:`Anchor.roundtrip`
encodes and decodes an image at one quality, and :meth:`Anchor.at_bpp` finds the
quality whose bpp is closest to a target (bisection; the codec's size is monotone in
the quality up to rounding). ``ANCHORS`` is the table ``issc codec-eval`` reads:
adding an anchor is one row.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image

#: relative bpp gap within which a match counts as landing on the target
MATCH_TOLERANCE = 0.02


def _to_uint8(img: torch.Tensor) -> np.ndarray:
    """(3, H, W) float in [0, 1] -> (H, W, 3) uint8 (rounded, clipped)."""
    return (img.permute(1, 2, 0).numpy() * 255).round().clip(0, 255).astype(np.uint8)


def _save_jpeg(im: Image.Image, buf: io.BytesIO, quality: int) -> None:
    # Pillow's default 4:2:0 chroma; optimised Huffman tables (the smallest baseline JPEG)
    im.save(buf, format="JPEG", quality=quality, optimize=True)


def _save_webp(im: Image.Image, buf: io.BytesIO, quality: int) -> None:
    # lossy WebP (VP8, 4:2:0), method 6: libwebp's slowest and best encoder
    im.save(buf, format="WEBP", quality=quality, method=6, lossless=False)


#: libaom speed of the AVIF anchor (0 slowest/best .. 10 fastest): 6 costs about 0.3 s per
#: encode of a 512 x 288 photo where 4 costs 1.8 s, and a match takes about 8 encodes
AVIF_SPEED = 6


def _save_avif(im: Image.Image, buf: io.BytesIO, quality: int) -> None:
    # AV1 intra (libaom through Pillow's libavif), 4:2:0 as the other two anchors
    im.save(buf, format="AVIF", quality=quality, speed=AVIF_SPEED, subsampling="4:2:0")


@dataclass(frozen=True)
class AnchorMatch:
    """The anchor's encoding nearest a target bpp, with the bracket around the target.

    ``bracket`` is ``(q_below, bpp_below, q_above, bpp_above)``: the adjacent
    qualities whose bpp straddle the target (``bpp_below <= target < bpp_above``);
    a side is ``None`` where the target lies outside the anchor's range. When
    ``within_tolerance`` is False, no quality of the anchor lands within
    ``MATCH_TOLERANCE`` of the target and the bracket says why.
    """

    rec: torch.Tensor
    bpp: float
    quality: int
    target_bpp: float
    bracket: tuple[int | None, float | None, int | None, float | None]

    @property
    def rel_gap(self) -> float:
        """|bpp - target| / target (``inf`` for target 0 and bpp > 0)."""
        if self.target_bpp == 0:
            return 0.0 if self.bpp == 0 else float("inf")
        return abs(self.bpp - self.target_bpp) / self.target_bpp

    @property
    def within_tolerance(self) -> bool:
        return self.rel_gap <= MATCH_TOLERANCE


@dataclass(frozen=True)
class Anchor:
    """One classical codec with an integer quality in ``[q_min, q_max]``.

    Args:
        name: short name (``jpeg``, ``webp``): the prefix of its result columns.
        label: legend of its line in ``rd.png``.
        save: ``save(pil_rgb_image, buffer, quality)`` writes one encoding.
        q_min, q_max: the quality range searched (size grows with quality).
    """

    name: str
    label: str
    save: Callable[[Image.Image, io.BytesIO, int], None]
    q_min: int
    q_max: int

    def roundtrip(self, img: torch.Tensor, quality: int) -> tuple[torch.Tensor, int]:
        """Encode and decode (3, H, W) in [0, 1] at ``quality``: (reconstruction, bits)."""
        if not self.q_min <= quality <= self.q_max:
            raise ValueError(f"{self.name} quality={quality} is invalid: must be in "
                             f"{self.q_min}..{self.q_max}")
        buf = io.BytesIO()
        self.save(Image.fromarray(_to_uint8(img)), buf, int(quality))
        nbits = 8 * buf.tell()
        buf.seek(0)
        with Image.open(buf) as im:
            rec = torch.from_numpy(np.asarray(im.convert("RGB")).copy())
        return rec.permute(2, 0, 1).float() / 255.0, nbits

    def at_bpp(self, img: torch.Tensor, target_bpp: float) -> AnchorMatch:
        """The quality whose bpp is closest to ``target_bpp`` (bisection on q_min..q_max).

        The bisection finds the largest quality not above the target; the
        neighbour just above is kept when it is closer (ties go to the lower
        quality).
        """
        npix = img.shape[-1] * img.shape[-2]
        cache: dict[int, tuple[torch.Tensor, int]] = {}

        def bpp(q: int) -> float:
            if q not in cache:
                cache[q] = self.roundtrip(img, q)
            return cache[q][1] / npix

        lo, hi = self.q_min, self.q_max
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if bpp(mid) <= target_bpp:
                lo = mid
            else:
                hi = mid - 1
        up = min(lo + 1, self.q_max)
        best = min(sorted({lo, up}), key=lambda q: abs(bpp(q) - target_bpp))
        if bpp(lo) > target_bpp:  # the target is below the smallest encoding
            bracket = (None, None, lo, bpp(lo))
        elif bpp(up) <= target_bpp:  # at or above the largest encoding
            bracket = (up, bpp(up), None, None)
        else:
            bracket = (lo, bpp(lo), up, bpp(up))
        return AnchorMatch(cache[best][0], bpp(best), best, float(target_bpp), bracket)


#: The anchors by name (``issc codec-eval --anchors``); the order is the default order.
ANCHORS: dict[str, Anchor] = {
    "jpeg": Anchor("jpeg", "JPEG (Pillow, 4:2:0, optimised Huffman)", _save_jpeg, 1, 95),
    "webp": Anchor("webp", "WebP (Pillow, lossy, method 6)", _save_webp, 0, 100),
    "avif": Anchor("avif", f"AVIF (Pillow, libaom speed {AVIF_SPEED}, 4:2:0)", _save_avif, 0,
                   100),
}


def get_anchors(names: Sequence[str] | str) -> list[Anchor]:
    """Anchors by name (a list or ``"jpeg,webp"``); an unknown name is a one-line ValueError."""
    if isinstance(names, str):
        names = [n for n in (s.strip() for s in names.split(",")) if n]
    if not names:
        raise ValueError(f"anchors={list(names)!r} is invalid: name at least one of "
                         f"{', '.join(ANCHORS)}")
    out = []
    for n in names:
        key = n.strip().lower()
        if key not in ANCHORS:
            raise ValueError(f"anchor {n!r} is invalid: must be one of {', '.join(ANCHORS)}")
        if ANCHORS[key] not in out:
            out.append(ANCHORS[key])
    return out


def jpeg_roundtrip(img: torch.Tensor, quality: int) -> tuple[torch.Tensor, int]:
    """Pillow JPEG (4:2:0, optimised Huffman tables) at ``quality``: (reconstruction, bits)."""
    return ANCHORS["jpeg"].roundtrip(img, quality)


def jpeg_at_bpp(img: torch.Tensor, target_bpp: float) -> tuple[torch.Tensor, float, int]:
    """JPEG whose bpp is closest to ``target_bpp``: (reconstruction, bpp, quality)."""
    m = ANCHORS["jpeg"].at_bpp(img, target_bpp)
    return m.rec, m.bpp, m.quality
