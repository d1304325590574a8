"""Payload transport over the 5G LDPC / QAM / AWGN chain: block split, send, reassemble.

A payload (any number of bits) crosses the link of one ASCC design as the paper describes
it (ASCC Sec. II): the bitstream is cut into blocks of ``N_c = R_c L`` information bits,
each block is LDPC-encoded and modulated into ``L`` channel uses. Here:

- ``N_c = k = round(R_c * L)``; the realised rate is ``k / L`` (within ``1 / (2L)`` of the
  design's R_c).
- **Padding (stated).** The last block is filled up to ``k`` bits with pseudo-random bits
  drawn from the caller's generator; they are dropped at reassembly and never counted in
  the bit error rate (they do count in the block error rate: a codeword is wrong when any
  of its ``k`` decoded information bits is wrong).
- **Modulation rule.** ``bits_per_symbol`` is the order that 3GPP TS 38.214 Table
  5.1.3.1-2 (the 256QAM MCS table) uses at spectral efficiency ``R_c``: QPSK up to 1.1758,
  16QAM up to 2.5703, 64QAM up to 5.1152, 256QAM up to 7.4063 bit per channel use;
  below 0.4 (QPSK would need an LDPC rate under the 5G minimum of 1/5) BPSK. The LDPC
  code rate is then ``k / (L m)``, always inside the 5G range [1/5, 948/1024]; a rate no
  order can carry is refused.
- **Channel.** AWGN at the design's SINR: the interference of the sensing beam at the CRE
  is treated as Gaussian noise (unit-power symbols, ``N_0 = 1 / SINR``), as in
  :mod:`linksim.phy`.

Bits travel LSB first within each byte (bit ``i`` is bit ``i % 8`` of byte ``i // 8``), the
convention of the bit-flip channel, so a flipped bit means the same bit on both channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from .phy import BITS_PER_SYMBOL, MAX_CODE_RATE, MIN_CODE_RATE, LDPCQAMLink, check_code

#: (largest R_c in bit per channel use, bits per symbol): the modulation rule (see module doc).
MODULATION_RULE = ((2 * MIN_CODE_RATE, 1), (1.1758, 2), (2.5703, 4), (5.1152, 6), (7.4063, 8))
MIN_RATE = MIN_CODE_RATE  #: smallest R_c any order carries (BPSK at LDPC rate 1/5)
MAX_RATE = MODULATION_RULE[-1][0]  #: largest R_c (256QAM at LDPC rate 948/1024)


def bits_per_symbol_for_rate(rc: float) -> int:
    """QAM order (bits per symbol) of the modulation rule for coding rate ``R_c`` (bit/ch. use)."""
    r = float(rc)
    if not (np.isfinite(r) and MIN_RATE <= r <= MAX_RATE):
        raise ValueError(f"rc={rc!r} is invalid: the 5G LDPC code with BPSK..256QAM carries "
                         f"R_c in [{MIN_RATE:.2f}, {MAX_RATE:.4f}] bit per channel use")
    for limit, m in MODULATION_RULE:
        if r <= limit:
            return m
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class CodeChoice:
    """The code of one link: ``k`` info bits in ``n = L m`` coded bits on ``L`` channel uses."""

    rc: float
    blocklength: int
    bits_per_symbol: int
    k: int
    n: int

    @property
    def code_rate(self) -> float:
        """LDPC rate ``k / n``."""
        return self.k / self.n

    @property
    def rc_eff(self) -> float:
        """Realised ``R_c = k / L`` (bit per channel use)."""
        return self.k / self.blocklength


def choose_code(rc: float, blocklength: int = 256, bits_per_symbol: int | None = None
                ) -> CodeChoice:
    """The code for a design's ``R_c`` and ``L``: the modulation rule unless ``bits_per_symbol``.

    Raises ValueError naming the value when the 5G code cannot carry it.
    """
    if int(blocklength) != blocklength or blocklength < 1:
        raise ValueError(f"blocklength={blocklength!r} is invalid: must be an integer >= 1")
    if not (np.isfinite(float(rc)) and float(rc) > 0):
        raise ValueError(f"rc={rc!r} is invalid: must be > 0 bit per channel use")
    k = int(round(float(rc) * int(blocklength)))
    # the rule looks at the realised rate k / L, so rounding never pushes k/n out of range
    if bits_per_symbol is None:
        try:
            m = bits_per_symbol_for_rate(k / int(blocklength))
        except ValueError:
            raise ValueError(f"rc={rc!r} is invalid: the 5G LDPC code with BPSK..256QAM "
                             f"carries R_c in [{MIN_RATE:.2f}, {MAX_RATE:.4f}] bit per channel "
                             f"use (k = round(R_c L) = {k} at L = {blocklength})") from None
    else:
        m = bits_per_symbol
    if m not in BITS_PER_SYMBOL:
        raise ValueError(f"bits_per_symbol={bits_per_symbol!r} is invalid: must be one of "
                         f"{BITS_PER_SYMBOL} (BPSK or square QAM)")
    n = int(blocklength) * int(m)
    if not MIN_CODE_RATE <= k / n <= MAX_CODE_RATE:
        raise ValueError(f"rc={rc!r} (k={k} at L={blocklength}) with bits_per_symbol={m} is "
                         f"invalid: LDPC rate "
                         f"{k}/{n} outside the 5G range [{MIN_CODE_RATE:.3f}, "
                         f"{MAX_CODE_RATE:.4f}]")
    k2, n2 = check_code(k / n, m, int(blocklength))
    assert (k2, n2) == (k, n)
    return CodeChoice(float(rc), int(blocklength), int(m), k, n)


def bytes_to_bits(data: bytes) -> np.ndarray:
    """Bytes -> bits, uint8 ``(8 len(data),)``, LSB first within each byte."""
    return np.unpackbits(np.frombuffer(bytes(data), dtype=np.uint8), bitorder="little")


def bits_to_bytes(bits: ArrayLike) -> bytes:
    """Inverse of :func:`bytes_to_bits` (length must be a multiple of 8)."""
    b = np.asarray(bits, dtype=np.uint8).reshape(-1)
    if b.size % 8:
        raise ValueError(f"bits length={b.size} is invalid: must be a multiple of 8")
    return np.packbits(b, bitorder="little").tobytes()


def split_blocks(bits: ArrayLike, k: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Cut ``bits`` into blocks of ``k``; the last is padded with random bits from ``rng``.

    Returns:
        (blocks uint8 ``(ceil(n_bits / k), k)``, number of padding bits). An empty payload
        gives ``(0, k)`` blocks.
    """
    b = np.asarray(bits).reshape(-1)
    if b.size and not np.all((b == 0) | (b == 1)):
        raise ValueError("bits is invalid: must hold only 0/1 values")
    if int(k) < 1:
        raise ValueError(f"k={k!r} is invalid: must be >= 1 information bits per block")
    n_blocks = -(-b.size // int(k))
    n_pad = n_blocks * int(k) - b.size
    out = np.empty(n_blocks * int(k), dtype=np.uint8)
    out[:b.size] = b
    out[b.size:] = rng.integers(0, 2, n_pad, dtype=np.uint8)
    return out.reshape(n_blocks, int(k)), n_pad


def join_blocks(blocks: ArrayLike, n_bits: int) -> np.ndarray:
    """Reassemble: the first ``n_bits`` bits of the blocks in order (padding dropped)."""
    flat = np.asarray(blocks, dtype=np.uint8).reshape(-1)
    if not 0 <= int(n_bits) <= flat.size:
        raise ValueError(f"n_bits={n_bits!r} is invalid: the blocks hold {flat.size} bits")
    return flat[:int(n_bits)].copy()


@dataclass(frozen=True)
class TransportStats:
    """Counts of one payload transfer (payload bits only for BER; whole blocks for BLER)."""

    bit_errors: int
    n_bits: int
    block_errors: int
    n_blocks: int

    @property
    def ber(self) -> float:
        return self.bit_errors / self.n_bits if self.n_bits else 0.0

    @property
    def bler(self) -> float:
        return self.block_errors / self.n_blocks if self.n_blocks else 0.0


class PayloadLink:
    """One design's link: payload bits -> blocks of ``k`` -> 5G LDPC -> QAM -> AWGN -> back.

    Args:
        rc: coding rate R_c, information bits per channel use.
        blocklength: L channel uses per block (ASCC Sec. V: 256).
        bits_per_symbol: QAM order; ``None`` applies :data:`MODULATION_RULE`.
        num_iter: belief-propagation iterations.
        batch: codewords per decoder call (bounds memory; results do not depend on it
            except through the noise draw order, which is fixed for a given batch).
        device: torch device of the chain.
    """

    def __init__(self, rc: float, blocklength: int = 256, bits_per_symbol: int | None = None,
                 num_iter: int = 20, batch: int = 1024, device: str = "cpu") -> None:
        self.code = choose_code(rc, blocklength, bits_per_symbol)
        if int(batch) < 1:
            raise ValueError(f"batch={batch!r} is invalid: must be >= 1")
        self.batch = int(batch)
        self.link = LDPCQAMLink(self.code.code_rate, self.code.bits_per_symbol,
                                self.code.blocklength, num_iter, device)
        assert (self.link.k, self.link.n) == (self.code.k, self.code.n)

    @property
    def k(self) -> int:
        return self.code.k

    def send_blocks(self, blocks: np.ndarray, sinr_db: float, rng: np.random.Generator
                    ) -> np.ndarray:
        """Send info blocks uint8 ``(B, k)``; returns the decoded blocks uint8 ``(B, k)``."""
        if not np.isfinite(sinr_db):
            raise ValueError(f"sinr_db={sinr_db!r} is invalid: must be finite (dB)")
        if blocks.shape[0] == 0:
            return blocks.copy()
        gen = torch.Generator(device=self.link.device).manual_seed(
            int(rng.integers(0, 2 ** 63 - 1)))
        out = np.empty_like(blocks)
        for s in range(0, blocks.shape[0], self.batch):
            info = torch.from_numpy(blocks[s:s + self.batch].astype(np.float32))
            dec = self.link.run(info.to(self.link.device), sinr_db, gen)
            out[s:s + self.batch] = dec.cpu().numpy().astype(np.uint8)
        return out

    def send_bits(self, bits: ArrayLike, sinr_db: float, rng: np.random.Generator
                  ) -> tuple[np.ndarray, TransportStats]:
        """Send a payload of 0/1 bits (any length >= 0); returns (received bits, counts)."""
        b = np.asarray(bits, dtype=np.uint8).reshape(-1)
        blocks, _ = split_blocks(b, self.k, rng)
        rx_blocks = self.send_blocks(blocks, sinr_db, rng)
        rx = join_blocks(rx_blocks, b.size)
        stats = TransportStats(bit_errors=int(np.count_nonzero(rx != b)), n_bits=int(b.size),
                               block_errors=int(np.count_nonzero(np.any(rx_blocks != blocks, 1))),
                               n_blocks=int(blocks.shape[0]))
        return rx, stats

    def send_bytes(self, data: bytes, sinr_db: float, rng: np.random.Generator
                   ) -> tuple[bytes, TransportStats]:
        """:meth:`send_bits` on the bits of ``data`` (LSB first); returns (bytes, counts)."""
        rx, stats = self.send_bits(bytes_to_bits(data), sinr_db, rng)
        return bits_to_bytes(rx), stats


def block_errors_of_flips(n_bits: int, k: int, flipped: np.ndarray) -> tuple[int, int]:
    """(blocks holding >= 1 flipped bit, number of blocks) when ``n_bits`` are cut into ``k``.

    Gives the bit-flip channel the same block error count as the LDPC chain's blocking.
    """
    n_blocks = -(-int(n_bits) // int(k))
    hit = np.unique(np.asarray(flipped, dtype=np.int64) // int(k))
    return int(hit.size), n_blocks
