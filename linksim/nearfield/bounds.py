"""Sensing bounds of an NF scenario: FIM and CRB of the echo matrix (NF eq. (15), eq. (16), (28b)),
its budget normalisation, and the point-target FIM of NF App. B."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from . import sensing as sens
from .geometry import CDTYPE, DTYPE


class SensingBoundsMixin:
    """Mixin of :class:`~linksim.nearfield.scenario.NFScenario` (needs its fields)."""

    # ----------------------------------------------------------------- sensing
    def fim(self, Rx: Any) -> np.ndarray:
        """FIM of vec(G), NF eq. (15): complex128 (N_t N_r, N_t N_r)."""
        return sens.extended_fim(np.asarray(Rx), self.frames, self.noise_radar_w, self.n_r)

    def crb(self, Rx: Any) -> float:
        """CRB(G) of NF eq. (16) as printed, dimensionless (sum over the N_r N_t entries of
        G); +inf when R_x is singular (G is then not identifiable)."""
        return sens.extended_crb(np.asarray(Rx), self.frames, self.noise_radar_w, self.n_r)

    def crb_reference(self) -> float:
        """The CRB unit of ``crb_limit``: CRB_min = sigma_r^2 N_r N_t^2 / (F P_t), the CRB of
        the isotropic full-budget covariance (``"budget"``), or 1 (``"none"``)."""
        if self.crb_normalisation == "none":
            return 1.0
        return self.noise_radar_w * self.n_r * self.n_t ** 2 / (self.frames
                                                                  * self.power_budget_w)

    def crb_normalised(self, Rx: Any) -> float:
        """CRB(G) in the units of ``crb_limit`` (see module docstring); +inf if singular."""
        return self.crb(Rx) / self.crb_reference()

    def crb_trace_limit(self, xi: float | None = None) -> float:
        """NF eq. (28b) as Tr(R_x^{-1}) <= this value (1/W); xi (in the units of
        ``crb_limit``) defaults to ``crb_limit``."""
        xi = self.crb_limit if xi is None else xi
        return sens.crb_trace_limit(xi * self.crb_reference(), self.frames,
                                    self.noise_radar_w, self.n_r)

    def crb_constraints_cvxpy(self, Rx: Any, xi: float | None = None) -> list:
        """cvxpy LMI constraints for CRB(G) <= xi on a Hermitian (N_t, N_t) variable in
        watts (xi in the units of ``crb_limit``)."""
        xi = self.crb_limit if xi is None else xi
        return sens.crb_constraints_cvxpy(Rx, xi * self.crb_reference(), self.frames,
                                          self.noise_radar_w, self.n_r)

    def point_target_fim(self, zeta: Any, Rx: Any, pos: torch.Tensor | None = None,
                         path_loss: bool = False) -> torch.Tensor:
        """Point-target FIM in (theta [rad], phi [rad], d [m]), NF App. B: float64 (3, 3)."""
        return sens.point_target_fim(torch.as_tensor(zeta, dtype=DTYPE), self._pos(pos),
                                     self.rx_positions(), torch.as_tensor(Rx, dtype=CDTYPE),
                                     self.frames, self.noise_radar_w, self.wavelength,
                                     self.phase_model, path_loss)

