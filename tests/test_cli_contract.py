"""The CLI's promises beyond the hostile-input table: help shows defaults, one list
syntax, bad images skipped and counted in folder verbs, 16-bit greyscale read right,
the payload's model check and decode-size limit, the decode report, interrupts."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from scripts.cli import build_parser, main
from semcodec.checkpoint import save_checkpoint
from semcodec.zoo import build_model

REPO = Path(__file__).resolve().parent.parent


def _verb_parsers() -> dict[str, argparse.ArgumentParser]:
    """Every verb's parser (and every figure's), by command."""
    out = {}
    todo = [("issc", build_parser())]
    while todo:
        name, p = todo.pop()
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                todo += [(f"{name} {k}", v) for k, v in a.choices.items()]
        if name != "issc":
            out[name] = p
    return out


def test_every_run_folder_defaults_to_runs_verb():
    """The one --out rule (scripts.argtypes.default_out): runs/<verb>, runs/<figure>."""
    from scripts import argtypes as at

    seen = 0
    for name, p in _verb_parsers().items():
        for a in p._actions:
            if "--out" in a.option_strings and a.type in (at.out_dir,) and a.dest == "out":
                assert a.default == f"runs/{name.split()[-1]}", (name, a.default)
                seen += 1
    assert seen >= 25


def test_every_option_of_every_verb_has_help_and_shows_its_default():
    parsers = _verb_parsers()
    assert len(parsers) >= 15
    for name, p in parsers.items():
        for a in p._actions:
            if isinstance(a, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            assert a.help and a.help.strip(), f"{name} {a.option_strings or a.dest}: no help"
            if a.default not in (None, False, argparse.SUPPRESS) and a.option_strings:
                shown = p._get_formatter()._get_help_string(a)
                assert "default" in shown.lower(), \
                    f"{name} {a.option_strings[0]}: default {a.default!r} not shown"
        assert p.format_help()


def test_help_of_the_issue_options_names_default_and_unit():
    parsers = _verb_parsers()
    ber = " ".join(parsers["issc ber-sweep"].format_help().split())
    assert "(default: 1e-09)" in ber and "(default: 0.1)" in ber and "(default: 16)" in ber
    phy = " ".join(parsers["issc phy-ber"].format_help().split())
    assert "[dB]" in phy and "(default: -2,-1,0,0.5,1,1.5,2,3)" in phy
    hcrb = " ".join(parsers["issc hcrb"].format_help().split())
    assert "[dBm] (default: 0,80)" in hcrb.replace("0.0,80.0", "0,80")


def test_list_options_accept_commas_and_spaces():
    p = build_parser()
    a = p.parse_args(["phy-ber", "--rc", "0.5,1", "--out", "x"])
    b = p.parse_args(["phy-ber", "--rc", "0.5", "1", "--out", "x"])
    c = p.parse_args(["phy-ber", "--rc", "0.5,", "1", "--out", "x"])
    assert a.rc == b.rc == c.rc == [0.5, 1.0]
    g1 = p.parse_args(["text-bleu", "--genres", "news", "fiction", "--out", "x"]).genres
    g2 = p.parse_args(["text-bleu", "--genres", "news,fiction", "--out", "x"]).genres
    assert g1 == g2 == ["news", "fiction"]
    assert p.parse_args(["hcrb", "--mc-pt-dbm", "--out", "x"]).mc_pt_dbm == []
    assert p.parse_args(["phy-ber", "--sinr-db=-2,-1", "--out", "x"]).sinr_db == [-2.0, -1.0]
    assert p.parse_args(["install-ladder", __file__, "--out", "L"]).dest == "L"


# ----------------------------------------------------------------------------- images

def _photo(path: Path, w: int, h: int, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    base = rng.random((h // 8 + 2, w // 8 + 2, 3))
    Image.fromarray((base * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC).save(path)
    return path


def test_sixteen_bit_greyscale_is_scaled_not_clipped(tmp_path):
    from semcodec.datasets import load_image

    ramp = np.linspace(0, 65535, 64 * 48).reshape(48, 64).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "g16.png")
    img = load_image(tmp_path / "g16.png")
    assert img.shape == (3, 48, 64)
    want = np.rint(ramp / 257.0) / 255.0
    assert np.abs(img[0].numpy() - want).max() < 1e-6
    assert float((img == 1.0).float().mean()) < 0.01  # was 99.6 % white (clipped at 255)
    # an 8-bit image reads exactly as before
    _photo(tmp_path / "rgb.png", 40, 30, 1)
    ref = np.asarray(Image.open(tmp_path / "rgb.png").convert("RGB")).astype(np.float32) / 255
    assert np.array_equal(load_image(tmp_path / "rgb.png").permute(1, 2, 0).numpy(), ref)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """Two good photos, four unreadable images, a 1x1 image and a text file."""
    d = tmp_path_factory.mktemp("folder")
    _photo(d / "a.png", 192, 176, 0)
    _photo(d / "b.png", 176, 192, 1)
    (d / "zero.png").write_bytes(b"")
    (d / "text.jpg").write_text("not an image")
    (d / "cut.png").write_bytes((d / "a.png").read_bytes()[:300])
    from test_hostile_inputs import _bomb_png

    (d / "bomb.png").write_bytes(_bomb_png(100000, 100000))
    Image.new("RGB", (1, 1)).save(d / "dot.png")
    (d / "notes.txt").write_text("hello")
    return d


def test_list_images_skips_and_counts_unusable_images(folder, caplog):
    from semcodec.datasets import list_images

    files, skipped = list_images(folder)
    assert [f.name for f in files] == ["a.png", "b.png", "dot.png"] and skipped == 5
    # a warning of the product's logger (on stderr under the CLI, tests/test_cli_logging.py)
    assert "skipped 4 unusable image file(s)" in caplog.text
    files, skipped = list_images(folder, min_side=64)
    assert [f.name for f in files] == ["a.png", "b.png"] and skipped == 6


@pytest.fixture(scope="module")
def ladder(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("ladder")
    for k, seed in ((1, 0), (2, 5)):
        torch.manual_seed(seed)
        m = build_model("compact").eval()
        m.update(force=True)
        save_checkpoint(d / f"q{k}.ckpt", m, {"lambda": 0.001 * k, "preset": "compact"})
    return d


def test_codec_eval_skips_bad_and_tiny_images_and_counts_them(folder, ladder, tmp_path):
    out = tmp_path / "ce"
    assert main(["codec-eval", "--images", str(folder), "--models", str(ladder), "--out",
                 str(out)]) == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["n_images"] == 2 and meta["skipped_non_images"] == 6
    assert [s["n_images"] for s in json.loads((out / "summary.json").read_text())] == [2, 2]


# ----------------------------------------------------------------------------- payloads

@pytest.fixture(scope="module")
def payload(ladder, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pl")
    _photo(d / "im.png", 96, 64, 3)
    assert main(["encode", "--model", "1", "--models", str(ladder), "--image", str(d / "im.png"),
                 "--out", str(d / "im.issc")]) == 0
    return d / "im.issc"


def test_decode_refuses_another_model_naming_both_ids(payload, ladder, tmp_path, capsys):
    from semcodec.payload import Payload, checkpoint_model_id

    capsys.readouterr()
    assert main(["decode", "--payload", str(payload), "--model", str(ladder / "q2.ckpt"),
                 "--out", str(tmp_path / "x.png"), "--in-process"]) == 2
    err = capsys.readouterr().err
    coded = Payload.from_bytes(payload.read_bytes()).header.model_sha.hex()
    assert coded == checkpoint_model_id(ladder / "q1.ckpt").hex()
    assert coded in err and checkpoint_model_id(ladder / "q2.ckpt").hex() in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()
    # without --model the ladder's matching model is found (q1, not the first file tried)
    assert main(["decode", "--payload", str(payload), "--models", str(ladder), "--out",
                 str(tmp_path / "y.png"), "--in-process"]) == 0
    out = capsys.readouterr().out
    assert "with q1.ckpt" in out and "decode ok" in out


def test_model_check_passes_the_right_model_and_unidentified_payloads(payload, ladder):
    from semcodec.payload import (
        NO_MODEL_ID,
        Payload,
        PayloadError,
        check_model_id,
        checkpoint_model_id,
    )

    hdr = Payload.from_bytes(payload.read_bytes()).header
    check_model_id(hdr, checkpoint_model_id(ladder / "q1.ckpt"))
    with pytest.raises(PayloadError, match="coded by model"):
        check_model_id(hdr, checkpoint_model_id(ladder / "q2.ckpt"))
    anon = type(hdr)(**{**hdr.__dict__, "model_sha": NO_MODEL_ID})
    check_model_id(anon, checkpoint_model_id(ladder / "q2.ckpt"))  # cannot be checked


def test_decode_size_limit(payload):
    from scripts.cmd_codec_io import DEFAULT_MAX_PIXELS as CLI_DEFAULT
    from semcodec.payload import (
        DEFAULT_MAX_PIXELS,
        Payload,
        PayloadError,
        PayloadHeader,
        check_decode_size,
    )

    assert CLI_DEFAULT == DEFAULT_MAX_PIXELS == 1 << 25 >= 7680 * 4320  # an 8K frame fits
    hdr = Payload.from_bytes(payload.read_bytes()).header
    check_decode_size(hdr, 96 * 64)  # exactly at the limit: allowed
    with pytest.raises(PayloadError, match=r"96x64 image \(6144 px\), above the decode limit "
                                           r"of 6143 px"):
        check_decode_size(hdr, 96 * 64 - 1)
    big = PayloadHeader(1, hdr.model_sha, 32768, 32768, 512, 512, 8, 8, -1, 1, -1, 1)
    with pytest.raises(PayloadError, match="above the decode limit of 33554432 px"):
        check_decode_size(big)
    check_decode_size(big, 32768 * 32768)  # a user who raises the limit may decode it


def test_decode_reports_concealed_symbols(payload, ladder, tmp_path, capsys):
    capsys.readouterr()
    assert main(["decode", "--payload", str(payload), "--models", str(ladder), "--out",
                 str(tmp_path / "z.png"), "--ber", "0.2", "--in-process"]) == 0
    out = capsys.readouterr().out
    assert "decode ok" not in out and "latent symbols concealed" in out


# ----------------------------------------------------------------------------- other checks

def test_text_reader_refuses_binary_files(tmp_path):
    from semcodec.text.corpus import load_sentences

    f = tmp_path / "corpus.txt"
    _photo(tmp_path / "p.png", 16, 16, 0)
    f.write_bytes((tmp_path / "p.png").read_bytes())
    with pytest.raises(ValueError, match="corpus.txt is a binary file"):
        load_sentences(f)


def test_fit_scurves_warns_when_points_do_not_exceed_parameters(tmp_path):
    import test_scurve_fit as ts

    from semcodec.distortion_model import fit_scurves

    old = ts.X
    try:
        ts.X = np.linspace(-8, -1, 3)
        ts._fake_sweep(tmp_path / "sweep", np.random.default_rng(0))
    finally:
        ts.X = old
    with pytest.warns(UserWarning, match="3 rho_b points for the 3 free parameters"):
        fit_scurves(tmp_path / "sweep", tmp_path / "fit")


def test_no_torch_jit_warning_when_the_codec_loads():
    r = subprocess.run([sys.executable, "-W", "default", "-c",
                        "import semcodec.checkpoint, semcodec.payload"],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0 and "torch.jit.script" not in r.stderr, r.stderr


def _wait_for(path: Path, text: str, timeout: float = 120.0) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if path.is_file() and text in path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared in {path}: {path.read_text()[-2000:]}")


def test_ctrl_c_is_one_line_exit_130_without_worker_tracebacks(ladder, folder, tmp_path,
                                                               ctrl_c_as_at_a_terminal):
    """Ctrl-C reaches the whole process group (the sweep and its decode workers)."""
    err = tmp_path / "err.txt"
    with open(err, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "ber-sweep", "--images", str(folder),
             "--models", str(ladder), "--points", "40", "--trials", "20", "--workers", "2",
             "--out", str(tmp_path / "sw")],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=fh, start_new_session=True,
            preexec_fn=ctrl_c_as_at_a_terminal, env={**os.environ, "OMP_NUM_THREADS": "1"})
        try:
            _wait_for(err, "encode:")
            os.killpg(proc.pid, signal.SIGINT)
            assert proc.wait(timeout=60) == 130
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    text = err.read_text()
    assert "Traceback" not in text and "KeyboardInterrupt" not in text, text
    last = text.replace("\r", "\n").strip().splitlines()[-1]
    assert last == ("issc ber-sweep: interrupted (Ctrl-C); rerun the same command to resume "
                    "where it stopped")
    assert json.loads((tmp_path / "sw" / "meta.json").read_text())["status"] == "interrupted"


def test_sigterm_is_one_line_exit_130(tmp_path):
    err = tmp_path / "err.txt"
    with open(err, "w") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "scripts.cli", "hcrb", "--points", "3", "--trials", "100000",
             "--out", str(tmp_path / "h")],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=fh, env={**os.environ,
                                                                 "OMP_NUM_THREADS": "1"})
        try:
            _wait_for(err, "estimator MC")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 130  # was 143 with no message
        finally:
            if proc.poll() is None:
                proc.kill()
    text = err.read_text()
    assert "Traceback" not in text
    last = text.replace("\r", "\n").strip().splitlines()[-1]
    assert last == "issc hcrb: stopped by SIGTERM; rerun the same command to start again"
    assert json.loads((tmp_path / "h" / "meta.json").read_text())["status"] == "interrupted"
