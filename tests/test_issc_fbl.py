"""ASCC eq. (4) and eq. (23) against independent mpmath evaluations."""

import mpmath as mp
import numpy as np
import pytest

from linksim.farfield import fbl

mp.mp.dps = 60

# (gamma, R_c, L): moderate values, the R_c > C side, and far tails
CASES = [(1.0, 0.5, 256), (1.0, 1.5, 256), (0.3, 0.2, 64), (3.0, 1.0, 256),
         (10.0, 1.0, 256), (10.0, 1.0, 4096), (100.0, 0.5, 2048), (1e-3, 0.01, 256),
         (0.5, 0.5849625, 256), (1e4, 12.0, 128)]


def _mp_log10_ber(g, r, n, exact=True):
    g, r, n = mp.mpf(g), mp.mpf(r), mp.mpf(n)
    c = mp.log(1 + g) / mp.log(2)
    s = mp.sqrt(1 - 1 / (1 + g) ** 2) if exact else mp.mpf(1)
    x = mp.log(2) * mp.sqrt(n) * (c - r) / s
    q = mp.erfc(x / mp.sqrt(2)) / 2
    return mp.log10(q / (r * n))


@pytest.mark.parametrize("g, r, n", CASES)
def test_eq4_matches_mpmath(g, r, n):
    ref = _mp_log10_ber(g, r, n)
    assert fbl.log10_normal_approx_ber(g, r, n) == pytest.approx(float(ref), rel=1e-9, abs=1e-9)
    if ref > -300:
        assert fbl.normal_approx_ber(g, r, n) == pytest.approx(float(10**ref), rel=1e-8)


def test_far_tail_stays_finite_and_vectorised():
    g = np.array([c[0] for c in CASES])
    r = np.array([c[1] for c in CASES])
    n = np.array([c[2] for c in CASES])
    out = fbl.log10_normal_approx_ber(g, r, n)
    assert out.shape == (len(CASES),) and np.all(np.isfinite(out))
    assert out.min() < -3000  # far below float64 underflow of rho_b itself
    ref = np.array([float(_mp_log10_ber(*c)) for c in CASES])
    np.testing.assert_allclose(out, ref, rtol=1e-9)


def test_eq4_limits_and_monotonicity():
    # gamma = 0: no capacity, Q = 1 -> rho_b = 1/(R_c L)
    assert fbl.normal_approx_ber(0.0, 0.5, 256) == pytest.approx(1 / 128)
    g = np.logspace(-1, 2, 50)
    ber = fbl.log10_normal_approx_ber(g, 1.0, 256)
    assert np.all(np.diff(ber) <= 0) and ber[-1] < ber[0] - 50  # decreasing in SINR
    # increasing in R_c up to capacity (C(3) = 2); beyond it Q -> 1 and the 1/(R_c L) of
    # eq. (4) as written makes rho_b fall again, a property of the formula itself
    rc = np.linspace(0.1, 2.0, 50)
    assert np.all(np.diff(fbl.log10_normal_approx_ber(3.0, rc, 256)) > 0)
    assert fbl.normal_approx_ber(3.0, 3.0, 256) < fbl.normal_approx_ber(3.0, 2.5, 256)
    assert fbl.capacity(3.0) == pytest.approx(2.0)


@pytest.mark.parametrize("exact", [False, True])
@pytest.mark.parametrize("g, r, n", [(1.0, 0.5, 256), (10.0, 1.0, 1024), (0.5, 0.9, 256),
                                     (100.0, 2.0, 256)])
def test_u_and_derivative_match_mpmath(g, r, n, exact):
    u, du = fbl.u_log_ber(g, r, n, exact_dispersion=exact)
    ref_u = _mp_log10_ber(g, r, n, exact)
    ref_du = mp.diff(lambda rr: _mp_log10_ber(g, rr, n, exact), r)
    assert u == pytest.approx(float(ref_u), rel=1e-10)
    assert du == pytest.approx(float(ref_du), rel=1e-8)


def test_dlog_q_is_minus_hazard():
    for x in (-30.0, -1.0, 0.0, 2.0, 40.0, 300.0):
        ref = -mp.npdf(x) / (mp.erfc(mp.mpf(x) / mp.sqrt(2)) / 2)
        assert fbl.dlog_q(x) == pytest.approx(float(ref), rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("kw, word", [
    (dict(sinr=-0.1, rate=0.5, blocklength=256), "sinr"),
    (dict(sinr=np.inf, rate=0.5, blocklength=256), "sinr"),
    (dict(sinr=1.0, rate=0.0, blocklength=256), "rate"),
    (dict(sinr=1.0, rate=np.nan, blocklength=256), "rate"),
    (dict(sinr=1.0, rate=0.5, blocklength=0), "blocklength"),
])
def test_bad_inputs_refused(kw, word):
    with pytest.raises(ValueError, match=word):
        fbl.normal_approx_ber(**kw)
