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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..schema import in_file, plain
from ..shipped_data import require_shipped, shipped_path
from ..units import dbm_to_watt
from . import geometry
from .beams import check_power, covariance  # noqa: F401 - public names, also here
from .bounds import SensingBoundsMixin
from .channels import ChannelsMixin
from .link import LinkMixin
from .scenario_schema import REFLECTION_MODELS, read_toml, validate_fields  # noqa: F401

#: the scenario file of :meth:`ISSCScenario.calibrated` (the ASCC optimiser's default)
CALIBRATED_SCENARIO = shipped_path("scenarios/issc_ascc.toml")


@dataclass(frozen=True)
class ISSCScenario(ChannelsMixin, LinkMixin, SensingBoundsMixin):
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
        # every field through the strict schema (scenario_schema.py), then the geometry
        given = {f.name: plain(getattr(self, f.name)) for f in dataclasses.fields(self)
                 if f.init}
        for name, value in validate_fields(given, {}).items():
            object.__setattr__(self, name, value)
        for a, b in (("tr_position", "target_position"), ("target_position", "sre_position"),
                     ("tr_position", "cre_position")):
            if geometry.distance(getattr(self, a), getattr(self, b)) <= 0.0:
                raise ValueError(f"{b}={list(getattr(self, b))!r} is invalid: must differ from "
                                 f"{a}={list(getattr(self, a))!r} (zero distance, path loss "
                                 "d^-eps undefined); valid: distance > 0 m")

    # ------------------------------------------------------------ constructors
    @classmethod
    def calibrated(cls, **overrides: Any) -> ISSCScenario:
        """The far-field default of the ASCC optimiser and its figures: the shipped
        ``scenarios/issc_ascc.toml`` (``reflection_model="path_length"``, P_T 0 dBm), the one
        reading of the paper's Sec. V in which sensing and SemCom compete
        (docs/optim_ascc.md, "Calibration"); ``optim.ascc.load_scenario()`` returns it.

        ``ISSCScenario()`` keeps the class defaults: the old two-way reading of ``beta_0``
        (P_T 20 dBm, ``scenarios/issc_default.toml``), ~120 dB weaker echo.
        """
        return cls.from_toml(require_shipped(CALIBRATED_SCENARIO), **overrides)

    @classmethod
    def from_toml(cls, path: str | Path, other_tables: tuple[str, ...] = ("ascc",),
                  **overrides: Any) -> ISSCScenario:
        """Read a scenario file (keys = field names, inside one ``[issc]`` table or at the top
        level; see :mod:`~linksim.farfield.scenario_schema`).

        Noise may also be given in watts as ``noise_cre_w`` / ``noise_sre_w`` (> 0).
        Missing keys keep the paper's defaults; ``overrides`` win over the file. Tables
        named in ``other_tables`` (the ASCC figure defaults ``[ascc]``) are left to their
        readers; any other table is refused. ValueError (one line naming the file and key).
        """
        data, where, _ = read_toml(path, other_tables)
        data.update(overrides)
        return cls._from_checked(data, str(path), where)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ISSCScenario:
        """Build from a plain dict (as read from TOML/JSON, or :meth:`to_dict`'s tuples),
        refusing unknown keys."""
        return cls._from_checked({k: plain(v) for k, v in data.items()}, None, {})

    @classmethod
    def _from_checked(cls, data: dict[str, Any], source: str | None,
                      where: dict[str, str]) -> ISSCScenario:
        defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.init}
        fields = validate_fields(data, defaults, source, where)
        try:
            return cls(**fields)
        except ValueError as e:  # a check across keys (positions); name the file
            raise ValueError(in_file(str(e), source, where)) from None

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

