"""Semantic-communication and computing metrics of NF-ISCSC (NF Sec. III-B, III-C).

Torch throughout so that the position optimiser gets exact gradients; shapes:
``H`` (K, N_t) user channels, ``H_t`` (L, N_t) target channels, ``W`` (N_t, K)
beamformers (column k = w_k, sqrt(W)), ``R`` (N_t, N_t) sensing covariance (W),
noise powers in W, rates in bit/s/Hz (times iota, words-to-bits).
"""

from __future__ import annotations

import torch

CPU_POWER_MODELS = ("kappa_f3", "eq27")


def transmit_covariance(W: torch.Tensor, R: torch.Tensor) -> torch.Tensor:
    """R_x = sum_k w_k w_k^H + R, NF eq. (3). Returns (N_t, N_t), watts."""
    return W @ W.conj().T + R


def _interference_terms(H: torch.Tensor, W: torch.Tensor,
                        R: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """|h_q w_k|^2 (Q, K) and h_q R h_q^H (Q,) for rows h_q of H."""
    # real arithmetic instead of abs()**2 / complex einsum: ~40% faster backward
    HW = H @ W
    gains = HW.real ** 2 + HW.imag ** 2
    HR = H @ R
    sensing = (HR.real * H.real + HR.imag * H.imag).sum(dim=-1)
    return gains, sensing


def user_sinr(H: torch.Tensor, W: torch.Tensor, R: torch.Tensor, noise: float) -> torch.Tensor:
    """gamma_k of NF eq. (17): float64 (K,), linear."""
    gains, sensing = _interference_terms(H, W, R)
    signal = torch.diagonal(gains)
    return signal / (gains.sum(dim=1) - signal + sensing + noise)


def leakage_sinr(H_t: torch.Tensor, W: torch.Tensor, R: torch.Tensor,
                 noise: float) -> torch.Tensor:
    """Gamma_{l|k} of NF eq. (21), target l intercepting user k's stream: float64 (L, K)."""
    gains, sensing = _interference_terms(H_t, W, R)
    return gains / (gains.sum(dim=1, keepdim=True) - gains + sensing[:, None] + noise)


def semantic_rate(sinr: torch.Tensor, extraction_ratio: torch.Tensor,
                  iota: float = 1.0) -> torch.Tensor:
    """R = iota / rho * log2(1 + sinr), NF eq. (18), eq. (20); the extraction ratio rho
    broadcasts on the user axis."""
    return iota / extraction_ratio * torch.log2(1.0 + sinr)


def secrecy_rate(rate: torch.Tensor, leaked: torch.Tensor, clamp: bool = True) -> torch.Tensor:
    """Worst-case semantic secrecy rate S_k = [R_k - max_l R_{l|k}]^+, NF eq. (22).

    As fixed in docs/design.md: the maximum over targets applies to the leaked rate
    (the worst eavesdropper), with rho_{l|k} = rho_k (knowledge base exposed).
    Args: rate (K,); leaked (L, K). ``clamp=False`` returns the margin before
    [.]^+, which is smooth almost everywhere (what an optimiser should climb).
    Returns (K,).
    """
    margin = rate - leaked.max(dim=0).values
    return torch.clamp(margin, min=0.0) if clamp else margin


def information_efficiency(secrecy: torch.Tensor, rate: torch.Tensor) -> torch.Tensor:
    """E_k = S_k / R_k in [0, 1], NF eq. (23). (K,).

    Where R_k = 0 nothing reaches user k and S_k = 0: E_k is 0 there (no secure
    information delivered), not 0/0 = NaN; gradients stay finite.
    """
    positive = rate > 0
    safe = torch.where(positive, rate, torch.ones_like(rate))
    return torch.where(positive, secrecy / safe, torch.zeros_like(secrecy))


def semantic_computing_power(extraction_ratio: torch.Tensor, nu: float) -> torch.Tensor:
    """P^Comp = -nu * sum_k ln(rho_k), NF eq. (24). Watts, scalar."""
    return -nu * torch.log(torch.as_tensor(extraction_ratio, dtype=torch.float64)).sum()


def cs_power(Rx: torch.Tensor) -> torch.Tensor:
    """P^{C&S} = Tr(R_x), NF eq. (25). Watts, scalar."""
    return torch.diagonal(torch.as_tensor(Rx)).real.sum()


def task_latency(f: torch.Tensor, bits: float, cycles_per_bit: float,
                 f_required: float = 0.0) -> torch.Tensor:
    """T_l = U_l Q_l / (f_l - fbar_l), NF eq. (26). f in Hz, U in bits, Q in cycles/bit -> s.

    Raises ValueError when some f_l <= fbar_l (the task never finishes).
    """
    f = torch.as_tensor(f, dtype=torch.float64)
    if bool((f <= f_required).any()):
        raise ValueError(f"f={f.tolist()} is invalid: every CPU frequency must exceed "
                         f"the required frequency fbar={f_required} Hz")
    return bits * cycles_per_bit / (f - f_required)


def processing_power(f: torch.Tensor, kappa: float, cycles_per_bit: float,
                     model: str = "kappa_f3") -> torch.Tensor:
    """CPU power per target, watts, (L,).

    ``"kappa_f3"`` (default): the standard CMOS model P_l = kappa f_l^3.
    ``"eq27"``: NF eq. (27) as printed, P_l = kappa f_l^3 Q_l (docs/design.md
    explains why the printed form cannot meet Table I's budget).
    """
    if model not in CPU_POWER_MODELS:
        raise ValueError(f"model={model!r} is invalid: must be one of {CPU_POWER_MODELS}")
    f = torch.as_tensor(f, dtype=torch.float64)
    power = kappa * f ** 3
    return power * cycles_per_bit if model == "eq27" else power


def min_cpu_frequency(bits: float, cycles_per_bit: float, t_max: float,
                      f_required: float = 0.0) -> float:
    """Smallest f_l meeting T_l <= T_max in NF eq. (26): fbar + U Q / T_max, Hz."""
    return f_required + bits * cycles_per_bit / t_max

