"""The Codec protocol and registry (semcodec.image_codecs): clean round trips against
independent paths, the corrupted-stream table, a toy codec added with one class and one
entry, refusals, and crash/hang isolation."""

from __future__ import annotations

import ctypes
import json
import math
import time

import numpy as np
import pytest
import torch

from semcodec.anchors import ANCHORS
from semcodec.channel import flip_bits
from semcodec.classical_ladder import MeanRate, ladder_targets, match_family, match_quality
from semcodec.classical_ladder import main as classical_ladder_main
from semcodec.datasets import load_image, shipped_photos
from semcodec.evaluate import codec_roundtrip, psnr
from semcodec.image_codecs import (
    CODECS,
    FAILURES,
    Codec,
    DecodeReport,
    Encoded,
    RobustCodec,
    SideInfo,
    StreamSizeError,
    check_quality,
    decode_isolated,
    get_codec,
)
from semcodec.ladder import SHIPPED_CODECS
from semcodec.robust_decode import FALLBACK_GREY

#: a mid quality of every shipped family (learned: model 1 of the shipped ladder, the fastest)
QUALITY = {"learned": 1, "jpeg": 75, "webp": 75, "avif": 60}
H, W = 72, 128  # tiny, and H not a multiple of the learned codec's 64-px padding unit


def photo(h: int = H, w: int = W, index: int = 0) -> torch.Tensor:
    """Shipped test photo ``index`` shrunk (area average) to h x w: real content, tiny."""
    full = load_image(shipped_photos("test", None).files[index])
    return torch.nn.functional.interpolate(full[None], size=(h, w), mode="area")[0]


@pytest.fixture(scope="module")
def img() -> torch.Tensor:
    return photo()


@pytest.fixture(scope="module")
def codecs() -> dict[str, Codec]:
    """One instance per shipped family (the learned one loads its checkpoint once)."""
    return {name: get_codec(name, QUALITY[name]) for name in CODECS}


def corrupted_table(payload: bytes, seed: int = 0) -> list[tuple[str, bytes]]:
    """Truncations at several lengths, seeded flips at 1e-6..0.5, empty, random bytes."""
    rng = np.random.default_rng(seed)
    n = len(payload)
    cases = [(f"truncated to {k}", payload[:k]) for k in sorted({1, 2, n // 4, n // 2, n - 1})]
    for ber in (1e-6, 1e-3, 1e-2, 0.1, 0.5):
        cases.append((f"flips at {ber:g}", flip_bits(payload, ber, rng)[0]))
    cases += [("empty", b""), ("random bytes", rng.bytes(n)), ("one random byte", rng.bytes(1))]
    return cases


def check_report(rec: torch.Tensor, rep: DecodeReport, side: SideInfo) -> None:
    """What every decode must give: the sent size, finite pixels in [0, 1], a coherent report."""
    assert isinstance(rep, DecodeReport)
    assert tuple(rec.shape) == (3, side.height, side.width)
    assert rec.dtype == torch.float32 and bool(torch.isfinite(rec).all())
    assert float(rec.min()) >= 0.0 and float(rec.max()) <= 1.0
    assert rep.decoded_ok != rep.fallback_used
    if rep.decoded_ok:
        assert rep.failure == "" and rep.detail == ""
    else:
        assert rep.failure in FAILURES and rep.detail
        assert bool((rec == FALLBACK_GREY).all())  # the documented fallback image


def check_clean_round_trip(codec: Codec, img: torch.Tensor, min_psnr_db: float) -> Encoded:
    enc = codec.encode(img)
    assert enc.n_bits == 8 * len(enc.payload) > 0
    assert math.isclose(enc.bpp, enc.n_bits / (img.shape[1] * img.shape[2]))
    assert (enc.side.codec, enc.side.quality) == (codec.name, codec.quality)
    rec, rep = codec.decode(enc.side, enc.payload)
    check_report(rec, rep, enc.side)
    assert rep.decoded_ok and rep.n_concealed == 0
    assert psnr(img, rec) > min_psnr_db
    return enc


def check_survives_table(codec: Codec, enc: Encoded
                         ) -> dict[str, tuple[torch.Tensor, DecodeReport]]:
    out = {}
    for what, received in corrupted_table(enc.payload):
        rec, rep = codec.decode(enc.side, received)  # must not raise
        check_report(rec, rep, enc.side)
        out[what] = (rec, rep)
    return out


def test_registry_holds_the_shipped_families(codecs: dict[str, Codec]) -> None:
    assert list(CODECS) == ["learned", "jpeg", "webp", "avif"]
    for name, c in codecs.items():
        assert isinstance(c, Codec) and c.name == name


@pytest.mark.parametrize("name", ["jpeg", "webp", "avif"])
def test_classical_round_trip_is_the_anchor(name: str, codecs: dict[str, Codec],
                                            img: torch.Tensor) -> None:
    """Same bytes and pixels as anchors.Anchor.roundtrip (one place for the settings)."""
    enc = check_clean_round_trip(codecs[name], img, min_psnr_db=25.0)
    ref, ref_bits = ANCHORS[name].roundtrip(img, QUALITY[name])
    rec, _ = codecs[name].decode(enc.side, enc.payload)
    assert enc.n_bits == ref_bits
    assert torch.equal(rec, ref)


def test_learned_round_trip_is_compressai(codecs: dict[str, Codec], img: torch.Tensor) -> None:
    """The adapter's clean decode equals CompressAI's own compress/decompress, bits included."""
    codec = codecs["learned"]
    enc = check_clean_round_trip(codec, img, min_psnr_db=20.0)
    ref, ref_bits, _ = codec_roundtrip(codec.model, img)
    rec, _ = codec.decode(enc.side, enc.payload)
    assert enc.n_bits == ref_bits
    assert torch.allclose(rec, ref, atol=1e-5)
    assert len(enc.side.header) == 56  # the payload header: error-free side information


@pytest.mark.parametrize("name", list(QUALITY))
def test_every_codec_survives_the_corrupted_stream_table(name: str, codecs: dict[str, Codec],
                                                         img: torch.Tensor) -> None:
    codec = codecs[name]
    enc = codec.encode(img)
    table = check_survives_table(codec, enc)
    reports = {what: rep for what, (_, rep) in table.items()}
    if name == "learned":  # robust_decode conceals: every body decodes to an image
        assert all(r.decoded_ok for r in reports.values())
        clean = psnr(img, codec.decode(enc.side, enc.payload)[0])
        assert psnr(img, table["flips at 0.5"][0]) < clean - 3  # the flips were decoded
    else:  # Pillow refuses these streams: counted as failures, with the fallback image
        for what in ("empty", "random bytes", "one random byte", "truncated to 1",
                     "flips at 0.5"):
            assert reports[what].failure == "undecodable", what
        assert "empty" in reports["empty"].detail
    assert reports["flips at 1e-06"].decoded_ok  # nothing (or next to nothing) flipped


@pytest.mark.parametrize("name", ["jpeg", "webp", "avif"])
def test_a_stream_of_another_size_is_a_failure(name: str, codecs: dict[str, Codec]) -> None:
    codec = codecs[name]
    other = codec.encode(photo(W, H))  # transposed size
    side = codec.encode(photo()).side
    rec, rep = codec.decode(side, other.payload)
    check_report(rec, rep, side)
    assert rep.failure == "wrong_size" and f"{W}x{H}" in rep.detail


# ------------------------------------------------------------------- a codec added in a test

class ToyCodec(RobustCodec):
    """Raw pixels quantised to ``quality`` bits per channel (one byte each)."""

    name = "toy"

    def __init__(self, quality: int) -> None:
        self.quality = check_quality(self.name, quality, 1, 8)

    def encode(self, img: torch.Tensor) -> Encoded:
        levels = 2 ** self.quality - 1
        q = (img * levels).round().to(torch.uint8).numpy().tobytes()
        return Encoded(SideInfo(self.name, self.quality, img.shape[1], img.shape[2]), q)

    def decode_stream(self, side: SideInfo, received: bytes) -> tuple[torch.Tensor, int]:
        arr = np.frombuffer(received, dtype=np.uint8)  # a wrong length raises in reshape
        rec = torch.from_numpy(arr.copy()).float().reshape(3, side.height, side.width)
        return rec / (2 ** self.quality - 1), 0


def test_a_toy_codec_is_one_class_and_one_entry(monkeypatch: pytest.MonkeyPatch,
                                                img: torch.Tensor) -> None:
    monkeypatch.setitem(CODECS, "toy", ToyCodec)
    codec = get_codec("toy", 6)
    assert isinstance(codec, Codec)
    enc = check_clean_round_trip(codec, img, min_psnr_db=40.0)  # 6 bits: about 43 dB
    assert enc.n_bits == 8 * 3 * H * W
    reports = {what: rep for what, (_, rep) in check_survives_table(codec, enc).items()}
    assert reports["truncated to 1"].failure == "undecodable"
    assert reports["flips at 0.1"].decoded_ok  # same length: decodes, values clamped
    with pytest.raises(ValueError, match=r"^toy quality=9 is invalid: must be an integer in "
                                         r"1\.\.8$"):
        get_codec("toy", 9)


def test_a_decoder_giving_another_size_is_a_failure(img: torch.Tensor) -> None:
    class Cropping(ToyCodec):
        def decode_stream(self, side: SideInfo, received: bytes) -> tuple[torch.Tensor, int]:
            return super().decode_stream(side, received)[0][:, 1:, :], 0

    codec = Cropping(8)
    enc = codec.encode(img)
    rec, rep = codec.decode(enc.side, enc.payload)
    check_report(rec, rep, enc.side)
    assert rep.failure == "wrong_size"
    assert issubclass(StreamSizeError, ValueError)


# ------------------------------------------------------------------------------ refusals

def test_unknown_codec_is_one_line_listing_the_registered() -> None:
    with pytest.raises(ValueError) as e:
        get_codec("jpeg2000", 10)
    assert str(e.value) == ("codec 'jpeg2000' is invalid: must be one of learned, jpeg, webp, "
                            "avif")


@pytest.mark.parametrize("name", ["jpeg", "webp", "avif"])
def test_classical_quality_outside_its_range_is_refused(name: str) -> None:
    lo, hi = ANCHORS[name].q_min, ANCHORS[name].q_max
    assert get_codec(name, lo).quality == lo and get_codec(name, hi).quality == hi
    for bad in (lo - 1, hi + 1, 50.5, True, "50"):
        with pytest.raises(ValueError) as e:
            get_codec(name, bad)
        msg = str(e.value)
        assert "\n" not in msg and f"{name} quality={bad!r} is invalid" in msg
        assert f"{lo}..{hi}" in msg


def test_learned_quality_is_a_model_index(codecs: dict[str, Codec]) -> None:
    lo, hi = CODECS["learned"].quality_range()
    assert (lo, hi) == (1, 6)  # the shipped ladder's q1..q6
    for bad in (0, hi + 1):
        with pytest.raises(ValueError, match=rf"^learned quality={bad} is invalid: must be an "
                                             rf"integer in 1\.\.6$"):
            get_codec("learned", bad)


def test_side_information_of_another_codec_is_refused(codecs: dict[str, Codec],
                                                      img: torch.Tensor) -> None:
    enc = codecs["jpeg"].encode(img)
    with pytest.raises(ValueError, match="side information of jpeg quality 75 is invalid for "
                                         "webp quality 75"):
        codecs["webp"].decode(enc.side, enc.payload)


# ------------------------------------------------------------------------------ isolation

class FragileCodec(ToyCodec):
    """The toy codec whose decoder segfaults on a payload starting b"SEGV", hangs on b"HANG"."""

    name = "fragile"

    def decode_stream(self, side: SideInfo, received: bytes) -> tuple[torch.Tensor, int]:
        if received.startswith(b"SEGV"):
            ctypes.string_at(0)  # a real segmentation fault
        if received.startswith(b"HANG"):
            time.sleep(600)
        return super().decode_stream(side, received)


def test_decode_isolated_survives_a_crash(img: torch.Tensor) -> None:
    enc = FragileCodec(8).encode(img)
    out = decode_isolated(FragileCodec, 8, [(enc.side, b"SEGV" + enc.payload[4:]),
                                            (enc.side, enc.payload)])
    assert [rep.failure for _, rep in out] == ["crash", ""]
    assert "exit code" in out[0][1].detail
    for rec, rep in out:
        check_report(rec, rep, enc.side)
    assert torch.allclose(out[1][0], img, atol=0.5 / 255 + 1e-6)


@pytest.mark.slow
def test_decode_isolated_survives_a_hang(img: torch.Tensor) -> None:
    enc = FragileCodec(8).encode(img)
    out = decode_isolated(FragileCodec, 8, [(enc.side, b"HANG"), (enc.side, enc.payload)],
                          timeout_s=2.0)
    assert [rep.failure for _, rep in out] == ["timeout", ""]
    check_report(*out[0], enc.side)


@pytest.mark.slow
def test_decode_isolated_by_registry_name(codecs: dict[str, Codec], img: torch.Tensor) -> None:
    enc = codecs["jpeg"].encode(img)
    out = decode_isolated("jpeg", 75, [(enc.side, enc.payload), (enc.side, b"")])
    assert torch.equal(out[0][0], codecs["jpeg"].decode(enc.side, enc.payload)[0])
    assert out[0][1].decoded_ok and out[1][1].failure == "undecodable"
    with pytest.raises(ValueError, match="codec 'png' is invalid"):
        decode_isolated("png", 1, [])


# ------------------------------------------------------------ qualities matched to the ladder

def test_match_quality_equals_brute_force_on_a_monotone_rate() -> None:
    """Against a scan of every quality (ties to the lower quality)."""
    rate = dict(enumerate(np.cumsum(np.random.default_rng(3).integers(0, 4, 101)) / 40.0))

    class Table(MeanRate):
        def __init__(self) -> None:
            self.cache = {}

        def __call__(self, q: int) -> float:
            self.cache[q] = rate[q]
            return rate[q]

    for target in (-1.0, 0.0, 0.3, 0.7125, 1.0, rate[100], 99.0):
        m = match_quality(Table(), target, 0, 100)
        best = min(range(101), key=lambda q: (abs(rate[q] - target), q))
        assert abs(rate[m["quality"]] - target) == abs(rate[best] - target), target
        if m["q_below"] is not None:
            assert m["bpp_below"] <= target and m["q_below"] in (m["quality"], m["quality"] - 1)
        if m["q_above"] is not None:
            assert m["bpp_above"] > target
    assert match_quality(Table(), -1.0, 0, 100)["q_below"] is None
    assert match_quality(Table(), 99.0, 0, 100)["q_above"] is None


def test_match_family_is_the_closest_mean_bpp_of_all_qualities(img: torch.Tensor) -> None:
    """JPEG on two tiny photos: the matched quality against a scan of 1..95."""
    images = [img, photo(index=1)]
    scan = {q: float(np.mean([ANCHORS["jpeg"].roundtrip(im, q)[1] / (H * W) for im in images]))
            for q in range(1, 96)}
    targets = [(1, 0.4), (2, 1.3)]
    fam = match_family("jpeg", images, targets)
    assert fam["quality_range"] == [1, 95]
    for (model, target), e in zip(targets, fam["entries"]):
        best_gap = min(abs(b - target) for b in scan.values())
        assert e["model"] == model and math.isclose(abs(scan[e["quality"]] - target), best_gap)
        assert math.isclose(e["bpp"], scan[e["quality"]])
        assert math.isclose(e["rel_gap"], abs(e["bpp"] - target) / target)
        rec = [get_codec("jpeg", e["quality"]).encode(im) for im in images]
        assert math.isclose(e["rs_bits"], np.mean([r.n_bits for r in rec]))
        assert math.isclose(e["psnr"], np.mean([psnr(im, ANCHORS["jpeg"].roundtrip(
            im, e["quality"])[0]) for im in images]))
    assert fam["n_qualities_encoded"] < 20  # a bisection, not a scan


def test_ladder_targets_are_the_shipped_ladder_rates() -> None:
    doc = json.loads((SHIPPED_CODECS / "ladder.json").read_text())
    assert ladder_targets() == [(r["model"], r["bpp"]) for r in doc["models"]]


@pytest.mark.parametrize("families, msg", [
    (["jpeg", "png"], "codec 'png' is invalid: must be one of learned, jpeg, webp, avif"),
    (["learned"], "family 'learned' is invalid: must be one of jpeg, webp, avif"),
    ([], "families=[] is invalid: name at least one of jpeg, webp, avif"),
])
def test_classical_ladder_refuses_bad_families_in_one_line(tmp_path, capsys, families,
                                                           msg) -> None:
    out = tmp_path / "out"
    assert classical_ladder_main(["--out", str(out), "--families", ",".join(families)]) == 2
    assert capsys.readouterr().err == f"classical_ladder: error: {msg}\n"
    assert not out.exists()
