"""Echo simulation and a hybrid ML/MAP estimator of mu = [o_x, o_y, Delta_tau].

It checks the HCRB of ASCC Prop. 3.1 by Monte Carlo. The SRE observes the
frequency-domain echo of ASCC eq. (8),

    y_k = exp(-j w_k tau) H_0(p_o) x_k + n_k,   x_k = w_c s_c(w_k) + w_0 s_0(w_k),
    n_k ~ CN(0, sigma_s^2 I_{N_R}),             tau = path(p_o)/c + Delta_tau,

knows the transmitted symbols (it is the sensing receiver of an ISAC link whose
waveform is shared) and the prior ``Delta_tau ~ N(0, sigma_Delta^2)``. The
estimator maximises the hybrid log-likelihood

    -||y - chi(mu)||^2 / sigma_s^2 - Delta_tau^2 / (2 sigma_Delta^2)

(ML in the deterministic position, MAP in the random sync error): a grid over
positions with the delay profiled out by a zero-padded FFT, then a quasi-Newton
refinement with the analytic gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from ..units import SPEED_OF_LIGHT, lin_to_db
from . import geometry
from .scenario import ISSCScenario, check_power, covariance


def estimator_memory_bytes(n_t: int, n_r: int, num_samples: int) -> int:
    """Peak memory [B] of one Monte Carlo trial: ``16 N (N_T + 4 N_R)``.

    complex128 ``(N_T, N)`` transmit spectrum and four ``(N_R, N)`` arrays (the mean echo,
    the two noise draws as one complex array, the observation and the phase ramp).
    """
    return 16 * int(num_samples) * (int(n_t) + 4 * int(n_r))


def unit_qpsk_spectrum(num_samples: int, rng: np.random.Generator) -> np.ndarray:
    """Unitary DFT of i.i.d. unit-power QPSK symbols: complex128 ``(num_samples,)``.

    Unit power per bin (ASCC eq. (8) with a unitary DFT).
    """
    s = (rng.choice([-1.0, 1.0], num_samples) + 1j * rng.choice([-1.0, 1.0], num_samples))
    return np.fft.fft(s / np.sqrt(2.0)) / np.sqrt(num_samples)


def transmit_spectrum(w_c: ArrayLike, w_0: ArrayLike, num_samples: int,
                      rng: np.random.Generator) -> np.ndarray:
    """``X = w_c s_c^T + w_0 s_0^T`` before the delay, complex128 ``(N_T, N)``."""
    sc = unit_qpsk_spectrum(num_samples, rng)
    s0 = unit_qpsk_spectrum(num_samples, rng)
    return np.asarray(w_c, complex)[:, None] * sc + np.asarray(w_0, complex)[:, None] * s0


def echo_mean(scn: ISSCScenario, mu: ArrayLike, X: np.ndarray) -> np.ndarray:  # noqa: N803
    """Noise-free echo ``chi(mu)`` of ASCC eq. (8), complex128 ``(N_R, N)``.

    Args:
        mu: ``[o_x, o_y, Delta_tau]`` in (m, m, s).
        X: transmit spectrum without delay, complex ``(N_T, N)``.
    """
    mu = np.asarray(mu, float)
    H, _, tau_geo, _ = scn.sensing_channel(mu[:2])
    return np.exp(-1j * scn.frequencies * (tau_geo + mu[2])) * (H @ X)


def simulate_echo(scn: ISSCScenario, X: np.ndarray, delta_tau: float,  # noqa: N803
                  rng: np.random.Generator) -> np.ndarray:
    """Echo at the SRE for the scenario's true target, complex128 ``(N_R, N)``."""
    mean = echo_mean(scn, [*scn.target_position, delta_tau], X)
    noise = (rng.standard_normal(mean.shape) + 1j * rng.standard_normal(mean.shape))
    return mean + np.sqrt(scn.noise_sre_w / 2.0) * noise


def _neg_log_post(scn: ISSCScenario, y: np.ndarray, X: np.ndarray,  # noqa: N803
                  mu: np.ndarray) -> tuple[float, np.ndarray]:
    """Negative hybrid log-likelihood and its gradient w.r.t. mu (m, m, s)."""
    H, dH, tau_geo, dtau = scn.sensing_channel(mu[:2])
    w = scn.frequencies
    ph = np.exp(-1j * w * (tau_geo + mu[2]))
    HX = H @ X
    m = ph * HX
    r = y - m
    s2 = scn.noise_sre_w
    f = float(np.vdot(r, r).real) / s2 + mu[2] ** 2 / (2.0 * scn.sigma_delta_s**2)
    g = np.empty(3)
    for a in range(2):
        dm = ph * (dH[a] @ X - 1j * w * dtau[a] * HX)
        g[a] = -2.0 / s2 * float(np.vdot(dm, r).real)
    g[2] = -2.0 / s2 * float(np.vdot(-1j * w * m, r).real) + mu[2] / scn.sigma_delta_s**2
    return f, g


@dataclass(frozen=True)
class MLEstimator:
    """Grid + local refinement hybrid ML/MAP estimator of ``[o_x, o_y, Delta_tau]``.

    Attributes:
        half_width_m: the position grid spans ``target_guess +- half_width_m`` in x and y.
        grid_step_m: spacing of the position grid (angles vary slowly; the delay is
            handled exactly by the FFT profile, so a few metres suffice).
        oversample: zero-padding factor of the delay FFT (delay step = dt / oversample).
        chunk: grid points processed per FFT batch (memory bound).
    """

    half_width_m: float = 40.0
    grid_step_m: float = 4.0
    oversample: int = 4
    chunk: int = 256

    def estimate(self, scn: ISSCScenario, y: np.ndarray, X: np.ndarray,  # noqa: N803
                 center: ArrayLike | None = None) -> np.ndarray:
        """Estimate ``mu`` from one echo ``y`` (``(N_R, N)``) given ``X`` (``(N_T, N)``).

        Returns float64 ``(3,)`` = ``[o_x, o_y, Delta_tau]`` in (m, m, s).
        """
        c = np.asarray(scn.target_position if center is None else center, float)
        mu0 = self._grid_search(scn, y, X, c)
        scale = np.array([1.0, 1.0, scn.sample_interval_s])  # metres and samples

        def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
            f, g = _neg_log_post(scn, y, X, z * scale)
            return f, g * scale

        res = minimize(fun, mu0 / scale, jac=True, method="BFGS",
                       options={"gtol": 1e-8, "maxiter": 200})
        z = res.x if res.fun <= fun(mu0 / scale)[0] else mu0 / scale
        return z * scale

    def _grid_search(self, scn: ISSCScenario, y: np.ndarray, X: np.ndarray,  # noqa: N803
                     center: np.ndarray) -> np.ndarray:
        n = scn.num_samples
        nfft = n * self.oversample
        dt = scn.sample_interval_s
        axis = np.arange(-self.half_width_m, self.half_width_m + 1e-9, self.grid_step_m)
        gx, gy = np.meshgrid(center[0] + axis, center[1] + axis, indexing="ij")
        grid = np.stack([gx.ravel(), gy.ravel()], -1)
        # candidates closer than 1 m to a node would break the geometry; drop them
        keep = ((geometry.distance(scn.tr_position, grid) > 1.0)
                & (geometry.distance(scn.sre_position, grid) > 1.0))
        grid = grid[keep]
        step = dt / self.oversample  # delay spacing of the FFT bins, s
        half = min(int(np.ceil(6.0 * scn.sigma_delta_s / step)), nfft // 2 - 1)
        offsets = np.arange(-half, half + 1)
        w0 = scn.frequencies[0]
        s2 = scn.noise_sre_w
        best = (-np.inf, None)
        for start in range(0, len(grid), self.chunk):
            g = grid[start:start + self.chunk]
            a_t = geometry.ula_steering(geometry.direction(scn.tr_position, g), scn.n_t)
            a_r = geometry.ula_steering(geometry.direction(scn.sre_position, g), scn.n_r)
            if scn.beta_position_derivative:
                beta = np.array([scn.beta_0_at(p) for p in g])
            else:
                beta = np.full(len(g), scn.beta_0)
            u = a_t.conj() @ X                     # a_t^H x_k, (G, N)
            v = a_r.conj() @ y                     # a_r^H y_k, (G, N)
            corr = beta[:, None] * np.conj(u) * v  # (H x_k)^H y_k
            energy = beta**2 * scn.n_r * np.sum(np.abs(u) ** 2, -1)
            # sum_k corr_k exp(j w_k tau) on the delay grid (w_k = w0 + 2 pi k / (N dt))
            prof = np.fft.ifft(corr, nfft, axis=-1) * nfft
            tau_geo = (geometry.distance(scn.tr_position, g)
                       + geometry.distance(scn.sre_position, g)) / SPEED_OF_LIGHT
            # only delays within the prior window matter: tau_geo + 6 sigma_Delta
            idx0 = np.round(tau_geo / step).astype(int)
            idx = idx0[:, None] + offsets[None, :]
            delays = idx * step  # unwrapped delays; FFT bins wrap with period N dt
            prof = np.take_along_axis(prof, idx % nfft, axis=-1) * np.exp(1j * w0 * delays)
            dtau = delays - tau_geo[:, None]
            score = ((2.0 * prof.real - energy[:, None]) / s2
                     - dtau**2 / (2.0 * scn.sigma_delta_s**2))
            i, m = np.unravel_index(np.argmax(score), score.shape)
            if score[i, m] > best[0]:
                best = (score[i, m], np.array([g[i, 0], g[i, 1], dtau[i, m]]))
        return best[1]


@dataclass(frozen=True)
class MonteCarloResult:
    """Position MSE of the estimator against the bound at one transmit power.

    Attributes (m^2 unless stated): ``power_w`` (W), ``mse`` (mean ||p_hat - p_o||^2),
    ``mse_ci95`` (half-width of its 95 % normal confidence interval), ``hcrb``
    (Tr HCRB), ``crb`` (Tr CRB, sync known), ``echo_snr_db`` (total echo energy over
    sigma_s^2, dB), ``trials``, ``mse_delta_tau`` (s^2), ``hcrb_delta_tau`` (s^2).
    """

    power_w: float
    mse: float
    mse_ci95: float
    hcrb: float
    crb: float
    echo_snr_db: float
    trials: int
    mse_delta_tau: float
    hcrb_delta_tau: float


def monte_carlo_mse(scn: ISSCScenario, power_w: float, trials: int, rng: np.random.Generator,
                    comm_fraction: float = 0.5,
                    estimator: MLEstimator | None = None) -> MonteCarloResult:
    """Estimator MSE vs HCRB with the scenario's matched beamformers at ``power_w``.

    Each trial draws the sync error from its prior, fresh QPSK symbols and noise.
    """
    check_power(power_w)
    if int(trials) < 2:
        raise ValueError(f"trials={trials!r} is invalid: must be an integer >= 2")
    est = estimator or MLEstimator()
    w_c, w_0 = scn.matched_beamformers(power_w, comm_fraction)
    Sigma = covariance(w_c, w_0)  # noqa: N806
    bound = scn.hcrb(Sigma)
    truth = np.asarray(scn.target_position)
    err2 = np.empty(int(trials))
    errt = np.empty(int(trials))
    for t in range(int(trials)):
        dtau = rng.normal(0.0, scn.sigma_delta_s)
        X = transmit_spectrum(w_c, w_0, scn.num_samples, rng)  # noqa: N806
        y = simulate_echo(scn, X, dtau, rng)
        mu = est.estimate(scn, y, X)
        err2[t] = float(np.sum((mu[:2] - truth) ** 2))
        errt[t] = (mu[2] - dtau) ** 2
    snr = scn.num_samples * np.real(np.trace(scn.H_0 @ Sigma @ scn.H_0.conj().T)) / scn.noise_sre_w
    return MonteCarloResult(
        power_w=float(power_w), mse=float(err2.mean()),
        mse_ci95=float(1.96 * err2.std(ddof=1) / np.sqrt(len(err2))),
        hcrb=float(bound.trace), crb=float(bound.crb_trace),
        echo_snr_db=float(lin_to_db(snr)),
        trials=int(trials), mse_delta_tau=float(errt.mean()),
        hcrb_delta_tau=float(bound.delta_tau))
