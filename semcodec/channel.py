"""The binary symmetric channel of ASCC Sec. III-A.3: independent bit flips at rate rho_b.

Every body bit is flipped independently with probability rho_b. Drawing the
flip count K ~ Binomial(n_bits, rho_b) and then K distinct positions uniformly
at random gives exactly that law (the flip pattern of i.i.d. Bernoulli bits,
conditioned on its weight, is uniform over the patterns of that weight), and
costs O(K) random draws instead of one per bit, so 1e-9 is as cheap as 1e-2.
"""

from __future__ import annotations

import math

import numpy as np

#: Largest meaningful crossover probability of a binary symmetric channel.
MAX_BER = 0.5


def check_ber(ber: float, name: str = "ber") -> float:
    """Validate a bit error rate rho_b in [0, 0.5] (returns it as float)."""
    b = float(ber)
    if not (0.0 <= b <= MAX_BER) or math.isnan(b):
        raise ValueError(f"{name}={ber} is invalid: must be a bit error rate in [0, 0.5]")
    return b


def flip_positions(n_bits: int, ber: float, rng: np.random.Generator) -> np.ndarray:
    """Positions (sorted int64, distinct) of the flipped bits among ``n_bits`` at rate ``ber``."""
    ber = check_ber(ber)
    if n_bits < 0:
        raise ValueError(f"n_bits={n_bits} is invalid: must be >= 0")
    if n_bits == 0 or ber == 0.0:
        return np.empty(0, dtype=np.int64)
    k = int(rng.binomial(n_bits, ber))
    if k == 0:
        return np.empty(0, dtype=np.int64)
    # Generator.choice without replacement is O(k) (Floyd / hash set) when k << n_bits.
    return np.sort(rng.choice(n_bits, size=k, replace=False).astype(np.int64))


def flip_bits(body: bytes, ber: float, rng: np.random.Generator) -> tuple[bytes, int]:
    """Flip each bit of ``body`` independently with probability ``ber`` (rho_b).

    Args:
        body: the bytes that cross the channel (length n_bytes).
        ber: bit error rate rho_b in [0, 0.5].
        rng: the random generator (explicit, so trials are reproducible).

    Returns:
        (received bytes of the same length, number of flipped bits). Bit i is
        bit ``i % 8`` (LSB first) of byte ``i // 8``.
    """
    pos = flip_positions(8 * len(body), ber, rng)
    if pos.size == 0:
        return bytes(body), 0
    arr = np.frombuffer(body, dtype=np.uint8).copy()
    bits = (np.left_shift(1, pos & 7)).astype(np.uint8)
    # positions are distinct, so XOR-accumulating the bits of one byte equals OR-ing them
    np.bitwise_xor.at(arr, pos >> 3, bits)
    return arr.tobytes(), int(pos.size)


def p_any_flip(n_bits: int, ber: float) -> float:
    """P(at least one of ``n_bits`` bits flips) = 1 - (1 - rho_b)^n_bits (accurate at 1e-9)."""
    ber = check_ber(ber)
    if n_bits <= 0 or ber == 0.0:
        return 0.0
    return -math.expm1(n_bits * math.log1p(-ber))


def flip_bits_given_any(body: bytes, ber: float, rng: np.random.Generator
                        ) -> tuple[bytes, int, float]:
    """:func:`flip_bits` conditioned on at least one flip (for stratified Monte Carlo).

    The first flipped bit J follows the geometric law truncated to the body,
    P(J = j) = rho_b (1 - rho_b)^j / p_any (drawn by inverting its CDF); bits
    after J flip independently with probability rho_b, bits before J do not.
    This is exactly the i.i.d. Bernoulli pattern given K >= 1. With
    ``E[D] = (1 - p_any) D(clean) + p_any E[D | K >= 1]`` the expected
    distortion is then estimated without the rare-event noise of plain
    sampling at low rho_b (where p_any << 1).

    Returns:
        (received bytes, number of flipped bits >= 1, p_any = P(K >= 1)).
        With ``ber == 0`` or an empty body nothing can flip: (body, 0, 0.0).
    """
    n_bits = 8 * len(body)
    p_any = p_any_flip(n_bits, ber)
    if p_any == 0.0:
        return bytes(body), 0, 0.0
    u = rng.random()
    j = math.floor(math.log1p(-u * p_any) / math.log1p(-ber)) if ber < 1 else 0
    j = min(max(int(j), 0), n_bits - 1)
    rest = flip_positions(n_bits - j - 1, ber, rng) + (j + 1)
    pos = np.concatenate([np.array([j], dtype=np.int64), rest])
    arr = np.frombuffer(body, dtype=np.uint8).copy()
    np.bitwise_xor.at(arr, pos >> 3, (np.left_shift(1, pos & 7)).astype(np.uint8))
    return arr.tobytes(), int(pos.size), p_any
