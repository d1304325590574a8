"""The SemCom link of the far-field scenario: SINR at the CRE (ASCC eq. (3)), its capacity,
the finite-blocklength BER (ASCC eq. (4)) and matched beams. Mixed into
:class:`~.scenario.ISSCScenario`."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from . import fbl, geometry
from .beams import check_beams as _beams
from .beams import check_power


class LinkMixin:
    """SemCom link of :class:`~.scenario.ISSCScenario` (needs its fields and channels)."""

    def sinr(self, w_c: ArrayLike, w_0: ArrayLike) -> np.ndarray | float:
        """SINR at the CRE, ``|h_c^H w_c|^2 / (|h_c^H w_0|^2 + sigma_n^2)`` (ASCC eq. (3), eq. (4)).

        Args:
            w_c, w_0: beamformers in sqrt(W), complex ``(..., N_T)`` (broadcast).

        Returns:
            linear SINR, float (single pair) or float64 ndarray ``(...)``.
        """
        wc, w0 = _beams(w_c, w_0, self.n_t)
        hc = self.h_c.conj()
        s = np.abs(wc @ hc) ** 2
        i = np.abs(w0 @ hc) ** 2
        g = s / (i + self.noise_cre_w)
        return float(g) if g.ndim == 0 else g

    def capacity(self, w_c: ArrayLike, w_0: ArrayLike) -> np.ndarray | float:
        """``C(gamma) = log2(1 + gamma)`` at the CRE in bits per channel use."""
        return fbl.capacity(self.sinr(w_c, w_0))

    def ber(self, rate: ArrayLike, w_c: ArrayLike, w_0: ArrayLike) -> np.ndarray | float:
        """ASCC eq. (4) at this scenario's SINR and blocklength ``L``."""
        return fbl.normal_approx_ber(self.sinr(w_c, w_0), rate, self.blocklength)

    def matched_beamformers(self, power_w: ArrayLike,
                            comm_fraction: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
        """A fixed reference design: ``w_c`` matched to ``h_c``, ``w_0`` steered to the target.

        ``w_c = sqrt(rho P) h_c/||h_c||``, ``w_0 = sqrt((1-rho) P) alpha(theta)/sqrt(N_T)``.

        Args:
            power_w: total power ``P`` in W (>= 0, finite), scalar or ``(...)``.
            comm_fraction: share ``rho`` in [0, 1] given to the SemCom beam.

        Returns:
            ``(w_c, w_0)``, complex128 ``(..., N_T)`` each.
        """
        p = check_power(power_w)
        if not (0.0 <= comm_fraction <= 1.0):
            raise ValueError(f"comm_fraction={comm_fraction!r} is invalid: must be in [0, 1]")
        uc = self.h_c / np.linalg.norm(self.h_c)
        u0 = geometry.ula_steering(self.target_dod, self.n_t) / np.sqrt(self.n_t)
        wc = np.sqrt(comm_fraction * p)[..., None] * uc
        w0 = np.sqrt((1.0 - comm_fraction) * p)[..., None] * u0
        return wc, w0
