"""The analog path of ``issc e2e``: images through a deep JSCC link (``codec_kind="djscc"``).

A DJSCC design (:class:`optim.ascc.LinkDesign` with ``codec_kind="djscc"``) names a trained
:class:`semcodec.djscc.DeepJSCC` model. Per trial the image is encoded into its
power-normalised channel symbols (unit average power per complex channel use, the same
energy per channel use as the digital link's unit-power QAM symbols), the real symbols are
paired into complex uses and cross complex AWGN at the design's SINR (noise variance
``10^(-SINR/10)`` per use, :func:`semcodec.djscc.awgn`; the sensing beam's interference is
Gaussian noise, as on the ``ldpc`` channel), and the decoder's reconstruction is measured
(MSE, PSNR, MS-SSIM). No bits cross the link, so the BER/BLER columns are NaN and the
channel column reads ``analog``. The clean row of a DJSCC model (``clean.csv``) is its
noiseless reconstruction ``decode(encode(x))``.

Trial ``(d, i, analog, t)`` draws its noise from a torch Generator seeded by
``SeedSequence([seed, d, i, 2, t])`` (2 = the position of ``analog`` in
:data:`CHANNEL_ORDER`), so a row depends neither on the worker nor on the order.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..ascc.design import LinkDesign
from .worker import CHANNELS, E2EHandler

ANALOG_CHANNEL = "analog"
#: every channel name of a results.csv, in the order rows are sorted and seeds are drawn
CHANNEL_ORDER = (*CHANNELS, ANALOG_CHANNEL)
#: the DJSCC encoder halves H and W twice; a multiple of 8 also keeps the symbol count even
DJSCC_PAD_MULTIPLE = 8


def design_channels(des: LinkDesign, channels: Sequence[str]) -> tuple[str, ...]:
    """The channels a design is run on: ``("analog",)`` for DJSCC, else ``channels``."""
    return (ANALOG_CHANNEL,) if des.is_analog else tuple(channels)


def trial_generator(seed: int, d: int, i: int, t: int) -> Any:
    """The torch Generator of analog trial ``t`` of image ``i`` for design ``d``."""
    import torch

    state = np.random.SeedSequence([int(seed), int(d), int(i),
                                    CHANNEL_ORDER.index(ANALOG_CHANNEL), int(t)])
    g = torch.Generator()
    g.manual_seed(int(state.generate_state(1, np.uint64)[0]) >> 1)
    return g


def djscc_files(root: str | os.PathLike | None = None) -> dict[str, Path]:
    """DJSCC checkpoints of a folder by model id (default: the shipped folder): the names
    of its ``curves.json`` (:func:`semcodec.djscc.load_djscc_curves`), else file stems."""
    from semcodec.djscc import SHIPPED_CURVES, load_djscc_curves

    root = Path(root) if root is not None else Path(SHIPPED_CURVES).parent
    files = {f.stem: f for f in sorted(root.glob("*.ckpt"))}
    if (root / "curves.json").is_file():
        for c in load_djscc_curves(root / "curves.json"):
            files[c.name] = (root / c.checkpoint) if not Path(c.checkpoint).is_absolute() \
                else Path(c.checkpoint)
    return files


def load_model(path: str | os.PathLike) -> tuple[Any, dict[str, Any]]:
    """A DJSCC model in eval mode and its metadata (with ``sha256``)."""
    from semcodec.djscc import load_djscc

    model, meta = load_djscc(path)
    model.eval()
    return model, dict(meta)


def resolve_djscc(designs: Sequence[LinkDesign], root: str | os.PathLike | None = None
                  ) -> dict[str, tuple[Path, str]]:
    """``model id -> (checkpoint, SHA-256)`` for the DJSCC designs; a missing model or a
    checkpoint whose hash differs from the design's ``codec_sha256`` is refused."""
    files = djscc_files(root)
    out: dict[str, tuple[Path, str]] = {}
    for d, des in enumerate(designs):
        if not des.is_analog or des.djscc_model in out:
            continue
        if des.djscc_model not in files:
            raise ValueError(f"design {d} uses DJSCC model {des.djscc_model!r}, which "
                             f"{root or 'the shipped DJSCC folder'} lacks (it has "
                             f"{sorted(files)}); pass the folder it was made with (--djscc)")
        f = files[des.djscc_model]
        sha = load_model(f)[1]["sha256"]
        if des.codec_sha256 and des.codec_sha256 != sha:
            raise ValueError(f"design {d} was made for DJSCC model {des.djscc_model} with "
                             f"SHA-256 {des.codec_sha256[:12]}..., but {f} has {sha[:12]}...: "
                             f"pass the DJSCC folder it was made with (--djscc)")
        out[des.djscc_model] = (f, sha)
    return out


def resolve_all(designs: Sequence[LinkDesign], ladder: str | os.PathLike | None,
                djscc_dir: str | os.PathLike | None
                ) -> tuple[list[Path], list[str], list[int], list[str]]:
    """(checkpoints, SHA-256s, codec position per design, kind per codec): the digital
    codecs of :func:`optim.e2e.runner.resolve_codecs` first, then the DJSCC models."""
    from .runner import resolve_codecs

    digital = [des for des in designs if not des.is_analog]
    paths, shas, idx = resolve_codecs(digital, ladder) if digital else ([], [], [])
    kinds = ["digital"] * len(paths)
    it = iter(idx)
    codec_of: list[int] = []
    analog = resolve_djscc(designs, djscc_dir)
    for des in designs:
        if not des.is_analog:
            codec_of.append(next(it))
            continue
        f, sha = analog[des.djscc_model]
        if f not in paths:
            paths.append(f)
            shas.append(sha)
            kinds.append("djscc")
        codec_of.append(paths.index(f))
    return paths, shas, codec_of, kinds


def check_analog(d: int, des: LinkDesign) -> None:
    """A DJSCC design needs a finite SINR > 0 (linear)."""
    if not (math.isfinite(des.sinr) and des.sinr > 0):
        raise ValueError(f"design {d} has sinr={des.sinr!r}: the analog channel needs a finite "
                         f"SINR > 0 (linear)")


def _pad(img: Any) -> tuple[Any, int, int]:
    """(1, 3, H', W') replicate-padded to multiples of :data:`DJSCC_PAD_MULTIPLE`, and (H, W)."""
    import torch.nn.functional as F

    h, w = img.shape[-2:]
    ph, pw = (-h) % DJSCC_PAD_MULTIPLE, (-w) % DJSCC_PAD_MULTIPLE
    x = img.unsqueeze(0)
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x, h, w


def send_image(model: Any, img: Any, snr_db: float, generator: Any = None) -> Any:
    """One image (3, H, W) in [0, 1] through the analog link at ``snr_db``; ``None`` = no
    noise (the clean reconstruction). Returns the reconstruction (3, H, W)."""
    import torch

    with torch.no_grad():
        if snr_db is not None:  # pad to 8, encode, AWGN, decode, crop back
            return model.transmit(img, float(snr_db), generator)[0].clamp(0.0, 1.0)
        x, h, w = _pad(img)
        rec = model.decode(model.encode(x))
    return rec[0, :, :h, :w].clamp(0.0, 1.0)


class AnalogE2EHandler(E2EHandler):
    """:class:`~optim.e2e.worker.E2EHandler` that also runs DJSCC codecs and designs
    (config keys ``codec_kinds`` and a design's ``kind``; absent: all digital)."""

    def _analog_codec(self, m: int) -> bool:
        return self.cfg.get("codec_kinds", ["digital"] * (m + 1))[m] == "djscc"

    def codec(self, m: int) -> tuple[Any, Any, dict]:
        if not self._analog_codec(m):
            return super().codec(m)
        if m not in self.models:
            model, meta = load_model(self.cfg["codecs"][m])
            self.models[m] = (model, None, meta)
        return self.models[m]

    def clean(self, m: int, i: int) -> dict[str, Any]:
        if not self._analog_codec(m):
            return super().clean(m, i)
        from semcodec.sweep import image_metrics

        img = self.image(i)
        mse, psnr, mss = image_metrics(img, send_image(self.codec(m)[0], img, None))
        return {"n_bits": math.nan, "mse": mse, "psnr": psnr, "ms_ssim": mss,
                "decode_failed": 0}

    def trial(self, d: int, i: int, channel: str, t: int) -> dict[str, Any]:
        des = self.cfg["designs"][d]
        if des.get("kind", "digital") != "djscc":
            return super().trial(d, i, channel, t)
        from semcodec.sweep import image_metrics

        img = self.image(i)
        g = trial_generator(self.cfg["seed"], d, i, t)
        rec = send_image(self.codec(des["codec"])[0], img, des["sinr_db"], g)
        mse, psnr, mss = image_metrics(img, rec)
        return {"ber_meas": math.nan, "bler_meas": math.nan, "mse_meas": mse,
                "msssim_meas": mss, "psnr_meas": psnr, "decode_failed": 0, "error": ""}
