"""Payload transport over the 5G LDPC chain: block split, reassembly, modulation rule."""

import numpy as np
import pytest

from linksim.payload_link import (
    MAX_RATE,
    MIN_RATE,
    PayloadLink,
    bits_per_symbol_for_rate,
    bits_to_bytes,
    block_errors_of_flips,
    bytes_to_bits,
    choose_code,
    join_blocks,
    split_blocks,
)
from linksim.phy import MAX_CODE_RATE, MIN_CODE_RATE
from semcodec.channel import flip_bits


@pytest.mark.parametrize("n_bits", [0, 1, 63, 64, 65, 128, 1000, 4097])
@pytest.mark.parametrize("k", [1, 64, 256, 333])
def test_split_join_round_trip_any_length(n_bits, k):
    rng = np.random.default_rng(n_bits + 7 * k)
    bits = rng.integers(0, 2, n_bits).astype(np.uint8)
    blocks, n_pad = split_blocks(bits, k, np.random.default_rng(1))
    n_blocks = -(-n_bits // k)
    assert blocks.shape == (n_blocks, k) and blocks.dtype == np.uint8
    assert n_pad == n_blocks * k - n_bits and 0 <= n_pad < k  # padding stated: < one block
    np.testing.assert_array_equal(blocks.reshape(-1)[:n_bits], bits)  # payload in order
    np.testing.assert_array_equal(join_blocks(blocks, n_bits), bits)


def test_padding_is_seeded_random_and_dropped():
    bits = np.ones(10, dtype=np.uint8)
    a, n_pad = split_blocks(bits, 1000, np.random.default_rng(3))
    b, _ = split_blocks(bits, 1000, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    pad = a.reshape(-1)[10:]
    assert n_pad == 990 and 0.4 < pad.mean() < 0.6  # random, not a constant fill


def test_bit_order_matches_the_bitflip_channel():
    """Bit i is bit i % 8 (LSB first) of byte i // 8 on both channels."""
    rng = np.random.default_rng(0)
    data = rng.integers(0, 256, 300, dtype=np.uint8).tobytes()
    bits = bytes_to_bits(data)
    for i in (0, 1, 7, 8, 1234, 2399):
        assert bits[i] == (data[i // 8] >> (i % 8)) & 1
    assert bits_to_bytes(bits) == data
    rx, k = flip_bits(data, 0.01, np.random.default_rng(5))
    diff = np.flatnonzero(bytes_to_bits(rx) != bits)
    assert diff.size == k > 0
    blk, n_blk = block_errors_of_flips(bits.size, 256, diff)
    assert n_blk == -(-bits.size // 256)
    assert blk == np.unique(diff // 256).size


def test_modulation_rule_gives_supported_5g_rates():
    for rc in np.linspace(MIN_RATE + 1 / 256, MAX_RATE, 400):
        code = choose_code(rc, 256)
        assert MIN_CODE_RATE <= code.code_rate <= MAX_CODE_RATE
        assert code.k == round(rc * 256) and code.n == 256 * code.bits_per_symbol
        assert abs(code.rc_eff - rc) <= 0.5 / 256 + 1e-12
    assert [bits_per_symbol_for_rate(r) for r in (0.3, 1.0, 1.5, 3.0, 6.0)] == [1, 2, 4, 6, 8]
    for rc in (0.4, 0.4001, 0.401, 1.1758, 1.18):  # around the switch points
        assert MIN_CODE_RATE <= choose_code(rc, 256).code_rate <= MAX_CODE_RATE
    # the order never decreases with the rate
    orders = [bits_per_symbol_for_rate(r) for r in np.linspace(MIN_RATE, MAX_RATE, 200)]
    assert orders == sorted(orders)


@pytest.mark.parametrize("rc, m", [(0.1, None), (0.2, None), (7.5, None), (float("nan"), None),
                                   (1.0, 3), (3.0, 2), (0.3, 8)])
def test_rates_and_orders_the_5g_code_cannot_carry_are_refused(rc, m):
    with pytest.raises(ValueError, match="is invalid"):
        choose_code(rc, 256, m)


@pytest.fixture(scope="module")
def link():
    return PayloadLink(0.5, 256)  # QPSK, k = 128: a short code keeps the test fast


@pytest.mark.parametrize("n_bytes", [0, 1, 16, 17, 250])
def test_error_free_ldpc_run_returns_the_exact_payload(link, n_bytes):
    data = np.random.default_rng(n_bytes).integers(0, 256, n_bytes, dtype=np.uint8).tobytes()
    rx, st = link.send_bytes(data, 20.0, np.random.default_rng(1))
    assert rx == data
    assert st.bit_errors == 0 and st.block_errors == 0 and st.n_bits == 8 * n_bytes
    assert st.n_blocks == -(-8 * n_bytes // link.k)


def test_noisy_run_counts_errors_and_is_seeded(link):
    data = np.random.default_rng(9).integers(0, 256, 200, dtype=np.uint8).tobytes()
    a, sa = link.send_bytes(data, -3.0, np.random.default_rng(4))
    b, sb = link.send_bytes(data, -3.0, np.random.default_rng(4))
    c, _ = link.send_bytes(data, -3.0, np.random.default_rng(5))
    assert a == b and sa == sb and a != c
    diff = np.count_nonzero(bytes_to_bits(a) != bytes_to_bits(data))
    assert sa.bit_errors == diff > 0 and sa.block_errors >= 1
    assert sa.ber == diff / (8 * len(data))


def test_bad_sinr_is_refused(link):
    with pytest.raises(ValueError, match="sinr_db"):
        link.send_bytes(b"abc", float("nan"), np.random.default_rng(0))
