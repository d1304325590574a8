"""The self-describing byte payload of one coded image: error-free header + flippable body.

ASCC Sec. III-A.3 flips the bits of the entropy-coded stream only; like the
paper, the header is treated as error-free side information (in a real system
it would travel in a strongly protected control channel; it is 56 bytes,
against thousands of body bytes). The body is what crosses the bit-flip
channel: the rANS string of the latents y followed by the rANS string of the
hyper-latents z, exactly as CompressAI's coder wrote them.

Header layout (big endian, ``HEADER_SIZE`` = 56 bytes)::

    magic        4s   b"ISSC"
    kind         1s   b"P"
    version      B    1
    model_index  H    index of the model in its ladder (1..G; 0 = not from a ladder)
    model_sha    8s   first 8 bytes of the checkpoint's SHA-256 (identifies the codec)
    height       I    original image height in pixels (before padding to 64)
    width        I    original image width
    z_height     H    hyper-latent height (padded height / 64)
    z_width      H    hyper-latent width
    y_len        I    bytes of the y string
    z_len        I    bytes of the z string
    y_lo, y_hi   i i  smallest / largest y symbol the encoder produced
    z_lo, z_hi   i i  smallest / largest z symbol (round(z - median))
    crc32        I    CRC-32 of the 52 bytes before it

The symbol ranges let the receiver bound corrupted latents without ever
changing a clean decode (see :mod:`semcodec.robust_decode`).

Two checks protect a receiver before it decodes (both raise :class:`PayloadError`,
one line): :func:`check_model_id` refuses a checkpoint other than the one that
coded the payload (``model_sha``; decoding with another codec gives a garbage
image that nothing else would flag), and :func:`check_decode_size` refuses a
header that declares more than ``max_pixels`` pixels (default
:data:`DEFAULT_MAX_PIXELS`), since the decoder's memory grows with H x W.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

import torch

from semcodec.evaluate import pad_to_multiple

MAGIC = b"ISSC"
KIND = b"P"
VERSION = 1
_FMT = ">4s1sBH8sIIHHIIiiiiI"
HEADER_SIZE = struct.calcsize(_FMT)
MAX_SIDE = 1 << 15  #: largest image side a payload may declare (pixels)
#: Default decode limit on H x W: 2^25 = 33.5 Mpx (an 8K UHD frame, 7680x4320, fits).
DEFAULT_MAX_PIXELS = 1 << 25
NO_MODEL_ID = b"\0" * 8  #: ``model_sha`` of a payload whose codec is not identified


class PayloadError(ValueError):
    """Bytes that are not an ISSC image payload (wrong magic, version, damaged header)."""


@dataclass(frozen=True)
class PayloadHeader:
    """Error-free side information of one coded image (all integers; see module docstring)."""

    model_index: int
    model_sha: bytes
    height: int
    width: int
    z_height: int
    z_width: int
    y_len: int
    z_len: int
    y_lo: int
    y_hi: int
    z_lo: int
    z_hi: int

    @property
    def body_len(self) -> int:
        """Bytes of the body (y string + z string)."""
        return self.y_len + self.z_len

    def to_bytes(self) -> bytes:
        head = struct.pack(_FMT[:-1], MAGIC, KIND, VERSION, self.model_index,
                           self.model_sha[:8].ljust(8, b"\0"), self.height, self.width,
                           self.z_height, self.z_width, self.y_len, self.z_len,
                           self.y_lo, self.y_hi, self.z_lo, self.z_hi)
        return head + struct.pack(">I", zlib.crc32(head))

    @classmethod
    def from_bytes(cls, raw: bytes, name: str = "payload") -> PayloadHeader:
        if len(raw) < HEADER_SIZE:
            raise PayloadError(f"{name} is not an ISSC payload: {len(raw)} bytes, shorter than "
                               f"the {HEADER_SIZE}-byte header")
        fields = struct.unpack(_FMT, raw[:HEADER_SIZE])
        magic, kind, version = fields[:3]
        if magic != MAGIC or kind != KIND:
            raise PayloadError(f"{name} is not an ISSC payload (magic {magic + kind!r}, "
                               f"expected {MAGIC + KIND!r})")
        if version != VERSION:
            raise PayloadError(f"{name} has payload version {version}: this build reads "
                               f"version {VERSION}")
        if zlib.crc32(raw[:HEADER_SIZE - 4]) != fields[-1]:
            raise PayloadError(f"{name} has a damaged header (CRC-32 mismatch)")
        hdr = cls(*fields[3:-1])
        if not (1 <= hdr.height <= MAX_SIDE and 1 <= hdr.width <= MAX_SIDE):
            raise PayloadError(f"{name} has a damaged header (image {hdr.width}x{hdr.height} px: "
                               f"each side must be 1..{MAX_SIDE})")
        if (hdr.z_height, hdr.z_width) != (-(-hdr.height // 64), -(-hdr.width // 64)):
            raise PayloadError(f"{name} has a damaged header (latent shape does not match the "
                               f"image shape)")
        if hdr.y_lo > hdr.y_hi or hdr.z_lo > hdr.z_hi:
            raise PayloadError(f"{name} has a damaged header (symbol range lo > hi)")
        return hdr


@dataclass(frozen=True)
class Payload:
    """One coded image: ``header`` (error-free side information) and ``body`` (y + z strings)."""

    header: PayloadHeader
    body: bytes

    @property
    def y_string(self) -> bytes:
        return self.body[:self.header.y_len]

    @property
    def z_string(self) -> bytes:
        return self.body[self.header.y_len:self.header.body_len]

    @property
    def n_bits(self) -> int:
        """Bits exposed to the channel (the body)."""
        return 8 * len(self.body)

    def with_body(self, body: bytes) -> Payload:
        """The same header with another body of the same length (e.g. after bit flips)."""
        if len(body) != self.header.body_len:
            raise ValueError(f"body length={len(body)} is invalid: must be "
                             f"{self.header.body_len} bytes (header y_len + z_len)")
        return Payload(self.header, bytes(body))

    def to_bytes(self) -> bytes:
        return self.header.to_bytes() + self.body

    @classmethod
    def from_bytes(cls, raw: bytes, name: str = "payload") -> Payload:
        hdr = PayloadHeader.from_bytes(raw, name)
        body = raw[HEADER_SIZE:]
        if len(body) != hdr.body_len:
            raise PayloadError(f"{name} is damaged: body has {len(body)} bytes, header says "
                               f"{hdr.body_len}")
        return cls(hdr, bytes(body))


def check_decode_size(header: PayloadHeader, max_pixels: int = DEFAULT_MAX_PIXELS,
                      name: str = "payload") -> None:
    """Refuse a header whose image has more than ``max_pixels`` pixels (before any decode)."""
    n = header.height * header.width
    if int(max_pixels) < 1:
        raise ValueError(f"max_pixels={max_pixels} is invalid: must be >= 1")
    if n > int(max_pixels):
        raise PayloadError(f"{name} declares a {header.width}x{header.height} image ({n} px), "
                           f"above the decode limit of {int(max_pixels)} px: raise --max-pixels "
                           f"if this size is intended")


def checkpoint_model_id(path: str | os.PathLike) -> bytes:
    """The 8-byte model id of a checkpoint file (first bytes of its SHA-256, as in headers).

    Reads only the checkpoint's first line (the digest is verified when it is loaded).
    """
    from semcodec.checkpoint import MAGIC

    with open(path, "rb") as fh:
        head = fh.read(len(MAGIC) + 65)
    if not head.startswith(MAGIC):
        raise PayloadError(f"{path} is not an ISSC codec checkpoint (bad magic line)")
    digest = head[len(MAGIC):len(MAGIC) + 64].decode("ascii", "replace")
    try:
        return model_sha_bytes(digest)
    except ValueError:
        raise PayloadError(f"{path} is not an ISSC codec checkpoint (bad digest line)") from None


def check_model_id(header: PayloadHeader, model_id: bytes, name: str = "payload",
                   checkpoint: str = "the checkpoint") -> None:
    """Refuse to decode with a checkpoint other than the one that coded the payload.

    A payload written without an id (``model_sha`` all zeros) cannot be checked
    and passes.
    """
    if header.model_sha == NO_MODEL_ID or header.model_sha == bytes(model_id):
        return
    raise PayloadError(f"{name} was coded by model {header.model_sha.hex()} but {checkpoint} is "
                       f"model {bytes(model_id).hex()}: decode with the matching checkpoint (or "
                       f"omit --model to find it in the ladder)")


def model_sha_bytes(sha256_hex: str | None) -> bytes:
    """First 8 bytes of a checkpoint's SHA-256 hex digest (zeros when unknown)."""
    return bytes.fromhex(sha256_hex[:16]) if sha256_hex else b"\0" * 8


@torch.no_grad()
def encode_image(model: torch.nn.Module, img: torch.Tensor, model_index: int | None = None,
                 model_sha: bytes | None = None) -> Payload:
    """Code one image (3, H, W) float in [0, 1] into a payload with the real rANS coder.

    The header names the codec: ``model_sha`` (8 bytes) and ``model_index`` (ladder index,
    1-based; 0 = none) default to those of a model loaded by
    :func:`semcodec.checkpoint.load_codec` / :func:`semcodec.load_codec`
    (``model.checkpoint_meta``), so ``issc decode`` finds the codec in the ladder; a model
    with no checkpoint gets zeros (no id).

    Same steps as CompressAI's ``ScaleHyperprior.compress`` (the bytes are
    identical), plus the symbol ranges recorded in the header. The image is
    padded (replicate) to a multiple of 64 first; the header keeps H and W.
    """
    if img.dim() != 3 or img.shape[0] != 3:
        raise ValueError(f"image shape={tuple(img.shape)} is invalid: must be (3, H, W)")
    meta = getattr(model, "checkpoint_meta", None) or {}
    if model_sha is None:
        model_sha = model_sha_bytes(meta.get("sha256"))
    if model_index is None:
        model_index = int(meta.get("ladder_index", 0))
    h, w = img.shape[-2:]
    x = pad_to_multiple(img[None].float())
    y = model.g_a(x)
    z = model.h_a(torch.abs(y))
    eb, gc = model.entropy_bottleneck, model.gaussian_conditional
    z_strings = eb.compress(z)
    z_hat = eb.decompress(z_strings, z.size()[-2:])
    indexes = gc.build_indexes(model.h_s(z_hat))
    y_strings = gc.compress(y, indexes)
    y_sym = gc.quantize(y, "symbols")
    z_sym = eb.quantize(z, "symbols", eb._get_medians().detach())
    hdr = PayloadHeader(model_index=int(model_index), model_sha=bytes(model_sha), height=h,
                        width=w, z_height=z.shape[-2], z_width=z.shape[-1],
                        y_len=len(y_strings[0]), z_len=len(z_strings[0]),
                        y_lo=int(y_sym.min()), y_hi=int(y_sym.max()),
                        z_lo=int(z_sym.min()), z_hi=int(z_sym.max()))
    return Payload(hdr, y_strings[0] + z_strings[0])
