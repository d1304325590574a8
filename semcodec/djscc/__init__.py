"""Deep joint source-channel coding: the analog peer of the digital codec chain.

Bourtsoulatze, Kurka, Gunduz, "Deep joint source-channel coding for wireless
image transmission", IEEE TCCN 2019. The model (:class:`DeepJSCC`), its analog
channel (power normalisation, complex pairing, AWGN), checkpoints with a
``kind: "djscc"`` marker, training (``python -m semcodec.djscc.train``, ``issc
train-djscc``) and the fitted MS-SSIM-against-SNR curves that ``optim`` uses.
See ``docs/semcodec_djscc.md``.
"""

from .channel import awgn, check_snr_db, from_complex, noise_variance, power_normalise, to_complex
from .checkpoint import KIND, load_djscc, save_djscc
from .curve import (
                    CURVE_FORM,
                    SHIPPED_CURVES,
                    DJSCCCurve,
                    fit_djscc_curve,
                    load_djscc_curves,
                    measure_djscc,
                    save_djscc_curves,
                    select_curve,
)
from .model import DeepJSCC, abr_of_c, c_for_abr, nearest_c

__all__ = ["CURVE_FORM", "KIND", "SHIPPED_CURVES", "DJSCCCurve", "DeepJSCC", "abr_of_c", "awgn",
           "c_for_abr", "check_snr_db", "fit_djscc_curve", "from_complex", "load_djscc",
           "load_djscc_curves", "measure_djscc", "nearest_c", "noise_variance",
           "power_normalise", "save_djscc", "save_djscc_curves", "select_curve", "to_complex"]
