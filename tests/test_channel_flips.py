"""Bit-flip channel (ASCC Sec. III-A.3): exact Bernoulli statistics at any rate."""

import time

import numpy as np
import pytest

from semcodec.channel import check_ber, flip_bits, flip_positions


def _popcount(a: bytes, b: bytes) -> int:
    x = np.frombuffer(a, np.uint8) ^ np.frombuffer(b, np.uint8)
    return int(np.unpackbits(x).sum())


def test_flip_count_mean_and_variance_match_bernoulli():
    rng = np.random.default_rng(1)
    n_bits, ber, trials = 8000, 0.01, 4000
    body = bytes(n_bits // 8)
    counts = np.array([flip_bits(body, ber, rng)[1] for _ in range(trials)])
    mean, var = n_bits * ber, n_bits * ber * (1 - ber)
    assert abs(counts.mean() - mean) < 5 * np.sqrt(var / trials)
    assert abs(counts.var(ddof=1) - var) < 5 * var * np.sqrt(2 / (trials - 1))


def test_every_bit_flipped_with_probability_ber():
    # per-position frequency: each of 64 bit positions ~ Binomial(trials, ber)
    rng = np.random.default_rng(2)
    trials, ber = 20000, 0.2
    hits = np.zeros(64)
    for _ in range(trials):
        out, _ = flip_bits(bytes(8), ber, rng)
        hits += np.unpackbits(np.frombuffer(out, np.uint8), bitorder="little")
    sd = np.sqrt(trials * ber * (1 - ber))
    assert np.all(np.abs(hits - trials * ber) < 5 * sd)
    # chi-square of the 64 cells against uniform, 63 dof: mean 63, sd ~11.2
    chi2 = np.sum((hits - hits.mean()) ** 2 / (trials * ber * (1 - ber)))
    assert chi2 < 63 + 6 * 11.2


def test_returned_body_differs_exactly_at_the_flipped_bits():
    rng = np.random.default_rng(3)
    body = rng.integers(0, 256, 5000, dtype=np.uint8).tobytes()
    for ber in (1e-4, 1e-2, 0.3, 0.5):
        out, k = flip_bits(body, ber, rng)
        assert len(out) == len(body) and _popcount(body, out) == k
    pos = flip_positions(10_000, 0.1, np.random.default_rng(4))
    assert np.all(np.diff(pos) > 0) and pos.min() >= 0 and pos.max() < 10_000


def test_zero_rate_returns_the_same_bytes_and_half_rate_flips_half():
    rng = np.random.default_rng(5)
    body = b"\x5a" * 1000
    assert flip_bits(body, 0.0, rng) == (body, 0)
    counts = [flip_bits(body, 0.5, rng)[1] for _ in range(200)]
    assert abs(np.mean(counts) - 4000) < 5 * np.sqrt(2000 / 200)


def test_low_rates_are_fast_and_unbiased():
    rng = np.random.default_rng(6)
    body = bytes(1_000_000)  # 8e6 bits
    t0 = time.perf_counter()
    counts = [flip_bits(body, 1e-7, rng)[1] for _ in range(2000)]
    assert time.perf_counter() - t0 < 5.0  # no per-bit work
    assert abs(np.mean(counts) - 0.8) < 5 * np.sqrt(0.8 / 2000)
    counts9 = [flip_bits(body, 1e-9, rng)[1] for _ in range(2000)]
    assert np.mean(counts9) < 0.05


def test_same_seed_same_flips():
    body = bytes(range(256)) * 10
    a = flip_bits(body, 0.01, np.random.default_rng(7))
    b = flip_bits(body, 0.01, np.random.default_rng(7))
    assert a == b


@pytest.mark.parametrize("ber", [-1e-3, 0.5000001, 1.0, float("nan")])
def test_ber_outside_0_half_is_refused(ber):
    with pytest.raises(ValueError, match="ber"):
        flip_bits(b"abc", ber, np.random.default_rng(0))
    with pytest.raises(ValueError):
        check_ber(ber)
