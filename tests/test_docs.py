"""The documentation of issue 32 part 5: the Sphinx build of ``make docs`` (API reference from
the docstrings, warnings as errors) and the user guide's verb table against the CLI."""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: public names the reference must describe (issue 32 part 5), as the HTML anchor ids
REQUIRED_IDS = {
    "api/semcodec.html": ["semcodec.load_codec", "semcodec.transmit", "semcodec.TransmitReport",
                          "semcodec.load_image", "semcodec.ms_ssim", "semcodec.encode_image",
                          "semcodec.ladder.shipped_ladder", "semcodec.payload.Payload",
                          "semcodec.channel.flip_bits",
                          "semcodec.distortion_model.DistortionModel"],
    "api/linksim.html": ["linksim.farfield.ISSCScenario", "linksim.farfield.ISSCScenario.hcrb",
                         "linksim.farfield.ISSCScenario.calibrated", "linksim.farfield.HCRB",
                         "linksim.nearfield.NFScenario", "linksim.phy.transmit"],
    "api/optim.html": ["optim.ascc.optimise_ascc", "optim.ascc.load_scenario",
                       "optim.ascc.ASCCProblem", "optim.ascc.verify.verify_link_design",
                       "optim.nearfield.optimise", "optim.nearfield.optimise_joint",
                       "optim.nearfield.verify_design"],
}


def sphinx_command(out: Path) -> list[str]:
    """The build of ``make docs`` (same flags), into ``out``."""
    return [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
            "-d", str(out / "doctrees"), str(DOCS), str(out / "html")]


def test_make_docs_uses_the_tested_flags() -> None:
    """The Makefile's docs target is the command this file runs (else CI tests another)."""
    make = (ROOT / "Makefile").read_text()
    assert ("python -m sphinx -W --keep-going -q -b html -d docs/_build/doctrees docs "
            "docs/_build/html") in make


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    if any(importlib.util.find_spec(m) is None for m in ("sphinx", "myst_parser")):
        pytest.fail("Sphinx / MyST missing: install the [docs] extra (make install does)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    res = subprocess.run(sphinx_command(tmp_path), cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr[-4000:]
    html = tmp_path / "html"
    for page, ids in REQUIRED_IDS.items():
        text = (html / page).read_text()
        missing = [i for i in ids if f'id="{i}"' not in text]
        assert not missing, f"{page} does not describe {missing}"
    # the index separates the user guide from the measurement pages and links both
    index = (html / "index.html").read_text()
    assert 'href="guide.html"' in index and 'href="optim_ascc.html"' in index


def cli_verbs() -> dict[str, str]:
    """``{verb: one-line help}`` of ``issc --help``."""
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {a.dest: " ".join(a.help.split()) for a in sub._choices_actions}


def test_guide_table_names_every_cli_verb() -> None:
    guide = (DOCS / "guide.md").read_text()
    section = guide[guide.index("## The command line"):guide.index("## From Python")]
    rows = re.findall(r"^\| `([a-z0-9-]+)` \| (.+?) \|$", section, re.M)
    table = dict(rows)
    verbs = cli_verbs()
    assert sorted(table) == sorted(verbs)
    for verb, line in table.items():  # the guide's line starts the CLI's own help text
        assert verbs[verb].startswith(line), (verb, line, verbs[verb])


def test_tutorials_listed_in_the_guide_exist() -> None:
    guide = (DOCS / "guide.md").read_text() + (DOCS / "index.md").read_text()
    named = set(re.findall(r"tutorials/(\w+\.ipynb)", guide))
    shipped = {p.name for p in (DOCS / "tutorials").glob("*.ipynb")}
    assert named == shipped and len(shipped) == 3
