"""Bit-level physical layer with Sionna PHY 2.x (PyTorch): 5G NR LDPC + Gray QAM + AWGN.

Real payloads travel through it: the payload is cut into LDPC information
blocks, encoded with the 5G NR LDPC code (3GPP 38.212, rate matching and bit
interleaving included), Gray-mapped to QAM, sent over AWGN at the given SINR
(the interference of the sensing beam is treated as Gaussian noise, so the
channel is AWGN with ``N_0 = 1/SINR`` for unit-power symbols), demapped to LLRs
(APP demapper) and decoded with belief propagation using the exact boxplus-phi
check-node update (plain min-sum is broken in this Sionna version).

Block size: one codeword occupies the paper's ``L = 256`` channel uses (ASCC
Sec. II: ``N = I L``), i.e. ``n = L * bits_per_symbol`` coded bits and
``k = round(code_rate * n)`` information bits; the coding rate of ASCC is then
``R_c = k / L = code_rate * bits_per_symbol`` bits per channel use. The 5G code
allows it for every supported rate (``12 <= k <= 8448``). The last block is
padded with seeded random bits that are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from .units import db_to_lin

MIN_CODE_RATE = 1.0 / 5.0      # 38.212 without repetition (Sionna's limit)
MAX_CODE_RATE = 948.0 / 1024.0  # 38.212 5.4.2.1
BITS_PER_SYMBOL = (1, 2, 4, 6, 8)


@dataclass(frozen=True)
class PHYResult:
    """Outcome of :func:`transmit`.

    Attributes:
        bits: received payload bits, uint8 ``(num_bits,)``.
        ber: measured bit error rate over the payload bits.
        bler: measured block (codeword) error rate.
        bit_errors, num_bits, block_errors, num_blocks: the counts behind them.
        k, n: information and coded bits per codeword.
        rate_bits_per_channel_use: ``R_c = k / L``.
    """

    bits: np.ndarray
    ber: float
    bler: float
    bit_errors: int
    num_bits: int
    block_errors: int
    num_blocks: int
    k: int
    n: int
    rate_bits_per_channel_use: float


def check_code(code_rate: float, bits_per_symbol: int, blocklength: int) -> tuple[int, int]:
    """Validate the code parameters and return ``(k, n)`` of one codeword."""
    if bits_per_symbol not in BITS_PER_SYMBOL:
        raise ValueError(f"bits_per_symbol={bits_per_symbol!r} is invalid: must be one of "
                         f"{BITS_PER_SYMBOL} (BPSK or square QAM)")
    if int(blocklength) != blocklength or blocklength < 1:
        raise ValueError(f"blocklength={blocklength!r} is invalid: must be an integer >= 1")
    n = int(blocklength) * int(bits_per_symbol)
    if not (np.isfinite(code_rate) and MIN_CODE_RATE <= code_rate <= MAX_CODE_RATE):
        raise ValueError(f"code_rate={code_rate!r} is invalid: the 5G NR LDPC code supports "
                         f"[{MIN_CODE_RATE:.3f}, {MAX_CODE_RATE:.4f}] (k/n)")
    k = int(round(code_rate * n))
    if not 12 <= k <= 8448:
        raise ValueError(f"code_rate={code_rate!r} is invalid with n={n}: gives k={k}, the 5G "
                         "code needs 12 <= k <= 8448")
    return k, n


#: what a user without Sionna is told (the ``[phy]`` extra of pyproject.toml)
PHY_EXTRA_MESSAGE = ("the 5G LDPC PHY (Sionna) needs the phy extra: uv pip install 'issc[phy]' "
                     "(README, Install)")


class MissingExtraError(ValueError):
    """An optional part of the product is not installed; the message names the extra.

    A ``ValueError`` so that the ``issc`` verbs print it as one line and exit with status 2.
    """


class LDPCQAMLink:
    """5G LDPC + Gray QAM + AWGN chain for a fixed ``(code_rate, bits_per_symbol, L)``.

    Build once and call :meth:`run` many times (constructing the code is the slow part).
    """

    def __init__(self, code_rate: float, bits_per_symbol: int = 2, blocklength: int = 256,
                 num_iter: int = 20, device: str = "cpu") -> None:
        try:
            from sionna.phy.fec.ldpc import LDPC5GDecoder, LDPC5GEncoder
            from sionna.phy.mapping import Constellation, Demapper, Mapper
        except ModuleNotFoundError as exc:
            raise MissingExtraError(PHY_EXTRA_MESSAGE + f" ({exc.name} is not installed)") from None

        self.k, self.n = check_code(code_rate, bits_per_symbol, blocklength)
        self.bits_per_symbol = int(bits_per_symbol)
        self.blocklength = int(blocklength)
        self.device = device
        kind = "pam" if bits_per_symbol == 1 else "qam"
        const = Constellation(kind, self.bits_per_symbol, device=device)
        self.encoder = LDPC5GEncoder(self.k, self.n, num_bits_per_symbol=self.bits_per_symbol,
                                     device=device)
        self.decoder = LDPC5GDecoder(self.encoder, cn_update="boxplus-phi", num_iter=num_iter,
                                     hard_out=True, return_infobits=True, device=device)
        self.mapper = Mapper(constellation=const, device=device)
        self.demapper = Demapper("app", constellation=const, device=device)

    @property
    def rate_bits_per_channel_use(self) -> float:
        """ASCC ``R_c = k / L`` in information bits per channel use."""
        return self.k / self.blocklength

    @torch.no_grad()
    def run(self, info: torch.Tensor, sinr_db: float, generator: torch.Generator) -> torch.Tensor:
        """Send codewords ``info`` (float 0/1, ``(B, k)``) and return decoded bits ``(B, k)``."""
        from sionna.phy.utils import complex_normal

        no = db_to_lin(-float(sinr_db))  # unit-power symbols: N_0 = 1 / SINR
        x = self.mapper(self.encoder(info))
        noise = complex_normal(x.shape, precision="single", device=self.device,
                               generator=generator)
        y = x + np.sqrt(no) * noise.to(x.dtype)
        llr = self.demapper(y, torch.tensor(no, dtype=torch.float32, device=self.device))
        return self.decoder(llr)


def transmit(bits: ArrayLike, sinr_db: float, code_rate: float, bits_per_symbol: int = 2,
             seed: int = 0, blocklength: int = 256, num_iter: int = 20,
             link: LDPCQAMLink | None = None) -> PHYResult:
    """Send a payload through the 5G LDPC / QAM / AWGN chain and measure BER and BLER.

    Args:
        bits: payload, any 0/1 array (flattened), at least one bit.
        sinr_db: SINR per channel use in dB (finite).
        code_rate: LDPC code rate ``k/n`` in [0.2, 0.926].
        bits_per_symbol: 1 (BPSK), 2, 4, 6 or 8 (Gray QAM).
        seed: seeds the padding bits and the noise (same seed, same result).
        blocklength: channel uses per codeword ``L`` (ASCC: 256).
        num_iter: BP iterations.
        link: a prebuilt :class:`LDPCQAMLink` with the same parameters (saves set-up time).

    Returns:
        :class:`PHYResult` with the received payload bits (uint8) and the error counts.
    """
    payload = np.asarray(bits).reshape(-1)
    if payload.size == 0 or not np.all((payload == 0) | (payload == 1)):
        raise ValueError("bits is invalid: must be a non-empty array of 0/1 values")
    if not np.isfinite(sinr_db):
        raise ValueError(f"sinr_db={sinr_db!r} is invalid: must be finite (dB)")
    link = link or LDPCQAMLink(code_rate, bits_per_symbol, blocklength, num_iter)
    rng = np.random.default_rng(seed)
    gen = torch.Generator(device=link.device).manual_seed(int(seed))
    nblk = -(-payload.size // link.k)
    padded = rng.integers(0, 2, nblk * link.k).astype(np.float32)
    padded[:payload.size] = payload
    info = torch.from_numpy(padded.reshape(nblk, link.k)).to(link.device)
    out = link.run(info, sinr_db, gen).cpu().numpy().reshape(-1).astype(np.uint8)
    rx = out[:payload.size]
    bit_err = int(np.count_nonzero(rx != payload.astype(np.uint8)))
    blk_err = int(np.count_nonzero(np.any(out.reshape(nblk, link.k)
                                          != padded.reshape(nblk, link.k).astype(np.uint8), 1)))
    return PHYResult(bits=rx, ber=bit_err / payload.size, bler=blk_err / nblk,
                     bit_errors=bit_err, num_bits=int(payload.size), block_errors=blk_err,
                     num_blocks=nblk, k=link.k, n=link.n,
                     rate_bits_per_channel_use=link.rate_bits_per_channel_use)


def measure_ber(link: LDPCQAMLink, sinr_db: float, max_blocks: int, seed: int,
                min_block_errors: int = 50, batch: int = 100) -> dict[str, float]:
    """Measure BER/BLER at one SINR with random payloads, stopping after
    ``min_block_errors`` block errors or ``max_blocks`` codewords.

    Returns a dict with ``sinr_db, ber, bler, bit_errors, bits, block_errors, blocks``.
    """
    if int(max_blocks) < 1:
        raise ValueError(f"max_blocks={max_blocks!r} is invalid: must be an integer >= 1")
    rng = np.random.default_rng(seed)
    gen = torch.Generator(device=link.device).manual_seed(int(seed))
    be = blk = nb = 0
    while nb < max_blocks and blk < min_block_errors:
        b = min(batch, max_blocks - nb)
        info = torch.from_numpy(rng.integers(0, 2, (b, link.k)).astype(np.float32))
        out = link.run(info.to(link.device), sinr_db, gen).cpu()
        err = out != info
        be += int(err.sum())
        blk += int(err.any(dim=1).sum())
        nb += b
    return {"sinr_db": float(sinr_db), "ber": be / (nb * link.k), "bler": blk / nb,
            "bit_errors": be, "bits": nb * link.k, "block_errors": blk, "blocks": nb}
