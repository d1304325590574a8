"""The schema of a near-field scenario (:class:`~linksim.nearfield.NFScenario`) and its TOML file.

Keys are the dataclass fields, at the top level or in one of the tables of
:data:`TABLES` (tables are for reading only: any key may sit in any of them, as in the
shipped files), each key once: a key given twice (in two tables, or in a table and at the
top level) and a table not in :data:`TABLES` are refused. Two older spellings still load:
``tx_power_dbm`` (now ``power_budget_dbm``) and ``tx_spacing_m`` (one pitch for both axes,
now ``tx_spacing_x_m`` and ``tx_spacing_z_m``); a file giving an old and a new spelling of
the same quantity is refused. Values are checked by :class:`NFScenarioSchema` in strict mode
(:mod:`linksim.schema`); checks across keys (NF Sec. II) stay in
:mod:`linksim.nearfield.validation`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from ..schema import StrictModel, check, markdown_table
from .geometry import PHASE_MODELS
from .metrics import CPU_POWER_MODELS

CRB_NORMALISATIONS = ("budget", "none")
#: the tables a scenario file may use (the customary one of each key is in its schema)
TABLES = ("array", "signal", "computing", "semantic", "users", "targets")
#: older key -> the keys it stands for (still read; see the module docstring)
OLD_KEYS = {"tx_power_dbm": ("power_budget_dbm",),
            "tx_spacing_m": ("tx_spacing_x_m", "tx_spacing_z_m")}

Count = Annotated[int, Field(ge=1)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Angles = Annotated[list[Annotated[float, Field(ge=0, le=180)]], Field(min_length=1)]
Distances = Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=1)]


def _f(table: str, description: str, unit: str = "") -> Any:
    extra: dict[str, str] = {"table": table}
    if unit:
        extra["unit"] = unit
    return Field(description=description, json_schema_extra=extra)  # type: ignore[arg-type]


class NFScenarioSchema(StrictModel):
    """Every key of a near-field scenario (NF Sec. II-III, Table I), strictly typed."""

    carrier_ghz: Positive = _f("array", "carrier frequency", "GHz")
    n_tx: Count = _f("array", "fluid transmit antennas along x, N_tx")
    n_tz: Count = _f("array", "fluid transmit antennas along z, N_tz")
    n_rx: Count = _f("array", "receive antennas along x, N_rx")
    n_rz: Count = _f("array", "receive antennas along z, N_rz")
    region_area_m2: NonNegative = _f("array", "movable region C_i of each antenna (a square); "
                                     "0 = fixed positions", "m^2")
    tx_spacing_x_m: Positive = _f("array", "transmit grid pitch along x", "m")
    tx_spacing_z_m: Positive = _f("array", "transmit grid pitch along z", "m")
    rx_spacing_wavelengths: Positive = _f("array", "receive grid pitch", "wavelengths")
    phase_model: Literal[PHASE_MODELS] = _f(
        "array", "channel phase: exact spherical wave, fresnel (NF eq. (8), NF eq. (9)), "
        "fresnel_full or planar")
    frames: Count = _f("signal", "frames F per sensing block; must exceed N_tx N_tz")
    power_budget_dbm: float = _f("signal", "transmit power budget P_t (older key: "
                                 "tx_power_dbm)", "dBm")
    noise_comm_dbm: float = _f("signal", "user noise power sigma_c^2", "dBm")
    noise_radar_dbm: float = _f("signal", "radar receiver noise power sigma_r^2", "dBm")
    crb_limit: Positive = _f("signal", "sensing limit xi; >= 1 with crb_normalisation = "
                             "\"budget\"")
    crb_normalisation: Literal[CRB_NORMALISATIONS] = _f(
        "signal", "budget: CRB / CRB_min <= xi; none: NF eq. (16) as printed")
    t_max_s: Positive = _f("computing", "latency limit T_max", "s")
    data_bits: Positive = _f("computing", "task bits U_l per target", "bits")
    cycles_per_bit: Positive = _f("computing", "CPU cycles per bit Q_l", "cycles/bit")
    kappa: Positive = _f("computing", "energy-efficiency coefficient of the CPU")
    cpu_power_model: Literal[CPU_POWER_MODELS] = _f(
        "computing", "CPU power: kappa f^3 (kappa_f3) or kappa f^3 Q as printed (eq27)")
    f_required_hz: NonNegative = _f("computing", "fbar_l of NF eq. (26)", "Hz")
    f_max_hz: Positive = _f("computing", "CPU frequency budget F_max of NF eq. (28e)", "Hz")
    iota: Positive = _f("semantic", "words-to-bits factor of NF eq. (18)")
    nu: NonNegative = _f("semantic", "semantic computing coefficient of NF eq. (24)", "W")
    bleu_floor: Annotated[float, Field(gt=0, le=1)] = _f(
        "semantic", "BLEU floor varrho of NF eq. (19), a fraction")
    users_genre: list[str] = _f("semantic", "each user's knowledge base, a Brown genre: K "
                                "names, one for all, or none (cycle the default genres)")
    users_theta_deg: Angles = _f("users", "user azimuths theta_k", "deg")
    users_phi_deg: Angles = _f("users", "user elevations phi_k", "deg")
    users_d_m: Distances = _f("users", "user distances d_k from u_0", "m")
    targets_theta_deg: Angles = _f("targets", "target azimuths", "deg")
    targets_phi_deg: Angles = _f("targets", "target elevations", "deg")
    targets_d_m: Distances = _f("targets", "target distances from u_0", "m")
    scatterers_per_target: Count = _f("targets", "scatterers N_s of each extended target")
    scatterer_radius_m: NonNegative = _f("targets", "scatterers lie uniformly in a ball of "
                                         "this radius around the target", "m")
    reflection_var: Positive = _f("targets", "variance of the CN(0, .) reflection "
                                  "coefficients")
    geometry_seed: Annotated[int, Field(ge=0)] = _f("targets", "seed of the scatterer "
                                                    "offsets and reflection coefficients")
    notes: str = _f("", "free text kept with the scenario")


def validate_fields(data: Mapping[str, Any], source: str | None = None,
                    where: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Check every field (a full dict); returns them with lists as tuples. ValueError."""
    scn = check(NFScenarioSchema, dict(data), source, where)
    return {k: tuple(v) if isinstance(v, list) else v for k, v in scn.model_dump().items()}


def read_toml(path: str | Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Read a scenario file: (keys, flattened from the tables; each key's dotted place).

    Older spellings are translated (:data:`OLD_KEYS`). ValueError (one line naming the file
    and the key) for a table not in :data:`TABLES`, a table inside a table, a key given twice
    or an old and a new spelling of one quantity; unknown keys and bad values are left to
    :func:`validate_fields`.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"scenario file {path} does not exist")
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    valid = ", ".join(f"[{t}]" for t in TABLES)
    flat: dict[str, Any] = {}
    where: dict[str, str] = {}

    def put(key: str, value: Any, place: str) -> None:
        if key in where:
            raise ValueError(f"{path}: {place} is given twice (also {where[key]}): give each "
                             "key once")
        flat[key], where[key] = value, place

    for key, value in raw.items():
        if not isinstance(value, dict):
            put(key, value, key)
            continue
        if key not in TABLES:
            raise ValueError(f"{path}: table [{key}] is invalid: valid tables are {valid} "
                             "(or keys at the top level)")
        for sub, v in value.items():
            if isinstance(v, dict):
                raise ValueError(f"{path}: table [{key}.{sub}] is invalid: tables do not "
                                 f"nest; valid tables are {valid}")
            put(sub, v, f"{key}.{sub}")
    for old, new_keys in OLD_KEYS.items():
        if old not in flat:
            continue
        both = [k for k in new_keys if k in flat]
        if both:
            raise ValueError(f"{path}: {where[old]} (the older name) and {where[both[0]]} are "
                             f"both given: keep {' and '.join(new_keys)} only")
        value, place = flat.pop(old), where.pop(old)
        for k in new_keys:
            flat[k], where[k] = value, place
    return flat, where


def docs_table() -> str:
    """The key table of docs/linksim_nearfield.md (generated from the schema and defaults)."""
    import dataclasses

    from .scenario import NFScenario

    return markdown_table(NFScenarioSchema, {f.name: f.default
                                             for f in dataclasses.fields(NFScenario)},
                          tables=True)
