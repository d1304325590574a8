"""DJSCC-WF-ZF with a trained deep JSCC (``issc ascc --benchmark-codec djscc``).

ASCC Sec. V names the benchmark "DJSCC-WF-ZF, where DJSCC is employed to extract feature
information". With ``--benchmark-codec djscc`` its codec is the analog deep JSCC of
Bourtsoulatze, Kurka, Gunduz (IEEE TCCN 2019, :mod:`semcodec.djscc`) instead of the fixed
digital codec of :mod:`.benchmark` (the default, ``digital``):

1. **Beams**: exactly those of :func:`.benchmark.benchmark_beams` (zero forcing,
   water-filling, power moved to sensing until Tr HCRB <= Pi).
2. **Model**: the DJSCC architecture realises ABR = c/96 only; the grid's ABR is served by
   the shipped models with the nearest realisable c (:func:`semcodec.djscc.nearest_c`, at
   most 1/192 channel uses per dimension away; the design records the model's own ABR as
   its ``channel_uses_per_dim`` constraint value). An ABR whose nearest c has no model is
   refused with the list of ABRs the ladder holds. Among the models of that c (one per
   training SNR), the one with the **higher predicted MS-SSIM at the benchmark's SINR**
   (:func:`semcodec.djscc.select_curve`): a deployed system would pick the training SNR
   that suits its link.
3. **Prediction**: MS-SSIM from the model's fitted curve of MS-SSIM against SNR
   (:class:`semcodec.djscc.DJSCCCurve`) at the CRE's SINR (the sensing beam's residual
   interference is zero under zero forcing, so SINR = SNR; the symbols have unit average
   power per channel use, the digital link's energy per use). No bits cross the link:
   R_s, R_c, rho_b and the MSE prediction are NaN.

The design has ``codec_kind="djscc"`` and ``djscc_model`` = the model's name, so
``issc e2e`` sends images through it (:mod:`optim.e2e.analog`).
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from linksim.farfield import ISSCScenario, covariance

from .benchmark import benchmark_beams
from .bound import SOLVER, sinr_bound
from .design import ConstraintValue, LinkDesign
from .problem import ASCCProblem

BENCHMARK_CODECS = ("digital", "djscc")


def check_benchmark_codec(name: str) -> str:
    """``digital`` or ``djscc``, else a one-line ValueError."""
    if name not in BENCHMARK_CODECS:
        raise ValueError(f"benchmark-codec={name!r} is invalid: must be one of "
                         f"{', '.join(BENCHMARK_CODECS)}")
    return name


@dataclass(frozen=True)
class DJSCCLadder:
    """The DJSCC models a benchmark may use: their fitted curves and checkpoint hashes.

    Attributes:
        curves: :class:`semcodec.djscc.DJSCCCurve` per model (file order).
        path: the curves file; sha256: its SHA-256 (part of a grid's resume identity).
        model_sha256: model name -> checkpoint SHA-256 ("" when the file is absent).
    """

    curves: list[Any]
    path: Path
    sha256: str
    model_sha256: dict[str, str]

    @property
    def abrs(self) -> list[float]:
        """The distinct ABRs of the ladder, ascending."""
        return sorted({float(c.abr) for c in self.curves})

    def check_abr(self, abr: float) -> None:
        """One-line ValueError when no model has the realisable ABR nearest ``abr``."""
        from semcodec.djscc import nearest_c

        c = nearest_c(abr)
        if not any(k.c == c for k in self.curves):
            have = ", ".join(f"{a:.6g} (c={round(a * 96)})" for a in self.abrs)
            raise ValueError(f"abr={abr:g} has no DJSCC model (it needs c={c}, ABR {c}/96): "
                             f"the DJSCC ladder {self.path} holds ABR {have}; valid: an ABR "
                             f"within 1/192 of one of these, or --benchmark-codec digital")

    def select(self, abr: float, sinr_db: float) -> Any:
        """The curve of the model used at ``(abr, sinr_db)`` (module docstring, step 2)."""
        from semcodec.djscc import select_curve

        self.check_abr(abr)
        return select_curve(self.curves, abr, sinr_db)


def load_djscc_ladder(path: str | os.PathLike | None = None) -> DJSCCLadder:
    """Read a DJSCC curves file (default: the shipped ``data/djscc/curves.json``)."""
    import hashlib

    from semcodec.checkpoint import read_checkpoint
    from semcodec.djscc import SHIPPED_CURVES, load_djscc_curves

    p = Path(path) if path is not None else Path(SHIPPED_CURVES)
    if not p.is_file():
        raise ValueError(f"DJSCC curves file {str(p)!r} does not exist; valid: a curves.json "
                         f"of `issc train-djscc` models (shipped: {SHIPPED_CURVES})")
    try:
        curves = load_djscc_curves(p)
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        raise ValueError(f"DJSCC curves file {str(p)!r} cannot be read ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''}); valid: a curves.json "
                         f"of `issc train-djscc` models") from None
    if not curves:
        raise ValueError(f"DJSCC curves file {str(p)!r} holds no models")
    shas = {}
    for c in curves:
        f = Path(c.checkpoint) if Path(c.checkpoint).is_absolute() else p.parent / c.checkpoint
        shas[c.name] = read_checkpoint(f)["sha256"] if f.is_file() else ""
    return DJSCCLadder(curves, p, hashlib.sha256(p.read_bytes()).hexdigest(), shas)


def djscc_benchmark_design(prob: ASCCProblem, ladder: DJSCCLadder,
                           sinr_bound_db: float = math.nan) -> LinkDesign:
    """DJSCC-WF-ZF with the trained DJSCC at one ``(P_T, ABR, Pi)`` (module docstring).

    Raises:
        InfeasibleError: no split of the zero-forcing beams meets Pi (as the digital one).
        ValueError: the ladder has no model for ``prob.abr``.
    """
    t0 = time.perf_counter()
    scn = prob.scenario
    ladder.check_abr(prob.abr)
    bb = benchmark_beams(scn, prob.power_w, prob.pi_m2)
    sinr = float(scn.sinr(bb.w_c, bb.w_0))
    sinr_db = 10.0 * math.log10(sinr) if sinr > 0 else -math.inf
    curve = ladder.select(prob.abr, sinr_db if math.isfinite(sinr_db) else -300.0)
    msssim = float(curve.predict_msssim(sinr_db if math.isfinite(sinr_db) else -300.0))
    h = scn.hcrb(covariance(bb.w_c, bb.w_0))
    power = float(np.sum(np.abs(bb.w_c) ** 2 + np.abs(bb.w_0) ** 2))
    cons = {
        "power_w": ConstraintValue(power, prob.power_w, "<="),
        "hcrb_m2": ConstraintValue(float(h.trace), prob.pi_m2, "<="),
        # the model's own ABR (c/96) against the grid's: within 1/192 (module docstring)
        "channel_uses_per_dim": ConstraintValue(float(curve.abr), float(prob.abr), "<="),
    }
    same_c = {k.name: float(k.predict_msssim(sinr_db if math.isfinite(sinr_db) else -300.0))
              for k in ladder.curves if k.c == curve.c}
    nan = math.nan
    return LinkDesign(
        scheme="benchmark", method="benchmark", pt_dbm=float(prob.pt_dbm), abr=float(prob.abr),
        pi_m2=float(prob.pi_m2), model=int(ladder.curves.index(curve)), model_name=curve.name,
        rs_bits=nan, rs_bpd=nan, rc=nan, blocklength=int(scn.blocklength), w_c=bb.w_c,
        w_0=bb.w_0, sinr=sinr, ber_pred=nan, mse_pred=nan, msssim_pred=msssim,
        hcrb=float(h.trace), hcrb_no_ts=float(h.crb_trace), constraints=cons,
        sinr_bound_db=float(sinr_bound_db), solver=SOLVER,
        solve_s=time.perf_counter() - t0, ber_model="", codec_sha256=ladder.model_sha256.get(
            curve.name, ""), scenario=scn.to_dict(), codec_kind="djscc",
        djscc_model=curve.name,
        extra={"p_c_wf_w": bb.p_c_wf, "p_0_wf_w": bb.p_0_wf, "moved_to_sensing_w": bb.moved_w,
               "solver_calls": 0, "djscc": {
                   "c": int(curve.c), "abr": float(curve.abr),
                   "train_snr_db": list(curve.train_snr_db), "curves_file": str(ladder.path),
                   "msssim_pred_by_model": same_c}})


def solve_djscc_benchmark(scenario: ISSCScenario, distortion: Any, pt_dbm: float, abr: float,
                          pi_m2: float, ladder: DJSCCLadder,
                          rng: np.random.Generator | None = None) -> LinkDesign:
    """:func:`djscc_benchmark_design` at one point, with the SDR bound's SINR recorded (the
    ``sinr_bound_db`` column, as for the digital benchmark)."""
    prob = ASCCProblem(scenario, distortion, pt_dbm, abr, pi_m2)
    ladder.check_abr(abr)
    bound = sinr_bound(scenario, prob.power_w, pi_m2, rng, pt_dbm=pt_dbm)
    return djscc_benchmark_design(prob, ladder, bound.sinr_db)
