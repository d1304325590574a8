"""Designs at given operating points, with their predictions: for checks and hand-made studies.

:func:`design_at` fills a :class:`~optim.ascc.LinkDesign` for a chosen codec, R_c and SINR
the way the optimiser reports one: rho_b from a BER model (ASCC eq. (4) for ``fbl``, the
measured LDPC table for ``ldpc``), D_o and MS-SSIM from the fitted S-curves (ASCC eq. (7)).
No beamformer is optimised (``w_c``, ``w_0`` are zero, ``method="operating-point"``), so such
a design checks the prediction chain, not the optimiser.
"""

from __future__ import annotations

import math

import numpy as np

from linksim.ber_model import make_ber_model
from semcodec.distortion_model import DistortionModel

from ..ascc.design import LinkDesign


def design_at(model_name: str, rc: float, sinr_db: float, ber_model: str = "fbl",
              distortion: DistortionModel | None = None, ladder_sha256: str = "",
              scheme: str = "ascc", pt_dbm: float = math.nan, abr: float = math.nan,
              blocklength: int = 256, n_t: int = 4) -> LinkDesign:
    """A design that runs codec ``model_name`` at ``(R_c, SINR)`` with its predictions.

    Args:
        model_name: ladder name (``"q3"``); must be in the fits.
        rc: coding rate R_c (bit per channel use); sinr_db: SINR at the CRE (dB).
        ber_model: ``fbl`` or ``ldpc`` (:func:`linksim.ber_model.make_ber_model`).
        distortion: fitted S-curves (default: the shipped fits).
        ladder_sha256: the codec's checkpoint SHA-256 (recorded in the design).
    """
    dist = distortion or DistortionModel.from_json()
    g = dist.index(model_name)
    sinr = 10.0 ** (float(sinr_db) / 10.0)
    ber = min(0.5, float(make_ber_model(ber_model, blocklength).ber(rc, sinr)))
    zeros = np.zeros(int(n_t), dtype=complex)
    return LinkDesign(scheme=scheme, method="operating-point", pt_dbm=float(pt_dbm),
                      abr=float(abr), pi_m2=math.nan, model=int(g), model_name=model_name,
                      rs_bits=float(dist.rs_bits[g]), rs_bpd=math.nan, rc=float(rc),
                      blocklength=int(blocklength), w_c=zeros, w_0=zeros, sinr=sinr,
                      ber_pred=ber, mse_pred=float(dist.mse(int(g), ber)),
                      msssim_pred=float(dist.ms_ssim(int(g), ber)), hcrb=math.nan,
                      hcrb_no_ts=math.nan, ber_model=ber_model, codec_sha256=ladder_sha256)
