"""Shared argument types and validators for every ``issc`` verb.

Each type is a callable for ``argparse``'s ``type=``: it turns the command-line
string into a value or raises :class:`argparse.ArgumentTypeError` with a
one-line message that names the value and what is valid. ``argparse`` prefixes
the flag (``argument --seed: -1 is invalid: must be an integer >= 0``) and
:mod:`scripts.cli` prints it on one line with exit status 2, before the verb
does any work. Use them in a verb's ``register``::

    from scripts import argtypes as at

    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of ...")
    p.add_argument("--snr-db", **at.list_of(at.finite_float), default=[0.0, 10.0],
                   help="SNR points [dB]")      # accepts "0,5,10" and "0 5 10"
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")

Numbers
    ``nonneg_int`` (seeds, counts that may be 0), ``positive_int`` (workers,
    points, trials), ``int_at_least(n)``, ``multiple_of(n)`` (crop sides),
    ``finite_float`` (no nan / inf),
    ``positive_float`` (finite, > 0: timeouts, lambdas, powers in W),
    ``nonneg_float``, ``probability`` (open interval (0, 1)),
    ``unit_interval`` (closed [0, 1]), ``float_in(lo, hi, lo_open, hi_open)``,
    ``power_dbm`` (a transmit power in :data:`linksim.units.POWER_DBM_RANGE`, dBm).
Paths
    ``existing_file``, ``existing_dir``, ``text_file`` (an existing UTF-8 text
    file; binary files such as images are refused), ``out_dir`` (an output
    folder: may exist or not, but neither it nor a parent is a file),
    ``out_file`` (an output file: not an existing folder, no parent is a file).
    Paths come back as strings, so verbs and libraries keep their ``str | Path``
    signatures. ``check_text_file(path, what)`` is the same text check for
    values that arrive inside a list (e.g. ``--genres``), raising ``ValueError``.
Choices
    ``device`` (``cpu``, ``cuda``, ``cuda:N``; refuses ``cuda`` when torch sees
    no GPU, so a run never dies after its set-up); ``ber_model`` (``fbl``,
    ``ldpc``, ``ldpc-ber``: :func:`linksim.ber_model.make_ber_model`); ``anchor``
    (``jpeg``, ``webp``: :data:`semcodec.anchors.ANCHORS`).
Lists
    ``list_of(item, nargs="+")`` gives the ``add_argument`` keywords of a list
    option that accepts both ``--x a,b`` and ``--x a b`` (and mixtures), each
    item checked by ``item``. A token that starts as a negative number (``-6``,
    ``-6,0,6``, ``-1e-3,``: :data:`NUMBER_LIKE`; no option starts so) is a value, not an option, on
    every ``issc`` parser, so ``--x -6,0,6``, ``--x -6 0 6``, ``--x -6, 0, 6`` and
    ``--x=-6,0,6`` all give [-6, 0, 6].
Help
    :class:`DefaultsHelpFormatter` (installed on every verb by
    :mod:`scripts.cli`) appends ``(default: ...)`` to each option's help unless
    the help already says what the default is; write units in the help
    (``"transmit power [dBm]"``).
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ArgumentTypeError = argparse.ArgumentTypeError


def _bad(value: Any, valid: str) -> ArgumentTypeError:
    return ArgumentTypeError(f"{value!s} is invalid: must be {valid}")


# ----------------------------------------------------------------------------- numbers

def _int(text: str, valid: str) -> int:
    try:
        return int(text)
    except (TypeError, ValueError):
        raise _bad(repr(text) if isinstance(text, str) else text, valid) from None


def int_at_least(low: int) -> Callable[[str], int]:
    """Type: an integer >= ``low``."""
    def parse(text: str) -> int:
        v = _int(text, f"an integer >= {low}")
        if v < low:
            raise _bad(text, f"an integer >= {low}")
        return v
    parse.__name__ = f"int_at_least_{low}"
    return parse


def multiple_of(unit: int) -> Callable[[str], int]:
    """Type: a positive integer multiple of ``unit`` (e.g. crops that the codec's 64 divides)."""
    def parse(text: str) -> int:
        v = _int(text, f"a positive multiple of {unit}")
        if v < unit or v % unit:
            raise _bad(text, f"a positive multiple of {unit}")
        return v
    parse.__name__ = f"multiple_of_{unit}"
    return parse


nonneg_int = int_at_least(0)
nonneg_int.__name__ = "nonneg_int"
positive_int = int_at_least(1)
positive_int.__name__ = "positive_int"


def _float(text: str, valid: str) -> float:
    try:
        v = float(text)
    except (TypeError, ValueError):
        raise _bad(repr(text) if isinstance(text, str) else text, valid) from None
    if not math.isfinite(v):
        raise _bad(text, valid)
    return v


def float_in(lo: float = -math.inf, hi: float = math.inf, lo_open: bool = False,
             hi_open: bool = False) -> Callable[[str], float]:
    """Type: a finite float in the interval from ``lo`` to ``hi`` (open or closed ends)."""
    if lo == -math.inf and hi == math.inf:
        valid = "a finite number"
    elif hi == math.inf:
        valid = f"a finite number {'>' if lo_open else '>='} {lo:g}"
    elif lo == -math.inf:
        valid = f"a number {'<' if hi_open else '<='} {hi:g}"
    else:
        valid = f"a number in {'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"

    def parse(text: str) -> float:
        v = _float(text, valid)
        if v < lo or v > hi or (lo_open and v == lo) or (hi_open and v == hi):
            raise _bad(text, valid)
        return v
    return parse


finite_float = float_in()
finite_float.__name__ = "finite_float"
positive_float = float_in(0.0, lo_open=True)
positive_float.__name__ = "positive_float"
nonneg_float = float_in(0.0)
nonneg_float.__name__ = "nonneg_float"
probability = float_in(0.0, 1.0, lo_open=True, hi_open=True)
probability.__name__ = "probability"
unit_interval = float_in(0.0, 1.0)
unit_interval.__name__ = "unit_interval"


def power_dbm(text: str) -> float:
    """Type: a transmit power in dBm within :data:`linksim.units.POWER_DBM_RANGE`."""
    from linksim.units import POWER_DBM_RANGE

    lo, hi = POWER_DBM_RANGE
    valid = f"a transmit power in [{lo:g}, {hi:g}] dBm"
    v = _float(text, valid)
    if not lo <= v <= hi:
        raise _bad(text, valid)
    return v


# ----------------------------------------------------------------------------- paths

def existing_file(text: str) -> str:
    """Type: a path to an existing file (not a folder)."""
    p = Path(text)
    if p.is_dir():
        raise ArgumentTypeError(f"{text} is a folder: a file is expected")
    if not p.is_file():
        raise ArgumentTypeError(f"{text} does not exist")
    if not os.access(p, os.R_OK):
        raise ArgumentTypeError(f"{text} is not readable (permission denied)")
    return text


def existing_dir(text: str) -> str:
    """Type: a path to an existing folder."""
    p = Path(text)
    if p.exists() and not p.is_dir():
        raise ArgumentTypeError(f"{text} is a file: a folder is expected")
    if not p.is_dir():
        raise ArgumentTypeError(f"folder {text} does not exist")
    return text


def _binary_reason(path: Path) -> str | None:
    """Why ``path`` is not UTF-8 text (None when its start reads as text)."""
    import gzip

    try:
        if path.name.endswith(".gz"):
            with gzip.open(path, "rb") as fh:
                head = fh.read(8192)
        else:
            with open(path, "rb") as fh:
                head = fh.read(8192)
    except (OSError, EOFError) as exc:
        return f"cannot be read ({getattr(exc, 'strerror', None) or exc})"
    if b"\0" in head:
        return "is a binary file (NUL bytes), not text"
    import codecs

    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError as exc:
        return f"is not UTF-8 text (byte 0x{head[exc.start]:02x} at offset {exc.start})"
    return None


def check_text_file(path: str | os.PathLike, what: str = "file") -> str:
    """Refuse a missing, folder or binary ``path`` with a one-line ``ValueError``."""
    p = Path(path)
    if p.is_dir():
        raise ValueError(f"{what} {p} is a folder: a text file is expected")
    if not p.is_file():
        raise FileNotFoundError(f"{what} {p} does not exist")
    why = _binary_reason(p)
    if why:
        raise ValueError(f"{what} {p} {why}")
    return str(path)


def text_file(text: str) -> str:
    """Type: an existing UTF-8 text file (TOML, CSV, corpus); binary files are refused."""
    existing_file(text)
    why = _binary_reason(Path(text))
    if why:
        raise ArgumentTypeError(f"{text} {why}")
    return text


def _parents_not_files(p: Path, text: str) -> None:
    for parent in p.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise ArgumentTypeError(f"{text} is invalid: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise ArgumentTypeError(f"{text} is invalid: {parent} is not writable")
            return


def default_out(parser: argparse.ArgumentParser) -> str:
    """The one ``--out`` rule: a verb that writes a run folder defaults to ``runs/<verb>``
    (``runs/<figure>`` for ``issc figure NAME``), where a rerun resumes; the two verbs that
    write one file (``encode``, ``decode``) require ``--out``."""
    return f"runs/{parser.prog.split()[-1]}"


def out_dir(text: str) -> str:
    """Type: an output folder (created by the verb); refuses an existing file."""
    p = Path(text)
    if p.exists():
        if not p.is_dir():
            raise ArgumentTypeError(f"{text} is an existing file: an output folder is expected")
        if not os.access(p, os.W_OK | os.X_OK):
            raise ArgumentTypeError(f"{text} is not writable (permission denied)")
        return text
    _parents_not_files(p, text)
    return text


def out_file(text: str) -> str:
    """Type: an output file; refuses an existing folder or a parent that is a file."""
    p = Path(text)
    if p.is_dir():
        raise ArgumentTypeError(f"{text} is an existing folder: an output file is expected")
    _parents_not_files(p, text)
    return text


# ----------------------------------------------------------------------------- choices

def device(text: str) -> str:
    """Type: a torch device, ``cpu``, ``cuda`` or ``cuda:N``, that this machine has."""
    name = text.strip().lower()
    if name == "cpu":
        return name
    if name != "cuda" and not (name.startswith("cuda:") and name[5:].isdigit()):
        raise _bad(repr(text), "cpu, cuda or cuda:N")
    import torch

    if not torch.cuda.is_available():
        raise ArgumentTypeError(f"{text} is invalid: torch sees no CUDA GPU on this machine "
                                f"(use --device cpu)")
    if name.startswith("cuda:") and int(name[5:]) >= torch.cuda.device_count():
        raise ArgumentTypeError(f"{text} is invalid: this machine has "
                                f"{torch.cuda.device_count()} CUDA device(s), cuda:0.."
                                f"cuda:{torch.cuda.device_count() - 1}")
    return name


def ber_model(text: str) -> str:
    """Type: a BER model of :func:`linksim.ber_model.make_ber_model` (``fbl``, ``ldpc``,
    ``ldpc-ber``)."""
    from linksim.ber_model import BER_MODELS

    name = text.strip().lower()
    if name not in BER_MODELS:
        raise _bad(repr(text), "one of " + ", ".join(BER_MODELS))
    return name


def anchor(text: str) -> str:
    """Type: a classical codec anchor of :data:`semcodec.anchors.ANCHORS` (``jpeg``, ``webp``)."""
    from semcodec.anchors import ANCHORS

    name = text.strip().lower()
    if name not in ANCHORS:
        raise _bad(repr(text), "one of " + ", ".join(ANCHORS))
    return name


# ----------------------------------------------------------------------------- lists

#: A command-line token that starts as a negative number (a number, a comma list of them, or
#: a list with a bad item, which the item type then names): argparse
#: reads a token starting with "-" as an option unless it matches its parser's
#: ``_negative_number_matcher`` (by default only "-6" or "-.5"), so "-6,0,6" or "-1e-3"
#: after a list option was refused as a missing value. :class:`scripts.cli.IsscArgumentParser`
#: installs this one.
NUMBER_LIKE = re.compile(r"^-\.?\d")


class _FlatList:
    """Type of one command-line token of a list option: ``"a,b"`` -> [item(a), item(b)]."""

    def __init__(self, item: Callable[[str], Any]) -> None:
        self.item = item
        self.__name__ = getattr(item, "__name__", "list item")

    def __call__(self, text: str) -> list[Any]:
        parts = [s.strip() for s in text.split(",")]
        if not any(parts):
            raise ArgumentTypeError(f"{text!r} is invalid: empty list item")
        return [self.item(s) for s in parts if s]


class FlattenAction(argparse.Action):
    """Store the tokens of a list option flattened: ``--x a,b c`` -> [a, b, c]."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Sequence[list[Any]] | None, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, [v for token in (values or []) for v in token])


def list_of(item: Callable[[str], Any], nargs: str = "+") -> dict[str, Any]:
    """Keywords of ``add_argument`` for a list option accepting ``a,b``, ``a b`` or both."""
    return {"nargs": nargs, "type": _FlatList(item), "action": FlattenAction}


def join_list(values: Sequence[Any] | str) -> str:
    """A list option's value as one comma-separated string (for libraries that take one)."""
    return values if isinstance(values, str) else ",".join(str(v) for v in values)


# ----------------------------------------------------------------------------- help

class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Append ``(default: X)`` to an option's help unless its help already gives one."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or "default" in text.lower():
            return text
        if action.default is None or action.default is False or action.required \
                or action.default == argparse.SUPPRESS:
            return text
        if not action.option_strings and action.nargs not in ("?", "*"):
            return text
        default = action.default
        if isinstance(default, (list, tuple)):
            shown = ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in default)
            return f"{text} (default: {shown or 'none'})"
        return f"{text} (default: %(default)s)"
