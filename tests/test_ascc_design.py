"""LinkDesign JSON round trip (the hand-off from `issc ascc` to `issc e2e`)."""

import math

import numpy as np
import pytest

from optim.ascc import ConstraintValue, LinkDesign, load_designs, save_designs


def _design() -> LinkDesign:
    rng = np.random.default_rng(3)
    return LinkDesign(
        scheme="ascc", method="paper", pt_dbm=20.0, abr=0.05, pi_m2=10.0, model=2,
        model_name="q3", rs_bits=51234.5, rs_bpd=0.1234, rc=0.75, blocklength=256,
        w_c=rng.normal(size=4) + 1j * rng.normal(size=4),
        w_0=rng.normal(size=4) + 1j * rng.normal(size=4), sinr=3.7, ber_pred=1.2e-6,
        mse_pred=2e-3, msssim_pred=0.93, hcrb=8.5, hcrb_no_ts=7.0,
        constraints={"hcrb": ConstraintValue(8.5, 10.0), "rate": ConstraintValue(2.0, 1.0, ">=")},
        sinr_bound_db=6.0, iterations=4, trace=[0.1, 0.05], solver="CLARABEL", solve_s=1.5)


def test_round_trip_gives_the_same_numbers(tmp_path):
    d = _design()
    path = save_designs([d], tmp_path / "designs.json", meta={"seed": 0})
    (back,) = load_designs(path)
    assert np.array_equal(back.w_c, d.w_c) and np.array_equal(back.w_0, d.w_0)
    assert back.to_json() == d.to_json()
    assert back.constraints["hcrb"].slack == pytest.approx(1.5)
    assert back.constraints["rate"].slack == pytest.approx(1.0)
    assert back.sinr_db == pytest.approx(10 * math.log10(3.7))
    assert back.gap_to_bound_db == pytest.approx(6.0 - 10 * math.log10(3.7))


def test_not_a_designs_file_is_refused(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"a": 1}')
    with pytest.raises(ValueError, match="no 'designs' list"):
        load_designs(p)
    p.write_bytes(b"\x89PNG\x00")
    with pytest.raises(ValueError, match="cannot be read as JSON"):
        load_designs(p)
