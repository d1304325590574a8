"""Inputs of the ASCC optimiser: the shipped defaults, loading and checking them.

The defaults of the ASCC figures (Pi, the P_T range, the ABR values) are not given by the
paper; ours are in ``data/scenarios/issc_ascc.toml`` (section ``[ascc]``) with their
reasons, and docs/optim_ascc.md explains the calibration.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field

from linksim.farfield import CALIBRATED_SCENARIO, ISSCScenario
from linksim.farfield.scenario_schema import read_toml
from linksim.schema import StrictModel, check, markdown_table
from semcodec.distortion_model import SHIPPED_FITS, DistortionModel

#: the calibrated scenario for the ASCC optimiser and its figures
DEFAULT_SCENARIO = CALIBRATED_SCENARIO
#: the tables of an ASCC scenario file besides [issc]
_TABLES = ("ascc",)


class AsccFigureDefaults(StrictModel):
    """The ``[ascc]`` table of a scenario file: defaults of the ASCC grid and figures."""

    pi_m2: Annotated[float, Field(gt=0)] | None = Field(
        None, description="HCRB limit Pi (Tr HCRB <= Pi), ASCC eq. (15)",
        json_schema_extra={"unit": "m^2"})
    pt_dbm: Annotated[list[float], Field(min_length=1)] | None = Field(
        None, description="transmit powers P_T of the grid", json_schema_extra={"unit": "dBm"})
    abr: Annotated[list[Annotated[float, Field(gt=0)]], Field(min_length=1)] | None = Field(
        None, description="bandwidth ratios ABR of the grid, ASCC eq. (16)")


def docs_table() -> str:
    """The ``[ascc]`` key table of docs/optim_ascc.md (generated from the schema)."""
    return markdown_table(AsccFigureDefaults)


def figure_defaults(path: str | os.PathLike = DEFAULT_SCENARIO) -> dict[str, Any]:
    """The ``[ascc]`` table of a scenario file (``pi_m2``, ``pt_dbm`` list, ``abr`` list);
    keys not given are absent. ValueError (one line naming the file and key) when invalid."""
    _, _, tables = read_toml(path, other_tables=_TABLES)
    given = tables.get("ascc", {})
    table = check(AsccFigureDefaults, given, str(path), {k: f"ascc.{k}" for k in given})
    return table.model_dump(exclude_none=True)


def load_scenario(path: str | os.PathLike | None = None) -> ISSCScenario:
    """Read the ``[issc]`` table (or top-level keys) of a scenario file (default:
    :meth:`ISSCScenario.calibrated`, the shipped issc_ascc.toml); its ``[ascc]`` table
    is checked too, so a bad figure default is refused before any work. Any other table,
    unknown key or invalid value is refused in one line naming the file and key."""
    path = Path(path) if path is not None else DEFAULT_SCENARIO
    figure_defaults(path)
    if path == CALIBRATED_SCENARIO:  # the default: the one far-field default of the product
        return ISSCScenario.calibrated()
    return ISSCScenario.from_toml(path, other_tables=_TABLES)


def load_distortion(fits: str | os.PathLike | None = None,
                    ladder: list[str | os.PathLike] | None = None) -> DistortionModel:
    """Read fitted S-curves; refuse fits whose G disagrees with the codecs they were measured
    on (``sweep.model_sha256``) or with an explicit ladder (list of checkpoints)."""
    dm = DistortionModel.from_json(fits if fits is not None else SHIPPED_FITS)
    shas = (dm.doc.get("sweep") or {}).get("model_sha256")
    if isinstance(shas, list) and len(shas) != dm.n_models:
        raise ValueError(f"fits G={dm.n_models} is invalid: the sweep was measured on "
                         f"{len(shas)} codecs; valid: one fit per codec of the ladder")
    if ladder is not None and len(ladder) != dm.n_models:
        raise ValueError(f"fits G={dm.n_models} is invalid for a ladder of {len(ladder)} "
                         "codecs; valid: fits measured on that ladder (issc fit-scurves)")
    return dm


def float_list(text: str | list[float], name: str, positive: bool = False) -> list[float]:
    """Parse ``"1,2,3"`` (or a list): non-empty, finite, and > 0 if ``positive``."""
    if isinstance(text, str):
        parts = [t for t in text.replace(" ", "").split(",") if t]
        try:
            vals = [float(t) for t in parts]
        except ValueError:
            raise ValueError(f"{name}={text!r} is invalid: must be comma-separated numbers"
                             ) from None
    else:
        vals = [float(v) for v in text]
    if not vals:
        raise ValueError(f"{name}={text!r} is invalid: must list at least one value")
    bad = [v for v in vals if not math.isfinite(v) or (positive and v <= 0)]
    if bad:
        rule = "finite and > 0" if positive else "finite"
        raise ValueError(f"{name} value {bad[0]!r} is invalid: must be {rule}")
    return vals


def param_text(scn: ISSCScenario, **extra: Any) -> str:
    """One-line parameter summary to write on a figure."""
    s = (f"N_T={scn.n_t}, N_R={scn.n_r}, L={scn.blocklength}, σ_n²={scn.noise_cre_dbm:g} dBm, "
         f"σ_s²={scn.noise_sre_dbm:g} dBm, σ_Δ={scn.sigma_delta_s * 1e9:g} ns, "
         f"β_s={scn.beta_s:g} ({scn.reflection_model}), ε={scn.path_loss_exponent:g}")
    if extra:
        s += "; " + ", ".join(f"{k}={v}" for k, v in extra.items())
    return s
