"""Every paper equation is findable by grepping ``eq. (N)`` (docs/design.md, introduction).

Ranges and lists ("eqs. (11)-(12)") and citations without parentheses ("eq. 28c")
hide the equations they span from ``grep "eq. (12)"``. The scan covers the
files listed in ``SCOPE``; widen it as the other parts adopt the convention.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCOPE = ["semcodec", "scripts", "linksim", "optim", "data/scenarios",
         "docs", "README.md"]
HIDING = [
    re.compile(r"\b[Ee]qs\."),  # a range or list of equations
    re.compile(r"\b[Ee]q\.\s*\d|\b[Ee]q\s+\(?\d"),  # no parentheses: "eq. 28c", "eq 7"
    re.compile(r"\b[Ee]q\.\s*\(\d+[a-z]?\)\s*[-\u2013]\s*\(?\d"),  # "eq. (3)-(4)"
]
#: (file, text) kept on purpose: the nf-fresnel figure legend as shipped (a comment
#: beside it names NF eq. (8) and NF eq. (9)).
ALLOWED = {("scripts/cmd_nf_crb.py", '"Fresnel, eqs. (8)-(9) as printed"')}


def _files() -> list[Path]:
    out = []
    for entry in SCOPE:
        p = ROOT / entry
        out += [p] if p.is_file() else sorted(
            q for q in p.rglob("*") if q.suffix in (".py", ".toml", ".md"))
    return out


def hiding_citations(text: str) -> list[str]:
    """Lines of ``text`` that cite equations in a form ``grep "eq. (N)"`` misses."""
    return [line.strip() for line in text.splitlines() if any(p.search(line) for p in HIDING)]


def test_the_scan_sees_ranges_lists_and_bare_numbers():
    text = "ASCC eqs. (11)-(12)\nNF eq. 28c\nASCC eq. (3)-(4)\nASCC eq. (7) and NF eq. (16)\n"
    assert hiding_citations(text) == ["ASCC eqs. (11)-(12)", "NF eq. 28c", "ASCC eq. (3)-(4)"]
    assert hiding_citations("eq4_ber, key eq19, Prop. 3.1, ASCC eq. (35), eq. (36)") == []


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_equation_is_cited_one_by_one(path):
    rel = path.relative_to(ROOT).as_posix()
    bad = [line for line in hiding_citations(path.read_text())
           if not any(rel == f and t in line for f, t in ALLOWED)]
    assert not bad, f"{rel}: cite each equation as 'eq. (N)': {bad}"
