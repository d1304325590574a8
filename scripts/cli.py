"""The ``issc`` command line: one verb per job.

Each verb lives in its own module ``scripts/cmd_<verb>.py`` exposing
``register(subparsers) -> None``; the parser built there sets ``func`` (a
callable taking the parsed ``argparse.Namespace``). Verbs are discovered, so
adding a job never touches this file. A user-caused error (``ValueError``,
``FileNotFoundError``, ``KeyError`` raised by the library with a message) is
printed on one line and the process exits with status 2. An interrupt
(Ctrl-C, SIGTERM) prints one line, e.g. where a training run saved its state,
and exits with status 130.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import scripts


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="issc",
        description="Integrated sensing and semantic communication toolkit.",
    )
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for info in sorted(pkgutil.iter_modules(scripts.__path__), key=lambda m: m.name):
        if info.name.startswith("cmd_"):
            importlib.import_module(f"scripts.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        msg = exc.args[0] if exc.args else repr(exc)
        print(f"issc {args.verb}: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        msg = exc.args[0] if exc.args else "interrupted"
        print(f"issc {args.verb}: {msg}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
