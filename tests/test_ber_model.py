"""BER models: fbl (ASCC eq. (4)) and ldpc (monotone log-domain interpolation in a table)."""

import json
import math

import numpy as np
import pytest

from linksim.ber_model import (
    FBLBERModel,
    LDPCTableBERModel,
    _isotonic_decreasing,
    make_ber_model,
)
from linksim.farfield import fbl
from linksim.phy_table import SHIPPED_TABLE, TABLE_KIND, load_table, sinr_grid


def synthetic_table(rows: dict[float, list[tuple[float, float]]], blocks: int = 1000) -> dict:
    """A table dict with given (sinr_db, ber) per R_c (counts consistent with the BER)."""
    pts = []
    for rc, sb in rows.items():
        k = round(rc * 256)
        for s, b in sb:
            bits = blocks * k
            pts.append({"rc": rc, "rc_eff": k / 256, "k": k, "n": 512, "bits_per_symbol": 2,
                        "code_rate": k / 512, "sinr_db": s, "ber": b, "bler": min(1, 20 * b),
                        "bit_errors": round(b * bits), "bits": bits,
                        "block_errors": max(5, round(blocks * min(1, 20 * b))),
                        "blocks": blocks})
    return {"version": 1, "kind": TABLE_KIND, "blocklength": 256, "points": pts}


ROWS = {0.5: [(-3.0, 0.1), (-2.0, 1e-2), (-1.0, 1e-3), (0.0, 1e-4)],
        1.0: [(0.0, 0.1), (1.0, 1e-2), (2.0, 1e-3), (3.0, 2e-5)],
        2.0: [(4.0, 0.2), (5.0, 3e-2), (6.0, 1e-3), (7.0, 1e-4)]}


@pytest.fixture(scope="module")
def model():
    return LDPCTableBERModel(synthetic_table(ROWS), quantity="ber")


def test_default_table_model_is_eq4s_rho_b_block_errors_per_information_bit():
    """``ldpc`` interpolates BLER / (R_c L), the quantity ASCC eq. (4) calls rho_b."""
    table = synthetic_table(ROWS)
    m = LDPCTableBERModel(table)
    assert m.name == "ldpc" and m.quantity == "event"
    for p in table["points"]:
        got = m.ber(p["rc"], 10 ** (p["sinr_db"] / 10))
        assert got == pytest.approx(p["bler"] / p["k"], rel=1e-9)
    with pytest.raises(ValueError, match="quantity='bits' is invalid"):
        LDPCTableBERModel(table, quantity="bits")


def test_fbl_model_is_eq4_and_its_slope_matches_finite_differences():
    m = FBLBERModel(256)
    rc, g = np.array([0.5, 1.0, 2.0]), np.array([1.5, 3.0, 8.0])
    np.testing.assert_allclose(m.ber(rc, g), fbl.normal_approx_ber(g, rc, 256), rtol=1e-12)
    u, du = m.log10_ber_and_slope(rc, g)
    h = 1e-6
    fd = (m.log10_ber(rc + h, g) - m.log10_ber(rc - h, g)) / (2 * h)
    np.testing.assert_allclose(u, m.log10_ber(rc, g), rtol=1e-12)
    np.testing.assert_allclose(du, fd, rtol=1e-5)


def test_table_model_matches_the_table_at_its_grid_points(model):
    for rc, sb in ROWS.items():
        for s, b in sb:
            assert model.ber(rc, 10 ** (s / 10)) == pytest.approx(b, rel=1e-9)


def test_table_model_is_monotone_in_sinr_everywhere(model):
    s = np.linspace(-10, 25, 701)
    for rc in np.linspace(0.5, 2.0, 37):
        y = model.log10_ber(rc, 10 ** (s / 10))
        assert np.all(np.diff(y) <= 1e-12), rc
        assert np.all(np.isfinite(y))


def test_table_slope_is_the_derivative_of_the_interpolant(model):
    g = 10 ** (1.7 / 10)
    for rc in (0.6, 0.9, 1.3, 1.8):
        u, du = model.log10_ber_and_slope(rc, g)
        h = 1e-5
        fd = (model.log10_ber(rc + h, g) - model.log10_ber(rc - h, g)) / (2 * h)
        assert du == pytest.approx(fd, rel=1e-6)
    # vectorised: arrays broadcast, same numbers as scalar calls
    u, du = model.log10_ber_and_slope(np.array([0.6, 1.3]), np.array([[g], [2 * g]]))
    assert u.shape == (2, 2) and u[0, 1] == pytest.approx(model.log10_ber(1.3, g))


def test_extrapolation_beyond_the_table_follows_shifted_eq4(model):
    """Past the deepest measured point: eq. (4) shifted by the measured gap (continuous)."""
    row = model.rows[1]  # R_c = 1.0, last point 3 dB at 2e-5
    s_eq4 = FBLBERModel(256).sinr_db_for_ber(1.0, 2e-5)
    assert row.shift_db == pytest.approx(3.0 - s_eq4, abs=1e-6)
    for s in (3.5, 5.0):
        want = fbl.log10_normal_approx_ber(10 ** ((s - row.shift_db) / 10), 1.0, 256)
        assert model.log10_ber(1.0, 10 ** (s / 10)) == pytest.approx(want, abs=1e-9)
    eps = 1e-7
    assert model.log10_ber(1.0, 10 ** ((3 + eps) / 10)) == pytest.approx(math.log10(2e-5),
                                                                          abs=1e-5)


def test_isotonic_fit_repairs_a_noisy_row():
    y = np.array([-1.0, -2.0, -1.8, -3.0])
    w = np.array([1.0, 1.0, 3.0, 1.0])
    out = _isotonic_decreasing(y, w)
    assert np.all(np.diff(out) <= 0)
    assert out[1] == out[2] == pytest.approx((-2.0 * 1 + -1.8 * 3) / 4)
    np.testing.assert_array_equal(_isotonic_decreasing(np.array([-1.0, -2.0]), np.ones(2)),
                                  [-1.0, -2.0])  # a monotone row is left as measured


def test_out_of_table_rates_and_bad_names_are_refused(model, tmp_path):
    with pytest.raises(ValueError, match=r"rc=.*covers"):
        model.log10_ber(0.3, 2.0)
    with pytest.raises(ValueError, match="ber_model='turbo' is invalid"):
        make_ber_model("turbo")
    bad = tmp_path / "t.json"
    bad.write_text(json.dumps({"kind": "something else"}))
    with pytest.raises(ValueError, match="not an `issc phy-table`"):
        load_table(bad)


def test_sinr_grid_starts_below_the_shannon_limit():
    g = sinr_grid(1.0, 0.5, 0.5, 2.0)
    assert g[0] == -0.5 and g[-1] == 2.0 and np.allclose(np.diff(g), 0.5)


@pytest.mark.skipif(not SHIPPED_TABLE.is_file(), reason="shipped table not installed")
@pytest.mark.parametrize("name", ["ldpc", "ldpc-ber"])
def test_shipped_table_model_is_monotone_matches_its_points_and_lags_eq4(name):
    model = make_ber_model(name, 256)
    assert model.name == name
    lo, hi = model.rc_range
    s = np.linspace(-8, 25, 331)
    for rc in np.linspace(lo, hi, 23):
        assert np.all(np.diff(model.log10_ber(rc, 10 ** (s / 10))) <= 1e-12)
    for row in model.rows:  # at grid points: the (isotonic) measured values
        got = model.log10_ber(row.rc, 10 ** (row.s / 10))
        np.testing.assert_allclose(got, row.y, atol=1e-9)
        same = row.y == row.y_raw
        np.testing.assert_allclose(got[same], row.y_raw[same], atol=1e-9)
    # a real code at L = 256 needs more SINR than the normal approximation
    eq4 = FBLBERModel(256)
    assert model.sinr_db_for_ber(1.0, 1e-4) > eq4.sinr_db_for_ber(1.0, 1e-4) + 0.5


def test_measure_table_counts_resume_and_finalize(tmp_path):
    from linksim.phy_table import measure_table

    kw = dict(rcs=(0.5,), max_bits=1500, min_block_errors=5, step_db=2.0, below_db=0.5,
              above_db=3.0, seed=2, progress=False)
    path = measure_table(tmp_path / "t", **kw)
    doc = load_table(path)
    assert doc["blocklength"] == 256 and doc["complete"]
    for p in doc["points"]:
        assert p["ber"] == p["bit_errors"] / p["bits"] and p["bits"] == p["blocks"] * p["k"]
        assert p["bler"] == p["block_errors"] / p["blocks"]
        assert p["block_errors"] >= 5 or p["blocks"] == math.ceil(1500 / p["k"])
    # a row ends at its first point without block errors (or its grid)
    assert all(p["block_errors"] > 0 for p in doc["points"][:-1])
    assert doc["points"][0]["ber"] > 0.05  # under the Shannon limit: the code fails
    before = (tmp_path / "t" / "points.csv").read_bytes()
    assert load_table(measure_table(tmp_path / "t", **kw)) == doc  # resumed: nothing redone
    assert (tmp_path / "t" / "points.csv").read_bytes() == before
    # an interrupted run (last row lost) is finalised from what it has
    lines = before.decode().splitlines(keepends=True)
    (tmp_path / "t" / "points.csv").write_text("".join(lines[:2]))
    part = load_table(measure_table(tmp_path / "t", finalize=True, **kw))
    assert len(part["points"]) == 1 and not part["complete"]
    with pytest.raises(ValueError, match="other settings"):
        measure_table(tmp_path / "t", **(kw | {"seed": 3}))


def test_phy_table_cli_refuses_a_rate_the_code_cannot_carry(tmp_path, capsys):
    from scripts.cli import main

    assert main(["phy-table", "--rc", "1.0", "9.0", "--out", str(tmp_path / "t"),
                 "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert "rc=9.0 is invalid" in err and "[0.20, 7.4063]" in err and len(err.splitlines()) == 1


def test_phy_table_cli_measures_one_row_to_join_later_without_a_figure(tmp_path, capsys):
    """One R_c is a table to join with others (docs/e2e.md): no model, so no figure, exit 0."""
    from scripts.cli import main

    out = tmp_path / "t"
    assert main(["phy-table", "--rc", "0.5", "--max-bits", "1500", "--min-block-errors", "5",
                 "--step-db", "2", "--above-db", "3", "--out", str(out), "--no-progress"]) == 0
    assert "no figure: LDPC table has 1 usable R_c rows" in capsys.readouterr().out
    assert {p["rc"] for p in load_table(out / "ldpc_table.json")["points"]} == {0.5}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["figure"] is None
    assert not (out / "ldpc_table.png").exists()
