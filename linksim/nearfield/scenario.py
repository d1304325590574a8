"""The near-field fluid-antenna ISCSC scenario of the NF paper (Sec. II-III, Table I).

``NFScenario`` holds the configuration in the paper's units (GHz, dBm, m, s,
bits, cycles/bit) and exposes every model quantity as a method. Transmit
positions ``pos`` are a float64 torch tensor (N_t, 2) of [x, z] in metres, one
row per fluid antenna in the order of :func:`planar_grid` (z fastest); the
paper's vector u = [x_0..x_{N-1}, z_0..z_{N-1}] is ``pos.T.reshape(-1)``. Every
channel, SINR and rate is a torch function of ``pos`` (autodiff gives exact
gradients for the position optimiser). Beamformers ``W`` (N_t, K) are in
sqrt(W), covariances ``R``, ``Rx`` (N_t, N_t) in watts, complex128.

Choices where the paper is silent (all overridable in the TOML scenario; see
``docs/linksim_nearfield.md``): the transmit grid pitch (per axis, ``tx_spacing_x_m``,
``tx_spacing_z_m``) equals the side sqrt(C_i) of the square movable regions (regions tile
without overlapping); ``region_area_m2 = 0`` gives a fixed-position array (no movable
region; the dense and sparse UPAs of NF Fig. 8). The reference point u_0 is the array
centroid (the origin): with N_tx and N_tz odd it is the centre element, which does not move
(NF eq. (28g), i != 0); with an even count per side no element sits there, u_0 is a point
between elements and every element moves. The receive array is a half-wavelength grid
centred on u_0 (co-located, Sec. II). User and target positions lie in the radiating near
field, beyond the aperture D and inside the Rayleigh distance 2 D^2 / lambda (an object
beyond it draws a warning, not a refusal). Each target's N_s scatterers are drawn uniformly
in a ball around its centre with CN(0, reflection_var) reflection coefficients, from
``geometry_seed``.

The sensing limit: NF eq. (16) in Table I's units binds only when an eigenvalue of R_x falls
below ~5e-8 W, so xi = 0.5 never constrains a design. With ``crb_normalisation = "budget"``
(default) the limit reads CRB(G) / CRB_min <= xi, where CRB_min = sigma_r^2 N_r N_t^2 /
(F P_t) is the smallest CRB any covariance within the budget reaches (isotropic, Tr R_x =
P_t): a normalisation by the array size. xi >= 1 then says how far from the best sensing
a design may be (xi = 2: 3 dB); ``"none"`` keeps NF eq. (16) as printed.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..schema import in_file, plain
from ..units import SPEED_OF_LIGHT, dbm_to_watt
from .bounds import SensingBoundsMixin
from .budgets import BudgetMixin
from .geometry import rayleigh_distance
from .layout import LayoutMixin
from .link import LinkMixin
from .scenario_schema import read_toml, validate_fields
from .validation import validate

DEFAULT_GENRES = ("news", "editorial", "reviews", "religion", "hobbies", "lore", "government",
                  "learned", "fiction", "mystery")


@dataclass(frozen=True)
class NFScenario(LayoutMixin, LinkMixin, SensingBoundsMixin, BudgetMixin):
    """NF-ISCSC scenario; defaults are NF Table I and docs/design.md (see module docstring)."""

    carrier_ghz: float = 50.0
    n_tx: int = 3
    n_tz: int = 3
    n_rx: int = 5
    n_rz: int = 5
    frames: int = 100
    region_area_m2: float = 0.0025
    tx_spacing_x_m: float = 0.05
    tx_spacing_z_m: float = 0.05
    rx_spacing_wavelengths: float = 0.5
    power_budget_dbm: float = 25.0
    noise_comm_dbm: float = -30.0
    noise_radar_dbm: float = -40.0
    crb_limit: float = 2.0
    crb_normalisation: str = "budget"
    t_max_s: float = 0.1
    data_bits: float = 0.5e6
    cycles_per_bit: float = 110.0
    kappa: float = 1e-28
    cpu_power_model: str = "kappa_f3"
    f_required_hz: float = 0.0
    f_max_hz: float = 3e9
    iota: float = 1.0
    nu: float = 0.01
    bleu_floor: float = 0.3
    users_genre: tuple[str, ...] = ()
    users_theta_deg: tuple[float, ...] = (60.0, 80.0, 95.0, 110.0, 125.0)
    users_phi_deg: tuple[float, ...] = (80.0, 95.0, 85.0, 100.0, 90.0)
    users_d_m: tuple[float, ...] = (4.0, 6.0, 5.0, 7.0, 3.5)
    targets_theta_deg: tuple[float, ...] = (70.0, 115.0)
    targets_phi_deg: tuple[float, ...] = (90.0, 88.0)
    targets_d_m: tuple[float, ...] = (5.0, 6.0)
    scatterers_per_target: int = 6
    scatterer_radius_m: float = 0.25
    reflection_var: float = 1.0
    geometry_seed: int = 0
    phase_model: str = "exact"
    notes: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        # every field through the strict schema (scenario_schema.py), then NF Sec. II
        given = {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for name, value in validate_fields(given).items():
            object.__setattr__(self, name, value)
        validate(self)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> NFScenario:
        """Read a scenario TOML (keys are field names, at the top level or in the tables of
        :data:`~linksim.nearfield.scenario_schema.TABLES`, each once); missing keys keep the
        defaults, ``overrides`` win. ValueError, one line naming the file and the key."""
        flat, where = read_toml(path)
        flat.update(overrides)
        defaults = {f.name: plain(f.default) for f in dataclasses.fields(cls)}
        fields = validate_fields({**defaults, **flat}, str(path), where)
        try:
            return cls(**fields)
        except ValueError as e:  # a check across keys (NF Sec. II); name the file
            raise ValueError(in_file(str(e), str(path), where)) from None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    # ----------------------------------------------------------------- derived
    @property
    def K(self) -> int:
        return len(self.users_d_m)

    @property
    def L(self) -> int:
        return len(self.targets_d_m)

    @property
    def user_genres(self) -> tuple[str, ...]:
        """Each user's knowledge base (a Brown genre; NF eq. (19) rho_LB per user): K names.
        ``users_genre`` empty cycles :data:`DEFAULT_GENRES`; one name serves every user."""
        names = self.users_genre or DEFAULT_GENRES
        return tuple(names[k % len(names)] for k in range(self.K))

    @property
    def n_t(self) -> int:
        return self.n_tx * self.n_tz

    @property
    def n_r(self) -> int:
        return self.n_rx * self.n_rz

    @property
    def wavelength(self) -> float:
        """Carrier wavelength, metres."""
        return SPEED_OF_LIGHT / (self.carrier_ghz * 1e9)

    @property
    def power_budget_w(self) -> float:
        """P_t of NF eq. (28c), watts."""
        return float(dbm_to_watt(self.power_budget_dbm))

    @property
    def movable(self) -> bool:
        """False for a fixed-position array (``region_area_m2 = 0``)."""
        return self.region_area_m2 > 0

    @property
    def noise_comm_w(self) -> float:
        return float(dbm_to_watt(self.noise_comm_dbm))

    @property
    def noise_radar_w(self) -> float:
        return float(dbm_to_watt(self.noise_radar_dbm))

    @property
    def region_side_m(self) -> float:
        return math.sqrt(self.region_area_m2)

    @property
    def aperture_m(self) -> float:
        """Largest array diagonal (transmit incl. movable regions, or receive), metres."""
        side = self.region_side_m
        tx = math.hypot((self.n_tx - 1) * self.tx_spacing_x_m + side,
                        (self.n_tz - 1) * self.tx_spacing_z_m + side)
        pitch = self.rx_spacing_wavelengths * self.wavelength
        rx = math.hypot((self.n_rx - 1) * pitch, (self.n_rz - 1) * pitch)
        return max(tx, rx)

    @property
    def rayleigh_distance_m(self) -> float:
        """2 D^2 / lambda with D = :attr:`aperture_m`."""
        return rayleigh_distance(self.aperture_m, self.wavelength)

