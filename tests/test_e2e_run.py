"""``issc e2e``: clean reconstruction at zero errors, seeded reproducibility, resume, refusals."""

import csv
import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from optim.ascc import load_designs, save_designs
from optim.e2e import RESULT_COLUMNS, SUMMARY_COLUMNS, design_at, resolve_codecs, run_e2e
from optim.e2e.runner import check_designs
from scripts.cli import main
from semcodec.checkpoint import read_checkpoint
from semcodec.ladder import SHIPPED_CODECS

Q1_SHA = read_checkpoint(SHIPPED_CODECS / "q1.ckpt")["sha256"]


def _designs():
    clean = dataclasses.replace(design_at("q1", 1.0, 25.0, ladder_sha256=Q1_SHA), ber_pred=0.0)
    noisy = dataclasses.replace(design_at("q1", 0.5, -2.0, ladder_sha256=Q1_SHA), ber_pred=3e-3)
    lost = dataclasses.replace(design_at("q1", 0.5, -12.0, ladder_sha256=Q1_SHA), ber_pred=0.5)
    return [clean, noisy, lost]


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, request):
    from tests.conftest import _write_image

    root = tmp_path_factory.mktemp("e2e")
    imgs = root / "imgs"
    for i in range(2):
        _write_image(imgs / f"im{i}.png", 128, 96, seed=200 + i)
    save_designs(_designs(), root / "designs.json")
    run_e2e(root / "out", root / "designs.json", images=imgs, channel="both", trials=2, seed=3,
            workers=1, progress=False)
    return root


def test_tables_have_the_issue_columns_and_every_trial(run_dir):
    out = run_dir / "out"
    assert (out / "results.csv").read_text().splitlines()[0] == ",".join(RESULT_COLUMNS)
    assert (out / "summary.csv").read_text().splitlines()[0] == ",".join(SUMMARY_COLUMNS)
    rows = _rows(out / "results.csv")
    assert len(rows) == 3 * 2 * 2 * 2  # designs x images x channels x trials
    assert {r["channel"] for r in rows} == {"bitflip", "ldpc"}
    assert all(r["decode_failed"] == "0" for r in rows if r["design"] != "2")


def test_a_payload_lost_entirely_is_measured_not_a_crash(run_dir):
    rows = [r for r in _rows(run_dir / "out" / "results.csv") if r["design"] == "2"]
    assert len(rows) == 8
    for r in rows:
        assert r["decode_failed"] in ("0", "1")
        assert 0.0 <= float(r["msssim_meas"]) < 0.5 and float(r["mse_meas"]) > 0.01
        if r["channel"] == "ldpc":
            assert float(r["bler_meas"]) == 1.0 and float(r["ber_meas"]) > 0.1


def test_zero_flips_and_error_free_ldpc_give_the_clean_reconstruction(run_dir):
    out = run_dir / "out"
    clean = {(r["model"], r["image"]): r for r in _rows(out / "clean.csv")}
    rows = [r for r in _rows(out / "results.csv") if r["design"] == "0"]
    assert len(rows) == 8
    for r in rows:
        c = clean[(r["model"], r["image"])]
        assert float(r["ber_meas"]) == 0.0 and float(r["bler_meas"]) == 0.0
        assert r["msssim_meas"] == c["ms_ssim"] and r["mse_meas"] == c["mse"]  # exact


def test_errors_reach_the_image_and_the_summary_aggregates_the_rows(run_dir):
    out = run_dir / "out"
    rows = [r for r in _rows(out / "results.csv") if r["design"] == "1"]
    for ch in ("bitflip", "ldpc"):
        rs = [r for r in rows if r["channel"] == ch]
        assert all(float(r["ber_meas"]) > 0 for r in rs), ch
        assert np.mean([float(r["msssim_meas"]) for r in rs]) < 0.9
    bf = [float(r["ber_meas"]) for r in rows if r["channel"] == "bitflip"]
    assert 1e-3 < np.mean(bf) < 9e-3  # flips at the predicted 3e-3
    summ = {(s["design"], s["channel"]): s for s in _rows(out / "summary.csv")}
    s = summ[("1", "ldpc")]
    per_image = {}
    for r in rows:
        if r["channel"] == "ldpc":
            per_image.setdefault(r["image"], []).append(float(r["msssim_meas"]))
    want = np.mean([np.mean(v) for v in per_image.values()])
    assert float(s["msssim_meas"]) == pytest.approx(want, rel=1e-12)
    assert float(s["msssim_lo"]) <= want <= float(s["msssim_hi"])
    assert s["n_images"] == "2" and s["n_trials"] == "4"


def test_seeded_runs_reproduce_across_worker_counts_and_resume(run_dir):
    ref = (run_dir / "out" / "results.csv").read_bytes()
    run_e2e(run_dir / "out2", run_dir / "designs.json", images=run_dir / "imgs",
            channel="both", trials=2, seed=3, workers=2, progress=False)
    assert (run_dir / "out2" / "results.csv").read_bytes() == ref
    # interrupted run: 5 finished points and half a line in the engine's log (results.csv
    # not yet written); the rerun runs the other 19 and writes the same table
    shutil.copytree(run_dir / "out", run_dir / "out3")
    log = run_dir / "out3" / "engine" / "trials" / "rows.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join(lines[:5]) + lines[5][:20])
    (run_dir / "out3" / "results.csv").unlink()
    res = run_e2e(run_dir / "out3", run_dir / "designs.json", images=run_dir / "imgs",
                  channel="both", trials=2, seed=3, workers=1, progress=False)
    assert res["counts"]["resumed_rows"] == 5
    assert (run_dir / "out3" / "results.csv").read_bytes() == ref
    with pytest.raises(ValueError, match="other settings"):
        run_e2e(run_dir / "out3", run_dir / "designs.json", images=run_dir / "imgs",
                channel="both", trials=2, seed=4, workers=1, progress=False)


def test_designs_from_another_ladder_are_refused(tmp_path):
    bad = dataclasses.replace(_designs()[0], codec_sha256="0" * 64)
    with pytest.raises(ValueError, match="another ladder"):
        resolve_codecs([bad])
    with pytest.raises(ValueError, match="model_name='q9'"):
        resolve_codecs([dataclasses.replace(bad, model_name="q9")])


@pytest.mark.parametrize("kw, match", [({"channel": "awgn"}, "channel='awgn' is invalid"),
                                        ({"trials": 0}, "trials=0 is invalid")])
def test_bad_arguments_are_refused(tmp_path, kw, match):
    save_designs(_designs(), tmp_path / "d.json")
    with pytest.raises(ValueError, match=match):
        run_e2e(tmp_path / "o", tmp_path / "d.json", **kw)


def test_ldpc_refuses_a_rate_the_5g_code_cannot_carry():
    low = dataclasses.replace(_designs()[0], rc=0.1)
    check_designs([low], ("bitflip",))  # flips need no code
    with pytest.raises(ValueError, match=r"design 0: rc=0.1 is invalid"):
        check_designs([low], ("bitflip", "ldpc"))


def test_cli_exits_2_with_one_line_errors(tmp_path, capsys):
    (tmp_path / "notjson.json").write_text("{")
    empty = tmp_path / "empty"
    empty.mkdir()
    save_designs(_designs(), tmp_path / "d.json")
    cases = [(["--designs", str(tmp_path / "notjson.json")], "cannot be read as JSON"),
             (["--designs", str(tmp_path / "d.json"), "--images", str(empty)], "holds no images"),
             (["--designs", str(tmp_path / "d.json"), "--trials", "0"], "trials=0")]
    for extra, msg in cases:
        assert main(["e2e", *extra, "--out", str(tmp_path / "o"), "--no-progress"]) == 2
        err = capsys.readouterr().err.strip()
        assert msg in err and len(err.splitlines()) == 1


def test_a_design_file_from_an_older_run_loads(tmp_path):
    """Version-1 file with only the fields the first optimiser wrote (no hash, no BER model)."""
    d = _designs()[1].to_json()
    for k in ("codec_sha256", "ber_model", "scenario", "extra", "constraints", "trace",
              "solver", "solve_s", "iterations", "sinr_bound_db", "sinr_db",
              "gap_to_bound_db"):
        d.pop(k)
    (tmp_path / "old.json").write_text(json.dumps({"version": 1, "designs": [d]}))
    (des,) = load_designs(tmp_path / "old.json")
    assert des.ber_model == "fbl" and des.codec_sha256 == ""
    check_designs([des], ("bitflip", "ldpc"))
    paths, _, index = resolve_codecs([des])
    assert paths[index[0]].name == "q1.ckpt"


def test_figure_ascc_3_e2e_draws_any_designs_file(run_dir, tmp_path):
    out = tmp_path / "fig"
    assert main(["figure", "ascc-3-e2e", "--designs", str(run_dir / "designs.json"),
                 "--e2e", str(run_dir / "out"), "--out", str(out)]) == 0
    rows = _rows(out / "fig3_e2e.csv")
    assert sum(r["kind"] == "measured" for r in rows) == 6  # 3 designs x 2 channels
    assert sum(r["kind"] == "predicted" for r in rows) == 3
    # the drawn intervals: bootstrap over the 2 images, inside MS-SSIM's [0, 1]
    for r in (r for r in rows if r["kind"] == "measured"):
        assert 0.0 <= float(r["lo"]) <= float(r["msssim"]) + 1e-12 <= float(r["hi"]) + 2e-12
        assert float(r["hi"]) <= 1.0
    assert (out / "fig3_e2e.png").stat().st_size > 10_000 and (out / "meta.json").is_file()
    assert (out / "fig3_e2e.pdf").read_bytes()[:5] == b"%PDF-"
    # predictions only (no e2e run) still draw
    assert main(["figure", "ascc-3-e2e", "--designs", str(run_dir / "designs.json"),
                 "--out", str(tmp_path / "fig2")]) == 0
