"""Inputs of the ASCC optimiser: the shipped defaults, loading and checking them.

The defaults of the ASCC figures (Pi, the P_T range, the ABR values) are not given by the
paper; ours are in ``data/scenarios/issc_ascc.toml`` (section ``[ascc]``) with their
reasons, and docs/optim_ascc.md explains the calibration.
"""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path
from typing import Any

from linksim.farfield import ISSCScenario
from semcodec.distortion_model import SHIPPED_FITS, DistortionModel

DATA = Path(__file__).resolve().parents[2] / "data"
#: the calibrated scenario for the ASCC optimiser and its figures
DEFAULT_SCENARIO = DATA / "scenarios" / "issc_ascc.toml"
_ASCC_KEYS = ("pi_m2", "pt_dbm", "abr")


def figure_defaults(path: str | os.PathLike = DEFAULT_SCENARIO) -> dict[str, Any]:
    """The ``[ascc]`` table of a scenario file (``pi_m2``, ``pt_dbm`` list, ``abr`` list)."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    d = dict(data.get("ascc", {}))
    unknown = sorted(set(d) - set(_ASCC_KEYS))
    if unknown:
        raise ValueError(f"[ascc] key {unknown[0]!r} in {path} is invalid: must be one of "
                         f"{list(_ASCC_KEYS)}")
    return d


def load_scenario(path: str | os.PathLike | None = None) -> ISSCScenario:
    """Read the ``[issc]`` table of a scenario file (unknown keys refused)."""
    path = Path(path) if path is not None else DEFAULT_SCENARIO
    if not path.is_file():
        raise FileNotFoundError(f"scenario file {str(path)!r} does not exist")
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    extra = sorted(set(data) - {"issc", "ascc"})
    if "issc" in data and extra:
        raise ValueError(f"scenario table {extra[0]!r} in {path} is invalid: valid tables are "
                         "[issc] and [ascc]")
    return ISSCScenario.from_dict(dict(data.get("issc", data)))


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
