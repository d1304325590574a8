"""Payload format and crash-proof decoding of any body (clean, flipped, pathological)."""

import numpy as np
import pytest
import torch

from semcodec.channel import flip_bits
from semcodec.datasets import shipped_photos
from semcodec.payload import HEADER_SIZE, Payload, PayloadError, encode_image
from semcodec.robust_decode import RobustDecoder, fallback_image, pad_length
from semcodec.zoo import build_model


@pytest.fixture(scope="module")
def codec():
    torch.manual_seed(0)
    model = build_model("compact").eval()
    model.update(force=True)  # untrained: real tables, and clean streams with escapes
    img = shipped_photos("test", None).image(0)[:, :100, :150]  # not a multiple of 64
    return model, img, encode_image(model, img, model_index=3, model_sha=b"\x01" * 8)


def test_header_round_trip_and_fields(codec):
    model, img, p = codec
    q = Payload.from_bytes(p.to_bytes())
    assert q == p and len(p.to_bytes()) == HEADER_SIZE + len(p.body)
    h = q.header
    assert (h.height, h.width, h.z_height, h.z_width) == (100, 150, 2, 3)
    assert h.model_index == 3 and h.model_sha == b"\x01" * 8
    assert h.y_len + h.z_len == len(p.body) and p.n_bits == 8 * len(p.body)


def test_body_is_compressai_bitstream(codec):
    from semcodec.evaluate import pad_to_multiple

    model, img, p = codec
    with torch.no_grad():
        enc = model.compress(pad_to_multiple(img[None]))
    assert p.y_string == enc["strings"][0][0] and p.z_string == enc["strings"][1][0]


def test_zero_flips_decode_exactly_like_compressai(codec):
    from semcodec.evaluate import codec_roundtrip

    model, img, p = codec
    ref, _, _ = codec_roundtrip(model, img)
    body, k = flip_bits(p.body, 0.0, np.random.default_rng(0))
    rec, info = RobustDecoder(model).decode(p.header, body)
    assert k == 0 and not info.decode_failed and info.n_concealed == 0
    assert torch.equal(rec, ref)


def _pathological(body: bytes, rng: np.random.Generator) -> dict[str, bytes]:
    n = len(body)
    return {
        "empty": b"", "one_byte": body[:1], "truncated_half": body[: n // 2],
        "truncated_last": body[:-1], "all_ff": b"\xff" * n, "all_zero": bytes(n),
        "random": rng.integers(0, 256, n, dtype=np.uint8).tobytes(),
        "flip_0.5": flip_bits(body, 0.5, rng)[0], "flip_1e-2": flip_bits(body, 1e-2, rng)[0],
        "too_long_ff": body + b"\xff" * 5000, "huge_ff": b"\xff" * (20 * n),
    }


def test_every_pathological_body_gives_a_finite_image(codec):
    model, img, p = codec
    dec = RobustDecoder(model)
    rng = np.random.default_rng(1)
    for name, body in _pathological(p.body, rng).items():
        rec, info = dec.decode(p.header, body)
        assert rec.shape == img.shape, name
        assert torch.isfinite(rec).all() and rec.min() >= 0 and rec.max() <= 1, name
        assert not info.decode_failed, name


def test_y_only_z_only_and_both_corrupted(codec):
    model, img, p = codec
    dec = RobustDecoder(model)
    rng = np.random.default_rng(2)
    h = p.header
    y_bad = flip_bits(p.y_string, 0.05, rng)[0]
    z_bad = flip_bits(p.z_string, 0.05, rng)[0]
    clean, _ = dec.decode(h, p.body)
    for body in (y_bad + p.z_string, p.y_string + z_bad, y_bad + z_bad):
        rec, info = dec.decode(h, body)
        assert torch.isfinite(rec).all() and not torch.equal(rec, clean)


def test_native_decoder_escapes_are_bounded(codec):
    # CompressAI's own decompress on a corrupted stream yields escape values far outside
    # anything the encoder produced; the robust decoder keeps all symbols in range
    model, img, p = codec
    rng = np.random.default_rng(3)
    dec = RobustDecoder(model)
    worst = 0
    for _ in range(5):
        body = rng.integers(0, 256, len(p.body), dtype=np.uint8).tobytes()
        y = body[:p.header.y_len] + bytes(pad_length(10**5, len(body)))
        with torch.no_grad():
            z_hat = model.entropy_bottleneck.decompress([p.z_string], (2, 3))
            idx = model.gaussian_conditional.build_indexes(model.h_s(z_hat))
            y_hat = model.gaussian_conditional.decompress([y], idx)
        worst = max(worst, float(y_hat.abs().max()))
        _, info = dec.decode(p.header, body)
        assert not info.decode_failed
    table_max = int(model.gaussian_conditional._cdf_length.max())
    assert worst > table_max  # escapes happen (values of order 1e9 in practice)


def test_fallback_image_and_safe_decode(codec):
    model, img, p = codec
    fb = fallback_image(5, 7)
    assert fb.shape == (3, 5, 7) and torch.all(fb == 0.5)
    dec = RobustDecoder(model)
    dec._gc = None  # any Python error inside decode -> counted failure + fallback image
    rec, info = dec.safe_decode(p.header, p.body)
    assert info.decode_failed and "AttributeError" in info.error
    assert rec.shape == img.shape and torch.all(rec == 0.5)


def test_not_our_payload_gives_clear_errors(codec):
    _, _, p = codec
    raw = p.to_bytes()
    with pytest.raises(PayloadError, match="not an ISSC payload"):
        Payload.from_bytes(b"\x89PNG\r\n" + raw[6:], "x.png")
    with pytest.raises(PayloadError, match="version"):
        Payload.from_bytes(raw[:5] + b"\x07" + raw[6:])
    damaged = bytearray(raw)
    damaged[20] ^= 0x10
    with pytest.raises(PayloadError, match="damaged header"):
        Payload.from_bytes(bytes(damaged))
    with pytest.raises(PayloadError, match="body has"):
        Payload.from_bytes(raw[:-3])
    with pytest.raises(PayloadError, match="shorter than"):
        Payload.from_bytes(raw[:10])
    assert issubclass(PayloadError, ValueError)
    with pytest.raises(ValueError, match="body length"):
        p.with_body(p.body[:-1])
