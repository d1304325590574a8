"""Sensing bounds of the far-field scenario: the hybrid FIM as a linear map of Sigma (ASCC
eq. (11), eq. (12)), the prior, and the HCRB (ASCC Prop. 3.1). Mixed into
:class:`~.scenario.ISSCScenario`."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .beams import check_covariance as _sigma
from .hcrb import HCRB, hcrb_from_fim

#: complex128 N_T x N_T matrices alive at the peak of :meth:`SensingBoundsMixin.fim_matrices`:
#: zeta (6), its Hermitian parts (6), F (9) and the matmul copy M (9).
FIM_MATRICES = 30


def sensing_memory_bytes(n_t: int, n_r: int, num_samples: int) -> int:
    """Peak memory [B] of the scenario's sensing bounds (frequencies, channels, FIM map).

    ``24 N`` for the frequency grid (``k``, ``2 pi k`` and the quotient, float64),
    ``16 * 6 N_R N_T`` for ``H_0``, its gradient and their outer-product temporaries, and
    ``16 * 30 N_T^2`` for the FIM map (:data:`FIM_MATRICES`). A floor, for refusing sizes
    that cannot fit before anything is allocated; callers add their solver's share.
    """
    n_t, n_r, n = int(n_t), int(n_r), int(num_samples)
    return 24 * n + 16 * 6 * n_r * n_t + 16 * FIM_MATRICES * n_t * n_t


class SensingBoundsMixin:
    """FIM and HCRB of :class:`~.scenario.ISSCScenario` (needs its fields and channels)."""

    def fim_basis(self) -> np.ndarray:
        """The matrices ``zeta_1..zeta_6`` of ASCC Prop. 3.1, complex128 ``(6, N_T, N_T)``.

        Built from the frequency moments ``S_m = sum_k w_k^m`` (exact, no loop over k):
        with ``Hdot^k_a = H_a' - j w_k tau_a' H_0``,
        ``zeta(a,b) = S_0 H_a'^H H_b' + j S_1 (tau_a' H_0^H H_b' - tau_b' H_a'^H H_0)
        + S_2 tau_a' tau_b' H_0^H H_0`` and
        ``zeta(a,Dtau) = -j S_1 H_a'^H H_0 + S_2 tau_a' H_0^H H_0``.
        """
        if "zeta" not in self._cache:
            H, dH, _, dt = self.sensing_channel(self.target_position)
            w = self.frequencies
            s0, s1, s2 = float(w.size), float(w.sum()), float(np.dot(w, w))
            HH = H.conj().T @ H

            def pos(a: int, b: int) -> np.ndarray:
                return (s0 * dH[a].conj().T @ dH[b]
                        + 1j * s1 * (dt[a] * H.conj().T @ dH[b] - dt[b] * dH[a].conj().T @ H)
                        + s2 * dt[a] * dt[b] * HH)

            def cross(a: int) -> np.ndarray:
                return -1j * s1 * dH[a].conj().T @ H + s2 * dt[a] * HH

            zeta = np.stack([pos(0, 0), pos(0, 1), pos(1, 1), cross(0), cross(1), s2 * HH])
            zeta.setflags(write=False)
            self._cache["zeta"] = zeta
        return self._cache["zeta"]

    def fim_matrices(self) -> np.ndarray:
        """Linear map Sigma -> J_D: Hermitian ``F`` complex128 ``(3, 3, N_T, N_T)``.

        ``J_D[a, b] = Re Tr(F[a, b] Sigma) = (2/sigma_s^2) Re Tr(zeta_j Sigma)`` for
        Hermitian ``Sigma`` (ASCC eq. (12)); ``F[a, b] = (zeta_j + zeta_j^H) / sigma_s^2``,
        so ``Tr(F[a, b] Sigma)`` is already real. Order of ``a, b``: (o_x, o_y, Delta_tau).
        Use it for LMI forms, e.g. ``cvxpy.real(cvxpy.trace(F[a, b] @ S))``.
        """
        if "F" not in self._cache:
            z = self.fim_basis()
            herm = (z + np.conj(np.swapaxes(z, -1, -2))) / self.noise_sre_w
            idx = ((0, 1, 3), (1, 2, 4), (3, 4, 5))  # zeta index of each (a, b)
            F = np.stack([np.stack([herm[idx[a][b]] for b in range(3)]) for a in range(3)])
            F.setflags(write=False)
            self._cache["F"] = F
            # rows of Re(vec) so that J_D = Re(M @ vec(Sigma)) in one matmul
            self._cache["M"] = F.reshape(9, -1).conj().copy()  # Tr(F S) = sum conj(F^H) * S
        return self._cache["F"]

    def prior_fim(self) -> np.ndarray:
        """``J_B`` of Prop. 3.1: ``diag(0, 0, 1/sigma_Delta^2)``, float64 ``(3, 3)``."""
        jb = np.zeros((3, 3))
        jb[2, 2] = 1.0 / self.sigma_delta_s**2
        return jb

    def fim_data(self, Sigma: ArrayLike) -> np.ndarray:  # noqa: N803 - the paper's symbol
        """Observed FIM ``J_D(Sigma)`` (ASCC eq. (11), eq. (12)), float64 ``(..., 3, 3)``.

        Linear in ``Sigma``.
        """
        S = _sigma(Sigma, self.n_t)
        self.fim_matrices()
        # Tr(F S) = sum_ij F_ij S_ji ; F Hermitian -> = sum_ij conj(F)_ji S_ji
        M = self._cache["M"]
        jd = np.real(S.reshape(S.shape[:-2] + (-1,)) @ M.T)
        return jd.reshape(S.shape[:-2] + (3, 3))

    def fim(self, Sigma: ArrayLike) -> np.ndarray:  # noqa: N803
        """Hybrid FIM ``J = J_D(Sigma) + J_B`` (ASCC eq. (11)), float64 ``(..., 3, 3)``.

        Args:
            Sigma: transmit covariance ``w_c w_c^H + w_0 w_0^H`` in W, complex
                ``(..., N_T, N_T)``, Hermitian, finite, with non-negative trace.
        """
        return self.fim_data(Sigma) + self.prior_fim()

    def hcrb(self, Sigma: ArrayLike) -> HCRB:  # noqa: N803
        """HCRB of ASCC Prop. 3.1 / ASCC eq. (13) for ``Sigma`` (see :meth:`fim`).

        Returns:
            :class:`linksim.farfield.HCRB` with ``.trace`` (Tr HCRB(p_o), m^2), ``.crb_trace``,
            ``.ts_penalty_trace``, the 2x2 blocks and ``.matrix()`` (3x3 ``J^-1``).
        """
        return hcrb_from_fim(self.fim(Sigma))
