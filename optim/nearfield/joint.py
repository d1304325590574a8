"""The joint method for NF problem (28) (method ``"joint"``, issue 29): one first-order
method over all continuous variables at once, then an exact feasibility restoration, an
SDP polish where affordable, and the independent re-check of :func:`verify_design`.

Why: NF Algorithm 2 (:mod:`.alternating`) moves the antennas with the beams fixed, and a
beam focused on the current positions makes the fixed-beam basin a few hundredths of a
wavelength wide, so the antennas stop within millimetres of the nominal grid. Here the
gradient in the positions is taken with the beams free.

Variables (per start): the free antenna coordinates x (wavelengths, relative to the nominal
grid; projected onto the boxes C_i of NF eq. (28g) after every step), and one complex
matrix X = [W, B] (N_t x (K + N_t)) with R_x = X X^H = W W^H + B B^H (NF eq. (3)), so
R = B B^H >= 0 (28h) and rank one (28i) hold by construction. X is used through
X sqrt(P_tx) / ||X||_F, so Tr R_x = P_tx exactly (power, NF eq. (28c)). The extraction
ratios and CPU frequencies are those NF Algorithm 2 ends on: f_l at the latency limit
(the least power, NF eq. (28d)), and rho from sub-problem 3 (:mod:`.extraction`) with the
CRB's minimum sensing power (Algorithm 2 only ever lowers rho from there, and no design can
lower it further); P_tx = P_t - P^Comp(rho) - sum_l P_l^process.

Objective: the soft minimum -T ln sum_{k,l} exp(-m_{k,l} / T) of the secrecy margins
(NF eq. (22), :func:`.objective.margins_torch`), T annealed geometrically from
``temperature_start`` to ``temperature_end`` (measured on the prototype: 0.01 annealed
beat 0.05 fixed; 0.001 broke the multiplier). The CRB limit (NF eq. (28b), Tr R_x^{-1} <=
c, by Cholesky) enters as g = ln Tr R_x^{-1} - ln c + delta <= 0 through an augmented
Lagrangian, with an inner margin delta so that the final repair rarely fires (a 0.05 %
violation repaired by isotropic mixing cost the prototype 1.5 bit/s/Hz). Adam, float64,
torch autodiff; the iteration count grows with N_t (:func:`schedule_iterations`).

Multi-start (deterministic from the seed): the nominal grid, then uniform draws in the
regions (the objective oscillates every wavelength in the positions).

Every start ends with :func:`restore`: positions clamped to C_i, power scaled to P_tx, and,
if the CRB limit is not met, the smallest share t of the sensing covariance B B^H mixed
into its isotropic version (bisection; R_x - W W^H stays PSD, W and the power unchanged),
or else of R_x mixed with the isotropic full-power covariance (W scaled by sqrt(1 - t)).
Where N_t <= ``polish_max_nt``, the best ``polish_starts`` designs are polished by NF
Algorithm 2's SCA beamforming SDP at their final positions (:func:`.beamforming_sca.
solve_beamforming`, which keeps the incumbent when it cannot improve it). Every candidate is
re-checked by :func:`.feasibility.verify_design`; only a feasible one is returned, and
:class:`DesignCheckError` is raised when none is.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from linksim.nearfield import NFScenario
from linksim.nearfield.sensing import inverse_trace_torch, psd_sqrt
from linksim.solver_policy import count_solves

from .alternating import NFRun, design_metrics, extraction_start
from .beamforming_sca import BeamformingSDP, channels_np, solve_beamforming
from .design import NFDesign
from .feasibility import verify_design
from .objective import margins_np, margins_torch

DT = torch.float64


class DesignCheckError(RuntimeError):
    """No design of the joint method passed :func:`verify_design` (the method failed; the
    problem itself passed :func:`precheck`). The message names the worst violation."""


def schedule_iterations(n_t: int) -> int:
    """Adam iterations per start for N_t antennas: 1000 + 60 N_t (1540 at N_t = 9; the
    prototype measured 500 / 1500 / 3000 iterations -> 16.84 / 17.52 / 17.57 bit/s/Hz at the
    default scenario, and larger arrays need more)."""
    return 1000 + 60 * int(n_t)


@dataclass(frozen=True)
class JointOptions:
    """Options of the joint method (every one recorded with the design)."""

    starts: int = 8                   # nominal grid + (starts - 1) uniform draws
    iterations: int = 0               # Adam iterations per start; 0: schedule_iterations(N_t)
    semantic: bool = True
    temperature_start: float = 0.3    # soft-min temperature, bits/s/Hz, annealed ...
    temperature_end: float = 0.01     # ... geometrically to this over 70 % of the run
    crb_margin: float = 2e-3          # inner margin delta on ln Tr R_x^{-1} (0.2 %)
    penalty: float = 50.0             # augmented-Lagrangian penalty mu
    multiplier_every: int = 20        # iterations between multiplier updates
    lr_beams: float = 0.03            # Adam step of X (entries O(1)), decays to 5 %
    lr_positions: float = 0.03        # Adam step of the positions, wavelengths, decays to 5 %
    freeze_positions: bool = False    # beams only (fixed arrays, method-fair comparisons)
    polish: bool = True               # SDP polish at the final positions (N_t <= max)
    polish_max_nt: int = 16
    polish_starts: int = 2            # best starts polished
    polish_sca_iterations: int = 2
    randomisation_draws: int = 100
    rho_method: str = "eq19"
    trace_every: int = 100            # trace row every this many iterations

    def __post_init__(self) -> None:
        for name in ("temperature_start", "temperature_end", "crb_margin", "penalty",
                     "lr_beams", "lr_positions"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0:
                raise ValueError(f"{name}={v!r} is invalid: must be > 0")
        for name in ("starts", "multiplier_every", "polish_max_nt", "polish_starts",
                     "polish_sca_iterations", "randomisation_draws", "trace_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"{name}={v!r} is invalid: must be a positive integer")
        if isinstance(self.iterations, bool) or not isinstance(self.iterations, int) \
                or self.iterations < 0:
            raise ValueError(f"iterations={self.iterations!r} is invalid: must be an integer "
                             ">= 0 (0: the schedule 1000 + 60 N_t)")

    def to_dict(self) -> dict[str, Any]:
        return {"method": "joint", **dataclasses.asdict(self)}


class JointProblem:
    """The differentiable pieces of NF problem (28) at fixed rho and f (see module doc)."""

    def __init__(self, scn: NFScenario, rho: np.ndarray, p_tx: float) -> None:
        self.scn = scn
        self.rho = torch.as_tensor(np.asarray(rho, dtype=float), dtype=DT)
        self.p_tx = float(p_tx)
        self.noise = scn.noise_comm_w
        self.lam = scn.wavelength
        self.nominal = scn.tx_nominal()
        lo, hi = scn.region_bounds()
        self.lo = (lo - self.nominal) / self.lam   # (N_t, 2) wavelengths; 0 where fixed
        self.hi = (hi - self.nominal) / self.lam
        self.log_limit = math.log(scn.crb_trace_limit())

    def positions(self, x: torch.Tensor) -> torch.Tensor:
        """Offsets x (N_t, 2) in wavelengths -> positions (N_t, 2) m."""
        return self.nominal + x * self.lam

    def beams(self, Xr: torch.Tensor, Xi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """W (N_t, K) sqrt(W) and R_x = X X^H (W), with Tr R_x = P_tx."""
        X = torch.complex(Xr, Xi)
        X = X * (math.sqrt(self.p_tx) / torch.linalg.vector_norm(X))
        return X[:, :self.scn.K], X @ X.conj().T

    def margins(self, x: torch.Tensor, W: torch.Tensor, Rx: torch.Tensor) -> torch.Tensor:
        """Secrecy margins m_{k,l} (K, L), bits/s/Hz (NF eq. (22))."""
        pos = self.positions(x)
        return margins_torch(self.scn.user_channels(pos), self.scn.target_channels(pos), W,
                             Rx, self.noise, self.rho, self.scn.iota)

    def crb_excess(self, Rx: torch.Tensor) -> torch.Tensor:
        """ln Tr R_x^{-1} - ln c: <= 0 iff the CRB limit (NF eq. (28b)) holds."""
        return torch.log(inverse_trace_torch(Rx)) - self.log_limit

    def loss(self, x: torch.Tensor, Xr: torch.Tensor, Xi: torch.Tensor, temperature: float,
             multiplier: float, penalty: float, margin: float
             ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Augmented-Lagrangian loss (minimised), the soft-min objective and g."""
        W, Rx = self.beams(Xr, Xi)
        m = self.margins(x, W, Rx).reshape(-1)
        soft = -temperature * torch.logsumexp(-m / temperature, dim=0)
        g = self.crb_excess(Rx) + margin
        alm = (torch.relu(multiplier + penalty * g) ** 2 - multiplier ** 2) / (2 * penalty)
        return -soft + alm, soft, g


def initial_beams(scn: NFScenario, pos: torch.Tensor) -> np.ndarray:
    """X = [W, B] of a start: MRT beams with 80 % of the power, B isotropic (20 %); X is
    scaled to RMS entry 1 (Adam's step sizes are then relative). complex (N_t, K + N_t)."""
    with torch.no_grad():
        H = scn.user_channels(pos).numpy()
    N, K = scn.n_t, scn.K
    W = (H.conj() / np.linalg.norm(H, axis=1, keepdims=True)).T * math.sqrt(0.8 / K)
    B = np.eye(N) * math.sqrt(0.2 / N)
    X = np.concatenate([W, B], axis=1)
    return X * math.sqrt(X.size) / np.linalg.norm(X)


def warm_beams(W: np.ndarray, Rx: np.ndarray) -> np.ndarray:
    """X = [W, R^{1/2}] of a given design (R = R_x - W W^H), scaled to RMS entry 1."""
    W, Rx = np.asarray(W, dtype=complex), np.asarray(Rx, dtype=complex)
    X = np.concatenate([W, psd_sqrt(Rx - W @ W.conj().T)], axis=1)
    return X * math.sqrt(X.size) / np.linalg.norm(X)


def restore(scn: NFScenario, pos: np.ndarray, W: np.ndarray, Rx: np.ndarray, p_tx: float,
            tol: float = 1e-9) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Feasibility restoration at fixed positions (see module doc). Returns positions
    (clamped to C_i), W, R_x and what was done: ``power_scale``, ``crb_before``,
    ``crb_after`` (normalised), ``repair`` ("none", "sensing" or "isotropic") and ``share`` t."""
    pos = scn.project(torch.as_tensor(pos, dtype=DT)).numpy()
    W, Rx = np.asarray(W, dtype=complex), np.asarray(Rx, dtype=complex)
    Rx = 0.5 * (Rx + Rx.conj().T)
    R = Rx - W @ W.conj().T
    R = 0.5 * (R + R.conj().T)
    total = float(np.trace(Rx).real)
    scale = min(1.0, p_tx * (1 - tol) / total)
    W, R = W * math.sqrt(scale), R * scale
    limit = scn.crb_limit * (1 - tol)
    N = scn.n_t
    info: dict[str, Any] = {"power_scale": scale, "repair": "none", "share": 0.0}

    def crb(t: float, stage: str) -> float:
        return scn.crb_normalised(mixed(t, stage)[1])

    def mixed(t: float, stage: str) -> tuple[np.ndarray, np.ndarray]:
        if stage == "sensing":  # R -> (1 - t) R + t Tr(R) / N I: W and the power kept
            Rt = (1 - t) * R + t * float(np.trace(R).real) / N * np.eye(N)
            return W, W @ W.conj().T + Rt
        p = float(np.trace(W @ W.conj().T + R).real)  # R_x -> (1 - t) R_x + t p / N I
        return W * math.sqrt(1 - t), (1 - t) * (W @ W.conj().T + R) + t * p / N * np.eye(N)

    info["crb_before"] = crb(0.0, "sensing")
    stage = "none"
    if info["crb_before"] > limit:
        stage = "sensing" if crb(1.0, "sensing") <= limit else "isotropic"
        lo, hi = 0.0, 1.0   # crb(lo) > limit >= crb(hi); Tr R_x^{-1} is convex in t
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if crb(mid, stage) > limit:
                lo = mid
            else:
                hi = mid
        W, Rx = mixed(hi, stage)
        info.update(repair=stage, share=hi)
    else:
        Rx = W @ W.conj().T + R
    info["crb_after"] = scn.crb_normalised(Rx)
    return pos, W, Rx, info


def _start_offsets(prob: JointProblem, starts: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), 29]))
    lo, hi = prob.lo.numpy(), prob.hi.numpy()
    out = [np.zeros_like(lo)]
    for _ in range(starts - 1):
        out.append(lo + (hi - lo) * rng.random(lo.shape))
    return out


def run_start(prob: JointProblem, x0: np.ndarray, X0: np.ndarray, iterations: int,
              opt: JointOptions, on_row: Callable[[int, float, float], None] | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
    """Adam from one start. Returns positions (N_t, 2) m, W, R_x (numpy) and diagnostics
    (final multiplier, g, soft-min)."""
    x = torch.tensor(x0, dtype=DT, requires_grad=not opt.freeze_positions)
    Xr = torch.tensor(X0.real, dtype=DT, requires_grad=True)
    Xi = torch.tensor(X0.imag, dtype=DT, requires_grad=True)
    groups = [{"params": [Xr, Xi], "lr": opt.lr_beams}]
    if not opt.freeze_positions:
        groups.append({"params": [x], "lr": opt.lr_positions})
    adam = torch.optim.Adam(groups)
    base_lr = [g["lr"] for g in adam.param_groups]
    multiplier, anneal = 0.0, max(1, int(0.7 * iterations))
    ratio = opt.temperature_end / opt.temperature_start
    soft = g = torch.zeros(())
    for it in range(iterations):
        frac = it / max(iterations - 1, 1)
        temperature = opt.temperature_start * ratio ** min(it / anneal, 1.0)
        decay = 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac))  # cosine to 5 %
        for grp, lr in zip(adam.param_groups, base_lr):
            grp["lr"] = lr * decay
        adam.zero_grad(set_to_none=True)
        loss, soft, g = prob.loss(x, Xr, Xi, temperature, multiplier, opt.penalty,
                                  opt.crb_margin)
        loss.backward()
        adam.step()
        soft, g = soft.detach(), g.detach()
        with torch.no_grad():
            if not opt.freeze_positions:
                torch.clamp(x, prob.lo, prob.hi, out=x)
            if (it + 1) % opt.multiplier_every == 0:
                multiplier = max(0.0, multiplier + opt.penalty * float(g))
        if on_row is not None and (it % opt.trace_every == 0 or it == iterations - 1):
            on_row(it, float(soft), float(g))
    with torch.no_grad():
        W, Rx = prob.beams(Xr, Xi)
        pos = prob.positions(x)
    return pos.numpy(), W.numpy(), Rx.numpy(), {"multiplier": multiplier,
                                                "crb_excess": float(g),
                                                "soft_min": float(soft)}


def _true_margin(scn: NFScenario, pos: np.ndarray, W: np.ndarray, Rx: np.ndarray,
                 rho: np.ndarray) -> float:
    H, Ht = channels_np(scn, pos)
    return float(margins_np(H, Ht, W, Rx, scn.noise_comm_w, rho, scn.iota).min())


def optimise_joint(scn: NFScenario, options: JointOptions | None = None, seed: int = 0,
                   rho_lb: np.ndarray | None = None,
                   progress: Callable[[dict[str, Any]], None] | None = None,
                   warm_starts: list[Any] | None = None) -> NFRun:
    """The joint method on ``scn``; deterministic given (scn, options, seed, warm_starts).

    warm_starts: designs (anything with ``positions``, ``W``, ``Rx``, e.g. an
    :class:`NFDesign` of NF Algorithm 2) climbed from after the method's own starts.

    Raises :class:`.feasibility.InfeasibleError` (before any work) when (28) has no feasible
    point, :class:`DesignCheckError` when no design passes :func:`verify_design`."""
    threads = torch.get_num_threads()
    # one thread: these matrices are small, and threads contending on 2 shared cores made
    # an iteration 10x slower (measured: 29 ms against 3 ms at N_t = 9)
    torch.set_num_threads(1)
    try:
        with count_solves() as counts:
            run = _optimise_joint(scn, options or JointOptions(), seed, rho_lb, progress,
                                  list(warm_starts or []))
    finally:
        torch.set_num_threads(threads)
    run.diagnostics["solver_counts"] = counts.to_dict()
    return run


def _optimise_joint(scn: NFScenario, opt: JointOptions, seed: int,
                    rho_lb: np.ndarray | None,
                    progress: Callable[[dict[str, Any]], None] | None,
                    warm_starts: list[Any]) -> NFRun:
    lb, f, p_proc, rho = extraction_start(scn, opt.semantic, opt.rho_method, rho_lb)
    p_comp = float(scn.semantic_computing_power(torch.as_tensor(rho)))
    p_tx = (scn.power_budget_w - p_proc - p_comp) * (1 - 1e-9)
    prob = JointProblem(scn, rho, p_tx)
    iterations = opt.iterations or schedule_iterations(scn.n_t)
    freeze = opt.freeze_positions or not scn.movable
    opt_run = dataclasses.replace(opt, freeze_positions=freeze)
    trace: list[dict[str, Any]] = []

    def emit(row: dict[str, Any]) -> None:
        trace.append(row)
        if progress is not None:
            progress(row)

    cands: list[dict[str, Any]] = []
    offsets = _start_offsets(prob, 1 if freeze else opt.starts, seed)
    beams: list[np.ndarray | None] = [None] * len(offsets)
    for d in warm_starts:
        pos_w = scn.project(torch.as_tensor(np.asarray(d.positions), dtype=DT))
        offsets.append(((pos_w - prob.nominal) / prob.lam).numpy())
        beams.append(warm_beams(d.W, d.Rx))
    for s, x0 in enumerate(offsets):
        t0, c0 = time.perf_counter(), time.process_time()
        X0 = beams[s]
        if X0 is None:
            X0 = initial_beams(scn, prob.positions(torch.as_tensor(x0)))

        def on_row(it: int, soft: float, g: float, s: int = s, t0: float = t0) -> None:
            emit({"start": s, "iteration": it, "stage": "adam", "min_margin": soft,
                  "min_secrecy": max(soft, 0.0), "crb_excess": g,
                  "seconds": time.perf_counter() - t0})

        pos, W, Rx, info = run_start(prob, x0, X0, iterations, opt_run, on_row)
        pos, W, Rx, fix = restore(scn, pos, W, Rx, p_tx)
        value = _true_margin(scn, pos, W, Rx, rho)
        cands.append({"start": s, "pos": pos, "W": W, "Rx": Rx, "f": f, "value": value,
                      "adam": info, "restore": fix, "polished": False,
                      "cpu_s": time.process_time() - c0, "wall_s": time.perf_counter() - t0})
        emit({"start": s, "iteration": iterations, "stage": "restore", "min_margin": value,
              "min_secrecy": max(value, 0.0), "crb_excess": math.log(fix["crb_after"]
                                                                     / scn.crb_limit),
              "seconds": time.perf_counter() - t0})

    polished: list[dict[str, Any]] = []
    if opt.polish and scn.n_t <= opt.polish_max_nt:
        sdp = BeamformingSDP(scn)
        rng = np.random.default_rng(np.random.SeedSequence([int(seed), 29, 1]))
        for c in sorted(cands, key=lambda c: -c["value"])[:opt.polish_starts]:
            t0 = time.perf_counter()
            bf = solve_beamforming(scn, sdp, c["pos"], rho, c["W"], c["Rx"], rng,
                                   opt.polish_sca_iterations, draws=opt.randomisation_draws)
            value = _true_margin(scn, c["pos"], bf.W, bf.Rx, rho)
            if bf.kept != "incumbent" and value > c["value"]:
                polished.append({**c, "W": bf.W, "Rx": bf.Rx, "f": bf.f, "value": value,
                                 "polished": True})
            emit({"start": c["start"], "iteration": iterations, "stage": "polish",
                  "min_margin": value, "min_secrecy": max(value, 0.0),
                  "crb_excess": math.log(scn.crb_normalised(bf.Rx) / scn.crb_limit),
                  "seconds": time.perf_counter() - t0})

    checked = []
    for c in cands + polished:
        c["check"] = verify_design(scn, c["pos"], c["W"], c["Rx"], c["f"], rho, lb)
        checked.append(c)
    feasible = [c for c in checked if c["check"]["feasible"]]
    if not feasible:
        worst = checked[0]["check"]
        raise DesignCheckError(
            f"joint: none of {len(checked)} designs passed verify_design (first start "
            f"violates {worst['violations']}); no design is returned")
    best = max(feasible, key=lambda c: c["value"])
    metrics = design_metrics(scn, best["pos"], best["W"], best["Rx"], best["f"], rho)
    nominal = scn.tx_nominal().numpy()
    move = float(np.linalg.norm(best["pos"] - nominal, axis=1).max())
    design = NFDesign(positions=np.asarray(best["pos"]), W=best["W"], Rx=best["Rx"],
                      f_hz=np.asarray(best["f"]), rho=rho, rho_lb=lb,
                      min_secrecy=metrics["min_secrecy"], strategy="joint",
                      semantic=opt.semantic, seed=seed, scenario=scn.to_dict(),
                      options=opt.to_dict(), constraints=best["check"])
    emit({"start": best["start"], "iteration": iterations, "stage": "best",
          "min_margin": best["value"], "min_secrecy": metrics["min_secrecy"],
          "crb_excess": math.log(metrics["crb_normalised"] / scn.crb_limit), "seconds": 0.0})
    diag = {"method": "joint", "iterations": iterations, "starts": len(cands),
            "warm_starts": len(warm_starts),
            "best_start": best["start"], "best_polished": best["polished"],
            "start_values": [c["value"] for c in cands],
            "start_feasible": [c["check"]["feasible"] for c in cands],
            "polished_values": [c["value"] for c in polished],
            "cpu_s_per_start": [c["cpu_s"] for c in cands],
            "wall_s_per_start": [c["wall_s"] for c in cands],
            "repairs": [c["restore"]["repair"] for c in cands],
            "repair_shares": [c["restore"]["share"] for c in cands],
            "crb_before_repair": [c["restore"]["crb_before"] for c in cands],
            "largest_move_m": move, "p_tx_w": p_tx}
    return NFRun(design, metrics, trace, diag)
