"""Bit-level 5G LDPC / QAM / AWGN PHY (Sionna PHY 2.x)."""

import math

import numpy as np
import pytest

from linksim.farfield import fbl
from linksim.phy import LDPCQAMLink, transmit


@pytest.fixture(scope="module")
def payload():
    return np.random.default_rng(0).integers(0, 2, 3000).astype(np.uint8)


@pytest.mark.parametrize("rate, m", [(0.5, 2), (0.75, 4)])
def test_error_free_at_high_sinr(payload, rate, m):
    r = transmit(payload, 25.0, rate, m, seed=3)
    assert r.bit_errors == 0 and r.block_errors == 0
    np.testing.assert_array_equal(r.bits, payload)
    assert r.n == 256 * m and r.k == round(rate * 256 * m)
    assert r.num_blocks == -(-payload.size // r.k)


def test_seeded_runs_reproduce_and_seeds_differ(payload):
    link = LDPCQAMLink(0.5, 2)
    a = transmit(payload, 0.5, 0.5, 2, seed=11, link=link)
    b = transmit(payload, 0.5, 0.5, 2, seed=11, link=link)
    c = transmit(payload, 0.5, 0.5, 2, seed=12, link=link)
    np.testing.assert_array_equal(a.bits, b.bits)
    assert a.bit_errors > 0 and not np.array_equal(a.bits, c.bits)


def test_coding_gain_and_normal_approximation_is_optimistic(payload):
    """BP decoding must beat uncoded QPSK, and no real code beats the PPV normal approx."""
    link = LDPCQAMLink(0.5, 2)
    sinr_db = 1.0
    r = transmit(np.tile(payload, 4), sinr_db, 0.5, 2, seed=5, link=link)
    g = 10 ** (sinr_db / 10)
    uncoded = 0.5 * math.erfc(np.sqrt(g / 2))  # QPSK per bit: Q(sqrt(gamma))
    assert r.ber < 0.5 * uncoded
    assert r.bler >= fbl.normal_approx_bler(g, link.rate_bits_per_channel_use, 256)


@pytest.mark.parametrize("kw, word", [
    (dict(code_rate=0.1), "code_rate"), (dict(code_rate=0.97), "code_rate"),
    (dict(code_rate=float("nan")), "code_rate"), (dict(bits_per_symbol=3), "bits_per_symbol"),
    (dict(sinr_db=float("inf")), "sinr_db"), (dict(blocklength=0), "blocklength"),
])
def test_bad_code_parameters_refused(kw, word):
    args = dict(bits=np.zeros(100), sinr_db=5.0, code_rate=0.5, bits_per_symbol=2)
    args.update(kw)
    with pytest.raises(ValueError, match=word) as exc:
        transmit(**args)
    assert "\n" not in str(exc.value)


def test_bad_payload_refused():
    with pytest.raises(ValueError, match="bits"):
        transmit(np.array([0, 2, 1]), 5.0, 0.5)
