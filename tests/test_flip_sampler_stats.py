"""Chi-square tests of the bit-flip samplers against their exact distributions.

The binary symmetric channel of ASCC Sec. III-A.3 flips each of n bits
independently with probability rho. Then, exactly:

* the flip count K ~ Binomial(n, rho), and every bit flips with probability rho;
* given at least one flip (the stratified sampler of the sweep), the first
  flipped bit J has P(J = j) = rho (1 - rho)^j / p_any (j = 0..n-1), the count has
  P(K = k | K >= 1) = Binomial(n, rho)(k) / p_any (k >= 1), and every bit flips with
  probability rho / p_any, with p_any = 1 - (1 - rho)^n.

The flipped positions are read back from the bytes (XOR with the input, bit i =
bit i % 8 of byte i // 8, LSB first), independently of how the sampler drew them.
Each test draws 20,000 patterns from a fixed seed; a correct sampler gives
p-values spread uniformly, a shifted or miscounted one p ~ 0. The threshold 1e-3
leaves a false alarm rate of 0.1 % per seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from semcodec.channel import flip_bits, flip_bits_given_any, flip_positions, p_any_flip

TRIALS = 20_000
N_BYTES = 8
N_BITS = 8 * N_BYTES
ALPHA = 1e-3


def _chi2_pvalue(observed: np.ndarray, probs: np.ndarray) -> float:
    """Pearson chi-square p-value; bins with expected count < 5 are pooled (from the tail)."""
    observed = np.asarray(observed, float)
    expected = TRIALS * np.asarray(probs, float)
    assert observed.sum() == TRIALS and expected.sum() == pytest.approx(TRIALS, rel=1e-9)
    obs, exp = [], []
    o_acc = e_acc = 0.0
    for o, e in zip(observed, expected):
        o_acc, e_acc = o_acc + o, e_acc + e
        if e_acc >= 5:
            obs.append(o_acc)
            exp.append(e_acc)
            o_acc = e_acc = 0.0
    if e_acc > 0 or o_acc > 0:  # what is left joins the last bin
        obs[-1] += o_acc
        exp[-1] += e_acc
    assert len(obs) >= 2
    return float(stats.chisquare(obs, exp).pvalue)


def _flipped(received: bytes) -> np.ndarray:
    """Bit i of the body (LSB-first) flipped? (the body sent is all zeros)."""
    return np.unpackbits(np.frombuffer(received, dtype=np.uint8), bitorder="little").astype(bool)


def _draw(sampler, rho: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    body = bytes(N_BYTES)
    out = np.empty((TRIALS, N_BITS), dtype=bool)
    for t in range(TRIALS):
        res = sampler(body, rho, rng)
        out[t] = _flipped(res[0])
        assert res[1] == out[t].sum()  # the reported count is the count in the bytes
    return out


def _binomial_pmf(k: np.ndarray, rho: float) -> np.ndarray:
    return np.array([math.comb(N_BITS, int(i)) * rho ** i * (1 - rho) ** (N_BITS - i) for i in k])


@pytest.mark.parametrize("rho", [0.05, 0.003])
def test_plain_flips_count_is_binomial_and_every_bit_flips_alike(rho):
    pat = _draw(flip_bits, rho, seed=11)
    k = np.arange(N_BITS + 1)
    counts = np.bincount(pat.sum(axis=1), minlength=N_BITS + 1)
    assert _chi2_pvalue(counts, _binomial_pmf(k, rho)) > ALPHA
    # every position flips with probability rho: a 64-cell goodness of fit of the flip totals
    per_bit = pat.sum(axis=0)
    assert stats.chisquare(per_bit).pvalue > ALPHA
    mean_rate = per_bit.sum() / (TRIALS * N_BITS)
    assert abs(mean_rate - rho) < 4 * math.sqrt(rho * (1 - rho) / (TRIALS * N_BITS))


@pytest.mark.parametrize("rho", [0.02, 1e-4])
def test_conditional_first_flip_and_count_follow_the_exact_laws(rho):
    pat = _draw(lambda b, r, g: flip_bits_given_any(b, r, g)[:2], rho, seed=12)
    p_any = 1 - (1 - rho) ** N_BITS
    assert p_any_flip(N_BITS, rho) == pytest.approx(p_any, rel=1e-12)
    assert pat.any(axis=1).all()  # at least one flip, always
    first = pat.argmax(axis=1)
    j = np.arange(N_BITS)
    pj = rho * (1 - rho) ** j / p_any
    assert _chi2_pvalue(np.bincount(first, minlength=N_BITS), pj) > ALPHA
    k = np.arange(1, N_BITS + 1)
    counts = np.bincount(pat.sum(axis=1), minlength=N_BITS + 1)[1:]
    assert _chi2_pvalue(counts, _binomial_pmf(k, rho) / p_any) > ALPHA
    # marginal: every bit flips with probability rho / p_any, whatever its position
    per_bit = pat.sum(axis=0)
    assert stats.chisquare(per_bit).pvalue > ALPHA


def test_conditional_bits_after_the_first_flip_are_independent_at_rate_rho():
    """Given J = j, bits j+1.. flip independently with probability rho (none before j)."""
    rho = 0.05
    pat = _draw(lambda b, r, g: flip_bits_given_any(b, r, g)[:2], rho, seed=13)
    first = pat.argmax(axis=1)
    after = np.arange(N_BITS)[None, :] > first[:, None]
    before = np.arange(N_BITS)[None, :] < first[:, None]
    assert not pat[before].any()
    n_after = int(after.sum())
    flips_after = int(pat[after].sum())
    sd = math.sqrt(n_after * rho * (1 - rho))
    assert abs(flips_after - n_after * rho) < 4 * sd


def test_p_any_flip_by_hand():
    assert p_any_flip(1, 0.25) == pytest.approx(0.25, rel=1e-15)
    assert p_any_flip(2, 0.5) == pytest.approx(0.75, rel=1e-15)
    assert p_any_flip(10**9, 1e-9) == pytest.approx(1 - math.exp(-1), rel=1e-8)
    assert p_any_flip(0, 0.1) == 0.0 and p_any_flip(100, 0.0) == 0.0


def test_bit_i_is_bit_i_mod_8_lsb_first_of_byte_i_div_8():
    """The law above is blind to a permutation of bit positions; the documented layout is not."""
    body = bytes(range(0, 240, 16))  # not all zeros: flips are XORs on real content
    for seed in range(20):
        pos = flip_positions(8 * len(body), 0.1, np.random.default_rng(seed))
        out, k = flip_bits(body, 0.1, np.random.default_rng(seed))
        diff = np.frombuffer(out, np.uint8) ^ np.frombuffer(body, np.uint8)
        want = np.zeros(len(body), dtype=np.uint8)
        for p in pos:  # by hand: bit p is bit p % 8 of byte p // 8
            want[p // 8] |= 1 << (p % 8)
        assert k == len(pos) and np.array_equal(diff, want)
