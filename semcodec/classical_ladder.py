"""Classical codec qualities matched to the learned ladder's rates (issue 31, part 3).

For each model of a ladder (``ladder.json``: its mean bpp over the shipped test
photos) and each classical family of :mod:`semcodec.image_codecs`, the family's
single integer quality whose **mean** bpp over the same photos is closest to the
model's, so that a family is a ladder of G qualities like the learned one (one
setting per rate for all images, as a deployed link would use; the per-image
matches of ``issc codec-eval`` answer another question). The search is a bisection
on the mean bpp, which grows with the quality (checked: every entry records the
adjacent qualities that bracket the target and their mean bpp); ties go to the
lower quality. Each entry's bpp, rs_bits, PSNR and MS-SSIM are then measured
through the codec's own encode and decode.

Written by (about 4 min for JPEG, WebP and AVIF on 2 shared cores)::

    python -m semcodec.classical_ladder --out data/codecs/classical

into ``<out>/classical_ladder.json`` (plus ``meta.json``, the run record).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .anchors import ANCHORS
from .atomic_io import write_json_atomic
from .datasets import load_image, shipped_photos
from .evaluate import ms_ssim, psnr
from .image_codecs import CLASSICAL, codec_class, get_codec
from .ladder import SHIPPED_CODECS, read_ladder_index
from .runinfo import run_record

#: the file written into ``--out``
LADDER_FILE = "classical_ladder.json"


def ladder_targets(ladder: str | os.PathLike = SHIPPED_CODECS) -> list[tuple[int, float]]:
    """``(model, bpp)`` of every model of ``ladder/ladder.json`` (lowest rate first)."""
    index = read_ladder_index(ladder)
    if index is None:
        raise FileNotFoundError(f"no ladder.json in {ladder}: the matched rates come from it")
    out = []
    for r in index.models:
        if r.bpp is None:
            raise ValueError(f"{Path(ladder) / 'ladder.json'}: model {r.model} has no bpp; "
                             f"valid: a ladder installed with its measured rates")
        out.append((r.model, r.bpp))
    return out


class MeanRate:
    """Mean bpp over ``images`` of a family's quality, each quality encoded once (cached)."""

    def __init__(self, family: str, images: Sequence[torch.Tensor]) -> None:
        self.family, self.images = family, list(images)
        self.cache: dict[int, float] = {}

    def __call__(self, quality: int) -> float:
        if quality not in self.cache:
            codec = get_codec(self.family, quality)
            self.cache[quality] = float(np.mean([codec.encode(im).bpp for im in self.images]))
        return self.cache[quality]


def match_quality(rate: MeanRate, target_bpp: float, q_min: int, q_max: int
                  ) -> dict[str, Any]:
    """The quality of ``q_min..q_max`` whose mean bpp is closest to ``target_bpp``.

    Bisection for the largest quality at or below the target, then the neighbour
    above if it is closer. Returns ``quality``, ``bpp`` and the bracket
    ``q_below``/``bpp_below``, ``q_above``/``bpp_above`` (None where the target lies
    outside the family's range).
    """
    lo, hi = q_min, q_max
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if rate(mid) <= target_bpp:
            lo = mid
        else:
            hi = mid - 1
    up = min(lo + 1, q_max)
    best = min(sorted({lo, up}), key=lambda q: abs(rate(q) - target_bpp))
    below = lo if rate(lo) <= target_bpp else None
    above = next((q for q in (lo, up) if rate(q) > target_bpp), None)
    return {"quality": best, "bpp_search": rate(best),
            "q_below": below, "bpp_below": None if below is None else rate(below),
            "q_above": above, "bpp_above": None if above is None else rate(above)}


def measure(family: str, quality: int, images: Sequence[torch.Tensor]) -> dict[str, float]:
    """Mean bpp, bits per image, PSNR [dB] and MS-SSIM over ``images`` through the codec."""
    codec = get_codec(family, quality)
    rows = []
    for im in images:
        enc = codec.encode(im)
        rec, report = codec.decode(enc.side, enc.payload)
        if not report.decoded_ok:
            raise RuntimeError(f"{family} quality {quality}: a clean stream failed to decode "
                               f"({report.detail})")
        rows.append((enc.bpp, enc.n_bits, psnr(im, rec), ms_ssim(im, rec)))
    a = np.array(rows)
    return {"bpp": float(a[:, 0].mean()), "rs_bits": float(a[:, 1].mean()),
            "psnr": float(a[:, 2].mean()), "ms_ssim": float(a[:, 3].mean())}


def match_family(family: str, images: Sequence[torch.Tensor],
                 targets: Sequence[tuple[int, float]]) -> dict[str, Any]:
    """One family's ladder: per target model, the matched quality and its measurements."""
    q_min, q_max = codec_class(family).quality_range()
    rate = MeanRate(family, images)
    entries = []
    for model, bpp in targets:
        m = match_quality(rate, bpp, q_min, q_max)
        got = measure(family, m["quality"], images)
        entries.append({"model": model, "model_bpp": bpp, "quality": m["quality"], **got,
                        "rel_gap": abs(got["bpp"] - bpp) / bpp,
                        **{k: m[k] for k in ("q_below", "bpp_below", "q_above", "bpp_above")}})
    return {"label": ANCHORS[family].label, "quality_range": [q_min, q_max],
            "n_qualities_encoded": len(rate.cache), "entries": entries}


def _repo_relative(path: str | os.PathLike) -> str:
    """``path`` relative to the repository when inside it (a shipped file names no checkout)."""
    root = Path(__file__).resolve().parent.parent
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def write_classical_ladder(out: str | os.PathLike, families: Sequence[str] = CLASSICAL,
                           ladder: str | os.PathLike = SHIPPED_CODECS) -> dict[str, Any]:
    """Match every family of ``families`` to ``ladder``'s rates on the shipped test photos.

    Writes ``out/classical_ladder.json`` (atomically) and ``out/meta.json``; returns the table.
    """
    names = []
    for f in families:
        key = str(f).strip().lower()
        codec_class(key)  # an unknown name: one line listing the registered
        if key not in CLASSICAL:
            raise ValueError(f"family {f!r} is invalid: must be one of {', '.join(CLASSICAL)}")
        names.append(key)
    if not names:
        raise ValueError(f"families=[] is invalid: name at least one of {', '.join(CLASSICAL)}")
    targets = ladder_targets(ladder)
    files = shipped_photos("test", None).files
    out = Path(out)
    shown = _repo_relative(ladder)
    with run_record(out, families=names, ladder=shown, n_images=len(files)) as meta:
        images = [load_image(p) for p in files]
        table: dict[str, Any] = {
            "ladder": shown, "images": "shipped test split (data/photos/split.csv)",
            "n_images": len(files),
            "matching": "one quality per family and model: mean bpp over the images closest "
                        "to the model's ladder.json bpp (bisection; ties to the lower quality)",
            "families": {}}
        for name in names:
            table["families"][name] = match_family(name, images, targets)
        write_json_atomic(out / LADDER_FILE, table)
        meta["file"] = LADDER_FILE
    return table


def format_table(table: dict[str, Any]) -> str:
    """One line per (family, model): quality, bpp against the target, PSNR, MS-SSIM."""
    lines = [f"{'family':>6} {'model':>5} {'target':>7} {'q':>4} {'bpp':>7} {'gap':>6} "
             f"{'PSNR':>6} {'MS-SSIM':>7}"]
    for name, fam in table["families"].items():
        for e in fam["entries"]:
            lines.append(f"{name:>6} {e['model']:>5} {e['model_bpp']:7.4f} {e['quality']:>4} "
                         f"{e['bpp']:7.4f} {100 * e['rel_gap']:5.1f}% {e['psnr']:6.2f} "
                         f"{e['ms_ssim']:7.4f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m semcodec.classical_ladder",
                                description="classical qualities matched to the ladder's rates")
    p.add_argument("--out", required=True, help="output folder (classical_ladder.json, meta.json)")
    p.add_argument("--families", default=",".join(CLASSICAL),
                   help="comma-separated classical families (default: %(default)s)")
    p.add_argument("--ladder", default=str(SHIPPED_CODECS),
                   help="ladder folder with ladder.json (default: the shipped ladder)")
    args = p.parse_args(argv)
    try:
        families = [f for f in (s.strip() for s in args.families.split(",")) if f]
        table = write_classical_ladder(args.out, families, args.ladder)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        msg = exc.args[0] if exc.args else repr(exc)
        print(f"classical_ladder: error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("classical_ladder: interrupted", file=sys.stderr)
        return 130
    print(format_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
