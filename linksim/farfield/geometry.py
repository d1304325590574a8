"""Far-field geometry: positions, directions, ULA steering vectors, path loss.

Conventions (ASCC Sec. II): 2-D positions in metres, shape ``(2,)`` or
``(..., 2)`` float64; angles in radians measured from the x axis; a uniform
linear array with half-wavelength spacing (``d_a / lambda = 1/2``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

HALF_WAVELENGTH = 0.5  # d_a / lambda of the ULA (ASCC Sec. V: half-wavelength ULA)


def as_position(p: ArrayLike, name: str = "position") -> np.ndarray:
    """Validate a 2-D position: finite float64 array with last axis of length 2."""
    arr = np.asarray(p, dtype=float)
    if arr.shape[-1:] != (2,) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}={p!r} is invalid: must be a finite [x, y] pair in metres")
    return arr


def distance(src: ArrayLike, dst: ArrayLike) -> np.ndarray | float:
    """Euclidean distance ``||dst - src||`` in metres; broadcasts over leading axes."""
    d = np.linalg.norm(np.asarray(dst, float) - np.asarray(src, float), axis=-1)
    return float(d) if d.ndim == 0 else d


def direction(src: ArrayLike, dst: ArrayLike) -> np.ndarray | float:
    """Direction from ``src`` to ``dst`` with the quadrant indicator of ASCC eq. (3).

    ``arctan((dst_y - src_y) / (dst_x - src_x)) + pi * 1{dst_x < src_x}`` in radians,
    range ``(-pi/2, 3pi/2)``. ``dst_x == src_x`` gives ``+-pi/2`` (the limit of the
    arctan). Only ``sin`` of the angle enters the steering vector, and
    ``(cos, sin)`` of the result is the unit vector from ``src`` to ``dst``.
    """
    diff = np.asarray(dst, float) - np.asarray(src, float)
    dx, dy = diff[..., 0], diff[..., 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        base = np.where(dx == 0.0, np.sign(dy) * (np.pi / 2), np.arctan(dy / dx))
    ang = base + np.pi * (dx < 0.0)
    return float(ang) if np.ndim(ang) == 0 else ang


def ula_steering(angle: ArrayLike, num_antennas: int,
                 spacing: float = HALF_WAVELENGTH) -> np.ndarray:
    """ULA steering vector alpha(angle) of ASCC after eq. (3).

    ``alpha_n = exp(j 2 pi n (d_a/lambda) sin(angle))``, ``n = 0..num_antennas-1``.

    Args:
        angle: radians, any shape ``S``.
        num_antennas: number of elements ``N >= 1``.
        spacing: element spacing in wavelengths (0.5 = half wavelength).

    Returns:
        complex128 array of shape ``S + (N,)`` with unit-modulus entries.
    """
    if int(num_antennas) != num_antennas or num_antennas < 1:
        raise ValueError(f"num_antennas={num_antennas!r} is invalid: must be an integer >= 1")
    n = np.arange(int(num_antennas))
    phase = 2.0 * np.pi * spacing * np.sin(np.asarray(angle, float))[..., None] * n
    return np.exp(1j * phase)


def ula_steering_derivative(angle: ArrayLike, num_antennas: int,
                            spacing: float = HALF_WAVELENGTH) -> np.ndarray:
    """d alpha(angle) / d angle, same shape and dtype as :func:`ula_steering`."""
    n = np.arange(int(num_antennas))
    ang = np.asarray(angle, float)[..., None]
    return 1j * 2.0 * np.pi * spacing * n * np.cos(ang) * ula_steering(ang[..., 0],
                                                                        num_antennas, spacing)


def direction_gradient(src: ArrayLike, dst: ArrayLike) -> np.ndarray:
    """Gradient of :func:`direction` w.r.t. ``dst``: ``(-dy, dx) / d^2``, shape ``(..., 2)``.

    The quadrant indicator is piecewise constant, so it does not contribute.
    """
    diff = np.asarray(dst, float) - np.asarray(src, float)
    d2 = np.sum(diff**2, axis=-1, keepdims=True)
    return np.stack([-diff[..., 1], diff[..., 0]], axis=-1) / d2


def distance_gradient(src: ArrayLike, dst: ArrayLike) -> np.ndarray:
    """Gradient of :func:`distance` with respect to ``dst``: the unit vector, shape ``(..., 2)``."""
    diff = np.asarray(dst, float) - np.asarray(src, float)
    return diff / np.linalg.norm(diff, axis=-1, keepdims=True)


def path_loss(d: ArrayLike, exponent: float) -> np.ndarray | float:
    """Power path loss ``d^-eps`` (ASCC eq. (3), eta_c); ``d`` in metres, must be > 0."""
    d = np.asarray(d, float)
    if np.any(~(d > 0)):
        raise ValueError(f"distance={d!r} is invalid: must be > 0 m for the path loss d^-eps")
    out = d ** (-float(exponent))
    return float(out) if out.ndim == 0 else out
