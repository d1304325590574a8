"""One end-to-end trial: encode an image with a design's codec, send its body over a channel,
decode crash-proof, measure. Runs as a sweep-engine worker (:mod:`optim.sweep`, a local
process or a Ray node): :func:`clean_point` and :func:`trial_point` are the grid points;
each worker process keeps one :class:`E2EHandler` (codecs, images, payloads and LDPC links
cached across points) for the run it last served.

Channels (names in :data:`CHANNELS`):

- ``bitflip``: every body bit flips independently at the design's predicted rho_b
  (:func:`semcodec.channel.flip_bits`, the sweep's exact Bernoulli sampler).
- ``ldpc``: the body crosses :class:`linksim.payload_link.PayloadLink` at the design's
  R_c, L and SINR (5G LDPC, modulation rule, AWGN with the interference as Gaussian noise).

On both, only the body (the entropy-coded y and z strings) crosses the channel; the 56-byte
header travels error-free as side information, as in ASCC Sec. III-A.3 and the S-curve
sweep the predictions come from. Trial ``(design d, image i, channel c, trial t)`` draws
from ``SeedSequence([seed, d, i, c, t])`` with ``c`` the channel's index in
:data:`CHANNELS`, so a row does not depend on the worker, the order or the other channels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

CHANNELS = ("bitflip", "ldpc")


def trial_rng(seed: int, d: int, i: int, channel: str, t: int) -> np.random.Generator:
    """The generator of trial ``t`` of image ``i`` on ``channel`` for design ``d``."""
    return np.random.default_rng(np.random.SeedSequence(
        [int(seed), int(d), int(i), CHANNELS.index(channel), int(t)]))


def load_e2e_image(path: str, crop: int | None) -> Any:
    """Image (3, H, W) float32 in [0, 1]; ``crop``: the centred crop x crop (if it fits)."""
    from semcodec.datasets import load_image

    img = load_image(path)
    if crop:
        h, w = img.shape[-2:]
        c = min(int(crop), h, w)
        top, left = (h - c) // 2, (w - c) // 2
        img = img[:, top:top + c, left:left + c].contiguous()
    return img


def send_body(body: bytes, channel: str, ber: float, rc: float, blocklength: int,
              sinr_db: float, rng: np.random.Generator, link: Any = None
              ) -> tuple[bytes, int, int, int]:
    """Send a payload body over ``channel``; returns (received, bit errors, block errors, blocks).

    ``bitflip`` uses ``ber`` (blocks of ``round(R_c L)`` bits are counted only to report a
    block error rate on the same blocking); ``ldpc`` uses ``rc``, ``blocklength`` and
    ``sinr_db`` (``link``: a prebuilt :class:`~linksim.payload_link.PayloadLink`).
    """
    from linksim.payload_link import PayloadLink, block_errors_of_flips, bytes_to_bits
    from semcodec.channel import flip_bits

    if channel == "bitflip":
        rx, n_flipped = flip_bits(body, min(float(ber), 0.5), rng)
        pos = np.flatnonzero(bytes_to_bits(rx) != bytes_to_bits(body))
        k = max(1, int(round(float(rc) * int(blocklength))))
        blk, n_blk = block_errors_of_flips(8 * len(body), k, pos)
        return rx, int(n_flipped), blk, n_blk
    if channel == "ldpc":
        link = link or PayloadLink(rc, blocklength)
        rx, st = link.send_bytes(body, sinr_db, rng)
        return rx, st.bit_errors, st.block_errors, st.n_blocks
    raise ValueError(f"channel={channel!r} is invalid: must be one of {CHANNELS}")


class E2EHandler:
    """Task handler of one worker: ``("clean", m, i)`` or ``("trial", d, i, channel, t)``."""

    def __init__(self, config: dict) -> None:
        self.cfg = config
        self.models: dict[int, tuple[Any, Any, dict]] = {}
        self.images: dict[int, Any] = {}
        self.payloads: dict[tuple[int, int], Any] = {}
        self.links: dict[tuple[float, int], Any] = {}

    def codec(self, m: int) -> tuple[Any, Any, dict]:
        if m not in self.models:
            from semcodec.checkpoint import load_codec
            from semcodec.robust_decode import RobustDecoder

            model, meta = load_codec(self.cfg["codecs"][m])
            self.models[m] = (model, RobustDecoder(model), meta)
        return self.models[m]

    def image(self, i: int) -> Any:
        if i not in self.images:
            self.images[i] = load_e2e_image(self.cfg["images"][i], self.cfg["crop"])
        return self.images[i]

    def payload(self, m: int, i: int) -> Any:
        if (m, i) not in self.payloads:
            from semcodec.payload import encode_image, model_sha_bytes

            model, _, meta = self.codec(m)
            self.payloads[(m, i)] = encode_image(model, self.image(i), model_index=m + 1,
                                                 model_sha=model_sha_bytes(meta.get("sha256")))
        return self.payloads[(m, i)]

    def link(self, rc: float, blocklength: int) -> Any:
        from linksim.payload_link import PayloadLink

        key = (float(rc), int(blocklength))
        if key not in self.links:
            self.links[key] = PayloadLink(rc, blocklength, num_iter=self.cfg["num_iter"])
        return self.links[key]

    def __call__(self, task: tuple) -> dict[str, Any]:
        if task[0] == "clean":
            return self.clean(*task[1:])
        return self.trial(*task[1:])

    def clean(self, m: int, i: int) -> dict[str, Any]:
        """Metrics of the error-free decode of image ``i`` with codec ``m``."""
        from semcodec.sweep import image_metrics

        p = self.payload(m, i)
        rec, info = self.codec(m)[1].safe_decode(p.header, p.body)
        mse, psnr, mss = image_metrics(self.image(i), rec)
        return {"n_bits": p.n_bits, "mse": mse, "psnr": psnr, "ms_ssim": mss,
                "decode_failed": int(info.decode_failed)}

    def trial(self, d: int, i: int, channel: str, t: int) -> dict[str, Any]:
        from semcodec.sweep import image_metrics

        des = self.cfg["designs"][d]
        m = des["codec"]
        p = self.payload(m, i)
        rng = trial_rng(self.cfg["seed"], d, i, channel, t)
        link = self.link(des["rc"], des["blocklength"]) if channel == "ldpc" else None
        body, bit_err, blk_err, n_blk = send_body(p.body, channel, des["ber_pred"], des["rc"],
                                                  des["blocklength"], des["sinr_db"], rng, link)
        rec, info = self.codec(m)[1].safe_decode(p.header, body)
        mse, psnr, mss = image_metrics(self.image(i), rec)
        return {"ber_meas": bit_err / p.n_bits if p.n_bits else 0.0,
                "bler_meas": blk_err / n_blk if n_blk else 0.0, "mse_meas": mse,
                "msssim_meas": mss, "psnr_meas": psnr,
                "decode_failed": int(info.decode_failed), "error": info.error}


# ----------------------------------------------------------------------------- grid points
#: ``"module:function"`` names the engines import (one worker function per kind of point)
CLEAN_WORKER = "optim.e2e.worker:clean_point"
TRIAL_WORKER = "optim.e2e.worker:trial_point"

_HANDLER: dict[str, E2EHandler] = {}


def handler_for(context: dict) -> E2EHandler:
    """The handler of a run's context (``e2e.json`` settings without the input paths, plus
    ``context["paths"] = {"codecs", "images"}``), built once per worker process."""
    import json

    key = json.dumps(context, sort_keys=True)
    if key not in _HANDLER:
        _HANDLER.clear()
        from .analog import AnalogE2EHandler  # runs DJSCC designs too (it imports this module)

        config = {k: v for k, v in context.items() if k != "paths"}
        _HANDLER[key] = AnalogE2EHandler(config | {"codecs": context["paths"]["codecs"],
                                             "images": context["paths"]["images"]})
    return _HANDLER[key]


def clean_point(point: dict, seed: int, context: dict) -> dict[str, Any]:
    """Point ``{"model": m, "image": i}``: metrics of the error-free decode (clean.csv)."""
    return handler_for(context).clean(int(point["model"]), int(point["image"]))


def trial_point(point: dict, seed: int, context: dict) -> dict[str, Any]:
    """Point ``{"design": d, "image": i, "channel": c, "trial": t}``: one trial's measured
    values; ``decode_error`` is the robust decoder's caught error ("" if none).

    Its generator is :func:`trial_rng` of the run's seed and the point (as in every
    earlier release), not the engine's per-point ``seed``.
    """
    res = handler_for(context).trial(int(point["design"]), int(point["image"]),
                                     str(point["channel"]), int(point["trial"]))
    res["decode_error"] = res.pop("error")
    return res
