"""Array layout, object positions and channels of an NF scenario (NF Sec. II, NF eq. (4) to
eq. (13)).

Transmit positions ``pos`` are float64 (N_t, 2) [x, z] in metres in the order of
:func:`~linksim.nearfield.geometry.planar_grid` (z fastest); ``None`` means the nominal
grid. Every channel is a torch function of ``pos`` (autodiff for the position optimiser)."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import torch

from . import channels as chan
from .geometry import DTYPE, planar_grid, spherical_to_cartesian

#: Bytes per scatterer of its draws (offset, radius, reflection and their temporaries).
BYTES_PER_SCATTERER = 128
#: Bytes per (scatterer, antenna) pair of a channel evaluation: the 3-vector difference
#: (24), the distance and phase (16), the complex steering entry and row (32), and as much
#: again kept by autograd for the position gradient.
BYTES_PER_SCATTERER_ANTENNA = 128


def scatterer_memory_bytes(n_targets: int, scatterers_per_target: int, n_t: int,
                           n_r: int) -> int:
    """Peak memory [B] of the extended targets' draws and channels (NF eq. (5), eq. (10)).

    ``Q = L N_s`` scatterers: ``128 Q`` for the draws and ``128 Q (N_t + N_r)`` for one
    evaluation of the target channels and the echo matrix (:data:`BYTES_PER_SCATTERER`,
    :data:`BYTES_PER_SCATTERER_ANTENNA`). A floor, to refuse what cannot fit before drawing.
    """
    q = int(n_targets) * int(scatterers_per_target)
    return BYTES_PER_SCATTERER * q + BYTES_PER_SCATTERER_ANTENNA * q * (int(n_t) + int(n_r))


class LayoutMixin:
    """Mixin of :class:`~linksim.nearfield.scenario.NFScenario` (needs its fields)."""

    # ---------------------------------------------------------------- geometry
    def tx_nominal(self) -> torch.Tensor:
        """Nominal (grid) transmit positions: float64 (N_t, 2), metres."""
        return planar_grid(self.n_tx, self.n_tz, self.tx_spacing_x_m, self.tx_spacing_z_m)

    def movable_mask(self) -> torch.Tensor:
        """bool (N_t,): False for the fixed centroid element u_0 (NF eq. (28g)) and for
        every element of a fixed-position array."""
        nominal = self.tx_nominal()
        return (nominal.abs().sum(dim=1) > 1e-12) & self.movable

    def region_bounds(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Lower and upper corners of each C_i: two float64 (N_t, 2); equal for u_0."""
        nominal = self.tx_nominal()
        half = 0.5 * self.region_side_m * self.movable_mask().to(DTYPE)[:, None]
        return nominal - half, nominal + half

    def project(self, pos: torch.Tensor) -> torch.Tensor:
        """Euclidean projection onto prod_i C_i (clamp; u_0 goes back to the origin)."""
        lo, hi = self.region_bounds()
        return torch.clamp(torch.as_tensor(pos, dtype=DTYPE), lo, hi)

    def check_positions(self, pos: torch.Tensor, tol: float = 1e-9) -> None:
        """Raise ValueError if some element lies outside its movable region C_i."""
        lo, hi = self.region_bounds()
        pos = torch.as_tensor(pos, dtype=DTYPE).detach()
        if pos.shape != lo.shape:
            raise ValueError(f"pos shape={tuple(pos.shape)} is invalid: must be ({self.n_t}, 2)")
        bad = ((pos < lo - tol) | (pos > hi + tol)).any(dim=1)
        if bool(bad.any()):
            i = int(bad.nonzero()[0, 0])
            raise ValueError(f"pos[{i}]={pos[i].tolist()} is invalid: must lie in its movable "
                             f"region [{lo[i].tolist()}, {hi[i].tolist()}] m")

    def rx_positions(self) -> torch.Tensor:
        """Fixed receive positions v_m: float64 (N_r, 2), metres."""
        pitch = self.rx_spacing_wavelengths * self.wavelength
        return planar_grid(self.n_rx, self.n_rz, pitch, pitch)

    def user_points(self) -> torch.Tensor:
        """User positions b_k: float64 (K, 3), metres."""
        # float64 before the degree conversion: float32 angles put 0.3 um into b_k
        return spherical_to_cartesian(
            torch.deg2rad(torch.tensor(self.users_theta_deg, dtype=DTYPE)),
            torch.deg2rad(torch.tensor(self.users_phi_deg, dtype=DTYPE)),
            torch.tensor(self.users_d_m, dtype=DTYPE))

    def target_centres(self) -> torch.Tensor:
        """Target centres: float64 (L, 3), metres."""
        return spherical_to_cartesian(
            torch.deg2rad(torch.tensor(self.targets_theta_deg, dtype=DTYPE)),
            torch.deg2rad(torch.tensor(self.targets_phi_deg, dtype=DTYPE)),
            torch.tensor(self.targets_d_m, dtype=DTYPE))

    @cached_property
    def _draws(self) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.geometry_seed)
        n = (self.L, self.scatterers_per_target)
        direction = rng.standard_normal(n + (3,))
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        radius = self.scatterer_radius_m * rng.random(n) ** (1.0 / 3.0)  # uniform in the ball
        beta = np.sqrt(self.reflection_var / 2) * (rng.standard_normal(n)
                                                   + 1j * rng.standard_normal(n))
        return direction * radius[..., None], beta

    @property
    def _scatterers_np(self) -> np.ndarray:
        return self.target_centres().numpy()[:, None, :] + self._draws[0]

    def scatterer_points(self) -> torch.Tensor:
        """Scatterer positions b_{l,s}: float64 (L, N_s, 3), metres."""
        return torch.from_numpy(self._scatterers_np)

    def reflection(self) -> torch.Tensor:
        """Reflection coefficients beta_{l,s}: complex128 (L, N_s)."""
        return torch.from_numpy(self._draws[1])

    # ---------------------------------------------------------------- channels
    @cached_property
    def _fixed(self) -> dict[str, torch.Tensor]:
        """Position-independent tensors, built once (the optimiser calls the channels often)."""
        return {"users": self.user_points(), "scatterers": self.scatterer_points(),
                "rx": self.rx_positions(), "reflection": self.reflection(),
                "nominal": self.tx_nominal()}

    def _pos(self, pos: torch.Tensor | None) -> torch.Tensor:
        return self._fixed["nominal"] if pos is None else torch.as_tensor(pos, dtype=DTYPE)

    def user_channels(self, pos: torch.Tensor | None = None,
                      model: str | None = None) -> torch.Tensor:
        """H = [h_1; ...; h_K], NF eq. (4): complex128 (K, N_t), differentiable in ``pos``."""
        return chan.los_channels(self._pos(pos), self._fixed["users"], self.wavelength,
                                 model or self.phase_model)

    def target_channels(self, pos: torch.Tensor | None = None,
                        model: str | None = None) -> torch.Tensor:
        """Targets as eavesdroppers h_l, NF eq. (5): complex128 (L, N_t)."""
        return chan.target_channels(self._pos(pos), self._fixed["scatterers"], self.wavelength,
                                    model or self.phase_model)

    def echo_matrix(self, pos: torch.Tensor | None = None,
                    model: str | None = None) -> torch.Tensor:
        """Extended-target echo matrix G, NF eq. (10): complex128 (N_r, N_t)."""
        f = self._fixed
        return chan.echo_matrix(self._pos(pos), f["rx"], f["scatterers"], f["reflection"],
                                self.wavelength, model or self.phase_model)

