"""The wheel carries the shipped data (issue 32 part 1): pyproject's package list covers
every code package and every data folder; the data resolver and its one-line error."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import linksim.shipped_data as lsd
import semcodec.shipped_data as ssd

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
#: data folders that stay in the repository (training only)
NOT_SHIPPED = {"photos_train_extra"}
#: which layer reads which data folder
OWNER = {"phy": "linksim", "scenarios": "linksim"}


def test_every_code_package_is_listed():
    found = {str(p.parent.relative_to(ROOT)).replace("/", ".")
             for top in ("semcodec", "linksim", "optim", "scripts")
             for p in (ROOT / top).rglob("__init__.py")}
    listed = {p for p in SETUPTOOLS["packages"] if "._data" not in p}
    assert listed == found


def test_every_data_folder_travels_in_the_wheel():
    mapped = SETUPTOOLS["package-dir"]
    for folder in sorted(p for p in (ROOT / "data").iterdir() if p.is_dir()):
        if folder.name in NOT_SHIPPED:
            continue
        pkg = f"{OWNER.get(folder.name, 'semcodec')}._data.{folder.name}"
        assert mapped.get(pkg) == f"data/{folder.name}", pkg
        for sub in sorted(d for d in folder.rglob("*") if d.is_dir()):
            name = pkg + "." + ".".join(sub.relative_to(folder).parts)
            assert name in SETUPTOOLS["packages"], name
        for name in [p for p in SETUPTOOLS["packages"] if p.startswith(pkg)]:
            assert SETUPTOOLS["package-data"][name] == ["*"]


@pytest.mark.parametrize("mod", [ssd, lsd], ids=["semcodec", "linksim"])
def test_data_location_rule(mod, monkeypatch, tmp_path):
    monkeypatch.delenv(mod.DATA_ENV, raising=False)
    assert mod.data_root() == ROOT / "data"  # a checkout: the repository's data/
    monkeypatch.setenv(mod.DATA_ENV, str(tmp_path))
    assert mod.shipped_path("phy/ldpc_table.json") == tmp_path / "phy" / "ldpc_table.json"
    with pytest.raises(FileNotFoundError) as err:
        mod.require_shipped(mod.shipped_path("phy/ldpc_table.json"))
    line = str(err.value)
    assert "\n" not in line and str(tmp_path / "phy" / "ldpc_table.json") in line
    assert f"data location {tmp_path}" in line and "ISSC_DATA" in line


def test_a_missing_shipped_file_names_itself_and_the_data_location(monkeypatch, tmp_path):
    import semcodec.ladder as ladder
    from linksim.farfield import scenario

    monkeypatch.setattr(ladder, "SHIPPED_CODECS", tmp_path / "codecs" / "compact")
    monkeypatch.setenv(ssd.DATA_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"shipped data file .*codecs/compact is missing "
                                                r"\(data location "):
        ladder.shipped_ladder(ladder.SHIPPED_CODECS)
    monkeypatch.setattr(scenario, "CALIBRATED_SCENARIO", tmp_path / "scenarios" / "x.toml")
    with pytest.raises(FileNotFoundError, match=r"scenarios/x.toml is missing"):
        scenario.ISSCScenario.calibrated()
