"""Guards before work (issue 28, Build item 4): sizes that cannot fit, unphysical powers, a
fractional blocklength, grids whose every point fails and an unreadable training state are
refused on one line, exit status 2, no traceback, with ``--out`` left as it was.

Each memory case is refused from the sizes alone, before anything is allocated (today's
behaviour was exit 0 with a MemoryError in a results row, a 307 GB allocation, or a hang of
more than 5 minutes), so the table runs in seconds. The estimators are checked against
sizes computed by hand and against the arrays the code really allocates.
"""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import numpy as np
import pytest

from scripts.cli import main

REPO = Path(__file__).resolve().parent.parent
FF = (REPO / "data" / "scenarios" / "issc_ascc.toml").read_text()
NF = (REPO / "data" / "scenarios" / "nf_default.toml").read_text()


def _sub(text: str, key: str, value: str) -> str:
    lines = text.splitlines()
    hits = [i for i, line in enumerate(lines) if line.split("=")[0].strip() == key]
    assert len(hits) == 1, key
    lines[hits[0]] = f"{key} = {value}"
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("guards")
    f = {
        "ff_samples": _sub(FF, "num_samples", "100000000000"),
        "ff_nt": _sub(FF, "n_t", "200000"),
        "ff_blocklength": _sub(FF, "blocklength", "0.5"),
        "nf_scatterers": _sub(NF, "scatterers_per_target", "100000000"),
        # every NF point is infeasible at once: no CPU can meet T_max (NF eq. (28d), (28e))
        "nf_no_cpu": _sub(NF, "f_max_hz", "1.0"),
    }
    out = {}
    for name, text in f.items():
        (root / f"{name}.toml").write_text(text)
        out[name] = str(root / f"{name}.toml")
    return out


# (command, texts the one line must hold). "{out}" is the output folder, other fields are
# the files above. Each memory line names the value, the estimate and the available memory.
MEM = ("of memory (estimate), more than the", "available on this machine")
CASES: list[tuple[str, tuple[str, ...]]] = [
    ("ascc --scenario {ff_samples} --out {out}", ("num_samples=100000000000", "TiB", *MEM)),
    ("ascc --scenario {ff_nt} --out {out}", ("n_t=200000", *MEM)),
    ("hcrb --scenario {ff_samples} --out {out}", ("num_samples=100000000000", *MEM)),
    ("hcrb --scenario {ff_nt} --mc-pt-dbm --out {out}", ("n_t=200000", *MEM)),
    ("figure ascc-front --scenario {ff_nt} --out {out}", ("n_t=200000", *MEM)),
    ("figure ascc-3 --scenario {ff_samples} --grid {out}/grid --out {out}",
     ("num_samples=100000000000", *MEM)),
    ("figure ascc-4 --scenario {ff_nt} --grid {out}/grid --out {out}", ("n_t=200000", *MEM)),
    ("nf --scenario {nf_scatterers} --out {out}", ("scatterers_per_target=100000000", *MEM)),
    ("nf-crb --scenario {nf_scatterers} --out {out}", ("scatterers_per_target=100000000", *MEM)),
    ("nf-fresnel --scenario {nf_scatterers} --out {out}",
     ("scatterers_per_target=100000000", *MEM)),
    ("figure nf-12 --quick --scenario {nf_scatterers} --out {out}",
     ("scatterers_per_target=100000000", *MEM)),
    ("train-djscc --abr 1e6 --snr-db 5 --out {out}", ("--abr=1e+06", "c=96000000", *MEM)),
    ("phy-table --step-db 1e-9 --out {out}", ("--step-db=1e-09", "6.5e+09 SINR points", *MEM)),
    # unphysical powers: valid is [-100, 100] dBm (linksim.units.POWER_DBM_RANGE)
    ("ascc --pt-dbm 1e6 --out {out}", ("pt-dbm=1e+06", "[-100, 100] dBm")),
    ("ascc --pt-dbm 0,-101 --out {out}", ("pt-dbm=-101", "[-100, 100] dBm")),
    ("hcrb --pt-dbm 0 1e6 --out {out}", ("--pt-dbm=1e6", "[-100, 100] dBm")),
    ("hcrb --mc-pt-dbm 45,1e6 --out {out}", ("--mc-pt-dbm=1e6", "[-100, 100] dBm")),
    ("figure ascc-front --pt-dbm 1e6 --out {out}", ("pt-dbm=1e+06", "[-100, 100] dBm")),
    ("figure ascc-3 --pt-dbm 1e6 --grid {out}/grid --out {out}", ("pt-dbm=1e+06",)),
    # L as given, before any result is written (was "blocklength=0" after results.csv)
    ("ascc --scenario {ff_blocklength} --out {out}", ("blocklength=0.5", "integer >= 1")),
    ("figure ascc-3 --scenario {ff_blocklength} --grid {out}/grid --out {out}",
     ("blocklength=0.5",)),
]


def _argv(command: str, fields: dict[str, str]) -> list[str]:
    return [a.format(**fields) for a in command.split()]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _one_error_line(err: str) -> str:
    lines = [s for s in err.replace("\r", "\n").splitlines() if s.strip()]
    assert "Traceback" not in err, err
    errors = [s for s in lines if ": error: " in s]
    assert len(errors) == 1 and lines[-1] == errors[0], err
    return errors[0]


@pytest.mark.parametrize("command,needles", CASES, ids=[c[0] for c in CASES])
def test_guard_refuses_before_work_fresh_out(command, needles, files, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(_argv(command, {**files, "out": str(out)})) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err  # refused before any progress bar
    line = _one_error_line(err)
    for needle in needles:
        assert needle in line, line
    assert not out.exists()


@pytest.mark.parametrize("command,needles", CASES[::3], ids=[c[0] for c in CASES[::3]])
def test_guard_leaves_an_existing_out_as_it_was(command, needles, files, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("a user's file\n")
    (out / "meta.json").write_text('{"status": "ok", "from": "an earlier run"}\n')
    before = _snapshot(out)
    assert main(_argv(command, {**files, "out": str(out)})) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert needles[0] in line
    assert _snapshot(out) == before and sorted(os.listdir(out)) == ["meta.json", "notes.txt"]


@pytest.mark.parametrize("figure", ["nf-7", "nf-10", "nf-12"])
def test_grid_whose_every_point_fails_is_one_line(figure, files, tmp_path, capsys):
    """Was an IndexError on the empty rows; now one line naming the count and the reason."""
    out = tmp_path / "out"
    argv = ["figure", figure, "--quick", "--scenario", files["nf_no_cpu"], "--workers", "1",
            "--max-iterations", "1", "--out", str(out)]
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert f"all 6 points of the {figure} grid failed" in line or \
        f"of the {figure} grid failed" in line, line
    assert "F_max=1 Hz" in line, line
    assert not out.exists()  # the grid's rows went with it: nothing to resume from


def test_check_some_point_ok():
    from scripts.guards import check_some_point_ok

    check_some_point_ok([{"status": "error"}, {"status": "ok"}], "g")
    with pytest.raises(ValueError, match=r"^all 2 points of the g grid failed, nothing to "
                                         r"tabulate or plot \(first: boom now\)$"):
        check_some_point_ok([{"status": "error", "error": "boom\n now"},
                             {"status": "timeout", "error": ""}], "the g grid")
    with pytest.raises(ValueError, match="has no points"):
        check_some_point_ok([], "the g grid")
    rows = [{"status": "infeasible", "message": "x"}]  # ASCC: infeasible is an answer
    check_some_point_ok(rows, "g", ok=lambda r: r["status"] not in ("error", "crash"))


# ----------------------------------------------------------------------------- train states

@pytest.mark.parametrize("content", [b"", b"\0" * 64, os.urandom(300), b"PK\x03\x04 torn zip"],
                         ids=["empty", "zeros", "random", "torn-zip"])
def test_unreadable_train_state_is_one_line_naming_the_file(content, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "train_state.pt").write_bytes(content)
    before = _snapshot(out)
    assert main(["train-djscc", "--abr", "5/96", "--snr-db", "5", "--steps", "2",
                 "--out", str(out)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert f"{out / 'train_state.pt'} is not a readable training state" in line, line
    assert _snapshot(out) == before  # no meta.json "failed" beside it


def test_train_state_of_another_kind_is_refused(tmp_path):
    import torch

    from semcodec.learning_curve import read_train_state

    torch.save([1, 2, 3], tmp_path / "train_state.pt")
    with pytest.raises(ValueError, match="not a training state written by issc train"):
        read_train_state(tmp_path / "train_state.pt")
    torch.save({"config": {}, "step": 3, "history": []}, tmp_path / "ok.pt")
    assert read_train_state(tmp_path / "ok.pt")["step"] == 3
    with pytest.raises(FileNotFoundError):
        read_train_state(tmp_path / "missing.pt")


def test_learning_curves_of_an_unreadable_state_is_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "train_state.pt").write_bytes(b"\0" * 16)
    assert main(["learning-curves", str(run), "--out", str(tmp_path / "lc")]) == 2
    assert "train_state.pt is not a readable training state" in _one_error_line(
        capsys.readouterr().err)
    assert not (tmp_path / "lc").exists()


# ----------------------------------------------------------------------------- run_record

def test_run_record_undoes_a_refused_run(tmp_path):
    """Bad input before any result: the folders and empty files the run made go."""
    from semcodec.runinfo import run_record

    fresh = tmp_path / "a" / "b" / "out"
    with pytest.raises(ValueError), run_record(fresh):
        (fresh / "grid").mkdir()
        (fresh / "grid" / "rows.csv").touch()
        raise ValueError("x=1 is invalid")
    assert not (tmp_path / "a").exists()  # the parents it made go too

    old = tmp_path / "old"
    (old / "grid").mkdir(parents=True)
    (old / "grid" / "rows.csv").write_text("kept\n")
    (old / "meta.json").write_text("{}")
    before = _snapshot(old)
    with pytest.raises(KeyError), run_record(old):
        (old / "new.json").touch()
        (old / "newdir").mkdir()
        raise KeyError("k")
    assert _snapshot(old) == before and sorted(os.listdir(old)) == ["grid", "meta.json"]


def test_run_record_keeps_results_written_before_a_user_error(tmp_path):
    """Bad input found after results were written (a late point of a long grid): the
    results stay for the rerun that resumes, and meta.json says the run failed."""
    from semcodec.runinfo import run_record

    out = tmp_path / "out"
    with pytest.raises(ValueError), run_record(out):
        (out / "grid").mkdir()
        (out / "grid" / "rows.csv").write_text("done\n")
        raise ValueError("point 7: x=1 is invalid")
    assert (out / "grid" / "rows.csv").read_text() == "done\n"
    assert json.loads((out / "meta.json").read_text())["status"] == "failed"


@pytest.mark.parametrize("exc,status", [(RuntimeError("bug"), "failed"),
                                        (MemoryError(), "failed"),
                                        (OSError(errno.ENOSPC, "No space left"), "failed"),
                                        (KeyboardInterrupt(), "interrupted")])
def test_run_record_keeps_what_a_rerun_needs(exc, status, tmp_path):
    """A bug, the machine or an interrupt is not bad input: results stay for the rerun."""
    from semcodec.runinfo import run_record

    out = tmp_path / "out"
    with pytest.raises(type(exc)), run_record(out):
        (out / "rows.csv").write_text("done\n")
        raise exc
    assert (out / "rows.csv").read_text() == "done\n"
    assert json.loads((out / "meta.json").read_text())["status"] == status


# ----------------------------------------------------------------------------- estimators

def test_check_memory_names_estimate_and_available():
    from linksim.resources import available_memory_bytes, check_memory, format_bytes

    assert format_bytes(745 * 2**30) == "745 GiB" and format_bytes(512) == "512 B"
    assert format_bytes(2.5 * 2**40) == "2.5 TiB"
    check_memory(2**30, "x=1", available=2**30)  # equal fits
    with pytest.raises(ValueError, match=r"^x=1 is invalid: it needs about 2 GiB of memory "
                                         r"\(estimate\), more than the 1 GiB available"):
        check_memory(2**31, "x=1", available=2**30)
    assert 0 < available_memory_bytes() < 2**50


def test_farfield_estimates_by_hand_and_against_the_arrays():
    from linksim.farfield import ISSCScenario
    from linksim.farfield.bounds import sensing_memory_bytes
    from linksim.farfield.estimator import estimator_memory_bytes
    from optim.ascc.bound import sdp_memory_bytes

    # 24 N + 16 * 6 N_R N_T + 16 * 30 N_T^2
    assert sensing_memory_bytes(4, 4, 1024) == 24 * 1024 + 1536 + 7680 == 33792
    assert sensing_memory_bytes(4, 4, 10**11) == 2_400_000_009_216  # 2.18 TiB
    assert sensing_memory_bytes(200000, 4, 1024) == 24576 + 76_800_000 + 19_200_000_000_000
    assert estimator_memory_bytes(4, 4, 1024) == 16 * 1024 * 20 == 327680
    assert sdp_memory_bytes(4) == 8 * 2 * 36**2 == 20736  # d = N_T (2 N_T + 1) = 36
    # the FIM map really holds no more than the estimate's share
    scn = ISSCScenario(n_t=8, n_r=3, num_samples=256)
    scn.fim_matrices()
    held = sum(scn._cache[k].nbytes for k in ("zeta", "F", "M")) + scn.frequencies.nbytes
    assert held <= sensing_memory_bytes(8, 3, 256)
    assert held >= 0.5 * (16 * 30 * 64)  # and the estimate is not padded tenfold


def test_nearfield_estimate_by_hand_and_against_the_draws():
    from linksim.nearfield import NFScenario
    from linksim.nearfield.layout import scatterer_memory_bytes

    assert scatterer_memory_bytes(2, 6, 9, 25) == 128 * 12 + 128 * 12 * 34 == 53760
    assert scatterer_memory_bytes(2, 10**8, 9, 25) == 128 * 2 * 10**8 * 35  # 834 GiB
    scn = NFScenario()
    offsets, beta = scn._draws
    assert offsets.nbytes + beta.nbytes <= 128 * scn.L * scn.scatterers_per_target
    G = scn.target_channels()
    assert G.shape == (scn.L, scn.n_t)


def test_phy_table_estimate_matches_the_grid():
    from linksim.phy_table import grid_size, sinr_grid, table_memory_bytes

    for step, below, above in ((0.5, 0.5, 6.0), (0.25, 1.0, 3.0), (0.3, 0.5, 6.0)):
        n = grid_size(step, below, above)
        assert all(len(sinr_grid(rc, step, below, above)) == n for rc in (0.25, 1.0, 4.0))
    assert grid_size(0.5) == 14  # ceil(6.5 / 0.5) + 1
    assert table_memory_bytes(8, 0.5) == 32 * 8 * 14 == 3584
    assert table_memory_bytes(8, 1e-9) == 32 * 8 * 6_500_000_001  # 1.51 TiB
    with pytest.raises(ValueError, match="step_db=0"):
        grid_size(0)


def test_djscc_estimate_counts_the_real_parameters():
    from semcodec.djscc.model import DeepJSCC, parameter_count
    from semcodec.djscc.train import training_memory_bytes

    for c in (1, 5, 48):
        real = sum(p.numel() for p in DeepJSCC(c).parameters())
        assert parameter_count(c) == real == 1601 * c + 130851
    # 16 P + 16 B c (S/4)^2 + 8 c (V/4)^2
    assert training_memory_bytes(5, 16, 64) == 16 * 138856 + 16 * 16 * 5 * 256 + 8 * 5 * 4096
    big = training_memory_bytes(96 * 10**6, 16, 64)
    assert big > 32 * 96 * 10**6 * 25 * 4  # more than the one 307 GB weight it used to allocate


def test_power_dbm_argument_type():
    import argparse

    from scripts.argtypes import power_dbm
    from scripts.guards import check_power_dbm

    assert power_dbm("-100") == -100.0 and power_dbm("100") == 100.0
    for bad in ("100.5", "-1e3", "nan", "inf", "x"):
        with pytest.raises(argparse.ArgumentTypeError, match="dBm"):
            power_dbm(bad)
    assert check_power_dbm([0, 12.5]) == [0.0, 12.5]
    with pytest.raises(ValueError, match=r"^p=1e\+06 is invalid"):
        check_power_dbm(np.array([0.0, 1e6]), "p")
