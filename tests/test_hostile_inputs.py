"""A table of hostile inputs thrown at every ``issc`` verb (issue: every user error is one line).

Every case must end with exit status 2, exactly one line on stderr that names the
offending value or path, no traceback, and nothing written that would block a
rerun (a fresh ``--out`` is not created; an existing file given as ``--out`` is
untouched). The inputs are built on the fly in a temporary folder: empty,
non-image, truncated and decompression-bomb images, binary "text" files, a
payload that declares a 32768x32768 image, a payload coded by another model.
"""

from __future__ import annotations

import io
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from scripts.cli import build_parser, main
from semcodec.checkpoint import save_checkpoint
from semcodec.zoo import build_model

REPO = Path(__file__).resolve().parent.parent


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png(w: int, h: int) -> bytes:
    """A PNG whose header declares w x h pixels (8-bit RGB) with almost no data."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b""))


def _photo(w: int, h: int, seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    base = rng.random((h // 8 + 2, w // 8 + 2, 3))
    return Image.fromarray((base * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)


def _ckpt(path: Path, seed: int) -> Path:
    torch.manual_seed(seed)
    m = build_model("compact").eval()
    m.update(force=True)
    save_checkpoint(path, m, {"lambda": 0.0067 * (seed + 1), "preset": "compact"})
    return path


@pytest.fixture(scope="module")
def bad(tmp_path_factory) -> dict[str, str]:
    """Every hostile input file of the table, by name (paths as strings)."""
    root = tmp_path_factory.mktemp("hostile")
    f: dict[str, Path] = {}
    f["good"] = root / "good.png"
    _photo(96, 64, 0).save(f["good"])
    jpg = io.BytesIO()
    _photo(96, 64, 1).save(jpg, format="JPEG", quality=90)
    f["zero"] = root / "zero.png"
    f["zero"].write_bytes(b"")
    f["notimg"] = root / "notimg.jpg"
    f["notimg"].write_text("this is not an image\n")
    f["trunc_jpg"] = root / "trunc.jpg"
    f["trunc_jpg"].write_bytes(jpg.getvalue()[: len(jpg.getvalue()) // 2])
    f["trunc_png"] = root / "trunc.png"
    f["trunc_png"].write_bytes(f["good"].read_bytes()[: f["good"].stat().st_size // 2])
    f["bomb"] = root / "bomb.png"
    f["bomb"].write_bytes(_bomb_png(100000, 100000))
    f["binary"] = root / "binary.toml"
    f["binary"].write_bytes(f["good"].read_bytes())
    f["latin1"] = root / "latin1.toml"
    f["latin1"].write_bytes("name = 'caf\xe9'\n".encode("latin-1"))
    f["badtoml"] = root / "bad.toml"
    f["badtoml"].write_text("this is = = not toml\n")
    f["jsonsweep"] = root / "jsonsweep"  # a "sweep" whose sweep.json is not JSON
    f["jsonsweep"].mkdir()
    (f["jsonsweep"] / "sweep.json").write_text("{not json")
    for name in ("results.csv", "clean.csv"):
        (f["jsonsweep"] / name).write_text("a,b\n")
    f["afile"] = root / "afile.txt"
    f["afile"].write_text("an existing file\n")
    f["adir"] = root / "adir"
    f["adir"].mkdir()
    f["missing"] = root / "missing"
    f["empty_dir"] = root / "empty_dir"
    f["empty_dir"].mkdir()
    f["unattributed"] = root / "unattributed"  # photos without ATTRIBUTION.csv
    f["unattributed"].mkdir()
    _photo(96, 64, 2).save(f["unattributed"] / "a.jpg")
    f["nolicence"] = root / "nolicence"  # attributed, but the source's licence file is missing
    f["nolicence"].mkdir()
    _photo(96, 64, 3).save(f["nolicence"] / "a.jpg")
    (f["nolicence"] / "ATTRIBUTION.csv").write_text(
        "file,split,source_package,original_path,licence,width,height\n"
        "a.jpg,train,demo-pkg,usr/share/a.jpg,CC0-1.0,96,64\n")
    f["binsweep"] = root / "binsweep"  # a "sweep" whose tables are binary
    f["binsweep"].mkdir()
    for name in ("results.csv", "clean.csv", "sweep.json"):
        (f["binsweep"] / name).write_bytes(b"\xff\xfe\x00binary" * 10)
    # a one-model ladder, another model, a valid payload of the ladder's model
    (root / "ladder").mkdir()
    f["ladder"] = root / "ladder"
    f["q1"] = _ckpt(root / "ladder" / "q1.ckpt", 0)
    f["other"] = _ckpt(root / "other.ckpt", 7)
    f["payload"] = root / "good.issc"
    assert main(["encode", "--model", str(f["q1"]), "--image", str(f["good"]), "--out",
                 str(f["payload"])]) == 0
    from semcodec.payload import Payload, PayloadHeader

    p = Payload.from_bytes(f["payload"].read_bytes())
    big = PayloadHeader(p.header.model_index, p.header.model_sha, 32768, 32768, 512, 512,
                        y_len=8, z_len=8, y_lo=-1, y_hi=1, z_lo=-1, z_hi=1)
    f["huge"] = root / "huge.issc"
    f["huge"].write_bytes(big.to_bytes() + bytes(16))
    from optim.ascc import save_designs
    from optim.e2e import design_at

    f["designs"] = save_designs([design_at("q1", 1.0, 25.0)], root / "designs.json")
    return {k: str(v) for k, v in f.items()}


# Each case: (verb and arguments, text stderr must contain). "{out}" is a fresh path,
# other "{name}" fields are the files of the fixture above.
CASES: list[tuple[str, str]] = [
    # --- ber-sweep
    ("ber-sweep --seed -1 --out {out}", "--seed=-1"),
    ("ber-sweep --seed abc --out {out}", "--seed='abc'"),
    ("ber-sweep --timeout -1 --out {out}", "--timeout=-1"),
    ("ber-sweep --timeout nan --out {out}", "--timeout=nan"),
    ("ber-sweep --ber-min 0 --out {out}", "--ber-min=0"),
    ("ber-sweep --ber-max 0.9 --models {ladder} --out {out}", "ber_max=0.9"),
    ("ber-sweep --points 0 --out {out}", "--points=0"),
    ("ber-sweep --trials 0 --out {out}", "--trials=0"),
    ("ber-sweep --workers 0 --out {out}", "--workers=0"),
    ("ber-sweep --max-images 0 --out {out}", "--max-images=0"),
    ("ber-sweep --sampling fancy --out {out}", "fancy"),
    ("ber-sweep --images {missing} --out {out}", "{missing}"),
    ("ber-sweep --images {afile} --out {out}", "{afile}"),
    ("ber-sweep --images {empty_dir} --models {ladder} --out {out}", "{empty_dir}"),
    ("ber-sweep --models {missing} --out {out}", "{missing}"),
    ("ber-sweep --out {afile}", "{afile}"),
    ("ber-sweep --out {afile}/sub", "{afile}"),
    ("ber-sweep --bogus 1 --out {out}", "--bogus"),
    # --- codec-eval
    ("codec-eval --images {afile} --out {out}", "{afile}"),
    ("codec-eval --images {missing} --out {out}", "{missing}"),
    ("codec-eval --models {missing} --out {out}", "{missing}"),
    ("codec-eval --seed -1 --out {out}", "--seed=-1"),
    ("codec-eval --out {afile}", "{afile}"),
    ("codec-eval --anchors bpg --out {out}",
     "'bpg' is invalid: must be one of jpeg, webp, avif"),
    ("codec-eval --anchors jpeg,bpg --out {out}", "'bpg' is invalid: must be one of jpeg, webp"),
    ("codec-eval --anchors , --out {out}", "empty list item"),
    # --- encode
    ("encode --model 1 --models {ladder} --image {zero} --out {out}", "{zero}"),
    ("encode --model 1 --models {ladder} --image {notimg} --out {out}", "{notimg}"),
    ("encode --model 1 --models {ladder} --image {trunc_jpg} --out {out}", "{trunc_jpg}"),
    ("encode --model 1 --models {ladder} --image {trunc_png} --out {out}", "{trunc_png}"),
    ("encode --model 1 --models {ladder} --image {bomb} --out {out}", "{bomb}"),
    ("encode --model 1 --models {ladder} --image {missing} --out {out}", "{missing}"),
    ("encode --model 1 --models {ladder} --image {adir} --out {out}", "{adir}"),
    ("encode --model 9 --models {ladder} --image {good} --out {out}", "model=9"),
    ("encode --model {missing}.ckpt --image {good} --out {out}", "{missing}.ckpt"),
    ("encode --model {afile} --image {good} --out {out}", "{afile}"),
    ("encode --model 1 --models {ladder} --image {good} --out {adir}", "{adir}"),
    # --- decode
    ("decode --payload {missing} --out {out}", "{missing}"),
    ("decode --payload {good} --model {q1} --out {out}", "not an ISSC payload"),
    ("decode --payload {huge} --model {q1} --out {out}", "32768x32768"),
    ("decode --payload {payload} --model {other} --out {out}", "coded by model"),
    ("decode --payload {payload} --models {ladder} --ber 0.7 --out {out}", "ber=0.7"),
    ("decode --payload {payload} --models {ladder} --ber nan --out {out}", "--ber=nan"),
    ("decode --payload {payload} --max-pixels 0 --out {out}", "--max-pixels=0"),
    ("decode --payload {payload} --seed -1 --out {out}", "--seed=-1"),
    ("decode --payload {payload} --models {ladder} --out {adir}", "{adir}"),
    # --- demo
    ("demo --workers 0 --out {out}", "--workers=0"),
    ("demo --seed -1 --out {out}", "--seed=-1"),
    ("demo --out {afile}", "{afile}"),
    # --- figure
    ("ascc --scenario {adir} --out {out}", "{adir}"),
    ("ascc --scenario {missing} --out {out}", "{missing}"),
    ("ascc --scenario {binary} --out {out}", "{binary}"),
    ("ascc --scenario {badtoml} --out {out}", "{badtoml} is not valid TOML"),
    ("ascc --pi -5 --out {out}", "-5"),
    ("ascc --abr 0 --out {out}", "abr"),
    ("ascc --pt-dbm nan --out {out}", "nan"),
    ("ascc --pt-dbm , --out {out}", "pt"),
    ("ascc --pt-dbm 1e6 --out {out}", "pt-dbm=1e+06 is invalid: must be a transmit power in "
                                      "[-100, 100] dBm"),
    ("ascc --scheme ascc,nosuch --out {out}", "nosuch"),
    ("ascc --method magic --out {out}", "magic"),
    ("ascc --ber-model magic --out {out}", "'magic' is invalid: must be one of fbl, ldpc"),
    ("ascc --seed -1 --out {out}", "--seed=-1"),
    ("ascc --workers 0 --out {out}", "--workers=0"),
    ("ascc --engine nosuch --out {out}", "nosuch"),
    ("ascc --address auto --out {out}", "--address auto needs --engine ray"),
    ("ascc --engine ray --address 127.0.0.1:1 --out {out}",
     "Ray address 127.0.0.1:1 is unreachable"),
    ("ascc --out {afile}", "{afile}"),
    ("ascc --benchmark-codec foo --out {out}",
     "benchmark-codec='foo' is invalid: must be one of digital, djscc"),
    ("ascc --benchmark-codec djscc --djscc-curves {afile} --out {out}", "{afile}"),
    ("ascc --benchmark-codec djscc --abr 0.5 --out {out}",
     "abr=0.5 has no DJSCC model (it needs c=48, ABR 48/96): the DJSCC ladder"),
    ("ascc --benchmark-codec djscc --djscc-curves {missing} --out {out}", "{missing}"),
    ("e2e --designs {missing} --out {out}", "{missing}"),
    ("e2e --designs {binary} --out {out}", "{binary}"),
    ("e2e --designs {adir} --out {out}", "{adir}"),
    ("e2e --designs {binary} --trials 0 --out {out}", "--trials=0"),
    ("e2e --designs {binary} --seed -1 --out {out}", "--seed=-1"),
    ("e2e --designs {designs} --workers 0 --out {out}", "--workers=0"),
    ("e2e --designs {designs} --timeout 0 --out {out}", "--timeout=0"),
    ("e2e --designs {designs} --engine nosuch --out {out}", "nosuch"),
    ("e2e --designs {designs} --address auto --out {out}", "--address auto needs --engine ray"),
    ("e2e --designs {designs} --engine ray --address 127.0.0.1:1 --out {out}",
     "Ray address 127.0.0.1:1 is unreachable"),
    ("e2e --designs {designs} --engine ray --address nohost --out {out}",
     "address='nohost' is invalid"),
    ("e2e --designs {binary} --djscc {missing} --out {out}", "{missing}"),
    ("phy-table --rc 0 --out {out}", "--rc=0"),
    ("phy-table --rc nan --out {out}", "--rc=nan"),
    ("phy-table --seed -1 --out {out}", "--seed=-1"),
    ("phy-table --out {afile}", "{afile}"),
    ("phy-table --step-db 1e-9 --out {out}", "--step-db=1e-09 (6.5e+09 SINR points in each of "
                                             "8 rows) is invalid: it needs about"),
    ("nf --scenario {adir} --out {out}", "{adir}"),
    ("nf --scenario {binary} --out {out}", "{binary}"),
    ("nf --scenario {badtoml} --out {out}", "{badtoml} is not valid TOML"),
    ("nf --starts 0 --out {out}", "--starts=0"),
    ("nf --varsigma 0 --out {out}", "--varsigma=0"),
    ("nf --max-iterations 0 --out {out}", "--max-iterations=0"),
    ("nf --positions magic --out {out}", "magic"),
    ("nf --seed -1 --out {out}", "--seed=-1"),
    ("figure nosuchfigure --out {out}", "nosuchfigure"),
    ("figure djscc-vs-digital --djscc {adir} --out {out}", "{adir}"),
    ("figure djscc-vs-digital --abr 0.3 --out {out}", "abr=0.3 has no DJSCC model"),
    ("figure djscc-vs-digital --quick --abr 0 --out {out}", "abr"),
    ("figure djscc-vs-digital --quick --sinr-db nan --out {out}", "nan"),
    ("figure djscc-vs-digital --quick --trials 0 --out {out}", "--trials=0"),
    ("figure nf-7 --seed -1 --out {out}", "--seed=-1"),
    ("figure nf-7 --quick --ranges 0 --out {out}", "--ranges=0"),
    ("figure nf-8 --quick --workers 0 --out {out}", "--workers=0"),
    ("figure nf-8 --quick --out {afile}", "{afile}"),
    ("figure nf-8 --quick --scenario {badtoml} --out {out}", "{badtoml} is not valid TOML"),
    ("figure nf-9 --quick --max-iterations 0 --out {out}", "--max-iterations=0"),
    ("figure nf-9 --quick --engine nosuch --out {out}", "nosuch"),
    ("figure nf-7 --quick --starts 0 --out {out}", "--starts=0"),
    ("figure ascc-front --workers 0 --out {out}", "--workers=0"),
    ("figure ascc-front --engine ray --address 127.0.0.1:1 --out {out}",
     "Ray address 127.0.0.1:1 is unreachable"),
    ("figure ascc-3 --workers 0 --out {out}", "--workers=0"),
    ("figure ascc-3 --address auto --out {out}", "--address auto needs --engine ray"),
    ("figure ascc-4 --engine ray --address 127.0.0.1:1 --out {out}",
     "Ray address 127.0.0.1:1 is unreachable"),
    # --- fit-scurves
    ("fit-scurves --sweep {missing} --out {out}", "{missing}"),
    ("fit-scurves --sweep {afile} --out {out}", "{afile}"),
    ("fit-scurves --sweep {empty_dir} --out {out}", "{empty_dir}"),
    ("fit-scurves --sweep {empty_dir} --out {afile}", "{afile}"),
    ("fit-scurves --sweep {binsweep} --out {out}", "{binsweep}/sweep.json is not UTF-8"),
    ("fit-scurves --sweep {jsonsweep} --out {out}", "{jsonsweep}/sweep.json is not valid JSON"),
    # --- hcrb
    ("hcrb --scenario {adir} --out {out}", "{adir}"),
    ("hcrb --scenario {missing} --out {out}", "{missing}"),
    ("hcrb --scenario {binary} --out {out}", "{binary}"),
    ("hcrb --scenario {latin1} --out {out}", "{latin1}"),
    ("hcrb --scenario {badtoml} --out {out}", "{badtoml} is not valid TOML"),
    ("hcrb --points 1 --out {out}", "--points=1"),
    ("hcrb --trials 0 --out {out}", "--trials=0"),
    ("hcrb --comm-fraction 2 --out {out}", "--comm-fraction=2"),
    ("hcrb --pt-dbm nan 10 --out {out}", "--pt-dbm=nan"),
    ("hcrb --pt-dbm 0 1e6 --out {out}", "--pt-dbm=1e6 is invalid: must be a transmit power"),
    ("hcrb --mc-pt-dbm 45,x --out {out}", "'x'"),
    ("hcrb --seed -1 --out {out}", "--seed=-1"),
    ("hcrb --out {afile}", "{afile}"),
    ("hcrb --out /proc/issc_no_such_dir/out --mc-pt-dbm", "/proc/issc_no_such_dir"),
    # --- install-ladder
    ("install-ladder {missing}.ckpt --out {out}", "{missing}.ckpt"),
    ("install-ladder {adir} --out {out}", "{adir}"),
    ("install-ladder {q1} --out {afile}", "{afile}"),
    ("install-ladder {q1} --dest {afile}", "{afile}"),
    # --- learning-curves
    ("learning-curves {adir} --out {out}", "{adir}' is invalid: it holds neither history.csv"),
    ("learning-curves {missing} --out {out}", "{missing}"),
    ("learning-curves {adir} --labels a,b --out {out}", "labels='a,b' is invalid"),
    ("learning-curves {adir} --out {afile}", "{afile}"),
    # --- nf-crb / nf-fresnel
    ("nf-crb --scenario {binary} --out {out}", "{binary}"),
    ("nf-crb --scenario {missing} --out {out}", "{missing}"),
    ("nf-crb --scenario {badtoml} --out {out}", "{badtoml} is not valid TOML"),
    ("nf-crb --xi 0 --out {out}", "--xi=0"),
    ("nf-crb --xi 0.5,nan --out {out}", "--xi=nan"),
    ("nf-crb --trials 0 --out {out}", "--trials=0"),
    ("nf-crb --frames 0 --out {out}", "--frames=0"),
    ("nf-crb --frames 5 --out {out}", "frames=5 is invalid: must exceed N_t=9"),
    ("nf-crb --out {afile}", "{afile}"),
    ("nf-fresnel --dmin -1 --out {out}", "--dmin=-1"),
    ("nf-fresnel --points 1 --out {out}", "--points=1"),
    ("nf-fresnel --scenario {adir} --out {out}", "{adir}"),
    ("nf-fresnel --out {afile}", "{afile}"),
    # --- phy-ber
    ("phy-ber --sinr-db 1 nan --out {out}", "--sinr-db=nan"),
    ("phy-ber --rc 0 --out {out}", "--rc=0"),
    ("phy-ber --bits-per-symbol 3 --out {out}", "3"),
    ("phy-ber --max-blocks 0 --out {out}", "--max-blocks=0"),
    ("phy-ber --seed -1 --out {out}", "--seed=-1"),
    ("phy-ber --out {afile}", "{afile}"),
    # --- text-bleu
    ("text-bleu --genres {good} --out {out}", "{good}"),
    ("text-bleu --genres news {missing} --out {out}", "{missing}"),
    ("text-bleu --genres poetry --out {out}", "poetry"),
    ("text-bleu --bleu-floor 30 --out {out}", "bleu_floor=30"),
    ("text-bleu --weights 0.5,x --out {out}", "'x'"),
    ("text-bleu --weights 0.5,0.6 --out {out}", "weights="),
    ("text-bleu --cohesion 2 --out {out}", "--cohesion=2"),
    ("text-bleu --out {afile}", "{afile}"),
    # --- train / train-all
    ("train --lmbda 0.01 --device tpu --out {out}", "--device='tpu'"),
    ("train --lmbda -1 --out {out}", "lambda=-1.0 is invalid"),
    ("train --lmbda nan --out {out}", "--lmbda=nan"),
    ("train --lmbda 0.01 --dataset folder --out {out}", "--data"),
    ("train --lmbda 0.01 --dataset folder --data {missing} --out {out}", "{missing}"),
    ("train --lmbda 0.01 --dataset cub --data {missing} --out {out}", "{missing}/images.txt"),
    ("train --lmbda 0.01 --dataset shipped+extra --data {missing} --out {out}", "{missing}"),
    ("train --lmbda 0.01 --dataset shipped+extra --data {unattributed} --out {out}",
     "{unattributed} has no ATTRIBUTION.csv"),
    ("train --lmbda 0.01 --dataset shipped+extra --data {nolicence} --out {out}",
     "photo source 'demo-pkg'"),
    ("train-all --dataset folder --data {missing} --out {out}", "{missing}"),
    ("train --lmbda 0.01 --crop 8 --out {out}", "--crop=8"),
    ("train --lmbda 0.01 --crop 96 --out {out}", "--crop=96 is invalid: must be a positive "
                                                 "multiple of 64"),
    ("train --lmbda 0.01 --batch-size 0 --out {out}", "--batch-size=0"),
    ("train --lmbda 0.01 --init {missing} --out {out}", "{missing}"),
    ("train --lmbda 0.01 --seed -1 --out {out}", "--seed=-1"),
    ("train --lmbda 0.01 --out {afile}", "{afile}"),
    ("train --out {out}", "--lmbda"),
    ("train-all --lambdas 0.01,-1 --out {out}", "--lambdas=-1"),
    ("train-all --G 0 --out {out}", "--G=0"),
    ("train-all --device tpu --out {out}", "--device='tpu'"),
    ("train-all --out {afile}", "{afile}"),
    # --- train-djscc
    ("train-gpu --budget-s 100 --margin-s 30 --device cpu --out {out}",
     "budget-s=100.0 is too small"),
    ("train-gpu --budget-s abc --out {out}", "--budget-s='abc' is invalid"),
    ("train-gpu --budget-s 540 --rates 1 --device cpu --out {out}",
     "preset must not shrink along the ladder"),
    ("train-djscc --abr 0.05 --snr-db 0 --out {out}", "valid: k/96 for integer k >= 1"),
    ("train-djscc --abr 0 --snr-db 0 --out {out}", "--abr=0 is invalid"),
    ("train-djscc --abr abc --snr-db 0 --out {out}", "--abr='abc'"),
    ("train-djscc --abr 5/0 --snr-db 0 --out {out}", "--abr='5/0'"),
    ("train-djscc --abr 5/96 --snr-db nan --out {out}", "--snr-db=nan"),
    ("train-djscc --abr 5/96 --snr-db inf --out {out}", "--snr-db=inf"),
    ("train-djscc --abr 5/96 --snr-db 5 --snr-range 0 nan --out {out}", "--snr-range=nan"),
    ("train-djscc --abr 5/96 --snr-db 5 --snr-range 10 0 --out {out}", "snr_range=(10.0, 0.0)"),
    ("train-djscc --abr 5/96 --snr-db 5 --crop 12 --out {out}", "--crop=12"),
    ("train-djscc --abr 5/96 --snr-db 5 --steps 0 --out {out}", "--steps=0"),
    ("train-djscc --abr 5/96 --snr-db 5 --init {q1} --out {out}", "digital codec checkpoint"),
    ("train-djscc --abr 5/96 --snr-db 5 --init {missing} --out {out}", "{missing}"),
    ("train-djscc --abr 5/96 --snr-db 5 --out {afile}", "{afile}"),
    ("train-djscc --snr-db 5 --out {out}", "--abr"),
    ("train-djscc --abr 1e6 --snr-db 5 --out {out}", "--abr=1e+06 (c=96000000 channels"),
]
if not torch.cuda.is_available():
    CASES.append(("train --lmbda 0.01 --device cuda --out {out}", "no CUDA GPU"))


def test_every_verb_is_in_the_table():
    verbs = set(build_parser()._subparsers._group_actions[0].choices)
    assert verbs == {c[0].split()[0] for c in CASES}, verbs ^ {c[0].split()[0] for c in CASES}
    assert len(CASES) >= 100


@pytest.mark.parametrize("command,needle", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_is_one_line_exit_2(command, needle, bad, tmp_path, capsys):
    out = tmp_path / "out"
    fields = {**bad, "out": str(out)}
    argv = [a.format(**fields) for a in command.split()]
    before = {p: Path(p).read_bytes() for p in (bad["afile"],)}
    assert main(argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err and "error" in lines[0]
    assert needle.format(**fields) in lines[0], lines[0]
    assert not out.exists()  # nothing half-written that a rerun would trip over
    assert all(Path(p).read_bytes() == b for p, b in before.items())
    assert sorted(os.listdir(bad["adir"])) == []


# Cases refused past argparse (by the verb or the library) whose --out is a folder: given an
# existing one, the refused run leaves it exactly as it was (no meta.json marked failed).
EXISTING = [c for c in CASES if "--out {out}" in c[0] and not c[1].startswith("--")
            and c[0].split()[0] not in ("encode", "decode")][::2]


@pytest.mark.parametrize("command,needle", EXISTING, ids=[c[0] for c in EXISTING])
def test_refused_run_leaves_an_existing_out_as_it_was(command, needle, bad, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "meta.json").write_text('{"status": "ok"}\n')
    (out / "notes.txt").write_text("kept\n")
    argv = [a.format(**{**bad, "out": str(out)}) for a in command.split()]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert sorted(os.listdir(out)) == ["meta.json", "notes.txt"]
    assert (out / "meta.json").read_text() == '{"status": "ok"}\n'


def test_cli_prints_one_line_without_traceback_in_a_fresh_process(bad, tmp_path):
    """The same path as the table, through ``python -m scripts.cli`` (no warnings either)."""
    r = subprocess.run([sys.executable, "-m", "scripts.cli", "decode", "--payload", bad["huge"],
                        "--model", bad["q1"], "--out", str(tmp_path / "x.png")],
                       capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 2 and r.stderr.count("\n") == 1, r.stderr
    assert "above the decode limit of 33554432 px" in r.stderr


def test_os_errors_name_the_path_and_the_reason():
    from scripts.cli import describe

    try:
        open("/nonexistent-dir/x.csv")
    except OSError as exc:
        assert describe(exc) == "/nonexistent-dir/x.csv: No such file or directory"
    try:
        Path(__file__).with_name("data_that_is_binary.bin")
        b"\x89PNG\0\xff".decode("utf-8")
    except UnicodeDecodeError as exc:
        assert "not UTF-8 text" in describe(exc) and "0x89" in describe(exc)


def test_unicode_error_names_the_file_it_came_from(tmp_path):
    from scripts.cli import describe

    f = tmp_path / "table.csv"
    f.write_bytes(b"a,b\n\xff\xfe,1\n")
    try:
        f.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        assert describe(exc).startswith(f"{f} is not UTF-8 text")
