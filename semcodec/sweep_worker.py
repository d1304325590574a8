"""The worker side of a bit-flip sweep: one trial's flips, decode and metrics.

Runs inside :class:`~semcodec.isolated_pool.IsolatedPool` worker processes
(:func:`sweep_factory` builds the handler there). Trial (m, b, i, t) draws its
flips from ``SeedSequence([seed, m, b, i, t])`` (:func:`seed_for`), so a row's
numbers do not depend on the order, the worker or interruptions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .atomic_io import write_atomic
from .channel import flip_bits, flip_bits_given_any, p_any_flip
from .payload import Payload, encode_image, model_sha_bytes
from .robust_decode import RobustDecoder


def seed_for(seed: int, m: int, b: int, i: int, t: int) -> np.random.Generator:
    """The generator of trial t of image i at grid point b for model m."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), m, b, i, t]))


def image_metrics(ref: torch.Tensor, rec: torch.Tensor) -> tuple[float, float, float]:
    """(MSE, PSNR dB, MS-SSIM) of a reconstruction against the original, pixels in [0, 1]."""
    from .evaluate import ms_ssim, mse, psnr_from_mse

    err = mse(ref, rec)
    return err, psnr_from_mse(err), ms_ssim(ref, rec)


def draw_flips(body: bytes, ber: float, rng: np.random.Generator, sampling: str
               ) -> tuple[bytes, int, float]:
    """(received body, flips, p_any_flip) of one trial under the sweep's sampling."""
    if sampling == "conditional":
        return flip_bits_given_any(body, ber, rng)
    out, k = flip_bits(body, ber, rng)
    return out, k, p_any_flip(8 * len(body), ber)


def payload_path(out: Path, model: str, i: int, image: str) -> Path:
    """Where the payload of image ``i`` (name ``image``) coded by ``model`` is kept."""
    return out / "payloads" / model / f"{i:04d}_{Path(image).stem}.issc"


class SweepHandler:
    """Runs in a worker process: holds the models, images and payloads it has seen.

    Tasks: ``("encode", m, i)`` codes image i with model m, writes its payload
    and returns the clean row; ``("trial", m, b, i, t)`` flips the payload body
    at ``bers[b]`` and returns the decoded row's measured columns.
    """

    def __init__(self, config: dict, out: str) -> None:
        from .checkpoint import load_codec

        self.cfg, self.out = config, Path(out)
        self.models, self.decoders = [], []
        for path in config["models"]:
            model, meta = load_codec(path)
            self.models.append((model, meta))
            self.decoders.append(RobustDecoder(model))
        self.images: dict[int, torch.Tensor] = {}
        self.payloads: dict[tuple[int, int], Payload] = {}

    def _payload_path(self, m: int, i: int) -> Path:
        return payload_path(self.out, self.cfg["model_names"][m], i, self.cfg["image_names"][i])

    def image(self, i: int) -> torch.Tensor:
        if i not in self.images:
            from .datasets import load_image

            self.images[i] = load_image(self.cfg["images"][i])
        return self.images[i]

    def payload(self, m: int, i: int) -> Payload:
        if (m, i) not in self.payloads:
            p = self._payload_path(m, i)
            self.payloads[(m, i)] = Payload.from_bytes(p.read_bytes(), str(p))
        return self.payloads[(m, i)]

    def __call__(self, task: tuple) -> dict[str, Any]:
        if task[0] == "encode":
            return self.encode(*task[1:])
        return self.trial(*task[1:])

    def encode(self, m: int, i: int) -> dict[str, Any]:
        model, meta = self.models[m]
        img = self.image(i)
        p = encode_image(model, img, model_index=m + 1,
                         model_sha=model_sha_bytes(meta.get("sha256")))
        path = self._payload_path(m, i)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, p.to_bytes())
        self.payloads[(m, i)] = p
        rec, _ = self.decoders[m].decode_payload(p)
        mse, psnr, mss = image_metrics(img, rec)
        npix = img.shape[-1] * img.shape[-2]
        return {"model": self.cfg["model_names"][m], "lambda": meta.get("lambda", math.nan),
                "image": self.cfg["image_names"][i], "n_bits": p.n_bits,
                "bpp": p.n_bits / npix, "mse": mse, "psnr": psnr, "ms_ssim": mss}

    def trial(self, m: int, b: int, i: int, t: int) -> dict[str, Any]:
        p = self.payload(m, i)
        body, n_flipped, p_any = draw_flips(p.body, self.cfg["bers"][b],
                                            seed_for(self.cfg["seed"], m, b, i, t),
                                            self.cfg["sampling"])
        rec, info = self.decoders[m].safe_decode(p.header, body)
        mse, psnr, mss = image_metrics(self.image(i), rec)
        return {"n_flipped": n_flipped, "mse": mse, "psnr": psnr, "ms_ssim": mss,
                "decode_failed": int(info.decode_failed), "n_concealed": info.n_concealed,
                "p_any_flip": p_any, "error": info.error}


def sweep_factory(config: dict, out: str) -> SweepHandler:
    """Build the handler in a worker process (picklable by name for ``spawn``)."""
    return SweepHandler(config, out)
