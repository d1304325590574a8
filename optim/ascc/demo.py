"""One optimised link for ``issc demo``: ASCC and the benchmark at one P_T, saved as JSON."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from .design import save_designs
from .inputs import DEFAULT_SCENARIO, figure_defaults, load_distortion, load_scenario
from .optimise import solve_point


def demo_link(out: str | os.PathLike | None = None, pt_dbm: float | None = None,
              abr: float = 0.1, pi_m2: float | None = None,
              scenario: str | os.PathLike | None = None, fits: str | os.PathLike | None = None,
              method: str = "paper", delta: float = 0.01, seed: int = 0,
              ber_model: str = "fbl") -> dict[str, Any]:
    """ASCC and DJSCC-WF-ZF designs at one point (defaults: the shipped calibrated scenario).

    Args:
        out: folder for ``designs.json`` (None: nothing written).
        pt_dbm: P_T (default: the scenario's ``power_budget_dbm``, 0 dBm in issc_ascc.toml).
        abr: bandwidth ratio; pi_m2: HCRB limit (default: the file's ``[ascc] pi_m2``).
        scenario, fits: input files (default: shipped); method: ``"paper"`` or ``"sdr"``.
        ber_model: ``"fbl"`` (ASCC eq. (4), the paper) or a measured-table model of
            :func:`linksim.ber_model.make_ber_model` (``"ldpc"``, ``"ldpc-ber"``).

    Returns:
        ``{"ascc": LinkDesign, "benchmark": LinkDesign, "designs_json": Path | None,
        "table": [dict, ...]}`` where each table row holds the predicted metrics.
    """
    path = Path(scenario) if scenario is not None else DEFAULT_SCENARIO
    scn = load_scenario(path)
    dm = load_distortion(fits)
    pt = float(scn.power_budget_dbm if pt_dbm is None else pt_dbm)
    pi = float(pi_m2 if pi_m2 is not None else figure_defaults(path).get("pi_m2", 400.0))
    bm = None
    if ber_model != "fbl":  # None is ASCC eq. (4) itself
        from linksim.ber_model import make_ber_model

        bm = make_ber_model(ber_model, scn.blocklength)
    a, b = solve_point(scn, dm, pt, abr, pi, ("ascc", "benchmark"), method, delta,
                       rng=np.random.default_rng(seed), ber_model=bm)
    saved = None
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        saved = save_designs([a, b], Path(out) / "designs.json",
                             meta={"scenario_file": str(path), "pt_dbm": pt, "abr": abr,
                                   "pi_m2": pi, "method": method, "delta": delta,
                                   "ber_model": ber_model})
    table = [{"scheme": d.scheme, "model": d.model_name, "rc": d.rc, "sinr_db": d.sinr_db,
              "ber_pred": d.ber_pred, "mse_pred": d.mse_pred, "msssim_pred": d.msssim_pred,
              "hcrb_m2": d.hcrb, "hcrb_no_ts_m2": d.hcrb_no_ts} for d in (a, b)]
    return {"ascc": a, "benchmark": b, "designs_json": saved, "table": table}
