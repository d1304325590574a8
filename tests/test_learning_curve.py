"""Learning curves: the trainer's history as history.csv / history.png, and
``issc learning-curves`` comparing runs."""

from __future__ import annotations

import csv
import json
import math

import pytest
import torch
from PIL import Image

from scripts.cli import main
from scripts.cmd_learning_curves import plot_histories
from semcodec.datasets import image_folder
from semcodec.learning_curve import read_history, write_history
from semcodec.train import TrainConfig, Trainer
from tests.conftest import _write_image


def _trainer(image_dir, out, steps=4, seed=0):
    tr = image_folder(image_dir, crop_size=64, train=True, seed=seed, cache=True)
    va = image_folder(image_dir, crop_size=64, train=False, cache=True)
    cfg = TrainConfig(lmbda=0.013, steps=steps, batch_size=2, val_every=2, ckpt_every=1,
                      seed=seed)
    return Trainer(cfg, tr, va, [va.image(0)], out, plot_history=plot_histories)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    image_dir = root / "imgs"
    for i in range(3):
        _write_image(image_dir / f"im{i}.png", 128, 96, seed=100 + i)
    runs = []
    for seed in (0, 1):
        t = _trainer(image_dir, root / f"seed{seed}", seed=seed)
        t.fit(progress=False)
        runs.append(t)
    return runs


def test_every_validation_is_a_row_of_history_csv_equal_to_the_state(two_runs):
    t = two_runs[0]
    with open(t.out / "history.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [2, 4]
    state = torch.load(t.out / "train_state.pt", weights_only=False)["history"]
    assert len(state) == 2
    for row, rec in zip(rows, state):
        for k, v in rec.items():
            assert float(row[k]) == pytest.approx(v, rel=1e-12), k
    # training seconds grow and the PSNR column is the one validate() measured
    assert 0 < float(rows[0]["train_s"]) < float(rows[1]["train_s"])
    assert float(rows[1]["val_psnr"]) == pytest.approx(t.history[-1]["val_psnr"])
    # each column is the quantity it names: PSNR of the row's own MSE (images in [0, 1])
    for row in rows:
        assert float(row["val_psnr"]) == pytest.approx(-10 * math.log10(float(row["val_mse"])))
        assert float(row["train_psnr"]) == pytest.approx(
            -10 * math.log10(float(row["train_mse"])))
    assert Image.open(t.out / "history.png").size[0] > 0
    assert (t.out / "history.pdf").read_bytes()[:5] == b"%PDF-"


def test_read_history_takes_the_state_when_the_table_is_missing(two_runs, tmp_path):
    t = two_runs[1]
    older = tmp_path / "older"  # a run of a version that wrote no history.csv
    older.mkdir()
    (older / "train_state.pt").write_bytes((t.out / "train_state.pt").read_bytes())
    assert read_history(older) == read_history(t.out)  # the CSV round-trips floats exactly
    with pytest.raises(FileNotFoundError, match="holds neither history.csv nor train_state.pt"):
        read_history(tmp_path / "nothing")


def test_history_rows_of_older_runs_without_train_s_keep_their_columns(tmp_path):
    hist = [{"step": 500, "val_psnr": 24.0}, {"step": 1000, "train_s": 120.5, "val_psnr": 25.0}]
    write_history(tmp_path / "h.csv", hist)
    with open(tmp_path / "h.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0] == {"step": "500", "train_s": "", "val_psnr": "24.0"}
    assert rows[1] == {"step": "1000", "train_s": "120.5", "val_psnr": "25.0"}


def test_cli_writes_one_table_of_both_runs_a_figure_and_meta(two_runs, tmp_path, capsys):
    a, b = (str(t.out) for t in two_runs)
    out = tmp_path / "cmp"
    main(["learning-curves", a, b, "--labels", "s0,s1", "--out", str(out)])
    with open(out / "curves.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["run"], int(r["step"])) for r in rows] == [("s0", 2), ("s0", 4), ("s1", 2),
                                                          ("s1", 4)]
    want = two_runs[1].history[-1]["val_psnr"]
    assert float(rows[-1]["val_psnr"]) == pytest.approx(want)
    assert json.loads((out / "meta.json").read_text())["runs"] == {"s0": a, "s1": b}
    assert Image.open(out / "curves.png").size[0] > 0
    printed = capsys.readouterr().out
    assert f"{want:9.3f}" in printed


def test_cli_refuses_a_label_count_that_does_not_match(two_runs, tmp_path, capsys):
    code = main(["learning-curves", str(two_runs[0].out), str(two_runs[1].out), "--labels",
                 "x", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "labels='x' is invalid: give 2 distinct" in err[0]
    assert not (tmp_path / "o").exists()


def test_cli_refuses_a_history_that_is_not_numbers_in_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "history.csv").write_text("step,train_s,val_psnr\n1000,12.5,twenty\n")
    code = main(["learning-curves", str(run), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert f"run folder '{run}' is invalid: its history is not a table of numbers" in err[0]
    assert not (tmp_path / "o").exists()
