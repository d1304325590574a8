"""Sub-problem 1 of NF Algorithm 2: beamformers, sensing covariance and CPU frequencies.

NF problem (29) at fixed positions u and extraction ratios rho_k: maximise zeta subject to
S_k >= zeta written as NF eq. (30), log2 A_k - log2 B_k + log2 C_{l|k} - log2 D_l >=
zeta rho_k / iota for every user k and target l, with the concave -log2 B_k and -log2 D_l
replaced by their first-order Taylor bounds at the current point (NF eq. (32)); the
constraints CRB <= xi (28b, as an LMI), power (28c), latency (28d), CPU (28e) and
R_x >= sum_k W_k (28h) on the lifted W_k = w_k w_k^H (rank (28i) relaxed). Each
successive convex approximation (SCA) step is an SDP with exponential cones (cvxpy +
Clarabel); the Taylor bounds are tight at the expansion point, so the true objective of the
relaxed design never decreases from one step to the next (NF App. C).

Rank-one recovery: Gaussian randomisation (NF ref. [52]): draws w_k = W_k^{1/2} z_k,
z_k ~ CN(0, I), normalised to ||w_k||^2 = Tr W_k, plus the principal eigenvectors, each
set scaled by the largest alpha <= 1 with R_x - alpha^2 sum_k w_k w_k^H >= 0. R_x (hence
power and CRB) is kept, so every draw is feasible; the best min_k S_k is kept, and the
incumbent design competes too, so the AO objective never decreases.

Numerical scaling (docs/design.md, "Numerical scaling"): powers in units of P_t, channel
gains in units of sigma_c^2 / P_t, CPU frequencies in GHz, the CRB LMI scaled so that its
blocks are O(1) when it binds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import torch

from linksim.nearfield import NFScenario
from linksim.solver_policy import ACCEPTED, SolverUnknownError, solve

from .objective import lifted_margins, margins_np

# Clarabel stalls at "almost solved" with its 1e-8 defaults on these cones; 1e-6 gaps are
# far below what the SCA step changes (re-checked by verify_design with its own tolerance)
SOLVER_OPTIONS = {"tol_gap_abs": 1e-6, "tol_gap_rel": 1e-6, "tol_feas": 1e-7}
#: relative tolerance of the re-check of an inaccurate SCA step (as verify_design's)
RECHECK_TOL = 1e-6


@dataclass
class BeamformingResult:
    """Outcome of sub-problem 1: W (N_t, K) sqrt(W), Rx (N_t, N_t) W, f (L,) Hz; objective =
    min_{k,l} margin of the returned rank-one design (bits/s/Hz); relaxed_objective = the
    same for the relaxed (lifted) SDP design; randomisation_loss = their difference (>= 0
    up to the incumbent); max_rank = largest numerical rank of the lifted W_k."""

    W: np.ndarray
    Rx: np.ndarray
    f: np.ndarray
    objective: float
    relaxed_objective: float
    randomisation_loss: float
    max_rank: int
    sca_trace: list[float] = field(default_factory=list)
    status: str = "optimal"
    kept: str = "draw"
    principal_share: float = 1.0  # min_k lambda_max(W_k) / Tr(W_k): 1 = exactly rank one


def channels_np(scn: NFScenario, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """User and target channels at positions ``pos`` (N_t, 2): complex128 (K, N_t), (L, N_t)."""
    with torch.no_grad():
        p = torch.as_tensor(pos, dtype=torch.float64)
        return scn.user_channels(p).numpy(), scn.target_channels(p).numpy()


class BeamformingSDP:
    """The SCA step of NF eq. (29), eq. (30), eq. (31), eq. (32) as a parametrised cvxpy problem
    (compiled once per
    scenario; channels, ratios and the Taylor points are parameters)."""

    def __init__(self, scn: NFScenario) -> None:
        self.scn = scn
        K, L, N = scn.K, scn.L, scn.n_t
        self.p = scn.power_budget_w
        # Gram matrices Q = g^H g as real and imaginary parts: cvxpy caches the compiled
        # problem only for real parameters (complex ones recompile it at every solve)
        self.Qu = [(cp.Parameter((N, N)), cp.Parameter((N, N))) for _ in range(K)]
        self.Qt = [(cp.Parameter((N, N)), cp.Parameter((N, N))) for _ in range(L)]
        self.inv_b0 = cp.Parameter(K, nonneg=True)
        self.inv_d0 = cp.Parameter(L, nonneg=True)
        self.const_b = cp.Parameter(K)
        self.const_d = cp.Parameter(L)
        self.weight = cp.Parameter(K, nonneg=True)   # rho_k ln 2 / iota
        self.comp = cp.Parameter(nonneg=True)        # P_Comp / P_t
        self.W = [cp.Variable((N, N), hermitian=True) for _ in range(K)]
        self.Rx = cp.Variable((N, N), hermitian=True)
        self.f = cp.Variable(L)                       # GHz
        zeta = cp.Variable()
        T = cp.Variable((N, N), hermitian=True)
        off = np.eye(N) / math.sqrt(scn.crb_trace_limit() * self.p)
        cpu_coeff = scn.kappa * 1e27 / self.p * (scn.cycles_per_bit
                                                 if scn.cpu_power_model == "eq27" else 1.0)
        f_min = scn.min_cpu_frequency() / 1e9
        self._cpu_coeff, self._f_min_ghz = cpu_coeff, f_min

        def re_tr(Q: tuple, X: cp.Expression) -> cp.Expression:
            # Re tr(Q X) = tr(Q_re X_re) - tr(Q_im X_im) for Hermitian Q, X
            return cp.trace(Q[0] @ cp.real(X)) - cp.trace(Q[1] @ cp.imag(X))

        tr = [[re_tr(Q, X) for X in self.W] for Q in self.Qu]
        a = [re_tr(self.Qu[k], self.Rx) + 1.0 for k in range(K)]
        d = [re_tr(self.Qt[j], self.Rx) + 1.0 for j in range(L)]
        cons = [cp.bmat([[T, off], [off, self.Rx]]) >> 0, cp.real(cp.trace(T)) <= 1.0,
                self.Rx - sum(self.W) >> 0,
                cp.real(cp.trace(self.Rx)) + cpu_coeff * cp.sum(cp.power(self.f, 3))
                <= 1.0 - self.comp,
                self.f >= f_min, cp.sum(self.f) <= scn.f_max_hz / 1e9]
        cons += [X >> 0 for X in self.W]
        # B_k and D_l as variables so that parameter * expression stays DPP (compiled once)
        b = cp.Variable(K)
        dv = cp.Variable(L)
        cons += [b[k] == a[k] - tr[k][k] for k in range(K)]
        cons += [dv[j] == d[j] for j in range(L)]
        for k in range(K):
            user = cp.log(a[k]) - cp.multiply(self.inv_b0[k], b[k]) - self.const_b[k]
            for j in range(L):
                c_jk = d[j] - re_tr(self.Qt[j], self.W[k])
                cons.append(user + cp.log(c_jk) - cp.multiply(self.inv_d0[j], dv[j])
                            - self.const_d[j] >= cp.multiply(self.weight[k], zeta))
        self.problem = cp.Problem(cp.Maximize(zeta), cons)
        self.zeta = zeta

    def solve(self, H: np.ndarray, Ht: np.ndarray, rho: np.ndarray, Wl: np.ndarray,
              Rx: np.ndarray, p_comp: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
        """One SCA step expanded at the lifted (Wl (K, N, N), Rx) in watts. Returns the new
        lifted W (K, N, N), Rx (W), f (Hz) and the solver status."""
        scn, p = self.scn, self.p
        gain = p / scn.noise_comm_w
        Gu, Gt = H * math.sqrt(gain), Ht * math.sqrt(gain)
        for params, G in ((self.Qu, Gu), (self.Qt, Gt)):
            for (q_re, q_im), g in zip(params, G):
                Q = np.outer(g.conj(), g)
                q_re.value, q_im.value = Q.real, Q.imag
        # Taylor points (NF eq. (32)) in noise units
        a0 = np.einsum("kn,nm,km->k", Gu, Rx / p, Gu.conj()).real + 1.0
        own0 = np.einsum("kn,knm,km->k", Gu, Wl / p, Gu.conj()).real
        b0 = np.maximum(a0 - own0, 1.0)
        d0 = np.einsum("ln,nm,lm->l", Gt, Rx / p, Gt.conj()).real + 1.0
        self.inv_b0.value, self.const_b.value = 1.0 / b0, np.log(b0) - 1.0
        self.inv_d0.value, self.const_d.value = 1.0 / d0, np.log(d0) - 1.0
        self.weight.value = np.asarray(rho) * math.log(2.0) / scn.iota
        self.comp.value = max(p_comp / p, 0.0)
        try:
            status = solve(self.problem, self.constraints_hold, SOLVER_OPTIONS,
                           where="in the NF beamforming SCA step")
        except SolverUnknownError:
            return Wl, Rx, np.full(scn.L, scn.min_cpu_frequency()), "unknown"
        if status not in ACCEPTED:
            return Wl, Rx, np.full(scn.L, scn.min_cpu_frequency()), str(status)
        Wn = np.stack([X.value for X in self.W]) * p
        return Wn, self.Rx.value * p, self.f.value * 1e9, str(status)


    def constraints_hold(self) -> bool:
        """Independent re-check of a solved step (power units of P_t): W_k >= 0,
        R_x - sum_k W_k >= 0 (28h), power (28c), CPU (28d, 28e) and CRB <= xi (28b, from
        the scenario's CRB, not the LMI), each within :data:`RECHECK_TOL`."""
        scn = self.scn
        Ws = [0.5 * (X.value + X.value.conj().T) for X in self.W]
        Rx = 0.5 * (self.Rx.value + self.Rx.value.conj().T)
        f = np.asarray(self.f.value, dtype=float)
        tol = RECHECK_TOL * max(float(np.trace(Rx).real), 1e-300)

        def min_eig(A: np.ndarray) -> float:
            return float(np.linalg.eigvalsh(A).min())

        power = float(np.trace(Rx).real) + self._cpu_coeff * float(np.sum(f ** 3))
        return (all(min_eig(X) >= -tol for X in Ws) and min_eig(Rx - sum(Ws)) >= -tol
                and power <= 1.0 - float(self.comp.value) + RECHECK_TOL
                and bool(np.all(f >= self._f_min_ghz * (1 - RECHECK_TOL)))
                and float(f.sum()) <= scn.f_max_hz / 1e9 * (1 + RECHECK_TOL)
                and scn.crb_normalised(Rx * self.p) <= scn.crb_limit * (1 + RECHECK_TOL))


def _rank(X: np.ndarray, rel: float = 1e-6) -> int:
    ev = np.linalg.eigvalsh((X + X.conj().T) / 2)
    return int((ev > rel * max(ev.max(), 1e-300)).sum())


def randomise(H: np.ndarray, Ht: np.ndarray, Wl: np.ndarray, Rx: np.ndarray, noise: float,
              rho: np.ndarray, iota: float, draws: int,
              rng: np.random.Generator) -> tuple[np.ndarray, float, str]:
    """Gaussian randomisation (NF ref. [52]): the best rank-one W (N_t, K) for R_x fixed.

    Candidates: the principal eigenvectors and ``draws`` Gaussian sets; each scaled so that
    R_x - W W^H >= 0 (feasible by construction). Returns W, its min margin and which
    candidate won ("eigen" or "draw").
    """
    K, N = Wl.shape[0], Wl.shape[1]
    roots, eigw = [], []
    for k in range(K):
        ev, vec = np.linalg.eigh((Wl[k] + Wl[k].conj().T) / 2)
        ev = np.clip(ev, 0.0, None)
        roots.append((vec * np.sqrt(ev)) @ vec.conj().T)
        eigw.append(vec[:, -1] * math.sqrt(ev[-1]))
    z = (rng.standard_normal((draws, K, N)) + 1j * rng.standard_normal((draws, K, N))) / \
        math.sqrt(2.0)
    cand = np.einsum("knm,dkm->dnk", np.stack(roots), z)            # (draws, N, K)
    power = np.array([np.trace(Wl[k]).real for k in range(K)])
    cand *= np.sqrt(power / np.maximum((np.abs(cand) ** 2).sum(axis=1), 1e-300))[:, None, :]
    cand = np.concatenate([np.stack(eigw, axis=1)[None], cand])     # index 0: eigenvectors
    # largest alpha with Rx - alpha^2 W W^H >= 0: alpha = 1 / sigma_max(C^{-1} W), Rx = C C^H
    chol = np.linalg.cholesky((Rx + Rx.conj().T) / 2)
    whitened = np.linalg.solve(chol[None], cand)
    smax = np.linalg.norm(whitened, ord=2, axis=(1, 2))
    alpha = np.minimum(1.0, (1.0 - 1e-9) / np.maximum(smax, 1e-300))
    cand *= alpha[:, None, None]
    obj = margins_np(H, Ht, cand, Rx, noise, rho, iota).min(axis=(-2, -1))
    best = int(np.argmax(obj))
    return cand[best], float(obj[best]), "eigen" if best == 0 else "draw"


def solve_beamforming(scn: NFScenario, sdp: BeamformingSDP, pos: np.ndarray, rho: np.ndarray,
                      W0: np.ndarray, Rx0: np.ndarray, rng: np.random.Generator,
                      sca_iters: int = 6, sca_tol: float = 1e-3,
                      draws: int = 100) -> BeamformingResult:
    """Sub-problem 1 from the feasible incumbent (W0 (N_t, K), Rx0): SCA steps until the
    relaxed objective gains less than ``sca_tol`` bits/s/Hz, then randomisation."""
    H, Ht = channels_np(scn, pos)
    noise = scn.noise_comm_w
    rho = np.asarray(rho, dtype=float)
    p_comp = float(scn.semantic_computing_power(torch.as_tensor(rho)))
    inc_obj = float(margins_np(H, Ht, W0, Rx0, noise, rho, scn.iota).min())
    Wl = np.einsum("nk,mk->knm", W0, W0.conj())
    Rx = Rx0
    f = np.full(scn.L, scn.min_cpu_frequency())
    trace = [inc_obj]
    status = "optimal"
    for _ in range(sca_iters):
        Wn, Rn, fn, status = sdp.solve(H, Ht, rho, Wl, Rx, p_comp)
        if status not in ("optimal", "optimal_inaccurate"):
            break  # a solver failure is "unknown": keep what we have
        new = float(lifted_margins(H, Ht, Wn, Rn, noise, rho, scn.iota).min())
        if new < trace[-1] - 1e-9 and len(trace) > 1:
            break
        Wl, Rx, f = Wn, Rn, fn
        trace.append(new)
        if new - trace[-2] < sca_tol:
            break
    relaxed = trace[-1]
    f_min = np.full(scn.L, scn.min_cpu_frequency())  # the latency limit exactly, least power
    if len(trace) == 1:  # no SDP step succeeded: the incumbent stands
        return BeamformingResult(W0, Rx0, f_min, inc_obj, inc_obj, 0.0, 1, trace, status,
                                 "incumbent")
    f = np.maximum(f, f_min)  # solver round-off must not break the latency limit (28d)
    Wr, obj, kept = randomise(H, Ht, Wl, Rx, noise, rho, scn.iota, draws, rng)
    max_rank = max(_rank(Wl[k]) for k in range(scn.K))
    share = min(float(np.linalg.eigvalsh((Wl[k] + Wl[k].conj().T) / 2)[-1]
                      / max(np.trace(Wl[k]).real, 1e-300)) for k in range(scn.K))
    if obj < inc_obj:
        return BeamformingResult(W0, Rx0, f_min, inc_obj, relaxed, relaxed - obj, max_rank,
                                 trace, status, "incumbent", share)
    return BeamformingResult(Wr, Rx, f, obj, relaxed, relaxed - obj, max_rank, trace,
                             status, kept, share)


def initial_design(scn: NFScenario, pos: np.ndarray, rho: np.ndarray) -> tuple[np.ndarray,
                                                                                np.ndarray]:
    """A feasible starting point: the power left after P_Comp and P_process spread
    isotropically (meets the CRB whenever any design can, see :func:`precheck`) and MRT
    beams scaled inside it. Returns W (N_t, K), Rx (N_t, N_t)."""
    H, _ = channels_np(scn, pos)
    p_comp = float(scn.semantic_computing_power(torch.as_tensor(rho, dtype=torch.float64)))
    f = torch.full((scn.L,), scn.min_cpu_frequency(), dtype=torch.float64)
    avail = scn.power_budget_w - p_comp - float(scn.processing_power(f).sum())
    Rx = np.eye(scn.n_t) * (avail * (1 - 1e-6) / scn.n_t)
    V = (H.conj() / np.linalg.norm(H, axis=1, keepdims=True)).T       # (N, K) unit MRT
    lam = np.linalg.eigvalsh(V @ V.conj().T).max()
    W = V * math.sqrt(0.9 * Rx[0, 0].real / lam)
    return W, Rx
