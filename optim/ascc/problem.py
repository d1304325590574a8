"""ASCC problem P4.1 (ASCC eq. (14), eq. (15), eq. (16), eq. (17), eq. (18)): the data of one
operating point and its predictions.

    min_{R_s, R_c, w_c, w_0}  D_o(R_s, rho_b)                         (14), D_o of ASCC eq. (7)
    s.t.  Tr HCRB(p_o) <= Pi                                          (15)
          R_s / R_c <= E_a^max = ABR * M                              (16)
          0 < R_c <= C(gamma)                                         (17)
          Tr(Sigma) <= P_T                                            (18)

The objective D_o is the fitted MSE of ASCC eq. (7) (``objective="mse"``, the paper's) or
``1 - MS-SSIM`` of the fitted MS-SSIM S-curve (``objective="ms-ssim"``, also a distortion),
for figures that report MS-SSIM.

R_s is the codec choice (one of the G fitted models); per model, (16) reads
``R_c >= R_s / (ABR M) = rs_bpd / ABR`` with ``rs_bpd`` the model's bits per source
dimension (``M`` = 3 colour samples per pixel). rho_b is ASCC eq. (4), or a measured BER model
(:func:`linksim.ber_model.make_ber_model`, ``ldpc`` / ``ldpc-ber``) given as ``ber_model``;
a table model covers a finite R_c range, and R_c is bounded to it
(``max(R_s / E_a^max, R_c^lo) <= R_c <= min(C(gamma), R_c^hi)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from linksim.ber_model import BERModel
from linksim.farfield import ISSCScenario, fbl
from linksim.units import dbm_to_watt
from semcodec.distortion_model import DistortionModel, source_dimensions

from .errors import InfeasibleError

#: what D_o of problem P4.1 measures: the fitted MSE (ASCC eq. (7)) or 1 - fitted MS-SSIM
OBJECTIVES = ("mse", "ms-ssim")


@dataclass(frozen=True)
class ASCCProblem:
    """One operating point of ASCC problem P4.1.

    Attributes:
        scenario: the far-field scenario (channels, HCRB).
        distortion: fitted S-curves of the G codecs (ASCC eq. (7)).
        pt_dbm: power budget P_T (dBm), finite.
        abr: average bandwidth ratio (channel uses per source dimension), > 0.
        pi_m2: HCRB limit Pi (m^2), > 0.
        ber_model: None or an ``fbl`` model: ASCC eq. (4) (the paper); otherwise a
            :mod:`linksim.ber_model` table model (``log10_ber(rc, sinr)``, ``rc_range``).
        objective: ``"mse"`` (D_o = fitted MSE, ASCC eq. (7); the paper) or ``"ms-ssim"``
            (D_o = 1 - fitted MS-SSIM), one of :data:`OBJECTIVES`.
    """

    scenario: ISSCScenario
    distortion: DistortionModel
    pt_dbm: float
    abr: float
    pi_m2: float
    ber_model: BERModel | None = None
    objective: str = "mse"

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective={self.objective!r} is invalid: must be one of "
                             f"{OBJECTIVES}")
        if not (isinstance(self.pt_dbm, (int, float)) and math.isfinite(self.pt_dbm)):
            raise ValueError(f"pt_dbm={self.pt_dbm!r} is invalid: must be a finite power in dBm")
        for name in ("abr", "pi_m2"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v > 0):
                raise ValueError(f"{name.split('_')[0]}={v!r} is invalid: must be finite and > 0")

    @property
    def power_w(self) -> float:
        """P_T in W."""
        return float(dbm_to_watt(self.pt_dbm))

    @property
    def n_models(self) -> int:
        return self.distortion.n_models

    @property
    def rs_bpd(self) -> np.ndarray:
        """R_s per source dimension ``R_s / M`` per model, float64 ``(G,)``."""
        return self.distortion.rs_bits / source_dimensions(self.distortion)

    @property
    def rc_min(self) -> np.ndarray:
        """Smallest R_c allowed by the bandwidth limit (ASCC eq. (16)), ``(G,)`` bits/use."""
        return self.rs_bpd / self.abr

    @property
    def ber_model_name(self) -> str:
        """``"fbl"`` (ASCC eq. (4)) or the table model's name."""
        return "fbl" if self.ber_model is None else str(self.ber_model.name)

    @property
    def uses_table(self) -> bool:
        """True when rho_b comes from a measured table model (finite R_c range)."""
        return self.ber_model_name != "fbl"

    def rc_bounds(self, model: int, sinr: float) -> tuple[float, float]:
        """``(lo, hi)`` of R_c for ``model`` at ``sinr``: ASCC eq. (16), eq. (17), intersected
        with the BER model's ``rc_range`` for a table model (empty when ``lo > hi``)."""
        lo, hi = float(self.rc_min[model]), float(fbl.capacity(max(sinr, 0.0)))
        if self.uses_table:
            r_lo, r_hi = self.ber_model.rc_range
            lo, hi = max(lo, float(r_lo)), min(hi, float(r_hi))
        return lo, hi

    def feasible_models(self, sinr: float) -> np.ndarray:
        """Models whose ``rc_min <= C(gamma)`` (ASCC eq. (20) non-empty), int array; for a
        table model also inside its ``rc_range``."""
        if not self.uses_table:
            return np.flatnonzero(self.rc_min <= fbl.capacity(max(sinr, 0.0)))
        return np.array([g for g in range(self.n_models)
                         if (b := self.rc_bounds(g, sinr))[0] <= b[1]], dtype=int)

    def check_rate_feasible(self, sinr: float) -> np.ndarray:
        """Feasible models at ``sinr``, or :class:`InfeasibleError` stating the smallest ABR."""
        ok = self.feasible_models(sinr)
        if ok.size == 0 and self.uses_table:
            r_lo, r_hi = self.ber_model.rc_range
            cap = fbl.capacity(max(sinr, 0.0))
            need = float(self.rs_bpd.min() / r_hi)
            raise InfeasibleError(
                f"abr={self.abr:g} is infeasible at P_T={self.pt_dbm:g} dBm, pi={self.pi_m2:g} "
                f"m^2 under the {self.ber_model_name} BER model: R_c must lie in its table "
                f"[{r_lo:g}, {r_hi:g}] and below C={cap:.4g} bit/use (largest SINR "
                f"{10 * math.log10(max(sinr, 1e-300)):.2f} dB), and the smallest codec needs "
                f"R_c >= {self.rs_bpd.min():.4g}/ABR; valid: abr >= {need:.6g} and "
                f"C >= {r_lo:g} (or --ber-model fbl)")
        if ok.size == 0:
            cap = fbl.capacity(max(sinr, 0.0))
            need = float(self.rs_bpd.min() / cap) if cap > 0 else math.inf
            raise InfeasibleError(
                f"abr={self.abr:g} is infeasible at P_T={self.pt_dbm:g} dBm, pi={self.pi_m2:g} "
                f"m^2: the largest SINR reachable is {10 * math.log10(max(sinr, 1e-300)):.2f} "
                f"dB (C={cap:.4g} bit/use) and the smallest codec needs R_c >= "
                f"{self.rs_bpd.min():.4g}/ABR; valid: abr >= {need:.6g}")
        return ok

    def log10_ber(self, sinr: float, rc: np.ndarray | float,
                  exact_dispersion: bool = True) -> np.ndarray | float:
        """log10 rho_b of ASCC eq. (4) (``exact_dispersion=False``: ASCC eq. (23)), or of the
        table model (which has no dispersion switch)."""
        if self.uses_table:
            return self.ber_model.log10_ber(rc, max(sinr, 1e-300))
        return fbl.log10_normal_approx_ber(sinr, rc, self.scenario.blocklength,
                                           exact_dispersion)

    def predict(self, model: int, sinr: float, rc: float) -> dict[str, float]:
        """Predicted rho_b (ASCC eq. (4) or the table model), D_o = MSE (ASCC eq. (7)) and
        MS-SSIM at (g, gamma, R_c)."""
        lb = float(self.log10_ber(sinr, rc))
        ber = min(10.0 ** lb, 0.5)
        return {"ber": ber, "log10_ber": lb,
                "mse": float(self.distortion.mse(model, np.array(ber))),
                "msssim": float(self.distortion.ms_ssim(model, np.array(ber)))}

    def distortion_of(self, pred: dict[str, float]) -> float:
        """D_o of a :meth:`predict` result under the objective: MSE, or 1 - MS-SSIM."""
        return pred["mse"] if self.objective == "mse" else 1.0 - pred["msssim"]

    def d_o(self, model: int, sinr: float, rc: float) -> float:
        """Predicted D_o (the objective) at (g, gamma, R_c)."""
        return self.distortion_of(self.predict(model, sinr, rc))

    def rate_params(self, model: int) -> tuple[float, float, float, float]:
        """(Ds, Dc, E1, E2) whose log10-domain S-curve the coding-rate SCA minimises.

        ``mse``: the model's ASCC eq. (7) fit. ``ms-ssim``: (0, -C, E1, E2) of its MS-SSIM
        S-curve; ``1 - MS-SSIM = (1 - S) - C sigma`` and ``Dc sigma`` grow with the same
        sigma, so both have the same minimiser in R_c, and the SCA's value is then the
        MS-SSIM drop below the clean plateau.
        """
        if self.objective == "mse":
            return self.distortion.params(model)
        s_, c, e1, e2 = self.distortion.ms_ssim_params(model)
        return (0.0, -c, e1, e2)
