"""Semantic rates, secrecy, efficiency and computing terms (NF eqs. (17)-(27))."""

import math

import numpy as np
import pytest
import torch

from linksim.nearfield import NFScenario
from linksim.nearfield import metrics as met

C = torch.complex128

# Hand-worked example: N_t = 2, K = 2 users, L = 2 targets, sigma_c^2 = 0.15.
H = torch.tensor([[1, 0], [0, 1]], dtype=C)
W = torch.tensor([[1, 0.5], [0, 1]], dtype=C)  # w_1 = [1, 0], w_2 = [0.5, 1]
R = 0.1 * torch.eye(2, dtype=C)
H_T = torch.tensor([[0.5, 0.5], [0.5, 0]], dtype=C)
NOISE = 0.15
RHO = torch.tensor([0.5, 1.0], dtype=torch.float64)


def test_two_user_sinrs_by_hand():
    # gamma_1 = 1 / (0.25 + 0.1 + 0.15) = 2; gamma_2 = 1 / (0 + 0.1 + 0.15) = 4
    assert torch.allclose(met.user_sinr(H, W, R, NOISE), torch.tensor([2.0, 4.0],
                                                                      dtype=torch.float64))
    # target 1: |h w_1|^2 = 0.25, |h w_2|^2 = 0.5625, h R h^H = 0.05
    # target 2: |h w_1|^2 = 0.25, |h w_2|^2 = 0.0625, h R h^H = 0.025
    expect = torch.tensor([[0.25 / (0.5625 + 0.05 + 0.15), 0.5625 / (0.25 + 0.05 + 0.15)],
                           [0.25 / (0.0625 + 0.025 + 0.15), 0.0625 / (0.25 + 0.025 + 0.15)]],
                          dtype=torch.float64)
    assert torch.allclose(met.leakage_sinr(H_T, W, R, NOISE), expect)


def test_two_user_secrecy_and_efficiency_by_hand():
    gamma = met.user_sinr(H, W, R, NOISE)
    leak = met.leakage_sinr(H_T, W, R, NOISE)
    rate = met.semantic_rate(gamma, RHO)
    leaked = met.semantic_rate(leak, RHO)
    assert np.allclose(rate.numpy(), [2 * math.log2(3), math.log2(5)])
    secrecy = met.secrecy_rate(rate, leaked)
    # user 1: worst eavesdropper is target 2, 1 + Gamma = 0.4875 / 0.2375 = 39/19
    # user 2: worst eavesdropper is target 1, 1 + Gamma = 2.25
    s_expect = [2 * math.log2(3 * 19 / 39), math.log2(5 / 2.25)]
    assert np.allclose(secrecy.numpy(), s_expect)
    eff = met.information_efficiency(secrecy, rate)
    assert np.allclose(eff.numpy(), [s_expect[0] / (2 * math.log2(3)),
                                     s_expect[1] / math.log2(5)])
    assert bool(((eff >= 0) & (eff <= 1)).all())


def test_secrecy_is_clamped_when_an_eavesdropper_hears_better():
    strong = torch.tensor([[2.0, 0.0], [0.0, 0.0]], dtype=C)  # target hears user 1 better
    gamma = met.user_sinr(H, W, R, NOISE)
    rate = met.semantic_rate(gamma, RHO)
    leaked = met.semantic_rate(met.leakage_sinr(strong, W, R, NOISE), RHO)
    assert float(met.secrecy_rate(rate, leaked)[0]) == 0.0
    assert float(met.secrecy_rate(rate, leaked, clamp=False)[0]) < 0.0


def test_transmit_covariance_eq3():
    Rx = met.transmit_covariance(W, R)
    assert torch.allclose(Rx, W[:, :1] @ W[:, :1].conj().T + W[:, 1:] @ W[:, 1:].conj().T + R)
    assert float(met.cs_power(Rx)) == pytest.approx(1 + 0.25 + 1 + 0.2)


def test_computing_terms():
    scn = NFScenario()
    p_comp = float(scn.semantic_computing_power([0.5] * 5))
    assert p_comp == pytest.approx(-0.01 * 5 * math.log(0.5))
    f_min = scn.min_cpu_frequency()
    assert f_min == pytest.approx(0.5e6 * 110 / 0.1)  # 5.5e8 Hz
    assert scn.latency([f_min, 2 * f_min]).tolist() == pytest.approx([0.1, 0.05])
    assert scn.processing_power([f_min]).tolist() == pytest.approx([1e-28 * f_min ** 3])
    assert scn.processing_power([f_min], model="eq27").tolist() == pytest.approx(
        [1e-28 * f_min ** 3 * 110])
    with pytest.raises(ValueError, match="CPU frequency"):
        scn.latency([0.0, 1e9])


def test_table_one_as_printed_breaks_the_power_budget():
    # docs/design.md: T_max = 0.02 s with eq. (27) asks ~229 W per target against P_t = 0.32 W
    scn = NFScenario(t_max_s=0.02, cpu_power_model="eq27", crb_normalisation="none",
                     crb_limit=0.5)
    W0, R0 = scn.baseline_beamformers(power_w=0.1)
    report = scn.power_report((W0 @ W0.conj().T + R0).numpy(), [1.0] * scn.K)
    assert report["P_process_w"][0] == pytest.approx(1e-28 * 2.75e9 ** 3 * 110, rel=1e-9)
    assert report["P_process_w"][0] == pytest.approx(229, rel=0.01)
    # both the power budget (28c) and, with two 2.75 GHz tasks, F_max = 3 GHz (28e) break
    assert [v.split(":")[0] for v in report["violations"]] == ["power", "cpu"]
    assert "P_process=457.5 (eq27)" in report["violations"][0]
    ok = NFScenario(crb_normalisation="none", crb_limit=0.5).power_report(
        (W0 @ W0.conj().T + R0).numpy(), [1.0] * scn.K)
    assert ok["violations"] == [] and ok["P_process_w"][0] == pytest.approx(0.0166, rel=0.01)


def test_sdp_gram_matrices_reproduce_the_sinrs():
    scn = NFScenario()
    W0, R0 = scn.baseline_beamformers()
    mats = scn.sdp_matrices()
    Q, W, Rm = mats["user_gram"], W0.numpy(), R0.numpy()
    lifted = np.einsum("ik,jk->kij", W, W.conj())  # W_k = w_k w_k^H
    gains = np.einsum("qij,kji->qk", Q, lifted).real  # tr(Q_q W_k)
    sens = np.einsum("qij,ji->q", Q, Rm).real
    sig = np.diag(gains)
    gamma = sig / (gains.sum(1) - sig + sens + mats["noise_comm_w"])
    assert np.allclose(gamma, scn.sinr(None, W0, R0).numpy(), rtol=1e-12)
    assert np.allclose(mats["target_gram"], np.conj(np.swapaxes(mats["target_gram"], 1, 2)))
