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


def test_conditional_flips_match_the_zero_truncated_binomial():
    from semcodec.channel import flip_bits_given_any, p_any_flip

    rng = np.random.default_rng(8)
    body = bytes(50)  # 400 bits
    for ber in (1e-4, 5e-3):
        p_any = p_any_flip(400, ber)
        assert abs(p_any - (1 - (1 - ber) ** 400)) < 1e-12
        ks = []
        for _ in range(20000):
            out, k, p = flip_bits_given_any(body, ber, rng)
            assert k >= 1 and p == p_any and _popcount(body, out) == k
            ks.append(k)
        ks = np.array(ks)
        mean = 400 * ber / p_any  # E[K | K >= 1]
        var = (400 * ber * (1 - ber) + (400 * ber) ** 2) / p_any - mean ** 2
        assert abs(ks.mean() - mean) < 5 * np.sqrt(var / ks.size)
    assert flip_bits_given_any(body, 0.0, rng) == (body, 0, 0.0)


def test_stratified_estimate_equals_plain_monte_carlo():
    # D = position of the first flipped bit (n if none): depends on where flips land
    from semcodec.channel import flip_bits_given_any

    n, ber = 96, 0.004
    body = bytes(n // 8)

    def first(out: bytes) -> float:
        bits = np.unpackbits(np.frombuffer(out, np.uint8), bitorder="little")
        return float(np.argmax(bits)) if bits.any() else float(n)

    rng = np.random.default_rng(9)
    plain = np.array([first(flip_bits(body, ber, rng)[0]) for _ in range(40000)])
    cond = []
    for _ in range(4000):
        out, _, p_any = flip_bits_given_any(body, ber, rng)
        cond.append(first(out))
    strat = (1 - p_any) * n + p_any * np.mean(cond)
    exact = sum(j * ber * (1 - ber) ** j for j in range(n)) + n * (1 - ber) ** n
    assert abs(plain.mean() - exact) < 5 * plain.std() / np.sqrt(plain.size)
    assert abs(strat - exact) < 5 * p_any * np.std(cond) / np.sqrt(len(cond))
