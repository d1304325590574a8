"""NFScenario: Table I defaults, TOML round trip, movable regions, refused inputs."""

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from linksim.nearfield import NFScenario
from linksim.nearfield import sensing as sens

ROOT = Path(__file__).resolve().parents[1]


def test_defaults_follow_table_one():
    s = NFScenario()
    assert (s.n_t, s.n_r, s.K, s.L, s.frames, s.scatterers_per_target) == (9, 25, 5, 2, 100, 6)
    assert s.wavelength == pytest.approx(299_792_458 / 50e9)
    assert s.power_budget_w == pytest.approx(10 ** (-0.5))  # 25 dBm
    assert (s.noise_comm_w, s.noise_radar_w) == pytest.approx((1e-6, 1e-7))
    assert s.region_side_m ** 2 == pytest.approx(0.0025)
    # every object sits in the radiating near field: aperture < d < 2 D^2 / lambda
    d = np.concatenate([s.users_d_m, s.targets_d_m])
    assert (d > s.aperture_m).all() and (d < s.rayleigh_distance_m).all()


def test_shipped_toml_equals_defaults_and_overrides_apply():
    path = ROOT / "data" / "scenarios" / "nf_default.toml"
    shipped = NFScenario.from_toml(path)
    # the file names each user's genre; the dataclass default cycles the same list
    assert shipped.user_genres == NFScenario().user_genres
    assert dataclasses.replace(shipped, users_genre=()) == NFScenario()
    assert NFScenario.from_toml(path, frames=200).frames == 200


def test_regions_projection_and_fixed_centroid():
    s = NFScenario()
    mask = s.movable_mask()
    assert mask.sum() == 8 and not bool(mask[4])  # the centre element is u_0
    lo, hi = s.region_bounds()
    assert torch.allclose((hi - lo)[mask], torch.full((8, 2), 0.05, dtype=torch.float64))
    wild = s.tx_nominal() + 0.1
    proj = s.project(wild)
    s.check_positions(proj)
    assert torch.equal(proj[4], torch.zeros(2, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"pos\[0\]=.*movable region"):
        s.check_positions(wild)
    # adjacent regions touch but do not overlap
    assert float(hi[0, 1]) == pytest.approx(float(lo[1, 1]))


@pytest.mark.parametrize("kwargs, match", [
    (dict(users_theta_deg=[60.0] * 8, users_phi_deg=[90.0] * 8, users_d_m=[4.0] * 8),
     r"K\+L=10 .*K \+ L <= N_tx N_tz < N_rx N_rz"),
    (dict(n_rx=3, n_rz=3), r"K\+L=7 \(N_t=9, N_r=9\)"),
    (dict(users_d_m=[4.0, 6.0, 0.1, 7.0, 3.5]), r"users_d_m=0.1 .*aperture"),
    (dict(targets_d_m=[5.0, 0.2]), r"targets_d_m=0.2 .*aperture"),
    (dict(region_area_m2=0.01), r"region_area_m2=0.01 .*overlap"),
    (dict(frames=0), r"frames=0 .*integer >= 1"),
    (dict(frames=9), r"frames=9 .*exceed"),
    (dict(kappa=-1.0), r"kappa=-1.0 .*> 0"),
    (dict(data_bits=0.0), r"data_bits=0.0 .*> 0"),
    (dict(power_budget_dbm=math.inf), r"power_budget_dbm=inf .*finite"),
    (dict(phase_model="paraxial"), r"phase_model='paraxial'"),
    (dict(cpu_power_model="linear"), r"cpu_power_model='linear'"),
    (dict(users_d_m=[4.0, 6.0]), r"users=\(5, 5, 2\)"),
    (dict(kappa="1e-28"), r"kappa='1e-28' .*number"),
    (dict(users_d_m=["far"] * 5), r"users_d_m\[0\]='far' .*number > 0 \(m\)"),
])
def test_bad_scenarios_are_refused_in_one_line(kwargs, match):
    with pytest.raises(ValueError, match=match) as info:
        NFScenario(**kwargs)
    assert "\n" not in str(info.value)


def test_bad_call_arguments_are_refused():
    s = NFScenario()
    W, R = s.baseline_beamformers()
    with pytest.raises(ValueError, match="power_w=0"):
        s.baseline_beamformers(power_w=0.0)
    with pytest.raises(ValueError, match="extraction_ratio="):
        s.link_metrics(None, W, R, [0.0, 0.5, 0.5, 0.5, 0.5])
    # a singular R_x leaves G unidentifiable: CRB = +inf (as in the far field), not an error
    assert s.crb(np.diag([1.0] * 8 + [0.0])) == math.inf
    assert "sensing" in s.power_report(np.diag([0.01] * 8 + [0.0]), [1.0] * 5)["violations"][0]
    G = s.echo_matrix().numpy()
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="frames=-5"):
        sens.ls_mse_experiment(G, W.numpy(), R.numpy(), -5, 1e-7, 10, rng)
    with pytest.raises(ValueError, match="trials=0"):
        sens.ls_mse_experiment(G, W.numpy(), R.numpy(), 100, 1e-7, 0, rng)
    with pytest.raises(ValueError, match="noise=0"):
        sens.ls_mse_experiment(G, W.numpy(), R.numpy(), 100, 0.0, 10, rng)
    with pytest.raises(ValueError, match="xi=0"):
        s.crb_trace_limit(0.0)


def test_unknown_toml_key_and_missing_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[array]\nn_tx = 3\nnum_antennas = 9\n")
    with pytest.raises(ValueError, match=r"bad.toml: array\.num_antennas is not a valid key"):
        NFScenario.from_toml(bad)
    with pytest.raises(FileNotFoundError):
        NFScenario.from_toml(tmp_path / "none.toml")


def test_non_positive_noise_is_refused_by_the_bounds():
    Rx = np.eye(3)
    for fn in (sens.extended_crb, sens.extended_fim):
        with pytest.raises(ValueError, match="noise=-1"):
            fn(Rx, 100, -1.0, 4)
    with pytest.raises(ValueError, match="noise=0"):
        sens.crb_trace_limit(0.5, 100, 0.0, 4)
