"""The one-way imports of docs/architecture.md: scripts -> optim -> (semcodec, linksim).

Every module of the four packages is parsed (ast, never imported) and each
import, absolute or relative, resolved to the top-level package it reaches.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("semcodec", "linksim", "optim", "scripts")
#: What each package must never import (docs/architecture.md, "Imports go one way").
FORBIDDEN = {
    "semcodec": {"linksim", "optim", "scripts"},
    "linksim": {"semcodec", "optim", "scripts"},
    "optim": {"scripts"},
    "scripts": set(),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_packages(source: str, module: str, is_package: bool) -> set[str]:
    """Top-level names of every module that ``source`` (module ``module``) imports."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                out.add(node.module.split(".")[0])
            else:  # relative: climb from the module's own package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                if not base:
                    raise ValueError(f"{module}: relative import above the top-level package")
                out.add(base[0])
    return out


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_every_package_is_scanned():
    names = {_module_name(p) for p in _modules()}
    assert {"semcodec.sweep", "linksim.farfield", "linksim.nearfield", "optim.ascc.design",
            "scripts.cli"} <= names
    assert len(names) > 60


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_go_one_way(path):
    module = _module_name(path)
    top = module.split(".")[0]
    reached = imported_packages(path.read_text(), module, path.name == "__init__.py")
    bad = sorted(reached & FORBIDDEN[top])
    assert not bad, f"{module} imports {bad}: {top} must not depend on them"


def test_the_checker_sees_absolute_relative_and_nested_imports():
    src = ("import linksim.units\nfrom optim.ascc import design\n"
           "def f():\n    from scripts import cli\n    from ..linksim import phy\n")
    assert imported_packages(src, "semcodec.text.bleu", False) == {"linksim", "optim", "scripts",
                                                                   "semcodec"}
    assert imported_packages("from . import x\nfrom .. import y\n", "linksim.farfield", True) \
        == {"linksim"}
    with pytest.raises(ValueError, match="above the top-level package"):
        imported_packages("from ... import z\n", "linksim.farfield.hcrb", False)
