"""Hostile scenario TOMLs, ladders and PHY-table requests (issue 28, build item 2).

Every case goes through the ``issc`` CLI and must end with exit status 2, exactly one line
on stderr naming the file and the dotted key, no traceback, and no ``--out`` left behind.
Then the schemas themselves (fast, no CLI): shipped and older files still load, strict
types, and the docs' key tables are exactly what the schemas generate.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from linksim.farfield import ISSCScenario
from linksim.nearfield import NFScenario
from linksim.phy_table import SHIPPED_TABLE, check_request, load_table
from linksim.schema import markdown_table
from optim.ascc.inputs import figure_defaults, load_scenario
from scripts.cli import main
from semcodec.ladder import SHIPPED_CODECS, read_ladder_index

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "data" / "scenarios"

ISSC = "[issc]\n"
#: (case id, TOML text, the dotted key the line must name); run with `issc hcrb`
FAR_FIELD = [
    ("bool-as-string", ISSC + 'beta_position_derivative = "no"\n',
     "issc.beta_position_derivative"),
    ("int-as-string", ISSC + 'n_t = "4"\n', "issc.n_t"),
    ("int-as-list", ISSC + "n_t = [4]\n", "issc.n_t"),
    ("int-as-float", ISSC + "n_t = 4.0\n", "issc.n_t"),
    ("int-as-bool", ISSC + "n_r = true\n", "issc.n_r"),
    ("int-zero", ISSC + "n_t = 0\n", "issc.n_t"),
    ("huge-float-count", ISSC + "num_samples = 1e11\n", "issc.num_samples"),
    ("blocklength-half", ISSC + "blocklength = 0.5\n", "issc.blocklength"),
    ("number-as-bool", ISSC + "noise_cre_dbm = true\n", "issc.noise_cre_dbm"),
    ("number-as-string", ISSC + 'beta_s = "0.6"\n', "issc.beta_s"),
    ("inf", ISSC + "sigma_delta_s = inf\n", "issc.sigma_delta_s"),
    ("nan", ISSC + "bandwidth_hz = nan\n", "issc.bandwidth_hz"),
    ("negative", ISSC + "sigma_delta_s = -1e-9\n", "issc.sigma_delta_s"),
    ("nan-in-position", ISSC + "target_position = [nan, 1.0]\n", "issc.target_position[0]"),
    ("scalar-for-list", ISSC + "target_position = 1.0\n", "issc.target_position"),
    ("nested-list", ISSC + "target_position = [[1.0, 2.0], [3.0, 4.0]]\n",
     "issc.target_position[0]"),
    ("list-too-long", ISSC + "tr_position = [0.0, 0.0, 0.0]\n", "issc.tr_position"),
    ("bad-choice", ISSC + 'frequency_grid = "odd"\n', "issc.frequency_grid"),
    ("unknown-key", ISSC + "bogus = 1\n", "issc.bogus"),
    ("unknown-key-flat", "n_t = 4\nbogus = 1\n", "bogus"),
    ("table-plus-top-level", "n_t = 8\n" + ISSC + "n_r = 4\n", "n_t"),
    ("unknown-table-shadowing", ISSC + "n_t = 4\n[extra]\nn_t = 16\n", "[extra]"),
    ("unknown-table-flat", "n_t = 4\n[radar]\nn_r = 2\n", "[radar]"),
    ("issc-not-a-table", 'issc = "x"\n', "issc"),
    ("watts-and-dbm", ISSC + "noise_cre_w = 1e-8\nnoise_cre_dbm = -50.0\n",
     "issc.noise_cre_w"),
    ("watts-zero", ISSC + "noise_sre_w = 0.0\n", "issc.noise_sre_w"),
    ("zero-distance", ISSC + "target_position = [0.0, 0.0]\n", "issc.target_position"),
]
ASCC_TABLE = ISSC + "n_t = 4\n[ascc]\n"
#: run with `issc ascc`: the [ascc] table is checked with the scenario, before any work
ASCC = [
    ("pt-bool-list", ASCC_TABLE + "pt_dbm = [true]\n", "ascc.pt_dbm[0]"),
    ("pt-scalar", ASCC_TABLE + "pt_dbm = 5\n", "ascc.pt_dbm"),
    ("pt-nested", ASCC_TABLE + "pt_dbm = [[1.0, 2.0]]\n", "ascc.pt_dbm[0]"),
    ("pt-empty", ASCC_TABLE + "pt_dbm = []\n", "ascc.pt_dbm"),
    ("pt-inf", ASCC_TABLE + "pt_dbm = [0.0, inf]\n", "ascc.pt_dbm[1]"),
    ("abr-zero", ASCC_TABLE + "abr = [0.0]\n", "ascc.abr[0]"),
    ("pi-inf", ASCC_TABLE + "pi_m2 = inf\n", "ascc.pi_m2"),
    ("pi-string", ASCC_TABLE + 'pi_m2 = "400"\n', "ascc.pi_m2"),
    ("ascc-unknown-key", ASCC_TABLE + "pi = 400.0\n", "ascc.pi"),
    ("ascc-not-a-table", ISSC + "n_t = 4\n" + "[ascc_x]\npi_m2 = 1.0\n", "[ascc_x]"),
    ("issc-bool-in-ascc-file", ISSC + 'beta_position_derivative = "no"\n',
     "issc.beta_position_derivative"),
]
#: run with `issc nf`
NEAR_FIELD = [
    ("t-max-inf", "[computing]\nt_max_s = inf\n", "computing.t_max_s"),
    ("carrier-inf", "[array]\ncarrier_ghz = inf\n", "array.carrier_ghz"),
    ("angle-nan", "[users]\nusers_theta_deg = [nan, 80.0, 95.0, 110.0, 125.0]\n",
     "users.users_theta_deg[0]"),
    ("angle-out-of-range", "[users]\nusers_phi_deg = [80.0, 95.0, 85.0, 100.0, 270.0]\n",
     "users.users_phi_deg[4]"),
    ("distance-inf", "[users]\nusers_d_m = [inf, 6.0, 5.0, 7.0, 3.5]\n", "users.users_d_m[0]"),
    ("distance-nan", "[targets]\ntargets_d_m = [nan, 6.0]\n", "targets.targets_d_m[0]"),
    ("scalar-for-list", "[targets]\ntargets_d_m = 5.0\n", "targets.targets_d_m"),
    ("int-as-string", '[array]\nn_tx = "3"\n', "array.n_tx"),
    ("int-as-float", "[array]\nn_tx = 3.0\n", "array.n_tx"),
    ("int-as-list", "[array]\nn_tx = [3]\n", "array.n_tx"),
    ("count-as-bool", "[signal]\nframes = true\n", "signal.frames"),
    ("huge-float-count", "[targets]\nscatterers_per_target = 1e8\n",
     "targets.scatterers_per_target"),
    ("number-as-bool", "[signal]\npower_budget_dbm = true\n", "signal.power_budget_dbm"),
    ("bad-choice", '[array]\nphase_model = "paraxial"\n', "array.phase_model"),
    ("bleu-above-one", "[semantic]\nbleu_floor = 2.0\n", "semantic.bleu_floor"),
    ("genre-not-string", "[semantic]\nusers_genre = [1, 2]\n", "semantic.users_genre[0]"),
    ("unknown-key", "[array]\nnum_antennas = 9\n", "array.num_antennas"),
    ("unknown-table", "[radar]\nn_tx = 2\n", "[radar]"),
    ("key-in-two-tables", "[array]\nn_tx = 3\n[signal]\nn_tx = 2\n", "signal.n_tx"),
    ("top-level-and-table", "n_tx = 2\n[array]\nn_tx = 3\n", "array.n_tx"),
    ("nested-table", "[array]\nn_tx = 3\n[array.more]\nn_tz = 2\n", "[array.more]"),
    ("old-and-new-power", "tx_power_dbm = 20.0\n[signal]\npower_budget_dbm = 25.0\n",
     "signal.power_budget_dbm"),
    ("old-and-new-pitch", "[array]\ntx_spacing_m = 0.05\ntx_spacing_x_m = 0.05\n",
     "array.tx_spacing_x_m"),
    ("old-xi-without-normalisation", "[signal]\ncrb_limit = 0.5\n", "signal.crb_limit"),
    ("frames-too-few", "[signal]\nframes = 9\n", "signal.frames"),
]


def _one_line_refusal(argv: list[str], capsys, needles: list[str]) -> str:
    """Run the CLI in-process; the refusal must be exit 2 and one line holding ``needles``."""
    code = main(argv)
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.mark.parametrize("text, key", [c[1:] for c in FAR_FIELD], ids=[c[0] for c in FAR_FIELD])
def test_far_field_scenario_is_refused_in_one_line(text, key, tmp_path, capsys):
    scn, out = tmp_path / "scn.toml", tmp_path / "out"
    scn.write_text(text)
    _one_line_refusal(["hcrb", "--scenario", str(scn), "--out", str(out)], capsys,
                      [str(scn), key])
    assert not out.exists()


@pytest.mark.parametrize("text, key", [c[1:] for c in ASCC], ids=[c[0] for c in ASCC])
def test_ascc_scenario_tables_are_refused_in_one_line(text, key, tmp_path, capsys):
    scn, out = tmp_path / "scn.toml", tmp_path / "out"
    scn.write_text(text)
    _one_line_refusal(["ascc", "--scenario", str(scn), "--out", str(out)], capsys,
                      [str(scn), key])
    assert not out.exists()


@pytest.mark.parametrize("text, key", [c[1:] for c in NEAR_FIELD],
                         ids=[c[0] for c in NEAR_FIELD])
def test_near_field_scenario_is_refused_in_one_line(text, key, tmp_path, capsys):
    scn, out = tmp_path / "scn.toml", tmp_path / "out"
    scn.write_text(text)
    _one_line_refusal(["nf", "--scenario", str(scn), "--out", str(out)], capsys,
                      [str(scn), key])
    assert not out.exists()


def test_the_string_no_is_not_read_as_true(tmp_path):
    """The issue's silent wrong result: "no" ran with the derivative on (HCRB 36.5 m^2)."""
    f = tmp_path / "s.toml"
    f.write_text(ISSC + 'beta_position_derivative = "no"\n')
    with pytest.raises(ValueError, match=r"beta_position_derivative='no' is invalid: must be "
                                         r"true or false"):
        ISSCScenario.from_toml(f)
    with pytest.raises(ValueError, match="true or false"):
        ISSCScenario(beta_position_derivative="no")
    f.write_text(ISSC + "beta_position_derivative = false\n")
    assert ISSCScenario.from_toml(f).beta_position_derivative is False


def test_a_refusal_in_a_fresh_process_has_no_traceback(tmp_path):
    scn = tmp_path / "scn.toml"
    scn.write_text(ISSC + 'n_t = "4"\n')
    r = subprocess.run([sys.executable, "-m", "scripts.cli", "hcrb", "--scenario", str(scn),
                        "--out", str(tmp_path / "out")], capture_output=True, text=True,
                       cwd=REPO)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == (f"issc hcrb: error: {scn}: issc.n_t='4' is invalid: must be "
                                "an integer >= 1")


# ------------------------------------------------------------------ phy-table requests
@pytest.mark.parametrize("extra, needle", [
    (["--below-db", "3", "--above-db=-5"], "above_db=-5.0 is invalid with below_db=3.0"),
    (["--below-db=-2", "--above-db", "1"], "above_db=1.0 is invalid with below_db=-2.0"),
    (["--below-db=-1", "--above-db", "1"], "window"),
    (["--finalize"], "finalize is invalid"),
    (["--deep", "0", "1e6"], "deep=0.0"),
    (["--deep", "0.5", "nan"], "deep=0.5"),
], ids=["swapped-window", "window-above-limit", "window-one-point-wide", "finalize-nothing",
        "deep-rate-zero", "deep-bits-nan"])
def test_phy_table_requests_that_would_write_an_empty_table(extra, needle, tmp_path, capsys):
    out = tmp_path / "out"
    _one_line_refusal(["phy-table", "--rc", "0.5", "--out", str(out), "--no-progress", *extra],
                      capsys, [needle])
    assert not out.exists()


def test_finalize_on_a_folder_without_points_of_the_rates_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "points.csv").write_text("rc,rc_eff,k,n,bits_per_symbol,code_rate,sinr_db,ber,bler,"
                                    "bit_errors,bits,block_errors,blocks\n"
                                    "1.0,1.0,256,512,2,0.5,-0.5,0.19,1.0,9958,51200,200,200\n")
    before = sorted(p.name for p in out.iterdir())
    _one_line_refusal(["phy-table", "--rc", "0.5", "--out", str(out), "--finalize",
                       "--no-progress"], capsys, ["finalize is invalid", "points.csv"])
    assert sorted(p.name for p in out.iterdir()) == before
    check_request(out, [1.0], 0.5, 0.5, 6.0, True)  # the measured rate may be finalized


def test_a_damaged_points_csv_names_the_file_and_row(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "points.csv").write_text("rc,rc_eff,k,n,bits_per_symbol,code_rate,sinr_db,ber,bler,"
                                    "bit_errors,bits,block_errors,blocks\n"
                                    "1.0,1.0,256,512,2,0.5,-0.5,1.7,1.0,9958,51200,200,200\n")
    with pytest.raises(ValueError, match=r"points.csv row 2: ber=1.7 is invalid"):
        check_request(out, [1.0], 0.5, 0.5, 6.0, True)


def _table_with(tmp_path: Path, change) -> Path:
    doc = json.loads(SHIPPED_TABLE.read_text())
    change(doc)
    p = tmp_path / "ldpc_table.json"
    p.write_text(json.dumps(doc))
    return p


@pytest.mark.parametrize("change, needle", [
    (lambda d: d.update(points=[]), "points=[] is invalid"),
    (lambda d: d["points"][3].update(ber="0.1"), "points[3].ber='0.1' is invalid"),
    (lambda d: d["points"][0].update(blocks=True), "points[0].blocks=true is invalid"),
    (lambda d: d["points"][0].pop("bler"), "points[0].bler is missing"),
    (lambda d: d.update(blocklength=256.5), "blocklength=256.5 is invalid"),
    (lambda d: d.update(extra=1), "extra is not a valid key"),
    (lambda d: d.update(version=2), "has version 2: this build reads <= 1"),
    (lambda d: d.update(kind="other"), "is not an `issc phy-table` ldpc_table.json"),
], ids=["no-points", "string-ber", "bool-count", "missing-column", "float-blocklength",
        "unknown-key", "newer-version", "other-kind"])
def test_a_bad_ldpc_table_is_refused_naming_file_and_key(change, needle, tmp_path):
    p = _table_with(tmp_path, change)
    with pytest.raises(ValueError) as info:
        load_table(p)
    msg = str(info.value)
    assert needle in msg and str(p) in msg and "\n" not in msg


# ---------------------------------------------------------------------- ladders
@pytest.fixture(scope="module")
def ckpts(tmp_path_factory) -> dict[str, Path]:
    """Small checkpoints (untrained) whose metadata a hostile user may have edited."""
    from semcodec.checkpoint import save_checkpoint
    from semcodec.zoo import build_model

    root = tmp_path_factory.mktemp("ckpts")
    compact, big = build_model("compact"), build_model("bmshj2018")
    specs = {"c1": ("compact", 0.01), "c2": ("compact", 0.02), "b3": ("bmshj2018", 0.03),
             "c4": ("compact", 0.04), "lam_bool": ("compact", True),
             "lam_str": ("compact", "0.05"), "lam_nan": ("compact", math.nan)}
    out = {}
    for name, (preset, lam) in specs.items():
        out[name] = root / f"{name}.ckpt"
        save_checkpoint(out[name], big if preset == "bmshj2018" else compact,
                        {"preset": preset, "lambda": lam, "steps": 7})
    return out


@pytest.mark.parametrize("names, needles", [
    (["b3", "c4"], ["preset must not shrink", "c4.ckpt", "valid: presets in the order"]),
    (["c2", "c1"], ["lambda must increase along the ladder: q2", "c1.ckpt"]),
    (["c1", "lam_bool"], ["lam_bool.ckpt", "lambda=True is invalid"]),
    (["c1", "lam_str"], ["lam_str.ckpt", "lambda='0.05' is invalid"]),
    (["lam_nan"], ["lam_nan.ckpt", "lambda=nan is invalid"]),
], ids=["shrinking-preset", "lambda-decreasing", "lambda-bool", "lambda-string", "lambda-nan"])
def test_install_ladder_refuses_before_touching_dest(names, needles, ckpts, tmp_path, capsys):
    dest = tmp_path / "ladder"
    _one_line_refusal(["install-ladder", *[str(ckpts[n]) for n in names], "--dest", str(dest)],
                      capsys, needles)
    assert not dest.exists()


def test_install_ladder_writes_an_index_its_reader_accepts(ckpts, tmp_path, capsys):
    """A preset may grow with the rate (the shipped ladder's q5, q6 are bmshj2018)."""
    dest = tmp_path / "ladder"
    assert main(["install-ladder", str(ckpts["c1"]), str(ckpts["c2"]), str(ckpts["b3"]),
                 "--dest", str(dest)]) == 0
    index = read_ladder_index(dest)
    assert [(r.file, r.preset, r.lmbda) for r in index.models] == [
        ("q1.ckpt", "compact", 0.01), ("q2.ckpt", "compact", 0.02),
        ("q3.ckpt", "bmshj2018", 0.03)]


@pytest.mark.parametrize("change, needle", [
    (lambda d: d["models"][1].update(sha256="xyz"), "models[1].sha256='xyz' is invalid"),
    (lambda d: d["models"][1].update({"lambda": 0.0001}), "lambda must increase"),
    (lambda d: d["models"][0].update(preset="huge"), "models[0].preset='huge' is invalid"),
    (lambda d: d["models"][0].update(model=2), "must be model 1, file 'q1.ckpt'"),
    (lambda d: d["models"][0].update(steps=1.5), "models[0].steps=1.5 is invalid"),
    (lambda d: d["models"][0].update(colour="red"), "models[0].colour is not a valid key"),
    (lambda d: d.update(models=[]), "models=[] is invalid"),
    (lambda d: d["models"][4].update(preset="compact") or d["models"][5].update(
        preset="compact") or d["models"][3].update(preset="bmshj2018"),
     "preset must not shrink"),
], ids=["bad-sha", "lambda-order", "unknown-preset", "numbering", "float-steps",
        "unknown-key", "no-models", "shrinking-preset"])
def test_a_hand_edited_ladder_index_is_refused(change, needle, tmp_path):
    doc = json.loads((SHIPPED_CODECS / "ladder.json").read_text())
    change(doc)
    (tmp_path / "ladder.json").write_text(json.dumps(doc))
    with pytest.raises(ValueError) as info:
        read_ladder_index(tmp_path)
    assert needle in str(info.value) and "ladder.json" in str(info.value)
    assert "\n" not in str(info.value)


def test_a_ladder_index_that_lists_other_files_than_the_folder_holds(tmp_path):
    from semcodec.ladder import shipped_ladder

    doc = json.loads((SHIPPED_CODECS / "ladder.json").read_text())
    doc["models"] = doc["models"][:2]
    (tmp_path / "ladder.json").write_text(json.dumps(doc))
    for i in (1, 2, 3):
        (tmp_path / f"q{i}.ckpt").write_bytes(b"")
    with pytest.raises(ValueError, match=r"ladder.json: models lists \['q1.ckpt', 'q2.ckpt'\] "
                                         r"but the folder holds"):
        shipped_ladder(tmp_path)


# ------------------------------------------------------- what still loads (older files)
@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("issc_*.toml")), ids=lambda p: p.name)
def test_shipped_far_field_scenarios_load(path):
    assert load_scenario(path) == ISSCScenario.from_toml(path)
    figure_defaults(path)


@pytest.mark.filterwarnings("ignore:.*Rayleigh distance")  # the fixed UPAs' far field
@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("nf_*.toml")), ids=lambda p: p.name)
def test_shipped_near_field_scenarios_load(path):
    NFScenario.from_toml(path)


def test_shipped_ladder_index_and_phy_table_load():
    index = read_ladder_index(SHIPPED_CODECS)
    assert [r.file for r in index.models] == [f"q{i}.ckpt" for i in range(1, 7)]
    assert len(load_table()["points"]) > 0


#: nf_default.toml as the first version wrote it (commit 8d55f75): older key spellings, and
#: xi = 0.5 in NF eq. (16)'s printed units (there was no crb_normalisation yet)
FIRST_NF_FILE = """notes = "NF Table I"
[array]
carrier_ghz = 50.0
n_tx = 3
n_tz = 3
n_rx = 5
n_rz = 5
tx_spacing_m = 0.05
rx_spacing_wavelengths = 0.5
phase_model = "exact"
[signal]
frames = 100
tx_power_dbm = 25.0
noise_comm_dbm = -30.0
noise_radar_dbm = -40.0
crb_limit = 0.5
[computing]
t_max_s = 0.1
data_bits = 0.5e6
"""


def test_the_first_near_field_file_says_how_to_keep_its_meaning(tmp_path):
    f = tmp_path / "old.toml"
    f.write_text(FIRST_NF_FILE)
    with pytest.raises(ValueError, match=r"old.toml: signal.crb_limit=0.5 is invalid: .*add "
                                         r"crb_normalisation = \"none\""):
        NFScenario.from_toml(f)
    f.write_text(FIRST_NF_FILE.replace("crb_limit = 0.5", 'crb_limit = 0.5\n'
                                       'crb_normalisation = "none"'))
    scn = NFScenario.from_toml(f)
    assert (scn.power_budget_dbm, scn.tx_spacing_x_m, scn.tx_spacing_z_m) == (25.0, 0.05, 0.05)


def test_a_flat_far_field_file_and_watts_still_load(tmp_path):
    f = tmp_path / "flat.toml"
    f.write_text("n_t = 8\nnoise_sre_w = 1e-9\ntarget_position = [80.0, -20.0]\n")
    scn = ISSCScenario.from_toml(f)
    assert (scn.n_t, scn.target_position) == (8, (80.0, -20.0))
    assert scn.noise_sre_dbm == pytest.approx(-60.0)


def test_a_ladder_index_written_before_presets_were_recorded_loads(tmp_path):
    """ladder.json of commit a665b28: no preset per model, no "installed" record."""
    doc = json.loads((SHIPPED_CODECS / "ladder.json").read_text())
    doc.pop("installed")
    rows = doc["models"][:4]
    for r in rows:
        r.pop("preset")
    (tmp_path / "ladder.json").write_text(json.dumps({"models": rows}))
    assert [r.preset for r in read_ladder_index(tmp_path).models] == [None] * 4


# ------------------------------------------------------------------- schema level
def test_programmatic_construction_is_validated_and_accepts_numpy_and_tuples():
    scn = ISSCScenario(n_t=np.int64(6), sigma_delta_s=np.float64(1e-9),
                       target_position=np.array([90.0, 40.0]))
    assert (scn.n_t, type(scn.n_t), scn.target_position) == (6, int, (90.0, 40.0))
    assert ISSCScenario.from_dict(scn.to_dict()) == scn  # tuples from to_dict
    assert ISSCScenario.from_dict(json.loads(json.dumps(scn.to_dict()))) == scn  # lists
    for bad, key in ((dict(n_t=True), "n_t=true"), (dict(beta_s=float("inf")), "beta_s=inf"),
                     (dict(cre_position=(1.0,)), "cre_position=[1.0]")):
        with pytest.raises(ValueError, match=re.escape(key)):
            ISSCScenario(**bad)
    nf = NFScenario(users_d_m=np.array([4.0, 6.0, 5.0, 7.0, 3.5]), frames=np.int64(120))
    assert nf.users_d_m == (4.0, 6.0, 5.0, 7.0, 3.5) and nf.frames == 120
    assert NFScenario(**json.loads(json.dumps(nf.to_dict()))) == nf
    with pytest.raises(ValueError, match=r"targets_phi_deg\[0\]=nan"):
        NFScenario(targets_phi_deg=[math.nan, 88.0])


def test_overrides_go_through_the_schema_too(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(ISSC + "n_t = 4\n")
    assert ISSCScenario.from_toml(f, n_r=2).n_r == 2
    with pytest.raises(ValueError, match=r"n_r='2' is invalid"):
        ISSCScenario.from_toml(f, n_r="2")
    with pytest.raises(ValueError, match=r"n_tx=2.0 is invalid"):
        NFScenario.from_toml(SCENARIOS / "nf_default.toml", n_tx=2.0)


def test_markdown_table_says_type_range_unit_and_default():
    from linksim.nearfield.scenario_schema import NFScenarioSchema

    table = markdown_table(NFScenarioSchema, {"t_max_s": 0.1}, tables=True)
    assert ("| `t_max_s` | [computing] | a finite number > 0 | s | `0.1` | latency limit T_max |"
            in table)
    assert "| `users_d_m` | [users] | a non-empty list of finite numbers > 0 | m |" in table


def test_docs_key_tables_are_exactly_what_the_schemas_generate():
    from scripts.schema_docs import rendered

    stale = [p.name for p, text in rendered().items() if p.read_text() != text]
    assert not stale, f"{stale} differ from the schemas: run python -m scripts.schema_docs"


# ----------------------------------------------------------------------------- grid folders

def _grid_folder(tmp_path):
    from optim.sweep.grid import grid_record, open_folder

    out = tmp_path / "grid"
    record = grid_record("w", 0, {"lam": float("nan")}, ['{"x":1}'])
    open_folder(out, record)
    return out, record


def _row(**kw):
    return json.dumps({"key": '{"x":1}', "seed": 3, "status": "ok", "error": "",
                       "values": {"v": 1.0}, "wall_s": 0.5, "where": "local"} | kw)


@pytest.mark.parametrize("line,expect", [
    (_row(key=1), "line 2: key=1 is invalid: must be a string"),
    (_row(seed="3"), "line 2: seed='3' is invalid"),
    (_row(status="done"), "line 2: status='done' is invalid: must be one of 'ok'"),
    (_row(values=[1]), "line 2: values=[1] is invalid"),
    (_row(extra=1), "line 2: extra is not a valid key"),
    ("{not json", "line 2: is not a row a sweep wrote"),
])
def test_a_hand_edited_rows_line_is_one_line_naming_file_and_line(tmp_path, line, expect):
    from optim.sweep.grid import RowLog

    out, _ = _grid_folder(tmp_path)
    (out / "rows.jsonl").write_text(_row() + "\n" + line + "\n")
    with pytest.raises(ValueError) as e:
        RowLog(out / "rows.jsonl").read()
    msg = str(e.value)
    assert "\n" not in msg and str(out / "rows.jsonl") in msg and expect in msg, msg


def test_rows_and_grid_written_by_the_engine_load_and_an_older_grid_json_too(tmp_path):
    from optim.sweep.grid import RowLog, open_folder

    out, record = _grid_folder(tmp_path)
    (out / "rows.jsonl").write_text(_row(values={"v": float("nan")}, wall_s=None) + "\n")
    (row,) = RowLog(out / "rows.jsonl").read().values()
    assert row["status"] == "ok" and row["wall_s"] is None
    old = json.loads((out / "grid.json").read_text())
    del old["paths"]  # grid.json before input and output paths were recorded (2f8073c)
    (out / "grid.json").write_text(json.dumps(old))
    open_folder(out, record)  # resumes


@pytest.mark.parametrize("edit,expect", [
    ({"seed": "0"}, "grid.json: seed='0' is invalid: must be an integer >= 0"),
    ({"version": 2}, "grid.json: version=2 is invalid: this issc reads grid folders of "
                     "version 1"),
    ({"points": "x"}, "grid.json: points='x' is invalid"),
    ({"worker": None}, "grid.json: worker=(unset) is invalid"),
])
def test_a_hand_edited_grid_json_is_one_line(tmp_path, edit, expect):
    from optim.sweep.grid import open_folder

    out, record = _grid_folder(tmp_path)
    g = json.loads((out / "grid.json").read_text()) | edit
    (out / "grid.json").write_text(json.dumps(g))
    with pytest.raises(ValueError) as e:
        open_folder(out, record)
    assert "\n" not in str(e.value) and expect in str(e.value), str(e.value)
    (out / "grid.json").write_bytes(b"\xff\xfe")
    with pytest.raises(ValueError, match="grid.json: is not the grid.json a sweep wrote"):
        open_folder(out, record)


@pytest.mark.parametrize("text", ["{broken", "[1, 2]"])
def test_a_broken_sweep_json_is_one_line(tmp_path, text):
    from semcodec.sweep import claim_sweep_folder

    (tmp_path / "sweep.json").write_text(text)
    with pytest.raises(ValueError, match="sweep.json: is not the sweep.json a sweep wrote"):
        claim_sweep_folder(tmp_path, {"trials": 2})
