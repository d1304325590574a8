"""One grid point of the NF figure grids (NF Figs. 7-12) -> one run of NF Algorithm 2.

The sweep engine (:mod:`optim.sweep`) calls :func:`nf_point` as
``"optim.nearfield.points:nf_point"`` with a point (JSON-able dict), its seed and a context
``{"scenario": base NFScenario fields, "options": base NFOptions fields}``, or, for the
joint method (:mod:`optim.nearfield.joint`), ``{"scenario": ..., "optimiser": "joint",
"options": JointOptions fields}``: then the fluid point method is ``joint`` and every fixed
array is optimised by the same method with its positions frozen (a method-fair comparison).

Point keys (every one optional except ``method``):

- ``method``: one of :data:`METHODS`: ``bfgs``, ``taylor``, ``random`` (fluid antennas, NF
  Sec. IV-B and its baselines), ``joint`` (fluid antennas, the joint method), ``fixed``
  (the same nominal grid, not moving: fixed-position antennas, FPA), ``dense_upa``,
  ``sparse_x``, ``sparse_z``, ``sparse_upa`` (the fixed arrays of NF Fig. 8: lambda/2 or
  ``sparse_pitch_m`` pitch per axis, ``region_area_m2 = 0``);
- ``semantic``: bool (False: the paper's "without semantic", rho = 1, no computing power);
- ``sqrt_c_m``: movable range sqrt(C_i), m (``region_area_m2 = sqrt_c_m**2``; fluid methods);
- ``n_fa``: number of transmit antennas, a key of :data:`ARRAY_SHAPES` (N_tx x N_tz);
- ``targets``: number of sensing targets L (the first L of :data:`TARGETS`);
- ``data_mb``: data size per target U_l, Mbit;
- any other key that names an :class:`~linksim.nearfield.NFScenario` field overrides it
  (e.g. ``crb_limit``, ``t_max_s``, ``cycles_per_bit``).

The row carries ``min_secrecy`` (worst-case semantic secrecy rate min_k S_k, bit/s/Hz,
NF problem (28)), ``min_efficiency`` (worst-case information efficiency min_k E_k),
``crb_normalised``, ``ao_iterations``, ``n_t`` and ``design_json``: the whole design
(positions, W, R_x, f, rho and every constraint's slack) as the stable JSON of
:func:`optim.nearfield.save_design`, so a figure can be redrawn (or a design re-checked) without
recomputing.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from linksim.nearfield import NFScenario

from .alternating import run_nf

SPEED_OF_LIGHT = 299_792_458.0  # m/s

#: position methods of NF Algorithm 2 (``optimiser`` paper)
PAPER_FLUID = ("bfgs", "taylor", "random")
FLUID = (*PAPER_FLUID, "joint")
FIXED_ARRAYS = ("fixed", "dense_upa", "sparse_x", "sparse_z", "sparse_upa")
METHODS = FLUID + FIXED_ARRAYS
#: how a point is optimised: NF Algorithm 2 (``paper``) or :mod:`optim.nearfield.joint`
OPTIMISERS = ("paper", "joint")

# N_t -> (N_tx, N_tz): square where possible; 15 = 3 x 5 as in NF Fig. 11.
ARRAY_SHAPES: dict[int, tuple[int, int]] = {9: (3, 3), 12: (3, 4), 15: (3, 5), 16: (4, 4),
                                            20: (4, 5), 25: (5, 5), 30: (5, 6), 36: (6, 6),
                                            42: (6, 7), 49: (7, 7), 56: (7, 8), 64: (8, 8)}

# Target positions (theta deg, phi deg, d m): the first two are the default scenario's; the
# third (our choice) lies between them, inside the Rayleigh distance, for NF Fig. 11's L = 3.
TARGETS = ((70.0, 90.0, 5.0), (115.0, 88.0, 6.0), (92.0, 92.0, 5.5))

_FIELDS = {f.name for f in dataclasses.fields(NFScenario)}
_SPECIAL = {"method", "semantic", "sqrt_c_m", "n_fa", "targets", "data_mb", "sparse_pitch_m"}


def point_scenario(point: dict[str, Any], base: dict[str, Any]) -> dict[str, Any]:
    """The scenario fields of one point: ``base`` with the point's overrides (see module doc).

    Raises ValueError (one line) for an unknown method, antenna count or key.
    """
    method = point.get("method")
    if method not in METHODS:
        raise ValueError(f"method={method!r} is invalid: must be one of {METHODS}")
    scn = dict(base)
    for key, value in point.items():
        if key in _FIELDS:
            scn[key] = value
        elif key not in _SPECIAL:
            raise ValueError(f"point key={key!r} is invalid: must be an NFScenario field or "
                             f"one of {sorted(_SPECIAL)}")
    if "n_fa" in point:
        n = point["n_fa"]
        if n not in ARRAY_SHAPES:
            raise ValueError(f"n_fa={n!r} is invalid: must be one of {sorted(ARRAY_SHAPES)}")
        scn["n_tx"], scn["n_tz"] = ARRAY_SHAPES[n]
    if "targets" in point:
        L = point["targets"]
        if not isinstance(L, int) or not 1 <= L <= len(TARGETS):
            raise ValueError(f"targets={L!r} is invalid: must be 1..{len(TARGETS)}")
        scn["targets_theta_deg"] = [t[0] for t in TARGETS[:L]]
        scn["targets_phi_deg"] = [t[1] for t in TARGETS[:L]]
        scn["targets_d_m"] = [t[2] for t in TARGETS[:L]]
    if "data_mb" in point:
        scn["data_bits"] = float(point["data_mb"]) * 1e6
    if method in FLUID and "sqrt_c_m" in point:
        scn["region_area_m2"] = float(point["sqrt_c_m"]) ** 2
    if method in FIXED_ARRAYS:
        scn["region_area_m2"] = 0.0
        half = SPEED_OF_LIGHT / (float(scn.get("carrier_ghz", 50.0)) * 1e9) / 2
        sparse = float(point.get("sparse_pitch_m", scn.get("tx_spacing_x_m", 0.05)))
        pitch = {"dense_upa": (half, half), "sparse_x": (sparse, half),
                 "sparse_z": (half, sparse), "sparse_upa": (sparse, sparse)}.get(method)
        if pitch is not None:
            scn["tx_spacing_x_m"], scn["tx_spacing_z_m"] = pitch
    return scn


def nf_point(point: dict[str, Any], seed: int, context: dict[str, Any]) -> dict[str, Any]:
    """Optimise one grid point (NF Algorithm 2, or the joint method when
    ``context["optimiser"] == "joint"``); return the figure's columns and the design.

    ``context``: see the module doc. An infeasible point raises (the engine records it with
    its one-line reason); so does a point method of the other optimiser.
    """
    scn = point_scenario(point, context.get("scenario") or {})
    opts = dict(context.get("options") or {})
    method = point["method"]
    optimiser = context.get("optimiser", "paper")
    if optimiser not in OPTIMISERS:
        raise ValueError(f"optimiser={optimiser!r} is invalid: must be one of {OPTIMISERS}")
    if (method == "joint") != (optimiser == "joint") and method in FLUID:
        raise ValueError(f"method={method!r} is invalid with optimiser {optimiser!r}: the fluid "
                         f"methods are {PAPER_FLUID if optimiser == 'paper' else ('joint',)}")
    opts["semantic"] = bool(point.get("semantic", True))
    if optimiser == "joint":
        from .joint import JointOptions, optimise_joint

        out = optimise_joint(NFScenario(**scn), JointOptions(**opts), seed).to_dict()
        iterations = 0  # not an alternation: the Adam iterations are in the design's options
    else:
        opts["positions"] = method if method in FLUID else "fixed"
        out = run_nf(scn, opts, seed)
        iterations = max((int(r.get("iteration", 0)) for r in out["trace"]), default=0)
    m = out["metrics"]
    return {"min_secrecy": float(m["min_secrecy"]),
            "min_efficiency": float(m["min_efficiency"]),
            "crb_normalised": float(m["crb_normalised"]),
            "ao_iterations": iterations,
            "n_t": int(scn.get("n_tx", 3)) * int(scn.get("n_tz", 3)),
            "design_json": json.dumps(out["design"], sort_keys=True)}
