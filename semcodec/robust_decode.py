"""Crash-proof decoding of corrupted payload bodies, and a crash-isolating worker pool.

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
4. **Isolation.** :class:`IsolatedPool` runs decoding in persistent worker
   processes; a worker that crashes (segfault) or hangs is killed and
   restarted, and its task is reported as a :class:`TaskFailure`. The caller
   then counts the decode as failed (``decode_failed``) and uses the fallback
   image :func:`fallback_image` (uniform mid-grey 0.5, the minimum-MSE
   constant for pixels in [0, 1] with no knowledge of the image).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # torch and compressai are imported where used: a worker process that
    import torch  # only runs light tasks (and the pool itself) starts in a fraction of a second

    from semcodec.payload import Payload, PayloadHeader

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


# ----------------------------------------------------------------------------- isolation

@dataclass(frozen=True)
class TaskFailure:
    """A task whose worker crashed (``kind="crash"``), hung (``"timeout"``) or raised."""

    kind: str
    detail: str = ""


def _worker_main(conn: Connection, factory: Callable[..., Callable[[Any], Any]],
                 args: tuple) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # Ctrl-C reaches the whole process group: the parent ends the run and stops the
    # workers, so a worker ignores it (no traceback per worker).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    try:
        handler = factory(*args)
        if "torch" in sys.modules:  # the factory may have imported it
            sys.modules["torch"].set_num_threads(1)
    except BaseException as exc:  # report the init error to the parent, then quit
        conn.send(("init_error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        try:
            conn.send(("ok", handler(task)))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


class _Worker:
    def __init__(self, ctx, factory, args) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, factory, args), daemon=True)
        self.proc.start()
        child.close()
        self.task: Any = None
        self.busy = False
        self.t_sent = 0.0
        self.ready = False

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(timeout=10)
        self.conn.close()


class IsolatedPool:
    """Persistent worker processes; a crash or hang costs one task, never the run.

    Args:
        factory: picklable callable run once in each worker, ``factory(*args)``,
            returning the task handler ``handler(task) -> result``.
        args: arguments of ``factory`` (picklable).
        workers: number of worker processes (each uses one torch thread).
        timeout_s: a task running longer is a hang: its worker is killed.
        init_timeout_s: time allowed to a worker to build its handler.

    Use as a context manager; :meth:`imap_unordered` yields ``(task, result)``
    where ``result`` is the handler's return value or a :class:`TaskFailure`.
    Counters ``n_crashes``, ``n_timeouts``, ``n_errors`` and ``n_restarts``
    record what happened.
    """

    def __init__(self, factory: Callable[..., Callable[[Any], Any]], args: tuple = (),
                 workers: int = 2, timeout_s: float = 120.0, init_timeout_s: float = 300.0
                 ) -> None:
        if workers < 1:
            raise ValueError(f"workers={workers} is invalid: must be >= 1")
        self._ctx = mp.get_context("spawn")
        self._factory, self._args = factory, args
        self.timeout_s, self.init_timeout_s = float(timeout_s), float(init_timeout_s)
        self.n_crashes = self.n_timeouts = self.n_errors = self.n_restarts = 0
        self._workers = [self._start() for _ in range(workers)]

    def _start(self) -> _Worker:
        return _Worker(self._ctx, self._factory, self._args)

    def _await_ready(self, w: _Worker) -> None:
        if not w.conn.poll(self.init_timeout_s):
            w.kill()
            raise RuntimeError(f"decode worker did not start within {self.init_timeout_s} s")
        try:
            msg = w.conn.recv()
        except EOFError:
            w.kill()
            raise RuntimeError(f"decode worker died while starting (exit code "
                               f"{w.proc.exitcode})") from None
        if msg[0] != "ready":
            w.kill()
            raise ValueError(f"decode worker could not start: {msg[1]}")
        w.ready = True

    def start(self) -> None:
        """Wait until every worker has built its handler (otherwise done at its first task)."""
        for w in self._workers:
            if not w.ready:
                self._await_ready(w)

    def _restart(self, i: int) -> None:
        self._workers[i].kill()
        self._workers[i] = self._start()
        self.n_restarts += 1

    def imap_unordered(self, tasks: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        it = iter(tasks)
        pending = True

        def feed(w: _Worker) -> None:
            nonlocal pending
            if not pending or w.busy:
                return
            try:
                task = next(it)
            except StopIteration:
                pending = False
                return
            if not w.ready:
                self._await_ready(w)
            w.task, w.busy, w.t_sent = task, True, time.monotonic()
            w.conn.send(task)

        for w in self._workers:
            feed(w)
        while any(w.busy for w in self._workers):
            busy = [w for w in self._workers if w.busy]
            now = time.monotonic()
            wait_s = max(0.01, min(self.timeout_s - (now - w.t_sent) for w in busy))
            ready = wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], wait_s)
            for i, w in enumerate(list(self._workers)):
                if not w.busy:
                    continue
                result: Any = None
                failed = False
                if w.conn in ready or w.proc.sentinel in ready:
                    try:
                        if w.conn.poll():
                            kind, value = w.conn.recv()
                            if kind == "ok":
                                result = value
                            else:
                                self.n_errors += 1
                                result = TaskFailure("error", value)
                        else:
                            raise EOFError
                    except (EOFError, OSError):
                        self.n_crashes += 1
                        code = w.proc.exitcode if not w.proc.is_alive() else "?"
                        result, failed = TaskFailure("crash", f"worker exit code {code}"), True
                elif time.monotonic() - w.t_sent > self.timeout_s:
                    self.n_timeouts += 1
                    result = TaskFailure("timeout", f"no answer within {self.timeout_s} s")
                    failed = True
                else:
                    continue
                task = w.task
                w.task, w.busy = None, False
                if failed:
                    self._restart(i)
                yield task, result
                feed(self._workers[i])

    def close(self) -> None:
        for w in self._workers:
            try:
                if w.proc.is_alive():
                    w.conn.send(None)
            except OSError:
                pass
        for w in self._workers:
            w.proc.join(timeout=5)
            w.kill()

    def __enter__(self) -> IsolatedPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ----------------------------------------------------------------------------- one-shot API

def _decoder_factory(checkpoint: str) -> Callable[[tuple[bytes, bytes]], Any]:
    from semcodec.checkpoint import load_codec
    from semcodec.payload import PayloadHeader

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
