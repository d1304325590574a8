"""Semantic-link quantities of an NF scenario: SINRs, rates, secrecy (NF eq. (17), eq. (18),
eq. (19), eq. (20), eq. (21), eq. (22), eq. (23))."""

from __future__ import annotations

import math
from typing import Any

import torch

from . import metrics as met
from .geometry import CDTYPE, DTYPE


class LinkMixin:
    """Mixin of :class:`~linksim.nearfield.scenario.NFScenario` (needs its fields)."""

    # ----------------------------------------------------------------- metrics
    @staticmethod
    def _beams(W: Any, R: Any) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.as_tensor(W, dtype=CDTYPE), torch.as_tensor(R, dtype=CDTYPE)

    def sinr(self, pos: torch.Tensor | None, W: Any, R: Any) -> torch.Tensor:
        """gamma_k of NF eq. (17): float64 (K,), differentiable in pos, W, R."""
        W, R = self._beams(W, R)
        return met.user_sinr(self.user_channels(pos), W, R, self.noise_comm_w)

    def leakage_sinr(self, pos: torch.Tensor | None, W: Any, R: Any) -> torch.Tensor:
        """Gamma_{l|k} of NF eq. (21): float64 (L, K)."""
        W, R = self._beams(W, R)
        return met.leakage_sinr(self.target_channels(pos), W, R, self.noise_comm_w)

    def link_metrics(self, pos: torch.Tensor | None, W: Any, R: Any,
                     extraction_ratio: Any) -> dict[str, torch.Tensor]:
        """All semantic-link quantities at once (torch, differentiable).

        extraction_ratio: (K,) semantic extraction ratios rho_k in (0, 1] (NF eq. (1); named
        apart from other rhos). Returns a dict with
        ``sinr`` (K,), ``leak_sinr`` (L, K), ``rate`` R_k (K,) NF eq. (18),
        ``leaked_rate`` R_{l|k} (L, K) NF eq. (20), ``secrecy`` S_k (K,) NF eq. (22),
        ``secrecy_margin`` (K,) S_k before [.]^+, ``efficiency`` E_k (K,) NF eq. (23).
        """
        ratio = torch.as_tensor(extraction_ratio, dtype=DTYPE)
        if ratio.shape != (self.K,) or bool(((ratio <= 0) | (ratio > 1)).any()):
            raise ValueError(f"extraction_ratio={ratio.tolist()} is invalid: must be {self.K} "
                             "values in (0, 1]")
        extraction_ratio = ratio
        gamma = self.sinr(pos, W, R)
        leak = self.leakage_sinr(pos, W, R)
        rate = met.semantic_rate(gamma, extraction_ratio, self.iota)
        leaked = met.semantic_rate(leak, extraction_ratio, self.iota)
        secrecy = met.secrecy_rate(rate, leaked)
        return {"sinr": gamma, "leak_sinr": leak, "rate": rate, "leaked_rate": leaked,
                "secrecy": secrecy, "secrecy_margin": met.secrecy_rate(rate, leaked, clamp=False),
                "efficiency": met.information_efficiency(secrecy, rate)}

    def baseline_beamformers(self, pos: torch.Tensor | None = None, comm_fraction: float = 0.8,
                             power_w: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """A simple feasible design: MRT beams plus an isotropic sensing covariance.

        w_k = sqrt(comm_fraction P / K) h_k^H / ||h_k||, R = (1 - comm_fraction) P / N_t I,
        so Tr(R_x) = P (default P = P_t). Returns W (N_t, K), R (N_t, N_t), complex128.
        """
        power = self.power_budget_w if power_w is None else power_w
        if not power > 0:
            raise ValueError(f"power_w={power!r} is invalid: must be > 0")
        if not 0 <= comm_fraction < 1:
            raise ValueError(f"comm_fraction={comm_fraction!r} is invalid: must be in [0, 1)")
        H = self.user_channels(pos).detach()
        W = H.conj().T / torch.linalg.vector_norm(H, dim=1)
        W = W * math.sqrt(comm_fraction * power / self.K)
        R = torch.eye(self.n_t, dtype=CDTYPE) * ((1 - comm_fraction) * power / self.n_t)
        return W, R

    def sdp_matrices(self, pos: torch.Tensor | None = None) -> dict[str, Any]:
        """What the beamforming SDP (NF eq. (29), eq. (30), eq. (31), eq. (32), eq. (33), eq. (34))
        needs at fixed positions, numpy.

        ``user_gram`` (K, N_t, N_t) Q_k = h_k^H h_k and ``target_gram`` (L, N_t, N_t)
        Q_l = h_l^H h_l, complex128 Hermitian, so that ``|h w|^2 = tr(Q w w^H)`` and
        ``h R h^H = tr(Q R)`` are linear in the lifted W_k = w_k w_k^H and R_x; plus
        ``noise_comm_w``, ``power_budget_w`` (P_t) and ``crb_trace_limit``
        (Tr(R_x^{-1}) <= this, NF eq. (28b); or use :meth:`crb_constraints_cvxpy`).
        """
        with torch.no_grad():
            H = self.user_channels(pos).numpy()
            Ht = self.target_channels(pos).numpy()
        return {"user_gram": H.conj()[:, :, None] * H[:, None, :],
                "target_gram": Ht.conj()[:, :, None] * Ht[:, None, :],
                "noise_comm_w": self.noise_comm_w, "power_budget_w": self.power_budget_w,
                "crb_trace_limit": self.crb_trace_limit()}

