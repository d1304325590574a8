"""The shipped 5G LDPC table (data/phy) covers every R_c the optimiser may pick with the
``ldpc`` model, with a row on each side of every modulation switch, and the model's lookup
between and outside rows is what docs/e2e.md says."""

from __future__ import annotations

import math

import numpy as np
import pytest

from linksim.ber_model import make_ber_model
from linksim.payload_link import MAX_RATE, MODULATION_RULE, choose_code
from linksim.phy_table import SHIPPED_TABLE, load_table

L = 256
pytestmark = pytest.mark.skipif(not SHIPPED_TABLE.is_file(), reason="shipped table not installed")


@pytest.fixture(scope="module")
def model():
    return make_ber_model("ldpc", L)


def test_every_row_of_the_shipped_table_is_usable_and_rows_are_at_most_half_a_bit_apart(model):
    table_rcs = sorted({float(p["rc"]) for p in load_table()["points"]})
    assert [r.rc for r in model.rows] == table_rcs  # no row dropped for want of errors
    assert np.max(np.diff(model.rcs)) <= 0.5 + 1e-9
    assert model.rc_range[0] <= 0.5


def test_the_table_reaches_the_largest_rate_the_5g_code_carries(model):
    k_max = math.floor(MAX_RATE * L)  # 256QAM at LDPC rate 948/1024
    assert choose_code(k_max / L, L).bits_per_symbol == 8
    with pytest.raises(ValueError):
        choose_code((k_max + 1) / L, L)
    assert model.rc_range[1] == k_max / L


@pytest.mark.parametrize("i", range(len(MODULATION_RULE) - 1))
def test_a_row_on_each_side_of_every_modulation_switch(model, i):
    """The last k of a QAM order and the first of the next are both rows, so no R_c the
    code can realise (k / L) falls in a cell whose two rows use different orders."""
    (limit, m), (_, m_next) = MODULATION_RULE[i], MODULATION_RULE[i + 1]
    k_last = math.floor(limit * L)
    low, high = choose_code(k_last / L, L), choose_code((k_last + 1) / L, L)
    assert (low.bits_per_symbol, high.bits_per_symbol) == (m, m_next)
    assert k_last / L in model.rcs and (k_last + 1) / L in model.rcs
    for r in model.rows:  # and each row is measured on the code of its own R_c
        assert choose_code(r.rc, L).k == round(r.rc_eff * L)


def test_between_rows_the_lookup_is_linear_in_r_c_and_outside_it_is_refused(model):
    s_db = np.linspace(-3.0, 25.0, 57)
    g = 10 ** (s_db / 10)
    for a, b in zip(model.rcs[:-1], model.rcs[1:]):
        ya, yb = model.log10_ber(a, g), model.log10_ber(b, g)
        for t in (0.25, 0.5, 0.9):
            np.testing.assert_allclose(model.log10_ber(a + t * (b - a), g),
                                       (1 - t) * ya + t * yb, atol=1e-9)
        _, slope = model.log10_ber_and_slope(a + 0.5 * (b - a), g)
        np.testing.assert_allclose(slope, (yb - ya) / (b - a), atol=1e-9)
    lo, hi = model.rc_range
    for bad in (lo - 1e-3, hi + 1e-3):
        with pytest.raises(ValueError, match=rf"rc={bad!r} is invalid.*covers R_c in "
                                             rf"\[{lo}, {hi}\]"):
            model.log10_ber(bad, 10.0)
