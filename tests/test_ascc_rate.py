"""Coding-rate SCA (ASCC P4.4) against a dense search; distortion-model slopes."""

from __future__ import annotations

import numpy as np
import pytest

from optim.ascc.sca_rate import dense_rate_search, optimise_rate
from semcodec.distortion_model import (
    DistortionModel,
    log10_mse_of_log10_ber,
    ms_ssim_of_log10_ber,
    source_dimensions,
)

DM = DistortionModel.from_json()


@pytest.mark.parametrize("g", [0, 3, 5])
@pytest.mark.parametrize("sinr_db, rc_min", [(-10.0, 0.001), (-6.0, 0.003), (-3.0, 0.01),
                                             (3.0, 0.5), (12.0, 2.0)])
def test_sca_never_increases_and_matches_a_dense_search(g, sinr_db, rc_min):
    s = 10 ** (sinr_db / 10)
    r = optimise_rate(s, rc_min, DM.params(g), 256)
    assert all(b <= a + 1e-12 for a, b in zip(r.trace, r.trace[1:]))
    rc_d, f_d = dense_rate_search(s, rc_min, DM.params(g), 256)
    assert r.log10_mse <= f_d + 1e-6
    assert rc_min <= r.rc <= np.log2(1 + s) + 1e-12


def test_interior_optimum_needs_several_iterations():
    r = optimise_rate(0.1, 0.001, DM.params(0), 256)
    assert r.iterations >= 3 and r.rc > 0.01  # 1/(R_c L) makes tiny R_c bad: interior


def test_rc_above_capacity_is_refused():
    with pytest.raises(ValueError, match="rc_min"):
        optimise_rate(1.0, 1.5, DM.params(0), 256)


def test_slopes_match_finite_differences():
    x = np.linspace(-9, -1, 17)
    for g in range(DM.n_models):
        v, d = log10_mse_of_log10_ber(DM, g, x)
        np.testing.assert_allclose(v, DM.log10_mse(g, 10**x), rtol=1e-12)
        h = 1e-6
        fd = (log10_mse_of_log10_ber(DM, g, x + h)[0]
              - log10_mse_of_log10_ber(DM, g, x - h)[0]) / 2 / h
        np.testing.assert_allclose(d, fd, rtol=1e-5, atol=1e-9)
        m, dm_ = ms_ssim_of_log10_ber(DM, g, x)
        fd = (ms_ssim_of_log10_ber(DM, g, x + h)[0] - ms_ssim_of_log10_ber(DM, g, x - h)[0]) / 2 / h
        np.testing.assert_allclose(dm_, fd, rtol=1e-5, atol=1e-9)
        assert np.all(d >= 0) and np.all(dm_ <= 0)


def test_source_dimensions_are_three_samples_per_pixel():
    m = source_dimensions(DM)
    np.testing.assert_allclose(m, 3 * DM.rs_bits / DM.bpp)
    assert np.all((m > 4e5) & (m < 7e5))
