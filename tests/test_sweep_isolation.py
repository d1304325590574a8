"""The worker pool contains native crashes and hangs (kept free of torch: fast workers)."""

import ctypes
import time

from semcodec.isolated_pool import IsolatedPool, TaskFailure


def _crashy_factory(tag: str):
    def handle(task):
        if task == "segv":
            ctypes.string_at(0)  # a real segmentation fault in native code
        if task == "hang":
            time.sleep(600)
        if task == "raise":
            raise RuntimeError("boom")
        return (tag, task * 2)

    return handle


def test_pool_survives_segfault_hang_and_errors():
    tasks = [1, "segv", 2, "hang", 3, "raise", 4, 5]
    with IsolatedPool(_crashy_factory, ("t",), workers=2, timeout_s=3.0) as pool:
        got = dict(pool.imap_unordered(tasks))
        assert pool.n_crashes == 1 and pool.n_timeouts == 1 and pool.n_errors == 1
        assert pool.n_restarts == 2
    assert got[1] == ("t", 2) and got[5] == ("t", 10) and len(got) == len(tasks)
    assert isinstance(got["segv"], TaskFailure) and got["segv"].kind == "crash"
    assert isinstance(got["hang"], TaskFailure) and got["hang"].kind == "timeout"
    assert got["raise"].kind == "error" and "boom" in got["raise"].detail


def test_pool_reports_a_worker_that_cannot_start():
    import pytest

    with pytest.raises(ValueError, match="could not start"):
        with IsolatedPool(_crashy_factory, (), workers=1) as pool:  # missing argument
            list(pool.imap_unordered([1]))


def _sigint_state(_tag: str):
    import signal

    def handle(task):
        blocked = signal.SIGINT in signal.pthread_sigmask(signal.SIG_BLOCK, [])
        return (signal.getsignal(signal.SIGINT) == signal.SIG_IGN, blocked)

    return handle


def test_ctrl_c_during_a_worker_start_is_raised_not_lost(monkeypatch, ctrl_c_as_at_a_terminal):
    """A Ctrl-C that lands while a worker is being spawned ends the run (it was once
    dropped, and the run went on), and the worker itself never sees it."""
    import multiprocessing.context as mpc
    import os
    import signal

    import pytest

    real_start = mpc.SpawnProcess.start

    def start_under_ctrl_c(self):
        os.kill(os.getpid(), signal.SIGINT)  # lands inside the start window
        real_start(self)

    monkeypatch.setattr(mpc.SpawnProcess, "start", start_under_ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        IsolatedPool(_sigint_state, ("t",), workers=2)
    monkeypatch.setattr(mpc.SpawnProcess, "start", real_start)
    # the parent's own handler is back, and workers ignore SIGINT with it unblocked
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, [])
    with IsolatedPool(_sigint_state, ("t",), workers=1) as pool:
        assert [r for _, r in pool.imap_unordered([0])] == [(True, False)]
