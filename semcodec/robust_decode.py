"""Crash-proof decoding of corrupted payload bodies (isolated in :mod:`semcodec.isolated_pool`).

CompressAI's native rANS decoder (``compressai.ans.RansDecoder``) trusts its
input: it reads the stream through an unchecked pointer (a truncated or empty
string reads past the end of the buffer and can segfault), and on a corrupted
stream it decodes "escape" symbols whose bypass-coded payload becomes values of
order 1e9, which the synthesis transform turns into inf / NaN pixels. The
receiver here makes every body decode to a finite image in [0, 1]:

1. **Padding.** Each string is split from the body at the lengths in the
   (error-free) header, and zero bytes are appended before native decoding
   (:func:`pad_length`): 8 bytes per symbol (the most one symbol can read when
   it comes out of a zero state) plus 128 bytes per stream byte (a run of 0xF
   bypass prefixes read from the stream makes the decoder read up to 4 bytes
   per prefix nibble afterwards). Missing bytes (truncated or empty bodies) are
   zeros too. ``scripts/fuzz_decode.py`` checks that no decode reads past the
   padding (a different tail after the padding never changes the output).
2. **Concealment rule (part of the measured distortion).** A decoded symbol is
   bounded to the range its entropy model can represent: the support of its
   quantised CDF table (``[offset, offset + cdf_length - 3]`` of its CDF
   index), widened to the symbol range the encoder recorded in the header
   (``y_lo..y_hi``, ``z_lo..z_hi``). Every clean symbol lies inside, so a
   clean body decodes bit-exactly as CompressAI's ``decompress``; a corrupted
   escape is clamped to the nearest representable value. z is decoded and
   bounded first; its bounded values set the scales (hence CDF indexes) of y,
   so a corrupted z and a corrupted y are handled in one pass.
3. **Finite output.** The reconstruction is cropped to the header's H x W,
   clamped to [0, 1]; any non-finite pixel (not expected after step 2) is set
   to 0.5 and counted.
4. **Isolation.** :class:`~semcodec.isolated_pool.IsolatedPool` runs decoding in persistent worker
   processes; a worker that crashes (segfault) or hangs is killed and
   restarted, and its task is reported as a
   :class:`~semcodec.isolated_pool.TaskFailure`. The caller
   then counts the decode as failed (``decode_failed``) and uses the fallback
   image :func:`fallback_image` (uniform mid-grey 0.5, the minimum-MSE
   constant for pixels in [0, 1] with no knowledge of the image).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .isolated_pool import IsolatedPool, TaskFailure

if TYPE_CHECKING:  # torch and compressai are imported where used: a worker process that
    import torch  # only runs light tasks (and the pool itself) starts in a fraction of a second

    from .payload import Payload, PayloadHeader

#: Value of every pixel of the fallback image used when a decode fails.
FALLBACK_GREY = 0.5


def pad_length(n_symbols: int, n_bytes: int) -> int:
    """Zero bytes appended to a stream of ``n_bytes`` carrying ``n_symbols`` symbols."""
    return 8 * n_symbols + 128 * n_bytes + 4096


def fallback_image(height: int, width: int) -> torch.Tensor:
    """The documented fallback reconstruction (3, H, W) float32: uniform mid-grey."""
    import torch

    return torch.full((3, height, width), FALLBACK_GREY)


@dataclass
class DecodeInfo:
    """What happened in one robust decode."""

    decode_failed: bool = False
    y_concealed: int = 0  #: y symbols bounded by the concealment rule
    z_concealed: int = 0  #: z symbols bounded by the concealment rule
    nonfinite_pixels: int = 0  #: pixels repaired in step 3 (expected 0)
    error: str = ""

    @property
    def n_concealed(self) -> int:
        return self.y_concealed + self.z_concealed


class RobustDecoder:
    """Decode any body of a :class:`~semcodec.payload.Payload` to a finite image in [0, 1].

    Args:
        model: a CompressAI ``ScaleHyperprior`` in eval mode with its entropy
            tables built (``update()`` done; ``load_codec`` does it).

    The CDF tables are converted to Python lists once here (CompressAI's
    ``decompress`` converts them on every call).
    """

    def __init__(self, model: torch.nn.Module) -> None:
        from compressai.ans import RansDecoder

        self.model = model.eval()
        eb, gc = model.entropy_bottleneck, model.gaussian_conditional
        if eb._offset.numel() == 0 or gc._offset.numel() == 0:
            raise ValueError("model has no entropy tables: call model.update(force=True) first")
        self._coder = RansDecoder()
        self._eb = _Table(eb)
        self._gc = _Table(gc)
        self._medians = eb._get_medians().detach().reshape(1, -1, 1, 1).float()
        self._gc_table = gc
        self._z_index_cache: dict[tuple[int, int], list[int]] = {}

    def _padded(self, string: bytes, n_symbols: int) -> bytes:
        return bytes(string) + bytes(pad_length(n_symbols, len(string)))

    def _native(self, string: bytes, n_symbols: int, indexes: list[int], table: _Table
                ) -> np.ndarray:
        padded = self._padded(string, n_symbols)
        values = self._coder.decode_with_indexes(padded, indexes, table.cdf, table.lengths,
                                                 table.offsets)
        return np.asarray(values, dtype=np.int64)

    def decode(self, header: PayloadHeader, body: bytes) -> tuple[torch.Tensor, DecodeInfo]:
        """Decode ``body`` (any bytes: flipped, truncated, empty) with the error-free ``header``.

        Returns:
            (image (3, H, W) float32 in [0, 1], :class:`DecodeInfo`).
        """
        import torch

        with torch.no_grad():
            return self._decode(header, body)

    def _decode(self, header: PayloadHeader, body: bytes) -> tuple[torch.Tensor, DecodeInfo]:
        import torch

        info = DecodeInfo()
        body = bytes(body)
        y_str = body[:header.y_len]
        z_str = body[header.y_len:header.y_len + header.z_len]
        zh, zw = header.z_height, header.z_width
        c_z = self._medians.shape[1]

        # z: channel c uses CDF c; bound, then add the medians (EntropyBottleneck.dequantize)
        z_idx = self._z_index_cache.get((zh, zw))
        if z_idx is None:
            z_idx = np.repeat(np.arange(c_z, dtype=np.int64), zh * zw).tolist()
            self._z_index_cache[(zh, zw)] = z_idx
        z_sym = self._native(z_str, len(z_idx), z_idx, self._eb)
        z_sym, info.z_concealed = self._eb.bound(z_sym, np.asarray(z_idx), header.z_lo,
                                                 header.z_hi)
        z_hat = torch.from_numpy(z_sym).float().reshape(1, c_z, zh, zw) + self._medians

        scales = self.model.h_s(z_hat)
        y_idx_t = self._gc_table.build_indexes(scales)
        y_idx = y_idx_t.reshape(-1).numpy().astype(np.int64)
        y_sym = self._native(y_str, y_idx.size, y_idx.tolist(), self._gc)
        y_sym, info.y_concealed = self._gc.bound(y_sym, y_idx, header.y_lo, header.y_hi)
        y_hat = torch.from_numpy(y_sym).float().reshape(y_idx_t.shape)

        x_hat = self.model.g_s(y_hat)[0, :, :header.height, :header.width]
        finite = torch.isfinite(x_hat)
        if not bool(finite.all()):
            info.nonfinite_pixels = int((~finite).sum())
            x_hat = torch.where(finite, x_hat, torch.full_like(x_hat, FALLBACK_GREY))
        return x_hat.clamp(0.0, 1.0).contiguous(), info

    def decode_payload(self, payload: Payload) -> tuple[torch.Tensor, DecodeInfo]:
        return self.decode(payload.header, payload.body)

    def safe_decode(self, header: PayloadHeader, body: bytes) -> tuple[torch.Tensor, DecodeInfo]:
        """:meth:`decode`, with any Python exception turned into the fallback image."""
        try:
            return self.decode(header, body)
        except Exception as exc:  # counted as decode_failed, never hidden: info.error says why
            info = DecodeInfo(decode_failed=True, error=f"{type(exc).__name__}: {exc}")
            return fallback_image(header.height, header.width), info


class _Table:
    """An entropy model's CDF tables as Python lists + per-index representable symbol range."""

    def __init__(self, em: torch.nn.Module) -> None:
        self.cdf = em._quantized_cdf.tolist()
        lengths = em._cdf_length.reshape(-1).int()
        offsets = em._offset.reshape(-1).int()
        self.lengths = lengths.tolist()
        self.offsets = offsets.tolist()
        # regular symbols s in [0, cdf_length - 3] (cdf_length - 2 is the escape) + offset
        self.lo = offsets.numpy().astype(np.int64)
        self.hi = (offsets + lengths - 3).numpy().astype(np.int64)

    def bound(self, sym: np.ndarray, idx: np.ndarray, rec_lo: int, rec_hi: int
              ) -> tuple[np.ndarray, int]:
        """Clamp symbols to the table range of their CDF index, widened to [rec_lo, rec_hi]."""
        lo = np.minimum(self.lo[idx], rec_lo)
        hi = np.maximum(self.hi[idx], rec_hi)
        out = np.clip(sym, lo, hi)
        return out, int(np.count_nonzero(out != sym))


# ----------------------------------------------------------------------------- one-shot API

def _decoder_factory(checkpoint: str) -> Callable[[tuple[bytes, bytes]], Any]:
    from .checkpoint import load_codec
    from .payload import PayloadHeader

    dec = RobustDecoder(load_codec(checkpoint)[0])

    def handle(task: tuple[bytes, bytes]) -> tuple[np.ndarray, DecodeInfo]:
        header = PayloadHeader.from_bytes(task[0])
        img, info = dec.safe_decode(header, task[1])
        return img.numpy(), info

    return handle


def decode_isolated(checkpoint: str | os.PathLike, header: PayloadHeader, body: bytes,
                    timeout_s: float = 120.0) -> tuple[torch.Tensor, DecodeInfo]:
    """Decode one body in a separate process (a native crash gives the fallback image)."""
    import torch

    with IsolatedPool(_decoder_factory, (str(checkpoint),), workers=1,
                      timeout_s=timeout_s) as pool:
        for _, res in pool.imap_unordered([(header.to_bytes(), bytes(body))]):
            if isinstance(res, TaskFailure):
                info = DecodeInfo(decode_failed=True, error=f"{res.kind}: {res.detail}")
                return fallback_image(header.height, header.width), info
            return torch.from_numpy(res[0]), res[1]
    raise RuntimeError("decode worker returned no result")  # unreachable
