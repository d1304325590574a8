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
