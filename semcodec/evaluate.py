"""Measured rate and distortion through the real entropy-coded bitstream.

Images of any size are padded (replicate) to a multiple of 64, the padding the
scale hyperprior needs, coded, and cropped back; bits per pixel count the
original pixels. PSNR uses a peak of 1 on pixels in [0, 1]; MS-SSIM is
pytorch-msssim's (data_range 1).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from pytorch_msssim import ms_ssim as _ms_ssim

PAD_MULTIPLE = 64


def pad_to_multiple(x: torch.Tensor, m: int = PAD_MULTIPLE) -> torch.Tensor:
    """Pad (B, 3, H, W) at the bottom/right by replication so H and W are multiples of m."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % m, (-w) % m
    return F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x


def mse(x: torch.Tensor, y: torch.Tensor) -> float:
    """Mean squared error of two images (any equal shapes), computed in float64."""
    return float(torch.mean((x.double() - y.double()) ** 2))


def psnr_from_mse(mse: float) -> float:
    """PSNR in dB at peak 1 (pixels in [0, 1]): ``10 log10(1 / MSE)``; ``inf`` for MSE 0.

    The one place PSNR is computed (evaluation, sweeps, training logs).
    """
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def psnr(x: torch.Tensor, y: torch.Tensor) -> float:
    """PSNR in dB of two images in [0, 1] (peak 1)."""
    return psnr_from_mse(mse(x, y))


def ms_ssim(x: torch.Tensor, y: torch.Tensor) -> float:
    """MS-SSIM (pytorch-msssim, 5 scales, data_range 1) of (3, H, W) or (B, 3, H, W) images.

    Images shorter than 161 px (the 5-scale minimum with an 11-px window) are
    upsampled by an integer factor first, the same factor for both images.
    """
    x, y = (t[None] if t.dim() == 3 else t for t in (x, y))
    k = math.ceil(161 / min(x.shape[-2:]))
    if k > 1:
        x, y = (F.interpolate(t, scale_factor=k, mode="nearest") for t in (x, y))
    return float(_ms_ssim(x.float(), y.float(), data_range=1.0, size_average=True))


@torch.no_grad()
def codec_roundtrip(model: torch.nn.Module, img: torch.Tensor) -> tuple[torch.Tensor, int, dict]:
    """Compress and decompress one image (3, H, W) in [0, 1] with the real entropy coder.

    Returns the reconstruction (3, H, W) clamped to [0, 1], the number of bits of
    the y and z strings together, and the raw ``compress`` output.
    """
    h, w = img.shape[-2:]
    x = pad_to_multiple(img[None])
    enc = model.compress(x)
    nbits = 8 * sum(len(s[0]) for s in enc["strings"])
    out = model.decompress(enc["strings"], enc["shape"])
    return out["x_hat"][0, :, :h, :w].clamp(0, 1), nbits, enc


def measure_codec(model: torch.nn.Module, images: list[torch.Tensor]) -> dict[str, float]:
    """Mean measured R_s (bits per image, bpp), PSNR and MS-SSIM over images."""
    rows = []
    for img in images:
        rec, nbits, _ = codec_roundtrip(model, img)
        npix = img.shape[-1] * img.shape[-2]
        rows.append((nbits, nbits / npix, psnr(img, rec), ms_ssim(img, rec)))
    a = np.array(rows)
    return {"rs_bits": float(a[:, 0].mean()), "bpp": float(a[:, 1].mean()),
            "psnr": float(a[:, 2].mean()), "ms_ssim": float(a[:, 3].mean()), "n_images": len(rows)}
