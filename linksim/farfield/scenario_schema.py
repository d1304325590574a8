"""The schema of a far-field scenario (:class:`~linksim.farfield.ISSCScenario`) and its TOML file.

A file holds the scenario keys either inside one ``[issc]`` table or at the top level (the
layout of the first scenario files), never both; other tables are refused unless the
reader names them (``optim.ascc`` reads ``[ascc]``). Values are checked by
:class:`ISSCScenarioSchema` in strict mode (:mod:`linksim.schema`); the defaults are those of
the dataclass (ASCC Sec. V). Noise may be given in watts (``noise_cre_w``, ``noise_sre_w``)
instead of dBm, not both.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field

from ..schema import StrictModel, check, markdown_table

FREQUENCY_GRIDS = ("paper", "centered")
REFLECTION_MODELS = ("two_way", "path_length", "none")
#: the table that holds the scenario keys
TABLE = "issc"
#: keys that give a noise power in watts instead of dBm: (W key, dBm key)
NOISE_WATT_KEYS = {"noise_cre_w": "noise_cre_dbm", "noise_sre_w": "noise_sre_dbm"}

Count = Annotated[int, Field(ge=1)]
Positive = Annotated[float, Field(gt=0)]
Position = Annotated[list[float], Field(min_length=2, max_length=2)]


def _f(description: str, unit: str = "", **kw: Any) -> Any:
    return Field(description=description, json_schema_extra={"unit": unit} if unit else None,
                 **kw)


class ISSCScenarioSchema(StrictModel):
    """Every key of a far-field scenario (ASCC Sec. II, III-B, V), strictly typed."""

    n_t: Count = _f("transmit ULA elements N_T (half-wavelength spacing)")
    n_r: Count = _f("SRE receive ULA elements N_R")
    tr_position: Position = _f("transmitter position p_b, [x, y]", "m")
    target_position: Position = _f("target position p_o, [x, y]", "m")
    sre_position: Position = _f("sensing receiver position p_r, [x, y]", "m")
    cre_position: Position = _f("semantic receiver position p_c (the paper's p_s in Sec. V), "
                                "[x, y]", "m")
    path_loss_exponent: Positive = _f("eps of the path loss d^-eps")
    noise_cre_dbm: float = _f("CRE noise power sigma_n^2", "dBm")
    noise_sre_dbm: float = _f("SRE noise power sigma_s^2 per frequency bin", "dBm")
    noise_cre_w: Positive | None = _f("sigma_n^2 in watts instead of noise_cre_dbm", "W",
                                         default=None)
    noise_sre_w: Positive | None = _f("sigma_s^2 in watts instead of noise_sre_dbm", "W",
                                         default=None)
    sigma_delta_s: Positive = _f("standard deviation sigma_Delta of the TR-SRE sync error", "s")
    beta_s: Positive = _f("reflection factor beta_s of beta_0 (see reflection_model)")
    blocklength: Count = _f("channel uses per block L", "channel uses")
    bandwidth_hz: Positive = _f("bandwidth B; the sampling interval is 1/B", "Hz")
    num_samples: Count = _f("frequency bins N (= samples) per sensing frame")
    power_budget_dbm: float = _f("P_T used by scripts when no power is given (not from the "
                                 "paper)", "dBm")
    frequency_grid: Literal[FREQUENCY_GRIDS] = _f(
        "w_k = 2 pi k/(N dt) with k = 0..N-1 as in ASCC eq. (8) (paper) or k = -N/2..N/2-1 "
        "(centered)")
    beta_position_derivative: bool = _f("also differentiate beta_0(p_o) in the FIM")
    reflection_model: Literal[REFLECTION_MODELS] = _f(
        "beta_0 = beta_s (d_TR,o d_o,SRE)^(-eps/2) (two_way), beta_s (d_TR,o + "
        "d_o,SRE)^(-eps/2) (path_length) or beta_s (none)")


def validate_fields(data: Mapping[str, Any], defaults: Mapping[str, Any],
                    source: str | None = None, where: Mapping[str, str] | None = None
                    ) -> dict[str, Any]:
    """Check scenario keys (a partial dict; missing keys take ``defaults``) and return the
    dataclass fields (positions as tuples, watts turned into dBm). ValueError, one line."""
    import math

    where = dict(where or {})
    for w_key, dbm_key in NOISE_WATT_KEYS.items():
        if w_key in data and dbm_key in data:
            raise ValueError(f"{source + ': ' if source else ''}{where.get(w_key, w_key)} and "
                             f"{where.get(dbm_key, dbm_key)} are both given: give the noise "
                             "power once, in W or in dBm")
    full = {**{k: list(v) if isinstance(v, tuple) else v for k, v in defaults.items()},
            **data}
    scn = check(ISSCScenarioSchema, full, source, where)
    out = scn.model_dump(exclude=set(NOISE_WATT_KEYS))
    for w_key, dbm_key in NOISE_WATT_KEYS.items():
        if getattr(scn, w_key) is not None:
            out[dbm_key] = 10.0 * math.log10(getattr(scn, w_key)) + 30.0
    for k in ("tr_position", "target_position", "sre_position", "cre_position"):
        out[k] = tuple(out[k])
    return out


def read_toml(path: str | Path, other_tables: Iterable[str] = ()) -> tuple[
        dict[str, Any], dict[str, str], dict[str, Any]]:
    """Read a scenario file: (scenario keys, their dotted place in the file, other tables).

    Refuses (one line naming the file) an ``[issc]`` table beside top-level scenario keys,
    and any table that is neither ``[issc]`` nor one of ``other_tables``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"scenario file {str(path)!r} does not exist")
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    other_tables = tuple(other_tables)
    allowed = ", ".join(f"[{t}]" for t in (TABLE, *other_tables))
    extra = {k: v for k, v in raw.items() if k in other_tables}
    for k, v in extra.items():
        if not isinstance(v, dict):
            raise ValueError(f"{path}: {k}={v!r} is invalid: must be a table [{k}]")
    rest = {k: v for k, v in raw.items() if k not in other_tables}
    if TABLE in rest:
        table = rest.pop(TABLE)
        if not isinstance(table, dict):
            raise ValueError(f"{path}: {TABLE}={table!r} is invalid: must be a table [{TABLE}]")
        if rest:
            k = sorted(rest)[0]
            what = f"table [{k}]" if isinstance(rest[k], dict) else f"top-level key {k}"
            raise ValueError(f"{path}: {what} is invalid beside the [{TABLE}] table: every "
                             f"scenario key goes inside [{TABLE}]; valid tables are {allowed}")
        return dict(table), {k: f"{TABLE}.{k}" for k in table}, extra
    for k, v in rest.items():
        if isinstance(v, dict):
            raise ValueError(f"{path}: table [{k}] is invalid: valid tables are {allowed} "
                             "(or scenario keys at the top level)")
    return rest, {}, extra


def docs_table() -> str:
    """The key table of docs/linksim_issc.md (generated from the schema and the defaults)."""
    import dataclasses

    from .scenario import ISSCScenario

    defaults = {f.name: f.default for f in dataclasses.fields(ISSCScenario) if f.init}
    return markdown_table(ISSCScenarioSchema, {**defaults, "noise_cre_w": None,
                                               "noise_sre_w": None})
