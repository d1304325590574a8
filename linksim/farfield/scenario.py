"""Far-field ISSC scenario of the ASCC paper (Sec. II, III-B, V).

One transmitter (TR) with an ``N_T``-element half-wavelength ULA, a single-antenna
semantic receiver (CRE), a sensing receiver (SRE) with an ``N_R``-element ULA,
one point target and imperfect time synchronisation between TR and SRE.

Choices where the paper is silent (override any of them in the TOML file):

* The reflection coefficient ``beta_0`` (real, known) follows ``reflection_model``:
  ``"two_way"`` (the class default) ``beta_0 = beta_s (d_TR,o d_o,SRE)^(-eps/2)``, the
  bistatic two-hop path loss; ``"path_length"`` ``beta_0 = beta_s (d_TR,o + d_o,SRE)^(-eps/2)``,
  the target treated as one scattered path whose loss is that of its total length (the
  usual reading in ISAC papers that give one "reflection factor"); ``"none"``
  ``beta_0 = beta_s`` (beta_s already includes every loss, as ASCC after eq. (5) says of
  beta_0). The paper gives ``beta_s = 0.6`` without saying which; see docs/optim_ascc.md
  for why the shipped ASCC scenario uses ``"path_length"``.
* The derivative ``H_0'`` of Prop. 3.1 treats ``beta_0`` as a known constant
  (position information comes from the angles and the delay only), because a
  real receiver does not know the RCS well enough to range on amplitude. Set
  ``beta_position_derivative = true`` to differentiate ``beta_0(p_o)`` as well.
* The frequency grid of ASCC eq. (8) is ``w_k = 2 pi k / (N dt)``, ``k = 0..N-1``
  as written (``frequency_grid = "paper"``); ``"centered"`` uses
  ``k = -N/2..N/2-1`` (baseband bins).
* Symbols have unit power per frequency bin (a unitary DFT), so that
  ``E[x(w_k) x(w_k)^H] = Sigma`` and the noise per bin is ``sigma_s^2``; this is
  what makes ``J_D^j = (2/sigma_s^2) Re Tr(zeta_j Sigma)`` exact in expectation.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ..units import SPEED_OF_LIGHT, dbm_to_watt
from . import fbl, geometry
from .hcrb import HCRB, hcrb_from_fim

_FREQ_GRIDS = ("paper", "centered")
REFLECTION_MODELS = ("two_way", "path_length", "none")


@dataclass(frozen=True)
class ISSCScenario:
    """ASCC scenario; the default constructor is the paper's Sec. V.

    Fields are in the paper's units (m, dBm, s, Hz); properties give SI values.

    Attributes:
        n_t: transmit antennas ``N_T >= 1``.
        n_r: SRE receive antennas ``N_R >= 1``.
        tr_position, target_position, sre_position, cre_position: ``[x, y]`` in m
            (``p_b``, ``p_o``, ``p_r``, ``p_c``; the CRE is the paper's "p_s" of Sec. V).
        path_loss_exponent: ``eps`` of ``d^-eps``.
        noise_cre_dbm, noise_sre_dbm: ``sigma_n^2`` and ``sigma_s^2`` in dBm.
        sigma_delta_s: standard deviation of the sync error ``sigma_Delta`` in s.
        beta_s: reflection factor in ``beta_0``.
        blocklength: channel uses per block ``L``.
        bandwidth_hz: ``B``; the sampling interval is ``dt = 1/B``.
        num_samples: ``N`` frequency bins (= samples) per sensing frame.
        power_budget_dbm: ``P_T`` used by scripts when no power is given (not from
            the paper, which sweeps ``P_T``).
        frequency_grid: ``"paper"`` or ``"centered"`` (see module docstring).
        beta_position_derivative: differentiate ``beta_0`` w.r.t. ``p_o`` in the FIM.
        reflection_model: ``"two_way"``, ``"path_length"`` or ``"none"`` (module docstring).
    """

    n_t: int = 4
    n_r: int = 4
    tr_position: tuple[float, float] = (0.0, 0.0)
    target_position: tuple[float, float] = (100.0, 50.0)
    sre_position: tuple[float, float] = (0.0, 50.0)
    cre_position: tuple[float, float] = (20.0, 30.0)
    path_loss_exponent: float = 3.0
    noise_cre_dbm: float = -50.0
    noise_sre_dbm: float = -50.0
    sigma_delta_s: float = 100e-9
    beta_s: float = 0.6
    blocklength: int = 256
    bandwidth_hz: float = 100e6
    num_samples: int = 1024
    power_budget_dbm: float = 20.0
    frequency_grid: str = "paper"
    beta_position_derivative: bool = False
    reflection_model: str = "two_way"
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ checks
    def __post_init__(self) -> None:
        for name in ("n_t", "n_r", "num_samples"):
            v = getattr(self, name)
            if isinstance(v, bool) or not float(v).is_integer() or v < 1:
                raise ValueError(f"{name}={v!r} is invalid: must be an integer >= 1")
            object.__setattr__(self, name, int(v))
        for name in ("tr_position", "target_position", "sre_position", "cre_position"):
            p = geometry.as_position(getattr(self, name), name)
            if p.shape != (2,):
                raise ValueError(f"{name}={getattr(self, name)!r} is invalid: must be [x, y]")
            object.__setattr__(self, name, (float(p[0]), float(p[1])))
        for a, b in (("tr_position", "target_position"), ("target_position", "sre_position"),
                     ("tr_position", "cre_position")):
            if geometry.distance(getattr(self, a), getattr(self, b)) <= 0.0:
                raise ValueError(f"{b}={getattr(self, b)!r} is invalid: must differ from "
                                 f"{a}={getattr(self, a)!r} (zero distance, path loss d^-eps "
                                 "undefined); valid: distance > 0 m")
        _positive(self, "path_loss_exponent", "> 0", lambda v: v > 0)
        _positive(self, "noise_cre_dbm", "finite (dBm)", np.isfinite)
        _positive(self, "noise_sre_dbm", "finite (dBm)", np.isfinite)
        _positive(self, "sigma_delta_s", "> 0 s", lambda v: v > 0)
        _positive(self, "beta_s", "> 0", lambda v: v > 0)
        _positive(self, "blocklength", "> 0 channel uses", lambda v: v > 0)
        _positive(self, "bandwidth_hz", "> 0 Hz", lambda v: v > 0)
        _positive(self, "power_budget_dbm", "finite (dBm)", np.isfinite)
        if self.frequency_grid not in _FREQ_GRIDS:
            raise ValueError(f"frequency_grid={self.frequency_grid!r} is invalid: must be one "
                             f"of {_FREQ_GRIDS}")
        object.__setattr__(self, "beta_position_derivative", bool(self.beta_position_derivative))
        if self.reflection_model not in REFLECTION_MODELS:
            raise ValueError(f"reflection_model={self.reflection_model!r} is invalid: must be "
                             f"one of {REFLECTION_MODELS}")

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_toml(cls, path: str | Path, **overrides: Any) -> ISSCScenario:
        """Read a scenario file (keys = field names, optionally inside an ``[issc]`` table).

        Noise may also be given in watts as ``noise_cre_w`` / ``noise_sre_w`` (> 0).
        Missing keys keep the paper's defaults; ``overrides`` win over the file.
        """
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
        data = dict(data.get("issc", data))
        data.update(overrides)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ISSCScenario:
        """Build from a plain dict (as read from TOML/JSON), refusing unknown keys."""
        data = dict(data)
        for which in ("cre", "sre"):
            key = f"noise_{which}_w"
            if key in data:
                w = float(data.pop(key))
                if not (np.isfinite(w) and w > 0):
                    raise ValueError(f"{key}={w!r} is invalid: noise power must be finite "
                                     "and > 0 W")
                data[f"noise_{which}_dbm"] = 10.0 * np.log10(w) + 30.0
        names = [f.name for f in dataclasses.fields(cls) if f.init]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"scenario key {unknown[0]!r} is invalid: must be one of "
                             f"{names + ['noise_cre_w', 'noise_sre_w']}")
        for k in ("tr_position", "target_position", "sre_position", "cre_position"):
            if k in data:
                data[k] = tuple(data[k])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the fields (JSON/TOML friendly)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}

    def replace(self, **changes: Any) -> ISSCScenario:
        """Copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    # ---------------------------------------------------------- SI quantities
    @property
    def noise_cre_w(self) -> float:
        """sigma_n^2 in W."""
        return float(dbm_to_watt(self.noise_cre_dbm))

    @property
    def noise_sre_w(self) -> float:
        """sigma_s^2 in W."""
        return float(dbm_to_watt(self.noise_sre_dbm))

    @property
    def power_budget_w(self) -> float:
        """P_T in W."""
        return float(dbm_to_watt(self.power_budget_dbm))

    @property
    def sample_interval_s(self) -> float:
        """dt = 1/B in s."""
        return 1.0 / self.bandwidth_hz

    @cached_property
    def frequencies(self) -> np.ndarray:
        """Angular frequencies w_k of ASCC eq. (8) in rad/s, float64 ``(N,)``."""
        k = np.arange(self.num_samples, dtype=float)
        if self.frequency_grid == "centered":
            k -= self.num_samples // 2
        return 2.0 * np.pi * k / (self.num_samples * self.sample_interval_s)

    # ---------------------------------------------------------------- geometry
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

    # -------------------------------------------------------------- SemCom link
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

    # ------------------------------------------------------------------- FIM
    def fim_basis(self) -> np.ndarray:
        """The matrices ``zeta_1..zeta_6`` of ASCC Prop. 3.1, complex128 ``(6, N_T, N_T)``.

        Built from the frequency moments ``S_m = sum_k w_k^m`` (exact, no loop over k):
        with ``Hdot^k_a = H_a' - j w_k tau_a' H_0``,
        ``zeta(a,b) = S_0 H_a'^H H_b' + j S_1 (tau_a' H_0^H H_b' - tau_b' H_a'^H H_0)
        + S_2 tau_a' tau_b' H_0^H H_0`` and
        ``zeta(a,Dtau) = -j S_1 H_a'^H H_0 + S_2 tau_a' H_0^H H_0``.
        """
        if "zeta" not in self._cache:
            H, dH, _, dt = self.sensing_channel(self.target_position)
            w = self.frequencies
            s0, s1, s2 = float(w.size), float(w.sum()), float(np.dot(w, w))
            HH = H.conj().T @ H

            def pos(a: int, b: int) -> np.ndarray:
                return (s0 * dH[a].conj().T @ dH[b]
                        + 1j * s1 * (dt[a] * H.conj().T @ dH[b] - dt[b] * dH[a].conj().T @ H)
                        + s2 * dt[a] * dt[b] * HH)

            def cross(a: int) -> np.ndarray:
                return -1j * s1 * dH[a].conj().T @ H + s2 * dt[a] * HH

            zeta = np.stack([pos(0, 0), pos(0, 1), pos(1, 1), cross(0), cross(1), s2 * HH])
            zeta.setflags(write=False)
            self._cache["zeta"] = zeta
        return self._cache["zeta"]

    def fim_matrices(self) -> np.ndarray:
        """Linear map Sigma -> J_D: Hermitian ``F`` complex128 ``(3, 3, N_T, N_T)``.

        ``J_D[a, b] = Re Tr(F[a, b] Sigma) = (2/sigma_s^2) Re Tr(zeta_j Sigma)`` for
        Hermitian ``Sigma`` (ASCC eq. (12)); ``F[a, b] = (zeta_j + zeta_j^H) / sigma_s^2``,
        so ``Tr(F[a, b] Sigma)`` is already real. Order of ``a, b``: (o_x, o_y, Delta_tau).
        Use it for LMI forms, e.g. ``cvxpy.real(cvxpy.trace(F[a, b] @ S))``.
        """
        if "F" not in self._cache:
            z = self.fim_basis()
            herm = (z + np.conj(np.swapaxes(z, -1, -2))) / self.noise_sre_w
            idx = ((0, 1, 3), (1, 2, 4), (3, 4, 5))  # zeta index of each (a, b)
            F = np.stack([np.stack([herm[idx[a][b]] for b in range(3)]) for a in range(3)])
            F.setflags(write=False)
            self._cache["F"] = F
            # rows of Re(vec) so that J_D = Re(M @ vec(Sigma)) in one matmul
            self._cache["M"] = F.reshape(9, -1).conj().copy()  # Tr(F S) = sum conj(F^H) * S
        return self._cache["F"]

    def prior_fim(self) -> np.ndarray:
        """``J_B`` of Prop. 3.1: ``diag(0, 0, 1/sigma_Delta^2)``, float64 ``(3, 3)``."""
        jb = np.zeros((3, 3))
        jb[2, 2] = 1.0 / self.sigma_delta_s**2
        return jb

    def fim_data(self, Sigma: ArrayLike) -> np.ndarray:  # noqa: N803 - the paper's symbol
        """Observed FIM ``J_D(Sigma)`` (ASCC eq. (11), eq. (12)), float64 ``(..., 3, 3)``.

        Linear in ``Sigma``.
        """
        S = _sigma(Sigma, self.n_t)
        self.fim_matrices()
        # Tr(F S) = sum_ij F_ij S_ji ; F Hermitian -> = sum_ij conj(F)_ji S_ji
        M = self._cache["M"]
        jd = np.real(S.reshape(S.shape[:-2] + (-1,)) @ M.T)
        return jd.reshape(S.shape[:-2] + (3, 3))

    def fim(self, Sigma: ArrayLike) -> np.ndarray:  # noqa: N803
        """Hybrid FIM ``J = J_D(Sigma) + J_B`` (ASCC eq. (11)), float64 ``(..., 3, 3)``.

        Args:
            Sigma: transmit covariance ``w_c w_c^H + w_0 w_0^H`` in W, complex
                ``(..., N_T, N_T)``, Hermitian, finite, with non-negative trace.
        """
        return self.fim_data(Sigma) + self.prior_fim()

    def hcrb(self, Sigma: ArrayLike) -> HCRB:  # noqa: N803
        """HCRB of ASCC Prop. 3.1 / ASCC eq. (13) for ``Sigma`` (see :meth:`fim`).

        Returns:
            :class:`linksim.farfield.HCRB` with ``.trace`` (Tr HCRB(p_o), m^2), ``.crb_trace``,
            ``.ts_penalty_trace``, the 2x2 blocks and ``.matrix()`` (3x3 ``J^-1``).
        """
        return hcrb_from_fim(self.fim(Sigma))

    # ---------------------------------------------------------------- beams
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


def covariance(w_c: ArrayLike, w_0: ArrayLike) -> np.ndarray:
    """``Sigma = w_c w_c^H + w_0 w_0^H`` (ASCC eq. (2)), complex128 ``(..., N_T, N_T)``."""
    wc = np.asarray(w_c, dtype=complex)
    w0 = np.asarray(w_0, dtype=complex)
    return (wc[..., :, None] * wc[..., None, :].conj()
            + w0[..., :, None] * w0[..., None, :].conj())


def check_power(power_w: ArrayLike, name: str = "power_w") -> np.ndarray:
    """Validate a transmit power in W: finite and >= 0; returns float64 array."""
    p = np.asarray(power_w, dtype=float)
    if not np.all(np.isfinite(p) & (p >= 0)):
        raise ValueError(f"{name}={power_w!r} is invalid: transmit power must be finite "
                         "and >= 0 W")
    return p


def _positive(obj: Any, name: str, rule: str, ok: Any) -> None:
    v = getattr(obj, name)
    try:
        fv = float(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name}={v!r} is invalid: must be {rule}") from None
    if not (np.isfinite(fv) and ok(fv)):
        raise ValueError(f"{name}={v!r} is invalid: must be {rule}")
    object.__setattr__(obj, name, type(v)(fv) if isinstance(v, int) and fv.is_integer()
                       else fv)


def _beams(w_c: ArrayLike, w_0: ArrayLike, n_t: int) -> tuple[np.ndarray, np.ndarray]:
    wc = np.asarray(w_c, dtype=complex)
    w0 = np.asarray(w_0, dtype=complex)
    for name, w in (("w_c", wc), ("w_0", w0)):
        if w.shape[-1:] != (n_t,):
            raise ValueError(f"{name} of shape {w.shape} is invalid: last axis must be "
                             f"N_T={n_t}")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"{name}={w!r} is invalid: entries must be finite")
    return wc, w0


def _sigma(Sigma: ArrayLike, n_t: int) -> np.ndarray:  # noqa: N803
    S = np.asarray(Sigma, dtype=complex)
    if S.shape[-2:] != (n_t, n_t):
        raise ValueError(f"Sigma of shape {S.shape} is invalid: must be (..., {n_t}, {n_t})")
    if not np.all(np.isfinite(S)):
        raise ValueError("Sigma is invalid: entries must be finite")
    tr = np.real(np.trace(S, axis1=-2, axis2=-1))
    if np.any(tr < 0):
        raise ValueError(f"Sigma with trace {tr.min():.3g} W is invalid: transmit power "
                         "Tr(Sigma) must be >= 0 W")
    return S
