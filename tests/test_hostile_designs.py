"""Hostile design files: typed refusals (schema) and re-verification against the scenario.

Every hostile designs file given to ``issc e2e`` must end with exit status 2, exactly one
line on stderr that names the key or the constraint, no traceback, and no ``--out`` folder,
before any image is touched. The base design is the first design of
``tests/data/ascc_grid_serial.json`` (written by ``issc ascc``, version 1, no codec hash), and
each case changes one thing. The verifier's own numbers (power, HCRB) are checked against a
hand computation: the Slepian-Bangs FIM of the far-field echo model by finite differences.
"""

from __future__ import annotations

import copy
import csv
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from linksim.farfield import ISSCScenario
from optim.ascc import LinkDesign, load_designs, save_designs
from optim.ascc.verify import verify_designs, verify_link_design
from optim.e2e import design_at
from scripts.cli import main

REPO = Path(__file__).resolve().parent.parent
SERIAL = json.loads((REPO / "tests" / "data" / "ascc_grid_serial.json").read_text())
#: the cheapest e2e the CLI allows: one image, cropped, one trial, bit flips, one worker
CHEAP = ["--max-images", "1", "--crop", "64", "--trials", "1", "--channel", "bitflip",
         "--workers", "1", "--no-progress"]


def base_design() -> dict:
    """Design 0 of the committed serial grid: ascc, q4, P_T -3 dBm, Pi 400 m^2, fbl."""
    return copy.deepcopy(SERIAL["designs"][0])


def _scaled(d: dict, factor: float) -> dict:
    for b in ("w_c", "w_0"):
        d[b] = {k: [x * factor for x in v] for k, v in d[b].items()}
    return d


def _edit(**changes):
    def f(d: dict) -> dict:
        d.update(changes)
        return d
    return f


def _drop(key: str):
    def f(d: dict) -> dict:
        del d[key]
        return d
    return f


def _scenario(**changes):
    def f(d: dict) -> dict:
        d["scenario"] = {**d["scenario"], **changes}
        return d
    return f


def _beams(n: int, both: bool = True):
    def f(d: dict) -> dict:
        for b in ("w_c", "w_0") if both else ("w_c",):
            d[b] = {k: v[:n] for k, v in d[b].items()}
        return d
    return f


def _sinr_times(factor: float):
    def f(d: dict) -> dict:
        d["sinr"] *= factor
        d["sinr_db"] = 10 * math.log10(d["sinr"])
        return d
    return f


def _operating_point_with_beams(d: dict) -> dict:
    d["method"] = "operating-point"
    return d


#: name -> (change of the base design, or of the whole file; what the one line must name)
DESIGN_CASES = {
    # constraints and claims re-computed from the scenario and the beams
    "beams 100x over the power budget": (lambda d: _scaled(d, 10.0), "violates power_w"),
    "HCRB over its limit Pi": (_edit(pi_m2=100.0), "violates hcrb_m2"),
    "hcrb claim not what the beams give": (_edit(hcrb=1.0), "violates hcrb_claim"),
    "sinr claim not what the beams give": (_sinr_times(2.0), "violates sinr_claim"),
    "rc = 50 (above capacity)": (_edit(rc=50.0), "violates rc_capacity"),
    "ber_pred not ASCC eq. (4)": (_edit(ber_pred=1e-3), "violates ber_claim"),
    "blocklength not the scenario's": (_edit(blocklength=128), "violates blocklength"),
    "one-element beams (N_T = 4)": (_beams(1), "have 1 and 1 entries but its scenario has "
                                               "n_t=4"),
    "one-element w_c, four-element w_0": (_beams(1, both=False), "w_c has 1 entries and w_0 4"),
    "scenario n_t = 0": (_scenario(n_t=0), "scenario: n_t=0 is invalid"),
    # the scenario's own constructor words the reason (its typed schema names the key)
    "scenario n_t = '4'": (_scenario(n_t="4"), "design 0: scenario: "),
    "optimised design without scenario": (_drop("scenario"), "has no scenario"),
    "operating point carrying beams": (_operating_point_with_beams, "carries non-zero beams"),
    # typed schema
    "rc = -1": (_edit(rc=-1.0), "rc=-1.0 is invalid"),
    "rc = NaN": (_edit(rc=math.nan), "rc=nan is invalid"),
    "rc = Infinity": (_edit(rc=math.inf), "rc=inf is invalid"),
    "rc missing": (_drop("rc"), "key 'rc' is missing"),
    "rc a string": (_edit(rc="1.8"), "rc='1.8' is invalid"),
    "pt_dbm true": (_edit(pt_dbm=True), "pt_dbm=true is invalid"),
    "blocklength 256.0": (_edit(blocklength=256.0), "blocklength=256.0 is invalid"),
    "blocklength 0": (_edit(blocklength=0), "blocklength=0 is invalid"),
    "unknown BER model": (_edit(ber_model="bogus"), "ber_model='bogus' is invalid"),
    "unknown key": (_edit(rcc=1.0), "key 'rcc' is unknown"),
    "empty beams (n_t = 0)": (_beams(0), "w_c.re=[] is invalid"),
    "NaN in a beam": (lambda d: (d["w_c"]["re"].__setitem__(0, math.nan), d)[1],
                      "w_c.re[0]=nan is invalid"),
    "w_c without im": (lambda d: (d["w_c"].pop("im"), d)[1], "key 'w_c.im' is missing"),
    "pi_m2 NaN on an optimised design": (_edit(pi_m2=math.nan), "pi_m2=nan is invalid"),
    "design version '1'": (_edit(version="1"), "version='1' is invalid"),
    "design version 2": (_edit(version=2), "version=2 was written by a newer issc"),
    "sinr_db edited by hand": (_edit(sinr_db=30.0), "sinr_db=30.0 does not match"),
    "scheme unknown": (_edit(scheme="magic"), "scheme='magic' is invalid"),
    "a design that is a list": (lambda d: [1, 2], "designs[0]=[1, 2] is invalid"),
    "the NF design layout": (lambda d: {"version": 1, "strategy": "bfgs", "W": {}},
                             "key 'scheme' is missing"),
}
FILE_CASES = {
    "file version '1'": ({"version": "1", "meta": {}, "designs": []}, "version='1' is invalid"),
    "file version 7": ({"version": 7, "meta": {}, "designs": []},
                       "version=7 was written by a newer issc"),
    "file version 0": ({"version": 0, "meta": {}, "designs": []}, "no issc wrote"),
    "unknown top-level key": ({"version": 1, "meta": {}, "designs": [], "extra": 1},
                              "key 'extra' is unknown"),
    "meta not a table": ({"version": 1, "meta": [], "designs": []}, "meta=[] is invalid"),
    "no designs": ({"version": 1, "meta": {}, "designs": []}, "holds no designs"),
}


def hostile_files(root: Path) -> dict[str, tuple[Path, str]]:
    """Write every case's designs file under ``root``: name -> (path, needle)."""
    out = {}
    for i, (name, (change, needle)) in enumerate({**DESIGN_CASES, **FILE_CASES}.items()):
        if name in FILE_CASES:
            doc = change
        else:
            doc = {"version": 1, "meta": {}, "designs": [change(base_design())]}
        path = root / f"case{i:02d}.json"
        path.write_text(json.dumps(doc))  # NaN / Infinity as Python's json writes them
        out[name] = (path, needle)
    return out


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[str, tuple[Path, str]]:
    return hostile_files(tmp_path_factory.mktemp("hostile_designs"))


@pytest.mark.parametrize("name", [*DESIGN_CASES, *FILE_CASES])
def test_hostile_design_file_is_one_line_exit_2_and_no_out(name, cases, tmp_path, capsys):
    path, needle = cases[name]
    out = tmp_path / "out"
    assert main(["e2e", "--designs", str(path), "--out", str(out), *CHEAP]) == 2
    cap = capsys.readouterr()
    err = cap.err.strip()
    assert len(err.splitlines()) == 1, err
    assert needle in err, err
    assert "Traceback" not in err and cap.out == ""
    assert not out.exists()
    if name in DESIGN_CASES and name not in ("a design that is a list",):
        assert f"{path}" in err and "design 0" in err  # names the file and the design


@pytest.mark.parametrize("name", ["beams 100x over the power budget", "HCRB over its limit Pi"])
def test_figure_ascc_3_e2e_reverifies_what_it_draws(name, cases, tmp_path, capsys):
    """The figure draws the designs' predictions: a violated design is refused there too,
    and drawn (with the others) only with --allow-infeasible."""
    path, needle = cases[name]
    out = tmp_path / "fig"
    assert main(["figure", "ascc-3-e2e", "--designs", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and needle in err and not out.exists(), err
    assert main(["figure", "ascc-3-e2e", "--designs", str(path), "--allow-infeasible",
                 "--out", str(out)]) == 0
    assert (out / "fig3_e2e.csv").is_file()


def test_refusal_line_names_the_value_and_the_limit(cases, capsys):
    path, _ = cases["HCRB over its limit Pi"]
    with pytest.raises(ValueError) as e:
        verify_designs(load_designs(path), source="f")
    msg = str(e.value)
    hcrb = SERIAL["designs"][0]["hcrb"]
    assert msg.startswith("f: design 0 violates hcrb_m2: Tr HCRB of the beams = ")
    assert f"{hcrb:.6g} m^2" in msg and "Pi = 100 m^2" in msg and "--allow-infeasible" in msg


def test_refusal_in_a_fresh_process_has_no_traceback(cases, tmp_path):
    path, needle = cases["beams 100x over the power budget"]
    out = tmp_path / "o"
    r = subprocess.run([sys.executable, "-m", "scripts.cli", "e2e", "--designs", str(path),
                        "--out", str(out), *CHEAP], cwd=REPO, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_every_committed_and_hand_made_design_passes():
    """The serial grid's four designs (ascc and benchmark), operating points (digital, with
    and without an optional key), all meet every constraint; nothing false is refused."""
    designs = [LinkDesign.from_json(d) for d in SERIAL["designs"]]
    checks = verify_designs(designs)
    assert all(c.ok for c in checks)
    assert {"power_w", "hcrb_m2", "hcrb_claim", "sinr_claim", "channel_uses_per_dim",
            "ber_claim", "blocklength"} <= set(checks[1].checked)  # the benchmark
    assert "rc_capacity" in checks[0].checked  # ascc claims R_c <= C
    op = design_at("q1", 0.5, -12.0)  # R_c above capacity: an operating point may be
    assert verify_link_design(op).ok


def test_older_version_1_files_load(tmp_path):
    """Files of version 1 from before codec_sha256/ber_model/solve_s/codec_kind existed."""
    d = base_design()
    for k in ("codec_sha256", "ber_model", "trace", "solver", "iterations", "sinr_bound_db",
              "sinr_db", "gap_to_bound_db", "extra", "constraints"):
        d.pop(k, None)
    assert "solve_s" not in d and "codec_kind" not in d  # the committed file lacks both
    (tmp_path / "old.json").write_text(json.dumps({"version": 1, "designs": [d]}))
    (des,) = load_designs(tmp_path / "old.json")
    assert des.ber_model == "fbl" and des.codec_kind == "digital" and des.solve_s == 0.0
    assert verify_link_design(des).ok


def _finite_difference_hcrb(scn: ISSCScenario, w_c: np.ndarray, w_0: np.ndarray,
                            h: float = 1e-4) -> float:
    """Tr HCRB(p_o) by hand: Slepian-Bangs FIM of y_k = H(p) e^{-j w_k (tau(p) + Dtau)} x_k
    + n_k, n_k ~ CN(0, sigma_s^2 I), E[x x^H] = Sigma, derivatives in p by central
    differences, plus the prior 1/sigma_Delta^2 on Dtau; inverse by numpy."""
    sigma = np.outer(w_c, w_c.conj()) + np.outer(w_0, w_0.conj())
    p0 = np.asarray(scn.target_position, dtype=float)
    w = scn.frequencies

    def response(p: np.ndarray) -> np.ndarray:  # (N, N_R, N_T) at Dtau = 0
        H = scn.sensing_channel(p)[0]
        return H[None] * np.exp(-1j * w * scn.path_delay(p))[:, None, None]

    d = []
    for axis in range(2):
        e = np.zeros(2)
        e[axis] = h
        d.append((response(p0 + e) - response(p0 - e)) / (2 * h))
    d.append(-1j * w[:, None, None] * response(p0))
    J = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            J[a, b] = 2.0 / scn.noise_sre_w * sum(
                np.real(np.trace(d[a][k].conj().T @ d[b][k] @ sigma)) for k in range(w.size))
    J[2, 2] += 1.0 / scn.sigma_delta_s ** 2
    return float(np.trace(np.linalg.inv(J)[:2, :2]))


def test_verifier_recomputes_power_and_hcrb_from_the_beams():
    """A small scenario (2 x 2 antennas, 8 bins): the verifier's power and HCRB equal the
    hand computation, whatever the design claims."""
    scn = ISSCScenario(n_t=2, n_r=2, num_samples=8, reflection_model="path_length")
    rng = np.random.default_rng(5)
    w_c = (rng.normal(size=2) + 1j * rng.normal(size=2)) * 0.02
    w_0 = (rng.normal(size=2) + 1j * rng.normal(size=2)) * 0.01
    power = float(sum(abs(x) ** 2 for x in [*w_c, *w_0]))
    hcrb = _finite_difference_hcrb(scn, w_c, w_0)
    assert math.isfinite(hcrb) and hcrb > 0
    des = design_at("q1", 0.5, 0.0, n_t=2)
    des = LinkDesign(**{**des.__dict__, "method": "paper", "pt_dbm": -40.0, "abr": 10.0,
                        "pi_m2": hcrb / 2, "w_c": w_c, "w_0": w_0, "hcrb": 1.0,
                        "sinr": float(scn.sinr(w_c, w_0)), "scenario": scn.to_dict(),
                        "blocklength": scn.blocklength})
    chk = verify_link_design(des)
    got = {v.name: v for v in chk.violations}
    assert got["power_w"].value == pytest.approx(power, rel=1e-12)
    assert got["power_w"].limit == pytest.approx(1e-7, rel=1e-12)  # -40 dBm
    assert got["hcrb_m2"].value == pytest.approx(hcrb, rel=1e-5)
    assert got["hcrb_m2"].limit == hcrb / 2
    assert got["hcrb_claim"].limit == pytest.approx(hcrb, rel=1e-5)
    assert "sinr_claim" not in got
    # within both limits, no violation of either
    ok = LinkDesign(**{**des.__dict__, "pt_dbm": 10 * math.log10(power * 1.01) + 30,
                       "pi_m2": hcrb * 1.01, "hcrb": got["hcrb_claim"].limit})
    assert not {"power_w", "hcrb_m2", "hcrb_claim"} & {v.name for v in
                                                        verify_link_design(ok).violations}


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_allow_infeasible_runs_and_the_rows_name_the_violations(tmp_path, capsys):
    bad = _scaled(base_design(), 10.0)  # 100x the power: its HCRB and SINR claims are stale
    bad["pi_m2"] = 1.0  # and the HCRB of the stronger beams, 2.59 m^2, is still above Pi
    good = base_design()
    path = tmp_path / "designs.json"
    path.write_text(json.dumps({"version": 1, "meta": {}, "designs": [bad, good]}))
    out = tmp_path / "out"
    assert main(["e2e", "--designs", str(path), "--out", str(out), *CHEAP]) == 2
    assert "design 0 violates power_w" in capsys.readouterr().err and not out.exists()
    assert main(["e2e", "--designs", str(path), "--out", str(out), "--allow-infeasible",
                 *CHEAP]) == 0
    want = {"0": "power_w;hcrb_m2;hcrb_claim;sinr_claim", "1": ""}
    rows = _rows(out / "results.csv")
    assert len(rows) == 2
    assert {r["design"]: r["violations"] for r in rows} == want
    summ = _rows(out / "summary.csv")
    assert {r["design"]: r["violations"] for r in summ} == want
    # the library refuses the same file without the flag, naming it
    with pytest.raises(ValueError, match=r"designs file .*: design 0 violates power_w"):
        from optim.e2e import run_e2e
        run_e2e(tmp_path / "lib", path, **{"max_images": 1, "crop": 64, "trials": 1,
                                           "channel": "bitflip", "workers": 1,
                                           "progress": False})
    assert not (tmp_path / "lib").exists()


def test_saved_designs_round_trip_through_the_schema(tmp_path):
    designs = [LinkDesign.from_json(d) for d in SERIAL["designs"]] + [design_at("q2", 1.0, 3.0)]
    save_designs(designs, tmp_path / "d.json")
    back = load_designs(tmp_path / "d.json")
    assert json.dumps([b.to_json() for b in back]) == json.dumps([d.to_json() for d in designs])


# ------------------------------------------------------------------ near field design.json
NF_SMALL = dict(n_tx=2, n_tz=2, n_rx=3, n_rz=3, users_theta_deg=[70.0, 110.0],
                users_phi_deg=[85.0, 95.0], users_d_m=[3.0, 4.0], targets_theta_deg=[95.0],
                targets_phi_deg=[90.0], targets_d_m=[3.5], scatterers_per_target=3)


@pytest.fixture(scope="module")
def nf_design(tmp_path_factory) -> dict:
    from linksim.nearfield import NFScenario
    from optim.nearfield import NFOptions, optimise

    run = optimise(NFScenario(**NF_SMALL), NFOptions(positions="fixed", max_iterations=1,
                                                     sca_iterations=1, randomisation_draws=5),
                   seed=0, rho_lb=np.array([0.55, 0.6]))
    return run.design.to_json()


def _nf_power_10x(d: dict) -> dict:
    d["Rx"] = {k: [[x * 10 for x in row] for row in v] for k, v in d["Rx"].items()}
    return d


NF_CASES = {
    "version '1'": (_edit(version="1"), "version='1' is invalid"),
    "version 2": (_edit(version=2), "version=2 was written by a newer issc"),
    "semantic 'no'": (_edit(semantic="no"), "semantic='no' is invalid"),
    "seed 1.5": (_edit(seed=1.5), "seed=1.5 is invalid"),
    "strategy unknown": (_edit(strategy="grid"), "strategy='grid' is invalid"),
    "unknown key": (_edit(foo=1), "key 'foo' is unknown"),
    "W missing": (_drop("W"), "key 'W' is missing"),
    "NaN in rho": (lambda d: (d["rho"].__setitem__(0, math.nan), d)[1], "rho[0]=nan"),
    "a position [x] only": (lambda d: (d["positions_m"].__setitem__(0, [0.0]), d)[1],
                            "each of the N_t positions is [x, z]"),
    "W of the wrong shape": (lambda d: {**d, "rho": d["rho"][:1], "rho_lb": d["rho_lb"][:1]},
                             "W is (4, 2) but positions_m has N_t=4 and rho K=1"),
    "min_secrecy Infinity": (_edit(min_secrecy=math.inf), "min_secrecy=inf is invalid"),
}


@pytest.mark.parametrize("name", list(NF_CASES))
def test_hostile_nf_design_file_is_refused_in_one_line(name, nf_design, tmp_path):
    from optim.nearfield import load_design

    change, needle = NF_CASES[name]
    p = tmp_path / "design.json"
    p.write_text(json.dumps(change(copy.deepcopy(nf_design))))
    with pytest.raises(ValueError) as e:
        load_design(p)
    msg = str(e.value)
    assert len(msg.splitlines()) == 1 and needle in msg and str(p) in msg, msg


def test_nf_design_is_reverified_on_its_scenario(nf_design, tmp_path):
    from optim.nearfield import NFDesign, load_design, refuse_infeasible, reverify

    p = tmp_path / "design.json"
    p.write_text(json.dumps(nf_design))
    check = refuse_infeasible(load_design(p))
    assert check["feasible"] and check["constraints"].keys() >= {"power_28c", "crb_28b"}
    # ten times the covariance: the power budget breaks, named with value and limit
    over = NFDesign.from_json(_nf_power_10x(copy.deepcopy(nf_design)))
    with pytest.raises(ValueError, match=r"NF design violates power_28c: value "):
        refuse_infeasible(over)
    assert "power_28c" in reverify(over)["violations"]
    bad = NFDesign.from_json({**nf_design, "scenario": {**nf_design["scenario"],
                                                        "n_tx": "2"}})
    with pytest.raises(ValueError, match=r"NF design: scenario: "):
        reverify(bad)
