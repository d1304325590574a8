"""Designs at given operating points, with their predictions: for checks and hand-made studies.

:func:`design_at` fills a :class:`~optim.ascc.LinkDesign` for a chosen codec, R_c and SINR
the way the optimiser reports one: rho_b from a BER model (ASCC eq. (4) for ``fbl``, the
measured LDPC table for ``ldpc``), D_o and MS-SSIM from the fitted S-curves (ASCC eq. (7)).
No beamformer is optimised (``w_c``, ``w_0`` are zero, ``method="operating-point"``), so such
a design checks the prediction chain, not the optimiser.
"""

from __future__ import annotations

import math
from typing import Any

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


def djscc_design_at(curve: Any, sinr_db: float, sha256: str = "", abr: float = math.nan,
                    scheme: str = "benchmark", blocklength: int = 256,
                    n_t: int = 4) -> LinkDesign:
    """An analog design that runs DJSCC model ``curve.name`` at ``sinr_db`` (dB).

    ``curve``: its :class:`semcodec.djscc.DJSCCCurve` (the MS-SSIM prediction at the SINR);
    ``sha256``: its checkpoint's SHA-256 (checked by ``issc e2e``); ``abr``: the ABR the
    design stands for (default: the model's own). No beams (``method="operating-point"``).
    """
    zeros = np.zeros(int(n_t), dtype=complex)
    nan = math.nan
    return LinkDesign(scheme=scheme, method="operating-point", pt_dbm=nan,
                      abr=float(curve.abr if math.isnan(abr) else abr), pi_m2=nan, model=-1,
                      model_name=curve.name, rs_bits=nan, rs_bpd=nan, rc=nan,
                      blocklength=int(blocklength), w_c=zeros, w_0=zeros,
                      sinr=10.0 ** (float(sinr_db) / 10.0), ber_pred=nan, mse_pred=nan,
                      msssim_pred=float(curve.predict_msssim(float(sinr_db))), hcrb=nan,
                      hcrb_no_ts=nan, ber_model="", codec_sha256=sha256, codec_kind="djscc",
                      djscc_model=curve.name)


def best_digital_at(sinr_db: float, abr: float, ber_model: str = "ldpc",
                    distortion: DistortionModel | None = None, ladder_sha256: Any = None,
                    blocklength: int = 256) -> LinkDesign:
    """The digital ladder's best link at ``sinr_db`` under the bandwidth limit ``abr``.

    ASCC's own choice at a given SINR (ASCC P4.4 per codec, then the R_s with the smallest
    predicted D_o, :func:`optim.ascc.optimise.best_rates`, :func:`~optim.ascc.optimise.
    select_model`) with rho_b from ``ber_model`` (default the measured 5G LDPC table). Where
    no codec's R_c fits under the capacity (the link is below the ladder's cliff), the
    codec and the smallest R_c the table allows with the smallest predicted D_o is sent
    anyway: a deployed digital link transmits, and its images break.
    ``ladder_sha256``: ``{model name: SHA-256}`` recorded in the design (optional).
    """
    from ..ascc.errors import InfeasibleError
    from ..ascc.inputs import load_scenario
    from ..ascc.optimise import best_rates, select_model
    from ..ascc.problem import ASCCProblem

    dist = distortion or DistortionModel.from_json()
    ber_law = make_ber_model(ber_model, blocklength)
    scn = load_scenario()
    prob = ASCCProblem(scn, dist, 0.0, float(abr), 1.0,
                       None if ber_law.name == "fbl" else ber_law)
    sinr = 10.0 ** (float(sinr_db) / 10.0)
    try:
        rates = best_rates(prob, sinr)
        g = select_model(prob, sinr, rates)
        rc = float(rates[g].rc)
    except InfeasibleError:
        lo_hi = {g: prob.rc_bounds(g, 1e30) for g in range(prob.n_models)}
        cand = [g for g, (lo, hi) in lo_hi.items() if lo <= hi]
        if not cand:
            raise ValueError(f"abr={abr:g} is invalid for the digital ladder under the "
                             f"{ber_law.name} BER model: no codec's R_c fits its table "
                             f"{ber_law.rc_range}") from None
        g = min(cand, key=lambda k: (prob.predict(k, sinr, lo_hi[k][0])["mse"], k))
        rc = float(lo_hi[g][0])
    name = dist.names[g]
    return design_at(name, rc, float(sinr_db), ber_law.name, dist,
                     (ladder_sha256 or {}).get(name, ""), scheme="ascc", abr=float(abr),
                     blocklength=blocklength)
