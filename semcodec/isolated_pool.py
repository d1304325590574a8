"""A crash-isolating pool of persistent worker processes (step 4 of :mod:`semcodec.robust_decode`).

CompressAI's native decoder can segfault or hang on a corrupted stream; a
worker that crashes or hangs is killed and restarted, and its task comes back
as a :class:`TaskFailure` instead of taking the run down.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection, wait
from typing import Any


@dataclass(frozen=True)
class TaskFailure:
    """A task whose worker crashed (``kind="crash"``), hung (``"timeout"``) or raised."""

    kind: str
    detail: str = ""


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Start children with SIGINT blocked, and keep a Ctrl-C that lands meanwhile.

    A spawned worker inherits the signal mask, so a Ctrl-C that lands while it
    is still importing stays pending instead of printing its traceback; the
    worker then ignores SIGINT, which discards it. In the parent the Ctrl-C is
    only noted while a worker starts (so a start is never cut in half) and is
    raised as soon as the start is over. Ignoring it here, as before, lost a
    Ctrl-C that landed during a spawn, and the run went on.
    """
    if not hasattr(signal, "pthread_sigmask"):  # not POSIX: no mask to inherit
        yield
        return
    # Starting multiprocessing's resource tracker unblocks SIGINT on its way out, so
    # start it first (the first spawn would start it inside the window)
    resource_tracker.ensure_running()
    noted: list[int] = []
    try:
        old_handler = signal.signal(signal.SIGINT, lambda signum, frame: noted.append(signum))
    except ValueError:  # not the main thread: Python handlers run there, nothing to defer
        old_handler = None
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)  # a pending one is noted now
        if old_handler is not None:
            signal.signal(signal.SIGINT, old_handler)
            if noted and callable(old_handler):
                old_handler(signal.SIGINT, None)  # the default one raises KeyboardInterrupt
            elif noted and old_handler == signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGINT)


def _worker_main(conn: Connection, factory: Callable[..., Callable[[Any], Any]],
                 args: tuple) -> None:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    # Ctrl-C reaches the whole process group: the parent ends the run and stops the
    # workers, so a worker ignores it (no traceback per worker). Ignoring discards a
    # Ctrl-C left pending from start-up (see _sigint_deferred); then unblock.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    try:
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
    except (BrokenPipeError, ConnectionResetError):
        return  # the parent closed the pool (Ctrl-C, or done) before reading us


class _Worker:
    def __init__(self, ctx, factory, args) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, factory, args), daemon=True)
        with _sigint_deferred():
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
