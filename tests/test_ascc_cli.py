"""``issc ascc`` and the ASCC figures: outputs, resume, bad input -> one line, exit 2."""

from __future__ import annotations

import csv
import json

import pytest

from scripts.cli import main


def _rows(out):
    return list(csv.DictReader(open(out / "results.csv")))


def test_ascc_writes_results_designs_meta_and_resumes(tmp_path, capsys):
    out = tmp_path / "a"
    args = ["ascc", "--pt-dbm=-3", "--abr", "0.1", "--method", "sdr", "--out", str(out)]
    assert main(args) == 0
    rows = _rows(out)
    assert [r["scheme"] for r in rows] == ["ascc", "benchmark"]
    assert all(r["status"] == "ok" for r in rows)
    for c in ("scheme", "method", "pt_dbm", "abr", "pi", "model", "rs_bits", "rc", "sinr_db",
              "ber_pred", "mse_pred", "msssim_pred", "hcrb", "hcrb_no_ts", "sinr_bound_db",
              "gap_to_bound_db", "solve_s"):
        assert c in rows[0]
    designs = json.loads((out / "designs.json").read_text())["designs"]
    assert len(designs) == 2
    assert json.loads((out / "meta.json").read_text())["status"] == "ok"
    assert (out / "summary.png").stat().st_size > 0
    summ = json.loads((out / "summary.json").read_text())
    assert summ["compared_points"] == 1 and summ["max_gap_to_bound_db"] <= 1e-3
    assert summ["ascc_minus_benchmark_hcrb_m2_max"] <= 0
    assert summ["sca_minus_dense_log10_mse_max"] <= 1e-6
    # rerun: nothing recomputed; one more power: only the new point is added
    before = (out / "results.csv").read_text()
    assert main(args) == 0
    assert (out / "results.csv").read_text() == before
    assert main(["ascc", "--pt-dbm=-3,0", "--abr", "0.1", "--method", "sdr",
                 "--out", str(out)]) == 0
    rows2 = _rows(out)
    assert len(rows2) == 4 and rows2[:2] == rows
    # another configuration in the same folder is refused
    capsys.readouterr()
    assert main(args + ["--delta", "0.5"]) == 2
    assert "another delta (0.01 there, 0.5 here)" in capsys.readouterr().err


def test_infeasible_pi_is_recorded_with_the_reachable_minimum(tmp_path):
    out = tmp_path / "b"
    assert main(["ascc", "--pt-dbm=-3", "--abr", "0.1", "--pi", "1", "--method", "sdr",
                 "--scheme", "ascc", "--out", str(out)]) == 0
    (row,) = _rows(out)
    assert row["status"] == "infeasible" and "valid: pi >=" in row["message"]


@pytest.mark.parametrize("extra, needle", [
    (["--pi", "0"], "pi=0"),
    (["--pi", "-5"], "pi=-5"),
    (["--abr", "0"], "abr value 0"),
    (["--abr", "0.1,-1"], "abr value -1"),
    (["--pt-dbm", ""], "pt-dbm=''"),
    (["--pt-dbm", "nan"], "pt-dbm value nan"),
    (["--pt-dbm", "1,inf"], "pt-dbm value inf"),
    (["--scheme", "ascc,magic"], "scheme='magic'"),
    (["--method", "newton"], "method='newton'"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys, extra, needle):
    args = ["ascc", "--pt-dbm", "0", "--abr", "0.1", "--out", str(tmp_path / "c")]
    for i in range(0, len(extra), 2):
        if extra[i] in args:
            args[args.index(extra[i]) + 1] = extra[i + 1]
        else:
            args += extra[i:i + 2]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0], err


def test_unknown_scenario_key_and_mismatched_fits_are_refused(tmp_path, capsys):
    bad = tmp_path / "s.toml"
    bad.write_text("[issc]\nn_t = 4\nbeam_magic = 3\n")
    assert main(["ascc", "--scenario", str(bad), "--pt-dbm", "0", "--abr", "0.1", "--pi", "400",
                 "--out", str(tmp_path / "d")]) == 2
    assert "beam_magic" in capsys.readouterr().err
    from semcodec.distortion_model import SHIPPED_FITS
    doc = json.loads(SHIPPED_FITS.read_text())
    doc["models"] = doc["models"][:5]
    fits = tmp_path / "fits.json"
    fits.write_text(json.dumps(doc))
    assert main(["ascc", "--fits", str(fits), "--pt-dbm", "0", "--abr", "0.1",
                 "--out", str(tmp_path / "e")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "G=5" in err[0]


def test_figures_write_png_csv_meta(tmp_path):
    out = tmp_path / "front"
    assert main(["figure", "ascc-front", "--pt-dbm", "0", "--points", "3", "--out",
                 str(out)]) == 0
    rows = list(csv.DictReader(open(out / "front.csv")))
    feas = [r for r in rows if r["status"] != "infeasible"]
    assert feas and all(float(r["pi_m2"]) >= float(r["min_hcrb_m2"]) for r in feas)
    bound = [float(r["sinr_bound_db"]) for r in sorted(feas, key=lambda r: float(r["pi_m2"]))]
    assert all(b >= a - 1e-6 for a, b in zip(bound, bound[1:]))  # larger Pi, larger SINR
    grid = tmp_path / "grid"
    for name, png in (("ascc-3", "fig3.png"), ("ascc-4", "fig4.png")):
        o = tmp_path / name
        assert main(["figure", name, "--pt-dbm=-2,2", "--abr", "0.1", "--method", "sdr",
                     "--objective", "mse", "--grid", str(grid), "--out",
                     str(o)]) == 0
        assert (o / png).stat().st_size > 0
        assert json.loads((o / "meta.json").read_text())["status"] == "ok"
    assert len(_rows(grid)) == 4  # the second figure reused the first one's grid
