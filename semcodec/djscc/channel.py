"""The analog channel of deep JSCC: power normalisation, complex pairing, AWGN.

Bourtsoulatze, Kurka, Gunduz, "Deep joint source-channel coding for wireless
image transmission", IEEE TCCN 2019 (Sec. III): the encoder's real outputs are
paired into complex channel uses, normalised to the average power constraint
``(1/k) sum_i |z_i|^2 = P = 1`` per image (k complex channel uses) and sent over
complex AWGN ``y = z + n``, ``n ~ CN(0, sigma^2)``, at
``SNR = 10 log10(P / sigma^2)`` dB. With P = 1 per complex channel use this is
the same energy per channel use as the digital link's unit-energy QAM symbols
(:mod:`linksim.phy`), so one SNR / SINR value means the same thing for both.

Layout of the pairing (:func:`to_complex`): an image's real symbols, flattened
in C order from (c, h, w), are taken two by two: symbol 2i is the real part and
symbol 2i + 1 the imaginary part of channel use i. The digital end-to-end path
has no block fading (``optim.e2e`` and ``linksim`` model AWGN at a SINR), so
neither does this module.
"""

from __future__ import annotations

import torch

__all__ = ["awgn", "check_snr_db", "from_complex", "noise_variance", "power_normalise",
           "to_complex"]


def check_snr_db(snr_db: float | torch.Tensor, name: str = "snr_db") -> torch.Tensor:
    """``snr_db`` as a float64 tensor, or a one-line ValueError when any value is not finite."""
    t = torch.as_tensor(snr_db, dtype=torch.float64)
    if not bool(torch.isfinite(t).all()):
        bad = snr_db if t.dim() == 0 else t[~torch.isfinite(t)][0].item()
        raise ValueError(f"{name}={bad} is invalid: the SNR must be a finite number of dB "
                         f"(use a large value such as 200 for an almost noiseless channel)")
    return t


def noise_variance(snr_db: float | torch.Tensor) -> torch.Tensor:
    """Complex noise variance per channel use ``sigma^2 = 10^(-SNR/10)`` (signal power 1)."""
    return torch.pow(10.0, -check_snr_db(snr_db) / 10.0)


def _per_image(z: torch.Tensor) -> torch.Tensor:
    if z.dim() < 2:
        raise ValueError(f"z.shape={tuple(z.shape)} is invalid: expected (B, ...) with a batch "
                         f"dimension")
    return z.reshape(z.shape[0], -1)


def power_normalise(z: torch.Tensor) -> torch.Tensor:
    """Scale each image's real symbols to average power 1 per complex channel use.

    Args:
        z: real tensor (B, ...) (float); each image holds an even number ``2k``
            of real symbols, i.e. k complex channel uses.

    Returns:
        ``z * sqrt(k / sum z^2)`` per image (same shape and dtype), so that
        ``(1/k) sum_i |z_i|^2 = 1`` per image exactly (Bourtsoulatze et al. 2019,
        the normalisation layer before the channel).
    """
    flat = _per_image(z)
    if flat.shape[1] % 2:
        raise ValueError(f"z has {flat.shape[1]} real symbols per image, an odd number: they "
                         f"cannot be paired into complex channel uses")
    k = flat.shape[1] // 2
    energy = flat.pow(2).sum(dim=1).clamp_min(torch.finfo(z.dtype).tiny)
    scale = torch.sqrt(k / energy)
    return z * scale.view(-1, *([1] * (z.dim() - 1)))


def to_complex(z: torch.Tensor) -> torch.Tensor:
    """Pair real symbols into complex channel uses: (B, ...) real -> (B, k) complex.

    Symbol 2i is the real part and 2i + 1 the imaginary part of use i (C-order
    flattening of each image). float32 gives complex64, float64 complex128.
    """
    flat = _per_image(z)
    if flat.shape[1] % 2:
        raise ValueError(f"z has {flat.shape[1]} real symbols per image, an odd number: they "
                         f"cannot be paired into complex channel uses")
    return torch.view_as_complex(flat.reshape(flat.shape[0], -1, 2).contiguous())


def from_complex(zc: torch.Tensor, shape: tuple[int, ...] | torch.Size) -> torch.Tensor:
    """Inverse of :func:`to_complex`: (B, k) complex -> real tensor of ``shape`` (B, ...)."""
    return torch.view_as_real(zc.contiguous()).reshape(tuple(shape))


def awgn(z: torch.Tensor, snr_db: float | torch.Tensor,
         generator: torch.Generator | None = None) -> torch.Tensor:
    """Complex AWGN at ``snr_db`` on unit-power channel symbols.

    Args:
        z: complex tensor (B, k) of channel uses, or a real tensor (B, ...) in
            the paired layout of :func:`to_complex` (then each real symbol gets
            noise of variance sigma^2 / 2, the same law).
        snr_db: SNR in dB, a float or a tensor (B,) (one per image); finite.
        generator: torch Generator of the noise draw (explicit for reproducible runs).

    Returns:
        ``z + n`` with ``n ~ CN(0, sigma^2)`` i.i.d. per channel use,
        ``sigma^2 = 10^(-SNR/10)`` (signal power 1 per complex use), same shape
        and dtype as ``z``.
    """
    var = noise_variance(snr_db)
    if var.dim() == 1 and var.shape[0] != z.shape[0]:
        raise ValueError(f"snr_db has {var.shape[0]} values for a batch of {z.shape[0]}: give "
                         f"one SNR or one per image")
    if var.dim() > 1:
        raise ValueError(f"snr_db.shape={tuple(var.shape)} is invalid: give a number or (B,)")
    real = torch.view_as_real(z) if z.is_complex() else z
    std = torch.sqrt(var / 2.0).to(real.dtype).to(real.device)
    if std.dim() == 1:
        std = std.view(-1, *([1] * (real.dim() - 1)))
    noise = torch.randn(real.shape, generator=generator, dtype=real.dtype,
                        device="cpu" if generator is None else generator.device)
    noisy = real + std * noise.to(real.device)
    return torch.view_as_complex(noisy.contiguous()) if z.is_complex() else noisy

