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
a design may be (xi = 2: 3 dB); ``"none"`` keeps eq. (16) as printed.
"""

from __future__ import annotations

import dataclasses
import math
import tomllib
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..units import SPEED_OF_LIGHT, dbm_to_watt
from . import channels as chan
from . import metrics as met
from . import sensing as sens
from .geometry import (
    CDTYPE,
    DTYPE,
    PHASE_MODELS,
    planar_grid,
    rayleigh_distance,
    spherical_to_cartesian,
)

_POSITIVE = ("carrier_ghz", "tx_spacing_x_m", "tx_spacing_z_m", "rx_spacing_wavelengths",
             "t_max_s", "data_bits", "cycles_per_bit", "kappa", "f_max_hz", "iota",
             "reflection_var", "crb_limit", "bleu_floor")
_NON_NEGATIVE = ("nu", "f_required_hz", "scatterer_radius_m", "region_area_m2")
CRB_NORMALISATIONS = ("budget", "none")
DEFAULT_GENRES = ("news", "editorial", "reviews", "religion", "hobbies", "lore", "government",
                  "learned", "fiction", "mystery")
_COUNTS = ("n_tx", "n_tz", "n_rx", "n_rz", "frames", "scatterers_per_target")


@dataclass(frozen=True)
class NFScenario:
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

    # ----------------------------------------------------------------- validation
    def __post_init__(self) -> None:
        for name in ("users_theta_deg", "users_phi_deg", "users_d_m", "targets_theta_deg",
                     "targets_phi_deg", "targets_d_m"):
            try:
                object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
            except (TypeError, ValueError):
                raise ValueError(f"{name}={getattr(self, name)!r} is invalid: must be a list of "
                                 "numbers") from None
        object.__setattr__(self, "users_genre", tuple(str(g) for g in self.users_genre))
        for name in _POSITIVE + _NON_NEGATIVE + _COUNTS + ("power_budget_dbm", "noise_comm_dbm",
                                                         "noise_radar_dbm"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise ValueError(f"{name}={v!r} is invalid: must be a number")
        if isinstance(self.geometry_seed, bool) or not isinstance(self.geometry_seed, int) or (
                self.geometry_seed < 0):
            raise ValueError(f"geometry_seed={self.geometry_seed!r} is invalid: must be an "
                             "integer >= 0")
        for name in _POSITIVE:
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)!r} is invalid: must be > 0")
        for name in _NON_NEGATIVE:
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name}={getattr(self, name)!r} is invalid: must be >= 0")
        for name in _COUNTS:
            v = getattr(self, name)
            if int(v) != v or v <= 0:
                raise ValueError(f"{name}={v!r} is invalid: must be a positive integer")
        for name in ("power_budget_dbm", "noise_comm_dbm", "noise_radar_dbm"):
            if not math.isfinite(getattr(self, name)):
                raise ValueError(f"{name}={getattr(self, name)!r} is invalid: must be finite dBm")
        if self.phase_model not in PHASE_MODELS:
            raise ValueError(f"phase_model={self.phase_model!r} is invalid: must be one of "
                             f"{PHASE_MODELS}")
        if self.crb_normalisation not in CRB_NORMALISATIONS:
            raise ValueError(f"crb_normalisation={self.crb_normalisation!r} is invalid: must be "
                             f"one of {CRB_NORMALISATIONS}")
        if self.crb_normalisation == "budget" and self.crb_limit < 1.0:
            raise ValueError(f"crb_limit={self.crb_limit} is invalid: with crb_normalisation="
                             "'budget' the CRB is at least 1 (the whole budget isotropic); "
                             "need xi >= 1")
        if self.bleu_floor > 1.0:
            raise ValueError(f"bleu_floor={self.bleu_floor} is invalid: must be a BLEU "
                             "fraction in (0, 1]")
        if self.cpu_power_model not in met.CPU_POWER_MODELS:
            raise ValueError(f"cpu_power_model={self.cpu_power_model!r} is invalid: must be one "
                             f"of {met.CPU_POWER_MODELS}")
        if not (len(self.users_theta_deg) == len(self.users_phi_deg) == len(self.users_d_m) > 0):
            raise ValueError(f"users=({len(self.users_theta_deg)}, {len(self.users_phi_deg)}, "
                             f"{len(self.users_d_m)}) is invalid: theta, phi, d lists need one "
                             "equal, non-zero length K")
        if not (len(self.targets_theta_deg) == len(self.targets_phi_deg)
                == len(self.targets_d_m) > 0):
            raise ValueError(f"targets=({len(self.targets_theta_deg)}, "
                             f"{len(self.targets_phi_deg)}, {len(self.targets_d_m)}) is invalid: "
                             "theta, phi, d lists need one equal, non-zero length L")
        if len(self.users_genre) not in (0, 1, self.K):
            raise ValueError(f"users_genre has {len(self.users_genre)} entries, which is "
                             f"invalid: need one Brown genre per user (K={self.K}), or one for "
                             "all")
        n_t, n_r, kl = self.n_tx * self.n_tz, self.n_rx * self.n_rz, self.K + self.L
        if not kl <= n_t < n_r:
            raise ValueError(f"K+L={kl} (N_t={n_t}, N_r={n_r}) is invalid: NF Sec. II requires "
                             "K + L <= N_tx N_tz < N_rx N_rz")
        if self.frames <= n_t:
            raise ValueError(f"frames={self.frames} is invalid: must exceed N_tx N_tz={n_t} "
                             "(NF Sec. II-A, X must have full row rank)")
        side = math.sqrt(self.region_area_m2)
        for axis, count, pitch in (("x", self.n_tx, self.tx_spacing_x_m),
                                   ("z", self.n_tz, self.tx_spacing_z_m)):
            if count > 1 and side > pitch * (1 + 1e-9):
                raise ValueError(f"region_area_m2={self.region_area_m2} is invalid: its side "
                                 f"{side:.4g} m exceeds tx_spacing_{axis}_m={pitch}, so movable "
                                 f"regions overlap; need sqrt(C_i) <= tx_spacing_{axis}_m")
        far = []
        for kind, dists in (("users_d_m", self.users_d_m), ("targets_d_m", self.targets_d_m)):
            for v in dists:
                if not v > self.aperture_m:
                    raise ValueError(f"{kind}={v} is invalid: objects must be farther than the "
                                     f"array aperture D={self.aperture_m:.4g} m")
                if v > self.rayleigh_distance_m:
                    far.append(f"{kind}={v}")
        if far:
            warnings.warn(f"{', '.join(far)} m lie beyond the Rayleigh distance "
                          f"{self.rayleigh_distance_m:.4g} m: far field (the exact "
                          "spherical-wave model still applies)", stacklevel=3)
        scat_d = np.linalg.norm(self._scatterers_np, axis=-1)
        if scat_d.min() <= self.aperture_m:
            raise ValueError(f"scatterer distance={scat_d.min():.4g} m is invalid: must exceed "
                             f"the array aperture D={self.aperture_m:.4g} m (reduce "
                             "scatterer_radius_m or move the target)")

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> NFScenario:
        """Read a scenario TOML (sections are only for reading: keys are field names)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"scenario file {path} does not exist")
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        flat: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, dict):
                flat.update(value)
            else:
                flat[key] = value
        flat.update(overrides)
        if "tx_spacing_m" in flat:  # one pitch for both axes (the older key)
            pitch = flat.pop("tx_spacing_m")
            flat.setdefault("tx_spacing_x_m", pitch)
            flat.setdefault("tx_spacing_z_m", pitch)
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(flat) - known)
        if unknown:
            raise ValueError(f"key={unknown[0]!r} in {path.name} is invalid: must be one of "
                             f"{sorted(known)}")
        return cls(**flat)

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
                     rho: Any) -> dict[str, torch.Tensor]:
        """All semantic-link quantities at once (torch, differentiable).

        rho: (K,) semantic extraction ratios in (0, 1]. Returns a dict with
        ``sinr`` (K,), ``leak_sinr`` (L, K), ``rate`` R_k (K,) eq. (18),
        ``leaked_rate`` R_{l|k} (L, K) eq. (20), ``secrecy`` S_k (K,) eq. (22),
        ``secrecy_margin`` (K,) S_k before [.]^+, ``efficiency`` E_k (K,) eq. (23).
        """
        rho = torch.as_tensor(rho, dtype=DTYPE)
        if rho.shape != (self.K,) or bool(((rho <= 0) | (rho > 1)).any()):
            raise ValueError(f"rho={rho.tolist()} is invalid: must be {self.K} values in (0, 1]")
        gamma = self.sinr(pos, W, R)
        leak = self.leakage_sinr(pos, W, R)
        rate = met.semantic_rate(gamma, rho, self.iota)
        leaked = met.semantic_rate(leak, rho, self.iota)
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
        """What the beamforming SDP (NF eqs. (29)-(34)) needs at fixed positions, numpy.

        ``user_gram`` (K, N_t, N_t) Q_k = h_k^H h_k and ``target_gram`` (L, N_t, N_t)
        Q_l = h_l^H h_l, complex128 Hermitian, so that |h w|^2 = tr(Q w w^H) and
        h R h^H = tr(Q R) are linear in the lifted W_k = w_k w_k^H and R_x; plus
        ``noise_comm_w``, ``power_budget_w`` (P_t) and ``crb_trace_limit``
        (Tr(R_x^{-1}) <= this, eq. (28b); or use :meth:`crb_constraints_cvxpy`).
        """
        with torch.no_grad():
            H = self.user_channels(pos).numpy()
            Ht = self.target_channels(pos).numpy()
        return {"user_gram": H.conj()[:, :, None] * H[:, None, :],
                "target_gram": Ht.conj()[:, :, None] * Ht[:, None, :],
                "noise_comm_w": self.noise_comm_w, "power_budget_w": self.power_budget_w,
                "crb_trace_limit": self.crb_trace_limit()}

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

    # --------------------------------------------------------------- computing
    def min_cpu_frequency(self) -> float:
        """Smallest f_l with T_l <= T_max (eq. (26)), Hz; the same for every target."""
        return met.min_cpu_frequency(self.data_bits, self.cycles_per_bit, self.t_max_s,
                                     self.f_required_hz)

    def latency(self, f: Any) -> torch.Tensor:
        """T_l of NF eq. (26) for CPU frequencies f (L,) in Hz: seconds (L,)."""
        return met.task_latency(f, self.data_bits, self.cycles_per_bit, self.f_required_hz)

    def processing_power(self, f: Any, model: str | None = None) -> torch.Tensor:
        """P_l^process (L,) watts: kappa f^3 (default) or eq. (27) as printed."""
        return met.processing_power(f, self.kappa, self.cycles_per_bit,
                                    model or self.cpu_power_model)

    def semantic_computing_power(self, rho: Any) -> torch.Tensor:
        """P^Comp of NF eq. (24), watts."""
        return met.semantic_computing_power(rho, self.nu)

    def power_report(self, Rx: Any, rho: Any, f: Any | None = None,
                     model: str | None = None) -> dict[str, Any]:
        """Every budget term of eqs. (28b)-(28e) and which one breaks.

        f defaults to :meth:`min_cpu_frequency` for every target. Returns floats
        (watts, seconds, Hz) and ``violations``: a list of one-line messages
        naming the broken term (empty when the design is feasible).
        """
        f = torch.full((self.L,), self.min_cpu_frequency(), dtype=DTYPE) if f is None else (
            torch.as_tensor(f, dtype=DTYPE))
        model = model or self.cpu_power_model
        p_cs = float(met.cs_power(torch.as_tensor(np.asarray(Rx))))
        p_comp = float(self.semantic_computing_power(rho)) + 0.0  # no -0.0
        p_proc = self.processing_power(f, model)
        total = p_cs + p_comp + float(p_proc.sum())
        latency = self.latency(f)
        crb = self.crb_normalised(Rx)
        out = {"P_cs_w": p_cs, "P_comp_w": p_comp, "P_process_w": p_proc.tolist(),
               "P_total_w": total, "P_t_w": self.power_budget_w, "cpu_power_model": model,
               "latency_s": latency.tolist(), "f_hz": f.tolist(), "crb": crb,
               "crb_limit": self.crb_limit,
               "crb_normalisation": self.crb_normalisation,
               "violations": []}
        if total > self.power_budget_w * (1 + 1e-9):
            out["violations"].append(
                f"power: P_C&S={p_cs:.4g} + P_Comp={p_comp:.4g} + sum P_process="
                f"{float(p_proc.sum()):.4g} ({model}) = {total:.4g} W exceeds P_t="
                f"{self.power_budget_w:.4g} W (NF eq. (28c))")
        if float(latency.max()) > self.t_max_s * (1 + 1e-9):
            out["violations"].append(f"latency: max T_l={float(latency.max()):.4g} s exceeds "
                                     f"T_max={self.t_max_s} s (NF eq. (28d))")
        if float(f.sum()) > self.f_max_hz * (1 + 1e-9):
            out["violations"].append(f"cpu: sum f_l={float(f.sum()):.4g} Hz exceeds "
                                     f"F_max={self.f_max_hz:.4g} Hz (NF eq. (28e))")
        if crb > self.crb_limit:
            out["violations"].append(f"sensing: CRB={crb:.4g} exceeds xi={self.crb_limit} "
                                     f"({self.crb_normalisation} normalisation, NF eq. (28b))")
        return out
