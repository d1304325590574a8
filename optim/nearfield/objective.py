"""The objective of NF problem (28): per-(user, target) secrecy margins and min_k S_k.

With R_x = sum_k w_k w_k^H + R (NF eq. (3)) every SINR needs only |h w_k|^2 and h R_x h^H:
1 + gamma_k = A_k / B_k and 1 + Gamma_{l|k} = D_l / C_{l|k} with the A, B, C, D of
NF eq. (31) (B_k = A_k - |h_k w_k|^2, C_{l|k} = D_l - |h_l w_k|^2), so the margin of user k
against target l is

    m_{k,l} = iota / rho_k * log2(A_k C_{l|k} / (B_k D_l))          (NF eq. (22), eq. (30))

and min_k S_k = [min_{k,l} m_{k,l}]^+ (the worst eavesdropper of NF eq. (22) as fixed in
docs/design.md). Numpy versions serve the SDP and the randomisation (batched over draws);
the torch version serves the position optimisers (autodiff in the positions).
Shapes: H (K, N_t), Ht (L, N_t) complex; W (..., N_t, K); Rx (N_t, N_t) watts.
"""

from __future__ import annotations

import numpy as np
import torch


def quad_forms(H: np.ndarray, Rx: np.ndarray) -> np.ndarray:
    """h_q R_x h_q^H for rows h_q of H: float64 (Q,)."""
    return np.einsum("qn,nm,qm->q", H, Rx, H.conj()).real


def margins_np(H: np.ndarray, Ht: np.ndarray, W: np.ndarray, Rx: np.ndarray, noise: float,
               rho: np.ndarray, iota: float = 1.0) -> np.ndarray:
    """m_{k,l} for one or a batch of beamformer sets W (..., N_t, K): (..., K, L)."""
    a = quad_forms(H, Rx) + noise                         # A_k (K,)
    d = quad_forms(Ht, Rx) + noise                        # D_l (L,)
    own = np.abs(np.einsum("kn,...nk->...k", H, W)) ** 2  # |h_k w_k|^2 (..., K)
    leak = np.abs(np.einsum("ln,...nk->...lk", Ht, W)) ** 2  # |h_l w_k|^2 (..., L, K)
    b = np.maximum(a - own, noise)                        # round-off guard: B_k >= sigma^2
    c = np.maximum(d[:, None] - leak, noise)              # C_{l|k} (..., L, K)
    log_user = np.log2(a / b)                             # log2(1 + gamma_k)
    log_leak = np.log2(d[:, None] / c)                    # log2(1 + Gamma_{l|k})
    return (iota / np.asarray(rho))[:, None] * (log_user[..., :, None]
                                                - np.swapaxes(log_leak, -1, -2))


def lifted_margins(H: np.ndarray, Ht: np.ndarray, Wl: np.ndarray, Rx: np.ndarray,
                   noise: float, rho: np.ndarray, iota: float = 1.0) -> np.ndarray:
    """m_{k,l} of the relaxed design with lifted W_k (K, N_t, N_t) in place of w_k w_k^H."""
    a = quad_forms(H, Rx) + noise
    d = quad_forms(Ht, Rx) + noise
    own = np.einsum("kn,knm,km->k", H, Wl, H.conj()).real
    leak = np.einsum("ln,knm,lm->lk", Ht, Wl, Ht.conj()).real
    b = np.maximum(a - own, noise)
    c = np.maximum(d[:, None] - leak, noise)
    return (iota / np.asarray(rho))[:, None] * (np.log2(a / b)[:, None]
                                                - np.log2(d[:, None] / c).T)


def min_secrecy(margins: np.ndarray) -> np.ndarray:
    """min_k S_k = [min_{k,l} m_{k,l}]^+ over the last two axes."""
    return np.maximum(margins.min(axis=(-2, -1)), 0.0)


def _power_terms(H: torch.Tensor, Ht: torch.Tensor, W: torch.Tensor, Rx: torch.Tensor,
                 noise: float) -> tuple[torch.Tensor, ...]:
    """A_k (K,), own_k (K,), D_l (L,) and leak_{l,k} (L, K) of NF eq. (31): received power
    plus noise at users and targets, each user's own beam, and each beam's leak to a target."""
    def quad(G: torch.Tensor) -> torch.Tensor:
        GR = G @ Rx
        return (GR.real * G.real + GR.imag * G.imag).sum(dim=-1)

    HW = H @ W
    TW = Ht @ W
    return (quad(H) + noise, torch.diagonal(HW.real ** 2 + HW.imag ** 2), quad(Ht) + noise,
            TW.real ** 2 + TW.imag ** 2)


def margins_torch(H: torch.Tensor, Ht: torch.Tensor, W: torch.Tensor, Rx: torch.Tensor,
                  noise: float, rho: torch.Tensor, iota: float = 1.0) -> torch.Tensor:
    """Torch m_{k,l} (K, L), differentiable in H and Ht (hence in the positions)."""
    a, own, d, leak = _power_terms(H, Ht, W, Rx, noise)
    b = torch.clamp(a - own, min=noise)
    c = torch.clamp(d[:, None] - leak, min=noise)
    return (iota / rho)[:, None] * (torch.log2(a / b)[:, None] - torch.log2(d[:, None] / c).T)


def log_terms_torch(H: torch.Tensor, Ht: torch.Tensor, W: torch.Tensor, Rx: torch.Tensor,
                    noise: float) -> tuple[torch.Tensor, ...]:
    """log2 A_k (K,), log2 B_k (K,), log2 C_{l|k} (L, K), log2 D_l (L,) of NF eq. (31)."""
    a, own, d, leak = _power_terms(H, Ht, W, Rx, noise)
    return (torch.log2(a), torch.log2(torch.clamp(a - own, min=noise)),
            torch.log2(torch.clamp(d[:, None] - leak, min=noise)), torch.log2(d))
