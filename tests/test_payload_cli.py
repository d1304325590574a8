"""issc encode / decode / ber-sweep / fit-scurves: round trip and one-line errors."""

import numpy as np
import pytest
import torch
from PIL import Image

from scripts.cli import main
from semcodec.checkpoint import save_checkpoint
from semcodec.datasets import load_image
from semcodec.zoo import build_model


@pytest.fixture(scope="module")
def ladder(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    torch.manual_seed(1)
    m = build_model("compact").eval()
    m.update(force=True)
    (root / "ladder").mkdir()
    save_checkpoint(root / "ladder" / "q1.ckpt", m, {"lambda": 0.0067, "preset": "compact"})
    rng = np.random.default_rng(0)
    img = Image.fromarray((rng.random((9, 13, 3)) * 255).astype(np.uint8)).resize((104, 72))
    img.save(root / "im.png")
    return root


def test_encode_decode_round_trip(ladder, capsys):
    pl, png = ladder / "im.issc", ladder / "out.png"
    assert main(["encode", "--model", "1", "--models", str(ladder / "ladder"), "--image",
                 str(ladder / "im.png"), "--out", str(pl)]) == 0
    assert pl.read_bytes()[:5] == b"ISSCP"
    assert main(["decode", "--payload", str(pl), "--models", str(ladder / "ladder"), "--out",
                 str(png), "--in-process"]) == 0
    rec = load_image(png)
    assert rec.shape == (3, 72, 104)
    # isolated decode (worker process) of a heavily corrupted body still gives an image
    assert main(["decode", "--payload", str(pl), "--models", str(ladder / "ladder"), "--out",
                 str(ladder / "bad.png"), "--ber", "0.3"]) == 0
    assert load_image(ladder / "bad.png").shape == (3, 72, 104)
    assert "decode ok" in capsys.readouterr().out


def test_cli_errors_are_one_line(ladder, tmp_path, capsys):
    png = ladder / "im.png"
    assert main(["decode", "--payload", str(png), "--out", str(tmp_path / "x.png"),
                 "--model", str(ladder / "ladder" / "q1.ckpt")]) == 2
    assert "not an ISSC payload" in capsys.readouterr().err
    pl = tmp_path / "a.issc"
    main(["encode", "--model", str(ladder / "ladder" / "q1.ckpt"), "--image", str(png), "--out",
          str(pl)])
    raw = bytearray(pl.read_bytes())
    raw[12] ^= 1
    pl.write_bytes(bytes(raw))
    assert main(["decode", "--payload", str(pl), "--out", str(tmp_path / "x.png"),
                 "--model", str(ladder / "ladder" / "q1.ckpt")]) == 2
    assert "damaged header" in capsys.readouterr().err
    assert main(["decode", "--payload", str(ladder / "im.issc"), "--out", str(tmp_path / "x.png"),
                 "--models", str(ladder / "ladder"), "--ber", "0.7"]) == 2
    assert "ber=0.7 is invalid" in capsys.readouterr().err
    assert main(["encode", "--model", "4", "--models", str(ladder / "ladder"), "--image",
                 str(png), "--out", str(tmp_path / "b.issc")]) == 2
    assert "ladder index 1..1" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["ber-sweep", "--images", str(empty), "--models", str(ladder / "ladder"),
                 "--out", str(tmp_path / "sw")]) == 2
    err = capsys.readouterr().err
    assert str(empty) in err and len(err.strip().splitlines()) == 1
    assert main(["ber-sweep", "--images", str(ladder), "--models", str(ladder / "ladder"),
                 "--ber-max", "0.9", "--out", str(tmp_path / "sw")]) == 2
    assert "ber_max=0.9" in capsys.readouterr().err
    assert main(["fit-scurves", "--sweep", str(tmp_path / "none"), "--out",
                 str(tmp_path / "f")]) == 2
