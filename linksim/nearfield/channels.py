"""Near-field channels of the fluid-antenna BS: users, targets as eavesdroppers, echoes.

All functions are torch, differentiable in the transmit positions ``tx`` and
batched over objects. Shapes: ``tx`` (N_t, 2) and ``rx`` (N_r, 2) element
coordinates [x, z] in metres; points in metres; outputs complex128.
"""

from __future__ import annotations

import math

import torch

from .geometry import distances, steering_phase, steering_vector


def los_channels(tx: torch.Tensor, points: torch.Tensor, wavelength: float,
                 model: str = "exact") -> torch.Tensor:
    """Line-of-sight rows h_q = Phi_q (.) a_t(theta_q, phi_q, d_q, u), NF eq. (4).

    Args: tx (N_t, 2); points (Q, 3). Returns complex128 (Q, N_t), in sqrt(W)/sqrt(W)
    (amplitude gain: received amplitude per transmitted amplitude).
    """
    r = distances(tx, points)  # computed once: this sits in the optimiser's inner loop
    if model == "exact":
        d = torch.linalg.vector_norm(points.to(r.dtype), dim=-1)
        phase = (2.0 * math.pi / wavelength) * (d[:, None] - r)
    else:
        phase = steering_phase(tx, points, wavelength, model)
    return torch.polar(1.0 / (math.sqrt(4.0 * math.pi) * r), phase)


def target_channels(tx: torch.Tensor, scatterers: torch.Tensor, wavelength: float,
                    model: str = "exact") -> torch.Tensor:
    """Channel to each extended target seen as an eavesdropper, NF eq. (5).

    h_l = sum_s Phi_{l,s} (.) a_t(theta_{l,s}, phi_{l,s}, d_{l,s}, u).
    Args: tx (N_t, 2); scatterers (L, N_s, 3). Returns complex128 (L, N_t).
    """
    n_targets, n_scat, _ = scatterers.shape
    rows = los_channels(tx, scatterers.reshape(-1, 3), wavelength, model)
    return rows.reshape(n_targets, n_scat, -1).sum(dim=1)


def echo_matrix(tx: torch.Tensor, rx: torch.Tensor, scatterers: torch.Tensor,
                reflection: torch.Tensor, wavelength: float,
                model: str = "exact") -> torch.Tensor:
    """Extended-target echo matrix G of NF eq. (10).

    G = sum_{l,s} beta_{l,s} Psi_{l,s} (.) (a_r^T a_t), with
    Psi_{l,s}[m, i] = 1 / (4 pi ||u_i - b_{l,s}|| ||v_m - b_{l,s}||).

    Eq. (10) prints a_r^H; we use the transpose a_r^T, which is what reciprocity
    gives for a wave travelling out and back and what NF eq. (B.5) writes (both
    phase terms with the same sign). The extended-target CRB (NF eq. (16)) does not
    depend on G at all, so this choice only affects the echo's structure.

    Args:
        tx: (N_t, 2); rx: (N_r, 2); scatterers: (L, N_s, 3) metres;
        reflection: (L, N_s) complex reflection coefficients beta_{l,s}.
    Returns: complex128 (N_r, N_t).
    """
    pts = scatterers.reshape(-1, 3)
    a_t = steering_vector(tx, pts, wavelength, model) / distances(tx, pts)
    a_r = steering_vector(rx, pts, wavelength, model) / distances(rx, pts)
    beta = reflection.reshape(-1).to(a_t.dtype) / (4.0 * math.pi)
    return torch.einsum("q,qm,qi->mi", beta, a_r, a_t)
