"""Studies behind the NF figures that ``linksim`` can run on its own.

- :func:`crb_limit_sweep`: LS-estimator MSE against the CRB limit xi, the
  content of NF Fig. 10;
- :func:`fresnel_error_sweep`: phase and steering-vector error of the Fresnel
  (NF eq. (8), eq. (9) as printed and complete second order) and plane-wave models
  against the exact spherical wave, over distance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator

import numpy as np
import torch

from .geometry import spherical_to_cartesian, steering_phase
from .scenario import NFScenario
from .sensing import extended_crb, ls_mse_experiment


def binding_design(scn: NFScenario, xi: float, comm_fraction: float = 0.8,
                   frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The baseline design (MRT + isotropic sensing) scaled so that CRB(G) = xi exactly.

    This is the case the optimiser meets when the sensing constraint (28b) binds.
    CRB scales as 1 / power, so the scale is CRB(baseline) / xi, with F = ``frames``
    (default: the scenario's). Returns W (N_t, K) and R (N_t, N_t), numpy complex128.
    """
    frames = scn.frames if frames is None else frames
    W, R = (t.numpy() for t in scn.baseline_beamformers(comm_fraction=comm_fraction))
    scale = extended_crb(W @ W.conj().T + R, frames, scn.noise_radar_w, scn.n_r) / xi
    return W * math.sqrt(scale), R * scale


def crb_limit_sweep(scn: NFScenario, xis: Iterable[float], trials: int,
                    rng: np.random.Generator, frames: int | None = None,
                    comm_fraction: float = 0.8) -> Iterator[dict[str, float]]:
    """For each xi: design on the CRB boundary, F frames, LS estimate of G, MSE vs CRB.

    Yields one row per xi with the fields of :func:`ls_mse_experiment` plus ``xi``
    and the transmit power ``power_w`` of the binding design. The ratio MSE / CRB
    does not depend on the power scale or on G (LS is unbiased and its error is
    independent of G), so these rows test the estimator against NF eq. (16) at any xi.
    """
    frames = scn.frames if frames is None else frames
    G = scn.echo_matrix().numpy()
    for xi in xis:
        if not xi > 0:
            raise ValueError(f"xi={xi!r} is invalid: the CRB limit must be > 0")
        W, R = binding_design(scn, xi, comm_fraction, frames)
        row = ls_mse_experiment(G, W, R, frames, scn.noise_radar_w, trials, rng)
        yield {"xi": float(xi), "power_w": float(np.trace(W @ W.conj().T + R).real), **row}


def _region_corners(scn: NFScenario) -> torch.Tensor:
    lo, hi = scn.region_bounds()
    return torch.cat([lo, hi, torch.stack([lo[:, 0], hi[:, 1]], 1),
                      torch.stack([hi[:, 0], lo[:, 1]], 1)])


def fresnel_error_sweep(scn: NFScenario, distances: Iterable[float], n_angles: int = 13,
                        models: tuple[str, ...] = ("fresnel", "fresnel_full", "planar"),
                        ) -> Iterator[dict[str, float]]:
    """Approximation error of each phase model against the exact spherical wave.

    Elements: every corner of every movable region (the worst positions a fluid
    antenna can take). Directions: theta, phi on an n_angles x n_angles grid over
    [30, 150] degrees. Per distance and model, yields the max and mean absolute
    phase error (rad, wrapped to [-pi, pi]) and the max relative steering-vector
    error ||a - a_exact|| / ||a_exact|| over directions.
    """
    corners = _region_corners(scn)
    grid = torch.deg2rad(torch.linspace(30.0, 150.0, n_angles, dtype=torch.float64))
    th, ph = (t.reshape(-1) for t in torch.meshgrid(grid, grid, indexing="ij"))
    for d in distances:
        if not d > 0:
            raise ValueError(f"distance={d!r} is invalid: must be > 0 m")
        pts = spherical_to_cartesian(th, ph, torch.full_like(th, float(d)))
        exact = steering_phase(corners, pts, scn.wavelength, "exact")
        for model in models:
            approx = steering_phase(corners, pts, scn.wavelength, model)
            err = torch.remainder(approx - exact + math.pi, 2 * math.pi) - math.pi
            vec = (torch.polar(torch.ones_like(err), approx)
                   - torch.polar(torch.ones_like(err), exact)).abs()
            rel = torch.linalg.vector_norm(vec, dim=1) / math.sqrt(corners.shape[0])
            yield {"distance_m": float(d), "distance_over_rayleigh": d / scn.rayleigh_distance_m,
                   "model": model, "max_phase_error_rad": float(err.abs().max()),
                   "mean_phase_error_rad": float(err.abs().mean()),
                   "max_rel_vector_error": float(rel.max())}
