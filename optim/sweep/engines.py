"""Engines that run grid points: ``local`` (a process pool) and ``ray`` (a Ray cluster).

An engine maps :class:`Task` objects of one worker and one context to
:class:`Outcome` objects in any order (:meth:`Engine.imap_unordered`), and
keeps its processes between grids until :meth:`Engine.close`. That is the
whole interface: another engine (Dask, a batch queue) is one subclass in one
module, added with :func:`register_engine`.

The worker is a module-level function ``worker(point, seed, context) -> dict``
named ``"package.module:function"``; every engine resolves it by name in its own
processes, so nothing but the name, the context and the points travels.
"""

from __future__ import annotations

import importlib
import math
import os
import signal
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

#: Per-point time limit used when none is given (a week: no limit in practice).
NO_TIMEOUT_S = 7 * 24 * 3600.0
#: Seconds allowed to reach a Ray cluster at ``--address`` before giving up.
RAY_CONNECT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Task:
    """One point to run: its key (canonical JSON), parameters and seed."""

    key: str
    point: dict
    seed: int


@dataclass(frozen=True)
class Outcome:
    """What running one point gave.

    ``status`` is ``ok`` (``values`` holds the worker's dict), ``error`` (the
    worker raised: ``error`` is ``"Type: message"``), ``crash`` (its process or
    node died) or ``timeout``; ``wall_s`` is the worker's own run time (NaN when
    unknown) and ``where`` names the engine, host and process.
    """

    status: str
    values: dict | None = None
    error: str = ""
    wall_s: float = math.nan
    where: str = ""


# ----------------------------------------------------------------------------- worker side

def worker_name(worker: str | Callable) -> str:
    """``"module:function"`` of a worker given by name or as a module-level function."""
    if isinstance(worker, str):
        name = worker
    elif callable(worker):
        qual = getattr(worker, "__qualname__", "")
        mod = getattr(worker, "__module__", None)
        if not mod or mod == "__main__" or "<" in qual or "." in qual:
            raise ValueError(f"worker={worker!r} is invalid: must be a module-level function of "
                             f"an importable module (workers import it by name)")
        name = f"{mod}:{qual}"
    else:
        raise ValueError(f"worker={worker!r} is invalid: give 'module:function' or a function")
    resolve_worker(name)  # fail here, with the name, rather than in every worker
    return name


@lru_cache(maxsize=16)
def resolve_worker(name: str) -> Callable[[dict, int, Any], dict]:
    """The function named ``"module:function"`` (imported once per process)."""
    mod, sep, fn = name.partition(":")
    if not sep or not mod or not fn:
        raise ValueError(f"worker={name!r} is invalid: must be 'package.module:function'")
    try:
        obj = getattr(importlib.import_module(mod), fn)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"worker={name!r} is invalid: cannot import it ({exc})") from None
    if not callable(obj):
        raise ValueError(f"worker={name!r} is invalid: {fn} is not a function")
    return obj


def call_worker(name: str, point: dict, seed: int, context: Any, where: str) -> Outcome:
    """Run one point in this process; an exception becomes an ``error`` outcome."""
    t0 = time.perf_counter()
    try:
        values = resolve_worker(name)(dict(point), int(seed), context)
        if not isinstance(values, dict) or not all(isinstance(k, str) for k in values):
            raise TypeError(f"worker returned {type(values).__name__}: must return a dict "
                            f"with string keys")
        clash = sorted(set(values) & (set(point) | {"seed", "status", "error"}))
        if clash:
            raise ValueError(f"worker returned column(s) {clash} that name a parameter or an "
                             f"engine column")
        return Outcome("ok", values, "", time.perf_counter() - t0, where)
    except Exception as exc:  # recorded in the row; the sweep goes on
        return Outcome("error", None, f"{type(exc).__name__}: {exc}",
                       time.perf_counter() - t0, where)


# ----------------------------------------------------------------------------- engines

class Engine(ABC):
    """Runs tasks on parallel workers. Use as a context manager; one engine may serve
    several grids in turn (worker processes, and what workers cache, are kept).

    Args:
        workers: parallel workers (None: every CPU the engine has).
        address: where the engine's cluster is (engines without one refuse it).
        timeout_s: a point running longer is stopped and recorded as ``timeout``.

    Nothing starts before the first :meth:`imap_unordered`.
    """

    name = "?"

    def __init__(self, workers: int | None = None, address: str | None = None,
                 timeout_s: float | None = None) -> None:
        self.workers = workers
        self.address = address
        self.timeout_s = NO_TIMEOUT_S if timeout_s is None else float(timeout_s)

    @abstractmethod
    def imap_unordered(self, worker: str, context: Any, tasks: Iterable[Task]
                       ) -> Iterator[tuple[Task, Outcome]]:
        """Run ``worker(task.point, task.seed, context)`` for every task; yield
        ``(task, outcome)`` in the order they finish."""

    def close(self) -> None:  # noqa: B027 - engines without resources need no close
        """Release processes and connections."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _local_factory() -> Callable[[tuple[str, Any, Task]], Outcome]:
    # Ctrl-C reaches the whole process group: the parent stops the sweep and kills the
    # workers; a worker dying of the signal first would be recorded as a crashed point
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    where = f"local:{socket.gethostname()}:{os.getpid()}"

    def handle(job: tuple[str, Any, Task]) -> Outcome:
        worker, context, task = job
        return call_worker(worker, task.point, task.seed, context, where)

    return handle


class LocalEngine(Engine):
    """Spawned worker processes on this machine (``workers`` of them, one thread each).

    Built on :class:`semcodec.isolated_pool.IsolatedPool`: a worker that dies
    (a segfault in native code) or hangs past ``timeout_s`` is killed and
    restarted, and only its point is lost (recorded as ``crash``/``timeout``).
    The context goes to the worker with each point (a pipe copy).
    """

    name = "local"

    def __init__(self, workers: int | None = None, address: str | None = None,
                 timeout_s: float | None = None) -> None:
        if address is not None:
            raise ValueError(f"address={address!r} is invalid for engine 'local' (it runs on "
                             f"this machine); use --engine ray for a cluster")
        super().__init__(workers or os.cpu_count() or 1, None, timeout_s)
        self._pool: Any = None

    def imap_unordered(self, worker: str, context: Any, tasks: Iterable[Task]
                       ) -> Iterator[tuple[Task, Outcome]]:
        from semcodec.isolated_pool import IsolatedPool, TaskFailure

        if self._pool is None:
            self._pool = IsolatedPool(_local_factory, (), workers=int(self.workers),
                                      timeout_s=self.timeout_s)
        jobs = ((worker, context, t) for t in tasks)
        for (_, _, task), res in self._pool.imap_unordered(jobs):
            if isinstance(res, TaskFailure):
                status = res.kind if res.kind in ("crash", "timeout") else "error"
                res = Outcome(status, None, res.detail, math.nan, "local")
            yield task, res

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def _ray_call(worker: str, point: dict, seed: int, context: Any) -> Outcome:
    import ray

    node = ray.get_runtime_context().get_node_id()[:12]
    return call_worker(worker, point, seed, context, f"ray:{node}:{os.getpid()}")


def _split_address(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or "/" in host:
        raise ValueError(f"address={address!r} is invalid: give 'auto' or HOST:PORT of a Ray "
                         f"head (e.g. 10.0.0.1:6379)")
    return host, int(port)


def check_ray_address(address: str, timeout_s: float | None = None) -> None:
    """Refuse (ValueError, one line) a ``HOST:PORT`` where no Ray head answers within
    ``timeout_s`` (default :data:`RAY_CONNECT_TIMEOUT_S`)."""
    host, port = _split_address(address)
    timeout_s = RAY_CONNECT_TIMEOUT_S if timeout_s is None else float(timeout_s)
    hint = "start the head with `ray start --head` or give another --address"
    try:
        with socket.create_connection((host, port), timeout=timeout_s) as s:
            # the Ray head (GCS) speaks gRPC: an HTTP/2 server answers the client preface
            # with a SETTINGS frame (type 4); anything else is not a Ray head
            s.sendall(_H2_PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
            head = b""
            while len(head) < 9:
                chunk = s.recv(9 - len(head))
                if not chunk:
                    break
                head += chunk
    except OSError as exc:
        raise ValueError(f"Ray address {address} is unreachable ({exc}; waited at most "
                         f"{timeout_s:g} s); {hint}") from None
    if len(head) < 9 or head[3] != 4:
        raise ValueError(f"Ray address {address} is unreachable (something answers there but "
                         f"not a Ray head); {hint}")


_H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class RayEngine(Engine):
    """Ray tasks: on a cluster at ``address`` (``auto`` or ``HOST:PORT``) or on a local one.

    With no address, a private local cluster of ``workers`` CPUs is started and
    shut down at :meth:`close`; with an address, the running cluster is joined
    (a ``HOST:PORT`` must answer within :data:`RAY_CONNECT_TIMEOUT_S`, else a
    one-line ``ValueError``). A process already connected to Ray
    (``ray.is_initialized()``) keeps its connection. The context goes into the
    object store once per grid (``ray.put``); each task carries the worker's name,
    the point and its seed. Ray re-runs a task whose process or node dies
    (``max_retries``); at most two tasks per CPU are in flight, so ``timeout_s``,
    counted from submission, includes at most one point's wait.
    """

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None,
                 timeout_s: float | None = None, max_retries: int = 3,
                 connect_timeout_s: float | None = None) -> None:
        super().__init__(workers, address, timeout_s)
        if address is not None and address != "auto":
            _split_address(address)  # a malformed address is refused before anything starts
        self.max_retries, self.connect_timeout_s = int(max_retries), connect_timeout_s
        self._ray: Any = None
        self._own = False

    def _start(self) -> None:
        try:
            import ray
        except ImportError:
            raise ValueError("engine 'ray' needs the ray extra: pip install 'issc[ray]'") from None
        address = self.address
        if not ray.is_initialized():
            kw: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                  "configure_logging": False}
            if address is None:
                kw["num_cpus"] = int(self.workers or os.cpu_count() or 1)
            else:
                if address != "auto":
                    check_ray_address(address, self.connect_timeout_s)
                kw["address"] = address
            try:
                ray.init(**kw)
            except (ConnectionError, RuntimeError, TimeoutError) as exc:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                where = f"Ray address {address}" if address else "a local Ray cluster"
                raise ValueError(f"{where} is unreachable ({first})") from None
            self._own = True
        self._ray = ray
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.workers = self.workers or cpus
        self._in_flight = max(2, 2 * min(int(self.workers), cpus))
        self._remote = ray.remote(_ray_call).options(num_cpus=1, max_retries=self.max_retries,
                                                     retry_exceptions=False)

    def imap_unordered(self, worker: str, context: Any, tasks: Iterable[Task]
                       ) -> Iterator[tuple[Task, Outcome]]:
        if self._ray is None:
            self._start()
        ray = self._ray
        ctx_ref = ray.put(context)
        it = iter(tasks)
        pending: dict[Any, tuple[Task, float]] = {}

        def submit() -> None:
            while len(pending) < self._in_flight:
                task = next(it, None)
                if task is None:
                    return
                ref = self._remote.remote(worker, task.point, task.seed, ctx_ref)
                pending[ref] = (task, time.monotonic())

        submit()
        try:
            while pending:
                oldest = min(t0 for _, t0 in pending.values())
                wait_s = max(0.01, self.timeout_s - (time.monotonic() - oldest))
                ready, _ = ray.wait(list(pending), num_returns=1, timeout=min(wait_s, 60.0))
                for ref in ready:
                    task, _ = pending.pop(ref)
                    try:
                        out = ray.get(ref)
                    except Exception as exc:  # its process or node died for good
                        first = str(exc).splitlines()[0] if str(exc) else ""
                        out = Outcome("crash", None, f"{type(exc).__name__}: {first}",
                                      math.nan, "ray")
                    yield task, out
                now = time.monotonic()
                for ref, (task, t0) in list(pending.items()):
                    if now - t0 > self.timeout_s:
                        ray.cancel(ref, force=True)
                        del pending[ref]
                        yield task, Outcome("timeout", None,
                                            f"no answer within {self.timeout_s:g} s", math.nan,
                                            "ray")
                submit()
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._own and self._ray is not None and self._ray.is_initialized():
            self._ray.shutdown()
        self._ray, self._own = None, False


ENGINES: dict[str, type[Engine]] = {"local": LocalEngine, "ray": RayEngine}


def register_engine(cls: type[Engine]) -> None:
    """Make an :class:`Engine` subclass available as ``engine=cls.name``."""
    ENGINES[cls.name] = cls


def make_engine(engine: str = "local", workers: int | None = None, address: str | None = None,
                timeout_s: float | None = None) -> Engine:
    """The engine named ``engine`` (one of :data:`ENGINES`); it starts at its first grid."""
    if engine not in ENGINES:
        raise ValueError(f"engine={engine!r} is invalid: must be one of {sorted(ENGINES)}")
    if workers is not None and int(workers) < 1:
        raise ValueError(f"workers={workers} is invalid: must be >= 1")
    if timeout_s is not None and not float(timeout_s) > 0:
        raise ValueError(f"timeout_s={timeout_s} is invalid: must be > 0 seconds")
    return ENGINES[engine](workers, address, timeout_s)
