"""The ``issc`` command line: one verb per job.

Each verb lives in its own module ``scripts/cmd_<verb>.py`` exposing
``register(subparsers) -> None``; the parser built there sets ``func`` (a
callable taking the parsed ``argparse.Namespace``) and, for a verb that a
rerun continues, ``resumable=True``. Verbs are discovered, so adding a job
never touches this file. Argument types shared by every verb (seeds, paths,
devices, lists) are in :mod:`scripts.argtypes`.

Every verb goes through one error path (:func:`main`):

- a bad argument (``argparse`` or a :mod:`scripts.argtypes` type) is refused
  before any work, on one line naming the flag and the value, exit status 2;
- a user-caused error raised by the library (:data:`semcodec.runinfo.USER_ERRORS`:
  ``ValueError``, ``KeyError``, ``OSError`` such as ``FileNotFoundError``,
  ``UnicodeDecodeError``) is printed on one line naming what failed (for an
  ``OSError``: the path and the reason), exit status 2, and ``--out`` is left as it
  was (:func:`semcodec.runinfo.run_record` undoes the run's writes);
- an interrupt (Ctrl-C, SIGTERM) prints one line, e.g. where a training run
  saved its state or that rerunning the same command resumes, exit status 130;
- open progress bars are closed first, so the message starts its own line.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import pkgutil
import re
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

import scripts
from scripts.argtypes import NUMBER_LIKE, DefaultsHelpFormatter
from semcodec.runinfo import USER_ERRORS  # bad input: one line, exit status 2


class IsscArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line and whose help shows defaults.

    Sub-parsers (every verb) inherit this class through ``add_subparsers``.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)
        # "-6,0,6" after a list option is a value, not an unknown option (argtypes.NUMBER_LIKE)
        self._negative_number_matcher = NUMBER_LIKE
        # on the root and on every verb, so "issc -q ascc" and "issc ascc -q" both work;
        # SUPPRESS: a verb that was not given the flag leaves the root's value alone
        loud = self.add_mutually_exclusive_group()
        loud.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS,
                          help="warnings and errors only, no progress bars")
        loud.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                          help="also debug lines")

    def error(self, message: str) -> None:
        line = " ".join(message.split())
        # "argument --seed: -1 is invalid: ..." -> "--seed=-1 is invalid: ...", the form
        # the library's own checks use ("trials=0 is invalid: ...")
        m = re.match(r"argument ([^:\s/]+)(?:/\S+)?: (.+?) is invalid: (.*)$", line)
        if m:
            line = f"{m[1]}={m[2]} is invalid: {m[3]}"
        self.exit(2, f"{self.prog}: error: {line} (see {self.prog} --help)\n")


def package_version() -> str:
    """The installed ``issc`` version (package metadata), else the checkout's pyproject.toml."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("issc")
    except PackageNotFoundError:  # run from a source tree that was never installed
        import tomllib

        pyproject = Path(scripts.__file__).resolve().parents[1] / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text())["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def version_text() -> str:
    """``issc <version>``, plus `` (git <commit>)`` when the code runs from a git checkout."""
    from semcodec.runinfo import git_commit

    commit = git_commit(Path(scripts.__file__).resolve().parent)
    return f"issc {package_version()}" + (f" (git {commit})" if commit != "unknown" else "")


class _VersionAction(argparse.Action):
    """``--version``: the text is made when asked (git runs then, not on every start)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 default: str = argparse.SUPPRESS, help: str | None = None) -> None:
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(version_text())  # on stdout, as argparse's own "version" action
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = IsscArgumentParser(
        prog="issc",
        description="Integrated sensing and semantic communication toolkit.",
    )
    parser.add_argument("--version", action=_VersionAction,
                        help="print the package version (and git commit) and exit")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for info in sorted(pkgutil.iter_modules(scripts.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"scripts.{info.name}").register(sub)
    return parser


def _path_in_traceback(tb: TracebackType | None, suffix: str = "") -> str | None:
    """The file an exception was reading: the innermost path-like or open file in the frames.

    ``UnicodeDecodeError`` or a TOML / JSON error does not say which file held the
    bytes; the frame that read them does (``Path.read_text``'s ``self``, an open
    file's ``name``, a caller's ``cfg_path``). With ``suffix``, a path ending so wins.
    """
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    found = []
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            name = getattr(value, "name", None)
            if isinstance(value, os.PathLike):
                found.append(os.fspath(value))
            elif hasattr(value, "read") and isinstance(name, str):
                found.append(name)
    for path in found:
        if suffix and str(path).lower().endswith(suffix):
            return str(path)
    return str(found[0]) if found else None


def describe(exc: BaseException) -> str:
    """One line saying what failed and why (for an ``OSError``: the path and the reason)."""
    if isinstance(exc, UnicodeDecodeError):
        path = _path_in_traceback(exc.__traceback__)
        where = f"{path} " if path else "an input file "
        return (f"{where}is not UTF-8 text ({exc.reason}: byte "
                f"0x{exc.object[exc.start]:02x} at offset {exc.start}); a binary file was "
                f"given where a text file is expected")
    if _is_parse_error(exc):
        kind = _FORMATS[type(exc).__name__]
        path = _path_in_traceback(exc.__traceback__, "." + kind.lower())
        if path:
            return f"{path} is not valid {kind}: {exc}"
    if isinstance(exc, OSError) and exc.strerror and not _has_message(exc):
        what = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
        return f"{what}: {exc.strerror}" if what else exc.strerror
    msg = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
    lines = [s.strip() for s in str(msg).splitlines() if s.strip()]
    return lines[0] if lines else type(exc).__name__


_FORMATS = {"TOMLDecodeError": "TOML", "JSONDecodeError": "JSON", "Error": "CSV"}


def _is_parse_error(exc: BaseException) -> bool:
    """A parser's error (TOML, JSON, CSV) whose message gives line and column but no file."""
    return type(exc).__name__ in _FORMATS and type(exc).__module__ in (
        "tomllib", "json.decoder", "_csv", "csv")


def _has_message(exc: OSError) -> bool:
    """Whether an ``OSError`` was raised with our own one-line message (not errno, strerror)."""
    return len(exc.args) == 1 and isinstance(exc.args[0], str)


def configure_logging(quiet: bool = False, verbose: bool = False) -> None:
    """The ``issc`` logger (:mod:`semcodec.progress`) on stderr: INFO, WARNING with ``-q``
    (progress bars off too), DEBUG with ``-v``; one plain line per record."""
    from semcodec.progress import logger

    logger.setLevel(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


class _StderrHandler(logging.StreamHandler):
    """A StreamHandler on whatever ``sys.stderr`` is when a record is written (a test's
    capture, a redirected stream), not the one at start-up."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def close_progress_bars() -> None:
    """Close every open tqdm bar, so that a message printed next starts its own line."""
    tqdm_mod = sys.modules.get("tqdm")
    if tqdm_mod is None:
        return
    for bar in list(getattr(tqdm_mod.tqdm, "_instances", ())):
        try:
            bar.close()
        except Exception:  # a bar half torn down by the error itself: nothing to show
            pass


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into ``KeyboardInterrupt`` (as Ctrl-C), so both end the same way.

    Verbs that hold signals themselves (training) install their own handlers
    inside and restore this one after.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


@contextmanager
def one_line_warnings(prefix: str) -> Iterator[None]:
    """Show warnings as ``<prefix>: warning: <message>`` (one line, no source excerpt)."""
    import warnings

    old = warnings.formatwarning

    def fmt(message, category, filename, lineno, line=None) -> str:
        return f"{prefix}: warning: {' '.join(str(message).split())}\n"

    warnings.formatwarning = fmt
    try:
        yield
    finally:
        warnings.formatwarning = old


def _interrupt_line(exc: KeyboardInterrupt, resumable: bool) -> str:
    msg = exc.args[0] if exc.args and isinstance(exc.args[0], str) else "interrupted (Ctrl-C)"
    if "rerun" in msg:
        return msg
    if resumable:
        return f"{msg}; rerun the same command to resume where it stopped"
    return f"{msg}; rerun the same command to start again"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a refused argument (2, one line printed)
        return exc.code if isinstance(exc.code, int) else 2
    if getattr(args, "quiet", False) and getattr(args, "verbose", False):
        print(f"{parser.prog}: error: -q/--quiet and -v/--verbose are exclusive: give one "
              f"(see {parser.prog} --help)", file=sys.stderr)
        return 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    configure_logging(getattr(args, "quiet", False), getattr(args, "verbose", False))
    verb = parser.prog + " " + " ".join(
        v for v in (args.verb, getattr(args, "figure", None)) if isinstance(v, str))
    try:
        with sigterm_as_interrupt(), one_line_warnings(verb):
            args.func(args)
    except KeyboardInterrupt as exc:
        close_progress_bars()
        print(f"{verb}: {_interrupt_line(exc, getattr(args, 'resumable', False))}",
              file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        close_progress_bars()
        print(f"{verb}: error: {describe(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
