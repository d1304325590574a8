"""The semantic source side: codecs, the bit-flip harness, the fitted distortion model, text.

The short path (``semcodec.api``; the names of ``__all__``, loaded on first use so that
``import semcodec`` and a worker process that needs only the channel or the pool start
without torch)::

    import semcodec
    model = semcodec.load_codec(quality=3)       # 1-based, as ``issc encode --model 3``
    decoded, report = semcodec.transmit(semcodec.load_image("photo.jpg"), ber=1e-4, seed=0)

What ``optim`` and users use besides, module by module:

- ``semcodec.distortion_model``: :class:`DistortionModel` (ASCC eq. (7) fits, the
  hand-off to ``optim``), :func:`fit_scurves`, :func:`scurve`;
- ``semcodec.channel``: :func:`flip_bits`, :func:`flip_bits_given_any`, :func:`p_any_flip`;
- ``semcodec.checkpoint``: :func:`load_codec` (a path, returns ``(model, meta)``),
  :func:`find_by_model_id`;
- ``semcodec.datasets``: :func:`load_image`; ``semcodec.evaluate``: :func:`ms_ssim`,
  :func:`psnr`; ``semcodec.shipped_data``: where the shipped data is found;
- ``semcodec.payload``: :class:`Payload`, :func:`encode_image`;
- ``semcodec.robust_decode``: :class:`RobustDecoder`, :func:`decode_isolated`;
- ``semcodec.sweep``: :func:`run_sweep`; ``semcodec.codec_eval``: :func:`run_codec_eval`;
- ``semcodec.ladder``: :func:`shipped_ladder`, :func:`train_ladder`, :func:`install_ladder`;
- ``semcodec.train`` / ``semcodec.train_rate``: :class:`Trainer`, :func:`train_rate`
  (``python -m semcodec.train_rate``); ``semcodec.train_options``: the training options,
  defined once for ``issc train`` and ``python -m semcodec.train_rate``;
- ``semcodec.text``: NF text semantics (BLEU, rho_LB of NF eq. (19));
- ``semcodec.djscc``: the analog deep JSCC peer (:class:`DeepJSCC`, its AWGN channel,
  :func:`load_djscc`, :func:`load_djscc_curves`; ``docs/semcodec_djscc.md``).

The package map is ``docs/architecture.md``.
"""

import warnings

# CompressAI imports torch_geometric, which calls ``torch.jit.script`` at import
# time; torch >= 2.10 then prints a FutureWarning on every process start (each
# encode, decode and sweep worker). It is third-party code we cannot change and it
# does not affect results, so it is silenced here, once, for that message only.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.script` is deprecated",
                        category=FutureWarning)

#: the facade: name -> module that defines it (imported on first attribute access, PEP 562)
_FACADE = {
    "load_codec": "api", "transmit": "api", "TransmitReport": "api",
    "load_image": "datasets", "ms_ssim": "evaluate", "psnr": "evaluate",
    "encode_image": "payload", "shipped_ladder": "ladder", "data_root": "shipped_data",
}
__all__ = sorted(_FACADE)


def __getattr__(name: str) -> object:
    if name in _FACADE:
        from importlib import import_module

        value = getattr(import_module(f".{_FACADE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
