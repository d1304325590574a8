"""``issc train-gpu``: the prepared GPU run, tested on the CPU with a tiny budget.

Two rates (q4 grown from compact into bmshj2018, q5 continued) on tiny crops: the run
trains, saves by wall time, stops before its budget, a rerun continues the steps, and
finish.sh's commands are real ``issc`` commands naming the produced checkpoints.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import time

import pytest
import torch

from scripts.cli import build_parser, main
from semcodec.checkpoint import load_codec
from semcodec.learning_curve import read_train_state

#: long enough on a loaded 2-core machine for two rate processes to start and take steps
BUDGET_S = 28.0
#: the test machine is shared: wall time is only checked as an upper bound, with slack
SLACK_S = 12.0


def _tiny(out, image_dir, *more, budget=BUDGET_S):
    return ["train-gpu", "--out", str(out), "--budget-s", str(budget), "--margin-s", "6",
            "--save-every-s", "2", "--device", "cpu", "--rates", "4,5", "--dataset", "folder",
            "--data", str(image_dir), "--crop", "64", "--batch-size", "2", "--val-every", "4",
            "--threads", "1", *more]


def _run_cli(argv):
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "scripts.cli", *argv], capture_output=True,
                       text=True, timeout=120)
    return r, time.monotonic() - t


def _issc_lines(script: str) -> list[list[str]]:
    return [shlex.split(line)[1:] for line in script.splitlines() if line.startswith("$ISSC ")]


def test_tiny_cpu_run_stops_before_its_budget_resumes_and_writes_finish(image_dir, tmp_path):
    out = tmp_path / "gpu"
    r, wall = _run_cli(_tiny(out, image_dir))
    assert r.returncode == 0, r.stderr[-2000:]
    assert wall < BUDGET_S + SLACK_S
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["finished_s"] < BUDGET_S
    first = {}
    for rate, preset in (("q4", "bmshj2018"), ("q5", "bmshj2018")):
        st = read_train_state(out / rate / "train_state.pt")
        assert st["config"]["preset"] == preset and st["config"]["batch_size"] == 2
        assert st["step"] > 0 and not (out / rate / "model.ckpt").exists()
        first[rate] = st["step"]
        row = next(x for x in meta["rates"] if x["rate"] == rate)
        assert row["step"] == st["step"] and row["exit"] in (0, 130)
    assert not (out / "q1").exists()  # only the rates asked for

    # the rerun continues every rate: two more steps, and it returns once they are done
    # (a budget with room for the start-up of two processes on a busy machine)
    more = max(first.values()) + 2
    r, wall = _run_cli(_tiny(out, image_dir, "--steps", str(more), budget=90.0))
    assert r.returncode == 0, r.stderr[-2000:]
    assert wall < 90.0 + SLACK_S
    meta = json.loads((out / "meta.json").read_text())
    for rate in ("q4", "q5"):
        st = read_train_state(out / rate / "train_state.pt")
        row = next(x for x in meta["rates"] if x["rate"] == rate)
        assert st["step"] == more and row["steps_this_run"] == more - first[rate]
        steps = [h["step"] for h in st["history"]]  # validations: one curve, not restarted
        assert steps == sorted(set(steps)) and steps[-1] == more

    script = (out / "finish.sh").read_text()
    lines = _issc_lines(script)
    assert [a[0] for a in lines] == ["train-gpu", "install-ladder", "codec-eval", "ber-sweep",
                                     "fit-scurves", "learning-curves"]
    ckpts = lines[1][1:lines[1].index("--out")]
    assert ckpts == [str(out / "init" / f"q{i}.ckpt") for i in (1, 2, 3)] + [
        str(out / "q4" / "model.ckpt"), str(out / "q5" / "model.ckpt"),
        str(out / "init" / "q6.ckpt")]
    assert lines[2][lines[2].index("--anchors") + 1] == "jpeg,webp,avif"

    # the CPU half, as finish.sh runs it: model.ckpt from each state, then the install
    assert main(lines[0]) == 0
    for rate in ("q4", "q5"):
        st = read_train_state(out / rate / "train_state.pt")
        model, m = load_codec(out / rate / "model.ckpt")
        assert m["steps"] == st["step"] and m["preset"] == "bmshj2018"
        assert m["config"]["device"] == "cpu" and m["finalized_on"] == "cpu"
        assert m["command"].startswith("python -m semcodec.train_rate ")
        assert m["init_from"]["sha256"] == load_codec(out / "init" / f"{rate}.ckpt")[1]["sha256"]
        assert m["eval"]["n_images"] == 1 and m["eval"]["bpp"] > 0
        got = model.state_dict()["g_a.0.weight"]
        assert torch.allclose(got.float(), st["model"]["g_a.0.weight"].half().float())
    assert main(lines[1]) == 0
    ladder = json.loads((out / "ladder" / "ladder.json").read_text())
    assert [r["preset"] for r in ladder["models"]] == ["compact"] * 3 + ["bmshj2018"] * 3
    parser = build_parser()
    for argv in (lines[2], lines[3], lines[5]):  # real verbs and options, existing inputs
        parser.parse_args(argv)
    assert lines[4][lines[4].index("--sweep") + 1] == lines[3][lines[3].index("--out") + 1]


@pytest.mark.skipif(torch.cuda.is_available(), reason="the refusal needs a machine without CUDA")
@pytest.mark.parametrize("device", [[], ["--device", "cuda"]])
def test_without_cuda_it_refuses_in_one_line_and_writes_nothing(tmp_path, capsys, device):
    out = tmp_path / "gpu"
    assert main(["train-gpu", "--out", str(out), "--budget-s", "540", *device]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--device=cuda is invalid" in err[0] and "CUDA" in err[0]
    assert not out.exists()


def test_a_budget_too_small_for_one_saved_state_is_refused_before_work(tmp_path, capsys):
    out = tmp_path / "gpu"
    assert main(["train-gpu", "--out", str(out), "--budget-s", "100", "--margin-s", "30",
                 "--save-every-s", "180", "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["issc train-gpu: error: budget-s=100.0 is too small: training stops at "
                   "budget-s - margin-s = 70 s, before the first saved state at "
                   "save-every-s=180 s; valid: budget-s >= 210"]
    assert not out.exists()


def test_a_ladder_that_would_not_install_is_refused_before_work(tmp_path, capsys):
    """q1 alone grown to bmshj2018 would sit below the compact q2: install-ladder refuses
    that ladder, so the run refuses it before training."""
    out = tmp_path / "gpu"
    assert main(["train-gpu", "--out", str(out), "--budget-s", "540", "--rates", "1",
                 "--device", "cpu"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "preset must not shrink along the ladder" in err[0]
    assert not out.exists()
