"""The semantic source side: codecs, the bit-flip harness, the fitted distortion model, text.

Modules are imported by name (nothing is imported here, so a worker process that
needs only the channel or the pool starts without torch). What ``optim`` and
users use:

- ``semcodec.distortion_model``: :class:`DistortionModel` (ASCC eq. (7) fits, the
  hand-off to ``optim``), :func:`fit_scurves`, :func:`scurve`;
- ``semcodec.channel``: :func:`flip_bits`, :func:`flip_bits_given_any`, :func:`p_any_flip`;
- ``semcodec.checkpoint``: :func:`load_codec`, :func:`find_by_model_id`;
- ``semcodec.payload``: :class:`Payload`, :func:`encode_image`;
- ``semcodec.robust_decode``: :class:`RobustDecoder`, :func:`decode_isolated`;
- ``semcodec.sweep``: :func:`run_sweep`; ``semcodec.codec_eval``: :func:`run_codec_eval`;
- ``semcodec.ladder``: :func:`shipped_ladder`, :func:`train_ladder`, :func:`install_ladder`;
- ``semcodec.train`` / ``semcodec.train_rate``: :class:`Trainer`, :func:`train_rate`
  (``python -m semcodec.train_rate``);
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
