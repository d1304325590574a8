"""Near-field geometry: planar arrays, object coordinates, spherical-wave phases.

Coordinates (NF Sec. II, Fig. 2): the arrays lie in the x-z plane (y = 0) and
radiate towards +y; the reference point is the transmit centroid u_0 = origin.
An element is ``[x, z]`` (metres) and sits at ``[x, 0, z]`` in space; an object
at azimuth theta, broadside angle phi and distance d from u_0 sits at
``b = [d cos(theta) sin(phi), d sin(theta) sin(phi), d cos(phi)]``.

Every function is torch (float64 / complex128) so that gradients in the element
positions come from autodiff. Phase models, per element i and object b:

- ``"exact"``: ``k (d - ||p_i - b||)``, the spherical wave;
- ``"fresnel"``: NF eq. (8), eq. (9) / (12)-(13) as printed, the separable
  second-order expansion ``k (x cos(theta) sin(phi) - x^2 (1 - cos^2(theta)
  sin^2(phi)) / (2d) + z cos(phi) - z^2 sin^2(phi) / (2d))``;
- ``"fresnel_full"``: the complete second-order expansion, which adds the
  cross term ``k x z cos(theta) sin(phi) cos(phi) / d`` that the separable
  (Kronecker) form of NF eq. (7) drops;
- ``"planar"``: the far-field plane wave ``k (x cos(theta) sin(phi) + z cos(phi))``.
"""

from __future__ import annotations

import math

import torch

PHASE_MODELS = ("exact", "fresnel", "fresnel_full", "planar")
DTYPE = torch.float64
CDTYPE = torch.complex128


def spherical_to_cartesian(theta: torch.Tensor, phi: torch.Tensor, d: torch.Tensor) -> torch.Tensor:
    """Object position from (theta, phi, d), NF eq. after (6).

    Args: angles in radians, d in metres, any broadcastable shape S.
    Returns: float64 tensor of shape S + (3,), metres.
    """
    theta, phi, d = torch.broadcast_tensors(*(torch.as_tensor(t, dtype=DTYPE)
                                              for t in (theta, phi, d)))
    return torch.stack((d * torch.cos(theta) * torch.sin(phi),
                        d * torch.sin(theta) * torch.sin(phi),
                        d * torch.cos(phi)), dim=-1)


def cartesian_to_spherical(points: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Inverse of :func:`spherical_to_cartesian`: (..., 3) -> (theta, phi, d), each (...)."""
    d = torch.linalg.vector_norm(points, dim=-1)
    theta = torch.atan2(points[..., 1], points[..., 0])
    phi = torch.acos(torch.clamp(points[..., 2] / d, -1.0, 1.0))
    return theta, phi, d


def planar_grid(n_x: int, n_z: int, spacing_x: float, spacing_z: float) -> torch.Tensor:
    """Nominal positions of an n_x x n_z planar array centred on the origin.

    Element index i = ix * n_z + iz (z fastest, the order of the Kronecker
    product a_x (x) a_z of NF eq. (7)). Returns float64 (n_x * n_z, 2), [x, z] in m.
    """
    xs = (torch.arange(n_x, dtype=DTYPE) - (n_x - 1) / 2) * spacing_x
    zs = (torch.arange(n_z, dtype=DTYPE) - (n_z - 1) / 2) * spacing_z
    gx, gz = torch.meshgrid(xs, zs, indexing="ij")
    return torch.stack((gx.reshape(-1), gz.reshape(-1)), dim=-1)


def element_points(positions: torch.Tensor) -> torch.Tensor:
    """Element coordinates [x, z] (..., N, 2) -> points [x, 0, z] (..., N, 3)."""
    zero = torch.zeros_like(positions[..., :1])
    return torch.cat((positions[..., :1], zero, positions[..., 1:]), dim=-1)


def distances(positions: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """||p_i - b_q|| for elements (N, 2) and objects (Q, 3): float64 (Q, N), metres."""
    positions, points = positions.to(DTYPE), points.to(DTYPE)
    diff = points[:, None, :] - element_points(positions)[None, :, :]
    return torch.linalg.vector_norm(diff, dim=-1)


def steering_phase(positions: torch.Tensor, points: torch.Tensor, wavelength: float,
                   model: str = "exact") -> torch.Tensor:
    """Phase of each element's steering entry relative to the centroid u_0.

    Args:
        positions: (N, 2) element coordinates [x, z], metres.
        points: (Q, 3) object positions, metres.
        wavelength: metres.
        model: one of :data:`PHASE_MODELS` (see module docstring).
    Returns: float64 (Q, N), radians (NF eq. (8), eq. (9), (12)-(13) for ``"fresnel"``).
    """
    if model not in PHASE_MODELS:
        raise ValueError(f"model={model!r} is invalid: must be one of {PHASE_MODELS}")
    k = 2.0 * math.pi / wavelength
    positions, points = positions.to(DTYPE), points.to(DTYPE)  # phases need float64
    if model == "exact":
        d = torch.linalg.vector_norm(points, dim=-1)
        return k * (d[:, None] - distances(positions, points))
    theta, phi, d = (t[:, None] for t in cartesian_to_spherical(points))
    x, z = positions[None, :, 0], positions[None, :, 1]
    cx = torch.cos(theta) * torch.sin(phi)  # direction cosine along x
    cz = torch.cos(phi)  # direction cosine along z
    linear = x * cx + z * cz
    if model == "planar":
        return k * linear
    quad = (x ** 2 * (1 - cx ** 2) + z ** 2 * (1 - cz ** 2)) / (2 * d)
    if model == "fresnel":
        return k * (linear - quad)
    return k * (linear - quad + x * z * cx * cz / d)


def steering_vector(positions: torch.Tensor, points: torch.Tensor, wavelength: float,
                    model: str = "exact") -> torch.Tensor:
    """Unit-modulus steering vectors a(theta, phi, d, u): complex128 (Q, N), NF eq. (7)."""
    return torch.polar(torch.ones((), dtype=DTYPE), steering_phase(positions, points,
                                                                   wavelength, model))


def rayleigh_distance(aperture: float, wavelength: float) -> float:
    """2 D^2 / lambda, metres (NF Sec. I)."""
    return 2.0 * aperture ** 2 / wavelength
