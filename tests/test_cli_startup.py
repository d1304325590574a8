"""``issc --help`` starts without the heavy libraries (issue 32: the CLI starts in a second).

Timing is not asserted (machines differ); what makes start-up slow is: building the parser
must not import torch, cvxpy, Sionna (nor CompressAI, matplotlib, Ray). Checked in a fresh
interpreter, since this test process may have imported them already.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "cvxpy", "sionna", "compressai", "matplotlib", "ray", "tensorflow")


def _fresh(code: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def test_building_the_parser_imports_no_heavy_library():
    r = _fresh("import json, sys\n"
               "import scripts.cli as cli\n"
               "cli.build_parser()\n"
               f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout.strip().splitlines()[-1]) == []


def test_verb_help_imports_no_heavy_library():
    # every verb's --help (and a figure's) runs only the parser, never a verb's imports
    r = _fresh("import contextlib, io, json, sys\n"
               "import scripts.cli as cli\n"
               "codes = []\n"
               "for argv in (['--help'], ['ascc', '--help'], ['phy-ber', '--help'],\n"
               "             ['train', '--help'], ['figure', 'ascc-3', '--help']):\n"
               "    with contextlib.redirect_stdout(io.StringIO()):\n"
               "        codes.append(cli.main(argv))\n"
               f"print(json.dumps([codes, [m for m in {HEAVY!r} if m in sys.modules]]))\n")
    assert r.returncode == 0, r.stderr
    codes, heavy = json.loads(r.stdout.strip().splitlines()[-1])
    assert codes == [0] * 5
    assert heavy == []


def test_phy_table_help_states_the_library_default():
    from linksim.phy_table import DEFAULT_RCS
    from scripts.cmd_phy_table import DEFAULT_RCS_SHOWN

    assert [float(v) for v in DEFAULT_RCS_SHOWN.split(",")] == list(DEFAULT_RCS)


# ----------------------------------------------------------------------------- --version
def _pyproject_version() -> str:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_version_prints_the_package_version_and_commit(capsys):
    from scripts import cli

    assert cli.main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    assert out.startswith(f"issc {_pyproject_version()} (git {head}")
    assert out.endswith(")") and len(out.splitlines()) == 1


def test_version_without_package_metadata_reads_pyproject(monkeypatch):
    import importlib.metadata as md

    from scripts import cli

    def missing(name: str) -> str:
        raise md.PackageNotFoundError(name)

    monkeypatch.setattr(md, "version", missing)
    assert cli.package_version() == _pyproject_version()


def test_version_outside_git_names_no_commit(monkeypatch):
    import semcodec.runinfo
    from scripts import cli

    monkeypatch.setattr(semcodec.runinfo, "git_commit", lambda path=None: "unknown")
    assert cli.version_text() == f"issc {cli.package_version()}"


# ----------------------------------------------------------------------------- list options
@pytest.mark.parametrize("argv", [
    ["--pt-dbm", "-6,0,6"],
    ["--pt-dbm", "-6", "0", "6"],
    ["--pt-dbm", "-6,", "0,", "6"],          # the shell's split of: --pt-dbm -6, 0, 6
    ["--pt-dbm", "-6, 0, 6"],                # quoted
    ["--pt-dbm=-6,0,6"],
])
def test_ascc_list_with_a_leading_negative_number_parses(argv):
    from optim.ascc.inputs import float_list
    from scripts.cli import build_parser

    args = build_parser().parse_args(["ascc", *argv, "--out", "x"])
    assert float_list(args.pt_dbm, "pt-dbm") == [-6.0, 0.0, 6.0]


def test_readme_example_runs_past_the_parser(capsys):
    # the README's `issc ascc --pt-dbm -6,0,6`: refused before the fix as
    # "expected at least one argument"; with a bad --abr it now reaches the library's check
    from scripts.cli import main

    assert main(["ascc", "--pt-dbm", "-6,0,6", "--abr", "0", "--out", "x"]) == 2
    err = capsys.readouterr().err
    assert "expected" not in err and "abr value 0" in err


@pytest.mark.parametrize("verb, opt, argv, want", [
    (["figure", "ascc-front"], "pt_dbm", ["--pt-dbm", "-10", "5"], [-10.0, 5.0]),
    (["figure", "ascc-front"], "pt_dbm", ["--pt-dbm", "-10,5"], [-10.0, 5.0]),
    (["figure", "ascc-3"], "pt_dbm", ["--pt-dbm", "-2", "2"], [-2.0, 2.0]),
    (["figure", "ascc-4"], "abr", ["--abr", "0.1", "0.2"], [0.1, 0.2]),
    (["figure", "djscc-vs-digital"], "sinr_db", ["--sinr-db", "-5", "0,5"], [-5.0, 0.0, 5.0]),
    (["figure", "djscc-vs-digital"], "abr", ["--abr", "0.1", "0.2"], [0.1, 0.2]),
    (["figure", "nf-5"], "ranges", ["--ranges", "0.02,0.05", "0.1"], [0.02, 0.05, 0.1]),
    (["phy-table"], "rc", ["--rc", "0.5,1", "2"], [0.5, 1.0, 2.0]),
    (["phy-ber"], "sinr_db", ["--sinr-db", "-2", "-1e-1"], [-2.0, -0.1]),
])
def test_list_options_take_commas_spaces_and_negatives(verb, opt, argv, want):
    from scripts.cli import build_parser

    args = build_parser().parse_args([*verb, *argv, "--out", "x"])
    assert getattr(args, opt) == pytest.approx(want)


def test_a_bad_list_item_is_one_line_naming_it(capsys):
    from scripts.cli import main

    assert main(["figure", "ascc-front", "--pt-dbm", "-5,x", "--out", "x"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'x' is invalid" in err


# ----------------------------------------------------------------------------- help defaults
def _shown_values(text: str) -> list[float]:
    import re

    m = re.fullmatch(r"(-?[\d.]+) to (-?[\d.]+) in steps of ([\d.]+)", text)
    if m:
        lo, hi, step = (float(g) for g in m.groups())
        return [lo + k * step for k in range(round((hi - lo) / step) + 1)]
    return [float(v) for v in text.split(",")]


def test_ascc_help_states_the_shipped_scenario_defaults(capsys):
    from optim.ascc.inputs import DEFAULT_SCENARIO, figure_defaults
    from scripts.cli import main
    from scripts.cmd_ascc import SHIPPED_ASCC

    shipped = figure_defaults(DEFAULT_SCENARIO)
    assert _shown_values(SHIPPED_ASCC["pt_dbm"]) == pytest.approx(shipped["pt_dbm"])
    assert _shown_values(SHIPPED_ASCC["abr"]) == pytest.approx(shipped["abr"])
    assert _shown_values(SHIPPED_ASCC["pi_m2"]) == pytest.approx([shipped["pi_m2"]])
    assert main(["ascc", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    for key in ("pt_dbm", "abr", "pi_m2"):
        assert (f"default: from the scenario's [ascc] {key}, shipped: {SHIPPED_ASCC[key]}"
                in help_text)
