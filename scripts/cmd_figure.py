"""``issc figure NAME``: regenerate one figure of the papers (PNG + CSV + meta.json).

Each figure lives in its own ``scripts/fig_*.py`` module that declares a table
``FIGURES = {"name": (add_arguments, run), ...}``: ``add_arguments(parser)`` adds the
figure's options, ``run(args)`` computes and writes it. New figures need no edit here.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable

import scripts

FigureEntry = tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], None]]


def figure_table() -> dict[str, FigureEntry]:
    """Every figure declared by a ``scripts/fig_*.py`` module, by name."""
    table: dict[str, FigureEntry] = {}
    for info in sorted(pkgutil.iter_modules(scripts.__path__), key=lambda m: m.name):
        if info.name.startswith("fig_"):
            mod = importlib.import_module(f"scripts.{info.name}")
            for name, entry in getattr(mod, "FIGURES", {}).items():
                if name in table:
                    raise RuntimeError(f"figure {name!r} declared twice (scripts/{info.name}.py)")
                table[name] = entry
    return table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("figure", help="regenerate a figure of the papers (PNG + CSV + meta.json)")
    figs = p.add_subparsers(dest="figure", metavar="NAME")
    for name, (add_arguments, run) in sorted(figure_table().items()):
        first = (run.__doc__ or "").strip().splitlines()[0] if run.__doc__ else None
        # argparse %-formats help strings: a literal "95%" would break --help
        fp = figs.add_parser(name, help=first.replace("%", "%%") if first else None)
        add_arguments(fp)
        fp.set_defaults(func=run)
    p.set_defaults(func=_no_figure(p))


def _no_figure(p: argparse.ArgumentParser) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        names = ", ".join(sorted(figure_table())) or "none installed"
        raise ValueError(f"no figure name given; valid: {names}")
    return run
