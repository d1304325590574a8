"""Validation of an :class:`~linksim.nearfield.scenario.NFScenario` (one-line errors).

Called from ``NFScenario.__post_init__``: refuses what the NF model cannot represent (NF
Sec. II: K + L <= N_tx N_tz < N_rx N_rz, F > N_tx N_tz, objects beyond the aperture,
movable regions that overlap) and warns when an object lies in the far field.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..resources import check_memory
from .layout import scatterer_memory_bytes
from .scenario_schema import CRB_NORMALISATIONS  # noqa: F401 - public name, also here


def validate(scn: Any) -> None:
    """Raise ValueError (one line) on a scenario the NF model cannot represent.

    Each field's type and range is checked before, by the schema
    (:mod:`linksim.nearfield.scenario_schema`); this checks what spans several fields."""
    if scn.crb_normalisation == "budget" and scn.crb_limit < 1.0:
        raise ValueError(f"crb_limit={scn.crb_limit} is invalid: with crb_normalisation="
                         "'budget' the CRB is at least 1 (the whole budget isotropic); "
                         "need xi >= 1 (a file written before crb_normalisation existed "
                         "meant NF eq. (16) as printed: add crb_normalisation = \"none\")")
    if not (len(scn.users_theta_deg) == len(scn.users_phi_deg) == len(scn.users_d_m) > 0):
        raise ValueError(f"users=({len(scn.users_theta_deg)}, {len(scn.users_phi_deg)}, "
                         f"{len(scn.users_d_m)}) is invalid: theta, phi, d lists need one "
                         "equal, non-zero length K")
    if not (len(scn.targets_theta_deg) == len(scn.targets_phi_deg)
            == len(scn.targets_d_m) > 0):
        raise ValueError(f"targets=({len(scn.targets_theta_deg)}, "
                         f"{len(scn.targets_phi_deg)}, {len(scn.targets_d_m)}) is invalid: "
                         "theta, phi, d lists need one equal, non-zero length L")
    if len(scn.users_genre) not in (0, 1, scn.K):
        raise ValueError(f"users_genre has {len(scn.users_genre)} entries, which is "
                         f"invalid: need one Brown genre per user (K={scn.K}), or one for "
                         "all")
    n_t, n_r, kl = scn.n_tx * scn.n_tz, scn.n_rx * scn.n_rz, scn.K + scn.L
    if not kl <= n_t < n_r:
        raise ValueError(f"K+L={kl} (N_t={n_t}, N_r={n_r}) is invalid: NF Sec. II requires "
                         "K + L <= N_tx N_tz < N_rx N_rz")
    if scn.frames <= n_t:
        raise ValueError(f"frames={scn.frames} is invalid: must exceed N_tx N_tz={n_t} "
                         "(NF Sec. II-A, X must have full row rank)")
    side = math.sqrt(scn.region_area_m2)
    for axis, count, pitch in (("x", scn.n_tx, scn.tx_spacing_x_m),
                               ("z", scn.n_tz, scn.tx_spacing_z_m)):
        if count > 1 and side > pitch * (1 + 1e-9):
            raise ValueError(f"region_area_m2={scn.region_area_m2} is invalid: its side "
                             f"{side:.4g} m exceeds tx_spacing_{axis}_m={pitch}, so movable "
                             f"regions overlap; need sqrt(C_i) <= tx_spacing_{axis}_m")
    far = []
    for kind, dists in (("users_d_m", scn.users_d_m), ("targets_d_m", scn.targets_d_m)):
        for v in dists:
            if not v > scn.aperture_m:
                raise ValueError(f"{kind}={v} is invalid: objects must be farther than the "
                                 f"array aperture D={scn.aperture_m:.4g} m")
        beyond = [v for v in dists if v > scn.rayleigh_distance_m]
        if beyond:
            far.append(f"{kind}={beyond[0] if len(beyond) == 1 else beyond}")
    if far:
        warnings.warn(f"{', '.join(far)} m lie beyond the Rayleigh distance "
                      f"{scn.rayleigh_distance_m:.4g} m: far field (the exact "
                      "spherical-wave model still applies)", stacklevel=4)
    check_scatterer_memory(scn)  # before the draws below allocate them
    scat_d = np.linalg.norm(scn._scatterers_np, axis=-1)
    if scat_d.min() <= scn.aperture_m:
        raise ValueError(f"scatterer distance={scat_d.min():.4g} m is invalid: must exceed "
                         f"the array aperture D={scn.aperture_m:.4g} m (reduce "
                         "scatterer_radius_m or move the target)")


def check_scatterer_memory(scn: Any) -> None:
    """Refuse extended targets whose draws and channels do not fit in memory (one line)."""
    check_memory(scatterer_memory_bytes(scn.L, scn.scatterers_per_target, scn.n_t, scn.n_r),
                 f"scatterers_per_target={scn.scatterers_per_target} (L={scn.L} targets, "
                 f"N_t={scn.n_t}, N_r={scn.n_r})")
