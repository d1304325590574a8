"""Geometry and channels of the far-field scenario (ASCC Sec. II): the CRE channel h_c, the
reflection coefficient beta_0, the target response H_0, delays and the sensing channel with
its derivatives in the target position. Mixed into :class:`~.scenario.ISSCScenario`."""

from __future__ import annotations

from functools import cached_property

import numpy as np
from numpy.typing import ArrayLike

from ..units import SPEED_OF_LIGHT
from . import geometry


class ChannelsMixin:
    """Channels of :class:`~.scenario.ISSCScenario` (needs its fields)."""

    @property
    def cre_direction(self) -> float:
        """DoD varphi from TR to CRE (ASCC after eq. (3)), rad."""
        return geometry.direction(self.tr_position, self.cre_position)

    @property
    def target_dod(self) -> float:
        """DoD theta from TR to target (ASCC after eq. (5)), rad."""
        return geometry.direction(self.tr_position, self.target_position)

    @cached_property
    def h_c(self) -> np.ndarray:
        """CRE channel ``h_c = sqrt(eta_c) alpha(varphi)`` (ASCC eq. (3)), complex128 ``(N_T,)``."""
        d = geometry.distance(self.tr_position, self.cre_position)
        return np.sqrt(geometry.path_loss(d, self.path_loss_exponent)) * geometry.ula_steering(
            self.cre_direction, self.n_t)

    def beta_0_at(self, position: ArrayLike) -> float:
        """Reflection coefficient ``beta_0`` for a target at ``position`` (``reflection_model``).
        """
        d1 = geometry.distance(self.tr_position, position)
        d2 = geometry.distance(position, self.sre_position)
        if self.reflection_model == "none":
            return float(self.beta_s)
        d = d1 * d2 if self.reflection_model == "two_way" else d1 + d2
        return self.beta_s * float(geometry.path_loss(d, self.path_loss_exponent / 2.0))

    @property
    def beta_0(self) -> float:
        """Reflection coefficient at the true target (real, known to the SRE)."""
        return self.beta_0_at(self.target_position)

    @cached_property
    def H_0(self) -> np.ndarray:  # noqa: N802 - the paper's symbol
        """Sensing channel ``beta_0 alpha(phi) alpha(theta)^H`` (ASCC eq. (5)), ``(N_R, N_T)``."""
        return self.sensing_channel(self.target_position)[0]

    def tau(self, delta_tau: float = 0.0) -> float:
        """Delay ``tau = (d_TR,o + d_o,SRE)/c + Delta_tau`` (ASCC after eq. (5)), s."""
        return self.path_delay(self.target_position) + float(delta_tau)

    def path_delay(self, position: ArrayLike) -> float:
        """TR-target-SRE propagation delay for a target at ``position``, s."""
        return (geometry.distance(self.tr_position, position)
                + geometry.distance(position, self.sre_position)) / SPEED_OF_LIGHT

    def sensing_channel(self, position: ArrayLike) -> tuple[np.ndarray, np.ndarray, float,
                                                             np.ndarray]:
        """``H_0``, its gradient, the path delay and its gradient for a target at ``position``.

        Returns:
            ``(H, dH, tau_geo, dtau)``: ``H`` complex128 ``(N_R, N_T)``; ``dH`` complex128
            ``(2, N_R, N_T)`` = ``(H_0', H_0'')`` w.r.t. ``(o_x, o_y)`` [1/m]; ``tau_geo`` s;
            ``dtau`` float64 ``(2,)`` = ``(tau', tau'')`` [s/m].
        """
        p = geometry.as_position(position, "position")
        theta = geometry.direction(self.tr_position, p)
        phi = geometry.direction(self.sre_position, p)
        a_t = geometry.ula_steering(theta, self.n_t)
        a_r = geometry.ula_steering(phi, self.n_r)
        da_t = geometry.ula_steering_derivative(theta, self.n_t)
        da_r = geometry.ula_steering_derivative(phi, self.n_r)
        g_theta = geometry.direction_gradient(self.tr_position, p)
        g_phi = geometry.direction_gradient(self.sre_position, p)
        if self.beta_position_derivative:
            beta = self.beta_0_at(p)
        else:
            beta = self.beta_0
        H = beta * np.outer(a_r, a_t.conj())
        dH = beta * (g_phi[:, None, None] * np.outer(da_r, a_t.conj())[None]
                     + g_theta[:, None, None] * np.outer(a_r, da_t.conj())[None])
        u1 = geometry.distance_gradient(self.tr_position, p)
        u2 = geometry.distance_gradient(self.sre_position, p)
        if self.beta_position_derivative:
            d1 = geometry.distance(self.tr_position, p)
            d2 = geometry.distance(self.sre_position, p)
            if self.reflection_model == "two_way":
                dlogbeta = -0.5 * self.path_loss_exponent * (u1 / d1 + u2 / d2)
            elif self.reflection_model == "path_length":
                dlogbeta = -0.5 * self.path_loss_exponent * (u1 + u2) / (d1 + d2)
            else:
                dlogbeta = np.zeros(2)
            dH = dH + dlogbeta[:, None, None] * H[None]
        return H, dH, self.path_delay(p), (u1 + u2) / SPEED_OF_LIGHT
