"""Write the TOML key tables of the docs from the schemas (``python -m scripts.schema_docs``).

Each table sits between marker comments (:func:`linksim.schema.generated_markers`) in its
page; tests/test_hostile_schemas.py fails when a page differs from what this writes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from linksim.farfield import scenario_schema as far
from linksim.nearfield import scenario_schema as near
from linksim.schema import replace_section
from optim.ascc import inputs as ascc

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: (page, section name, table renderer)
SECTIONS: list[tuple[str, str, Callable[[], str]]] = [
    ("linksim_issc.md", "issc scenario keys", far.docs_table),
    ("optim_ascc.md", "ascc table keys", ascc.docs_table),
    ("linksim_nearfield.md", "nf scenario keys", near.docs_table),
]


def rendered() -> dict[Path, str]:
    """Every docs page with a generated section, as it should read."""
    pages: dict[Path, str] = {}
    for page, name, render in SECTIONS:
        path = DOCS / page
        text = pages.get(path, path.read_text())
        pages[path] = replace_section(text, name, render())
    return pages


def main() -> int:
    changed = [p for p, text in rendered().items() if p.read_text() != text]
    for p, text in rendered().items():
        if p in changed:
            p.write_text(text)
    print("updated: " + (", ".join(p.name for p in changed) if changed else "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
