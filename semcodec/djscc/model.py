"""The deep JSCC autoencoder of Bourtsoulatze, Kurka, Gunduz (IEEE TCCN 2019).

Bourtsoulatze, Kurka, Gunduz, "Deep joint source-channel coding for wireless
image transmission", IEEE Trans. Cogn. Commun. Netw. 5(3), 2019, Fig. 2:

- encoder: five 5x5 convolutions, (16, stride 2), (32, stride 2), (32, 1),
  (32, 1), (c, 1), PReLU after the first four, then the power normalisation of
  :func:`.channel.power_normalise` (the last convolution has no activation);
- decoder: the mirror in transposed convolutions, (32, 1), (32, 1), (32, 1),
  (16, stride 2), (3, stride 2), PReLU after the first four and a sigmoid at
  the output (pixels in [0, 1]).

An image (3, H, W) gives H/4 x W/4 x c real symbols = ``k = H W c / 32``
complex channel uses for ``n = 3 H W`` source dimensions, so the bandwidth
ratio is ``k / n = c / 96`` channel uses per source dimension: the ABR of ASCC
(ABR = channel uses per dimension of the source). Realisable ABRs are
therefore k/96 for integer k >= 1; :func:`nearest_c` gives the realisable c
nearest any ABR (the ASCC figures' 0.05, 0.1, 0.2 -> c = 5, 10, 19).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .channel import awgn, check_snr_db, power_normalise

#: Real symbols per pixel of source at c = 1: (H/4 W/4) / (3 H W) / 2 -> ABR = c / 96.
SOURCE_DIMS_PER_SYMBOL_CHANNEL = 96

#: Spatial downsampling of the encoder (two stride-2 layers); H and W must be multiples of it.
DOWNSAMPLING = 4


def abr_of_c(c: int) -> float:
    """ABR k/n of a model with ``c`` output channels: ``c / 96`` channel uses per dimension."""
    return c / SOURCE_DIMS_PER_SYMBOL_CHANNEL


#: How far 96 ABR may lie from an integer and still name it (ABR written with 7 digits).
C_TOLERANCE = 1e-5


def c_for_abr(abr: float) -> int:
    """The channel count c = 96 ABR of a realisable ABR, or a one-line ValueError.

    ``abr`` must be k/96 for an integer k >= 1, up to :data:`C_TOLERANCE` on 96 ABR
    (so that 0.0520833, the 5/96 of an error message, is accepted as 5/96).
    """
    a = float(abr)
    c = a * SOURCE_DIMS_PER_SYMBOL_CHANNEL if math.isfinite(a) else float("nan")
    ci = round(c) if math.isfinite(c) else 0
    if ci < 1 or abs(c - ci) > C_TOLERANCE:
        near = max(1, round(c)) if math.isfinite(c) and c > 0 else 1
        raise ValueError(f"abr={abr} is invalid: the DJSCC architecture realises ABR = c/96 "
                         f"(valid: k/96 for integer k >= 1, e.g. {near}/96 = "
                         f"{abr_of_c(near):.6g})")
    return int(ci)


def nearest_c(abr: float) -> int:
    """The c >= 1 whose ABR c/96 is nearest ``abr`` (> 0, finite); ties go to the smaller c."""
    a = float(abr)
    if not (math.isfinite(a) and a > 0):
        raise ValueError(f"abr={abr} is invalid: must be a positive finite number")
    c = a * SOURCE_DIMS_PER_SYMBOL_CHANNEL
    lo = max(1, math.floor(c))
    return lo if abs(abr_of_c(lo) - a) <= abs(abr_of_c(lo + 1) - a) else lo + 1


def _conv(cin: int, cout: int, stride: int) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, 5, stride=stride, padding=2)


def _deconv(cin: int, cout: int, stride: int) -> nn.ConvTranspose2d:
    # output_padding = stride - 1 makes a stride-2 layer exactly double H and W
    return nn.ConvTranspose2d(cin, cout, 5, stride=stride, padding=2, output_padding=stride - 1)


def parameter_count(c: int) -> int:
    """Trainable parameters of ``DeepJSCC(c)``, from the layer sizes: ``1601 c + 130851``.

    The 5x5 convolutions (16, 32, 32, 32, c) and their mirror (32, 32, 32, 16, 3) with
    biases, and one PReLU slope per channel after the first four of each: only the
    encoder's last layer (``800 c + c``) and the decoder's first (``800 c + 32``) grow with c.
    """
    c = int(c)
    widths = [3, 16, 32, 32, 32]
    fixed = sum(cout * cin * 25 + cout + cout for cin, cout in zip(widths, widths[1:]))  # enc
    fixed += 32 + 32  # decoder's first bias and PReLU
    for cin, cout in zip(widths[:0:-1], widths[-2::-1]):  # decoder's mirror
        fixed += cout * cin * 25 + cout + (cout if cout != 3 else 0)
    return 801 * c + 800 * c + fixed


class DeepJSCC(nn.Module):
    """Deep JSCC encoder / decoder with ``c`` channel symbols per 4x4 pixel block.

    Args:
        c: output channels of the encoder (>= 1); ABR = c / 96.

    Shapes: x (B, 3, H, W) float in [0, 1] with H, W multiples of 4 (and
    ``H W c / 16`` even, so the real symbols pair into complex uses);
    z (B, c, H/4, W/4) float, power normalised per image; x_hat like x.
    """

    def __init__(self, c: int) -> None:
        super().__init__()
        if isinstance(c, bool) or int(c) != c or int(c) < 1:
            raise ValueError(f"c={c} is invalid: must be an integer >= 1 (ABR = c/96)")
        self.c = int(c)
        chans = [3, 16, 32, 32, 32]
        strides = [2, 2, 1, 1]
        enc: list[nn.Module] = []
        for cin, cout, s in zip(chans[:-1], chans[1:], strides):
            enc += [_conv(cin, cout, s), nn.PReLU(cout)]
        enc.append(_conv(32, self.c, 1))
        self.encoder = nn.Sequential(*enc)
        dec: list[nn.Module] = [_deconv(self.c, 32, 1), nn.PReLU(32)]
        for cin, cout, s in zip(chans[:0:-1], chans[-2::-1], strides[::-1]):
            dec.append(_deconv(cin, cout, s))
            dec.append(nn.PReLU(cout) if cout != 3 else nn.Sigmoid())
        self.decoder = nn.Sequential(*dec)

    @property
    def abr(self) -> float:
        """Bandwidth ratio k/n = channel uses per source dimension = c / 96."""
        return abr_of_c(self.c)

    @classmethod
    def for_abr(cls, abr: float) -> DeepJSCC:
        """A fresh model whose ABR is exactly ``abr`` (k/96 for integer k >= 1) or ValueError."""
        return cls(c_for_abr(abr))

    def channel_uses(self, height: int, width: int) -> int:
        """Complex channel uses k of one (3, height, width) image: H/4 W/4 c / 2."""
        return (height // DOWNSAMPLING) * (width // DOWNSAMPLING) * self.c // 2

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"x.shape={tuple(x.shape)} is invalid: expected (B, 3, H, W)")
        h, w = x.shape[-2:]
        if h % DOWNSAMPLING or w % DOWNSAMPLING:
            raise ValueError(f"image size {w}x{h} is invalid: H and W must be multiples of "
                             f"{DOWNSAMPLING}")
        if (h // 4) * (w // 4) * self.c % 2:
            raise ValueError(f"image size {w}x{h} is invalid for c={self.c}: H/4 W/4 c = "
                             f"{(h // 4) * (w // 4) * self.c} real symbols, an odd number "
                             f"(make H or W a multiple of 8)")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, 3, H, W) in [0, 1] -> z (B, c, H/4, W/4), unit power per complex use per image."""
        self._check_input(x)
        return power_normalise(self.encoder(x))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, c, H/4, W/4) (received symbols) -> x_hat (B, 3, H, W) in [0, 1]."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor, snr_db: float | torch.Tensor,
                generator: torch.Generator | None = None) -> torch.Tensor:
        """x -> encode -> complex AWGN at ``snr_db`` (float or (B,) dB, finite) -> decode."""
        check_snr_db(snr_db)
        return self.decode(awgn(self.encode(x), snr_db, generator))

    @torch.no_grad()
    def transmit(self, img: torch.Tensor, snr_db: float,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, int]:
        """Send one image of any size over the analog link; returns (x_hat, channel uses).

        ``img`` (3, H, W) in [0, 1] is padded at the bottom / right by replication to
        multiples of 8 (the encoder's unit, with even symbol counts for any c), sent
        through :meth:`forward` and cropped back to (3, H, W). The channel uses k are
        those of the padded image (what the link really carries).
        """
        if img.dim() != 3:
            raise ValueError(f"img.shape={tuple(img.shape)} is invalid: expected (3, H, W)")
        h, w = img.shape[-2:]
        ph, pw = (-h) % 8, (-w) % 8
        x = torch.nn.functional.pad(img[None], (0, pw, 0, ph), mode="replicate") \
            if ph or pw else img[None]
        return self(x, snr_db, generator)[0, :, :h, :w], self.channel_uses(h + ph, w + pw)
