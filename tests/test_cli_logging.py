"""``issc -q`` / ``-v``: one logger for the product's lines, progress bars that follow it."""

from __future__ import annotations

import logging

import pytest

from scripts.cli import configure_logging, main
from semcodec.progress import bar_disabled, logger


@pytest.fixture(autouse=True)
def _restore_logger():
    level, handlers, propagate = logger.level, list(logger.handlers), logger.propagate
    yield
    logger.setLevel(level)
    logger.handlers[:] = handlers
    logger.propagate = propagate


@pytest.mark.parametrize("argv", [["-q", "-v", "hcrb", "--out", "x"],
                                  ["hcrb", "-q", "-v", "--out", "x"],
                                  ["-q", "hcrb", "-v", "--out", "x"]])
def test_quiet_and_verbose_together_are_refused_in_one_line(argv, capsys, tmp_path):
    argv = [a if a != "x" else str(tmp_path / "out") for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "-q/--quiet" in err[0] and "-v/--verbose" in err[0]
    assert not (tmp_path / "out").exists()


def test_levels_and_bars_follow_the_flags(capsys):
    configure_logging()
    assert logger.level == logging.INFO and bar_disabled(True) is None  # tqdm: off off-TTY
    assert bar_disabled(False) is True
    logger.info("an info line")
    logger.debug("a debug line")
    err = capsys.readouterr().err
    assert "an info line" in err and "a debug line" not in err
    configure_logging(quiet=True)
    assert bar_disabled(True) is True
    logger.info("hidden")
    logger.warning("a warning")
    err = capsys.readouterr().err
    assert "hidden" not in err and "a warning" in err
    configure_logging(verbose=True)
    logger.debug("now shown")
    assert "now shown" in capsys.readouterr().err
    assert sum(type(h).__name__ == "_StderrHandler" for h in logger.handlers) == 1


def test_a_library_warning_reaches_stderr_under_quiet(tmp_path, capsys):
    from semcodec.datasets import list_images

    (tmp_path / "ok.png").write_bytes(b"")  # empty: unusable, reported as a warning
    configure_logging(quiet=True)
    with pytest.raises(ValueError):
        list_images(tmp_path)
    assert "skipped 1 unusable image file(s)" in capsys.readouterr().err
