"""Prepare real photographs from Debian packages into a photo folder with attribution.

The convention of ``data/photos`` (see its README): longest side resized to 512 px
(Lanczos, never enlarged), stored as JPEG quality 95 with 4:4:4 chroma, named
``<package>__<stem>.jpg``; ``ATTRIBUTION.csv`` gives per file the source package,
the path inside the package, the licence and the size; ``LICENSES/`` holds each
package's Debian copyright file (``<package>.copyright``) and any licence note the
package keeps beside the images.

Steps (the packages are fetched with Debian's own client, then unpacked; the table
of sources is ``scripts/photo_sources.py``)::

    apt-get download $(python -m scripts.photo_sources bookworm)
    # trixie: an apt with its own lists (trixie.list holds the one "deb ... trixie main" line)
    T="-o Dir::Etc::SourceList=$PWD/trixie.list -o Dir::Etc::SourceParts=/dev/null
       -o Dir::State::Lists=$PWD/lists -o Dir::Cache=$PWD/cache"
    mkdir -p lists/partial cache/archives/partial; apt-get $T update
    apt-get $T download $(python -m scripts.photo_sources trixie)
    for f in *.deb; do n=${f%%_*}; mkdir -p x/$n; dpkg-deb -x $f x/$n; done
    python -m scripts.prepare_photos --unpacked x --out data/photos_train_extra

A source whose Debian copyright file is missing is refused. A photo that is a near
copy of one already in ``--against`` folders (``data/photos`` by default, so that
the shipped test split never leaks into training) or of one added before it is
skipped and counted, as are cut-outs with transparent backgrounds (not photographs
of a scene).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from scripts.photo_sources import SOURCES, Source

REPO = Path(__file__).resolve().parent.parent
LONG_SIDE = 512
JPEG_QUALITY = 95
#: normalised correlation of 32x32 grey thumbnails at or above which two photos are one
NEAR_COPY = 0.95


def rcc_files(path: Path) -> Iterator[tuple[str, bytes]]:
    """(path, bytes) of every file in a Qt resource archive (``.rcc``, format 1-3)."""
    b = path.read_bytes()
    if b[:4] != b"qres":
        raise ValueError(f"{path} is not a Qt resource archive (no 'qres' magic)")
    ver, tree, data, names = struct.unpack(">IIII", b[4:20])
    node = 14 if ver == 1 else 22

    def name(off: int) -> str:
        (n,) = struct.unpack(">H", b[names + off:names + off + 2])
        return b[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")

    def walk(i: int, prefix: str) -> Iterator[tuple[str, bytes]]:
        o = tree + i * node
        noff, flags = struct.unpack(">IH", b[o:o + 6])
        here = prefix + name(noff) if i else ""
        if flags & 2:  # directory: children are nodes first..first+count-1
            count, first = struct.unpack(">II", b[o + 6:o + 14])
            for c in range(first, first + count):
                yield from walk(c, here + "/" if i else "")
        else:
            (doff,) = struct.unpack(">I", b[o + 10:o + 14])
            (size,) = struct.unpack(">I", b[data + doff:data + doff + 4])
            raw = b[data + doff + 4:data + doff + 4 + size]
            if flags & 1:  # qCompress: 4-byte length, then zlib
                raw = zlib.decompress(raw[4:])
            elif flags & 4:
                raise ValueError(f"{path}: zstd-compressed member {here} is not supported")
            yield here, raw

    yield from walk(0, "")


def read_member(root: Path, package: str, member: str) -> bytes:
    """The bytes of one member of an unpacked package (``rcc:`` members read the archive)."""
    if member.startswith("rcc:"):
        _, archive, inner = member.split(":", 2)
        for path, raw in rcc_files(root / package / archive):
            if path == inner:
                return raw
        raise FileNotFoundError(f"{inner} is not in {root / package / archive}")
    return (root / package / member).read_bytes()


def photo_name(source: Source, member: str) -> str:
    """``<package>__<stem>.jpg``; a KDE wallpaper ``<Name>/contents/images/<W>x<H>.jpg`` is
    named after ``<Name>``, and a ``qualify``-ing source prefixes the archive name."""
    path = Path(member.split(":")[-1])
    stem = path.stem
    if re.fullmatch(r"\d+x\d+", stem) and path.parts[-3:-1] == ("contents", "images"):
        stem = path.parts[-4]
    if source.qualify and member.startswith("rcc:"):
        stem = f"{Path(member.split(':')[1]).stem}_{stem}"
    return f"{source.package}__{stem}.jpg"


def resize_like_shipped(im: Image.Image) -> Image.Image:
    """RGB, longest side ``LONG_SIDE`` px (Lanczos; smaller images are kept as they are)."""
    im = im.convert("RGB")
    scale = LONG_SIDE / max(im.size)
    if scale < 1:
        im = im.resize((round(im.width * scale), round(im.height * scale)), Image.LANCZOS)
    return im


def save_like_shipped(im: Image.Image, path: Path) -> None:
    """JPEG quality 95, 4:4:4 chroma (``subsampling=0``), as ``data/photos``."""
    im.save(path, format="JPEG", quality=JPEG_QUALITY, subsampling=0)


def thumb(im: Image.Image) -> np.ndarray:
    """Zero-mean unit-norm 32x32 grey thumbnail: dot products are correlations."""
    a = np.asarray(im.convert("L").resize((32, 32), Image.BILINEAR), dtype=np.float64).ravel()
    a = a - a.mean()
    return a / (np.linalg.norm(a) or 1.0)


def is_cutout(im: Image.Image) -> bool:
    """More than 1% transparent pixels: an object cut out of its scene."""
    if im.mode not in ("RGBA", "LA", "PA") and "transparency" not in im.info:
        return False
    alpha = np.asarray(im.convert("RGBA"))[..., 3]
    return float(np.mean(alpha < 255)) > 0.01


def prepare(unpacked: Path, out: Path, sources: tuple[Source, ...] = SOURCES,
            against: tuple[Path, ...] = (REPO / "data" / "photos",)) -> dict[str, int]:
    """Write the photos of ``sources`` into ``out``; returns counts (added, near copies, ...).

    Raises ``ValueError`` (one line) for a source without its copyright file or for two
    photos that would get one file name, before anything is written.
    """
    for s in sources:
        if not s.copyright_path(unpacked).is_file():
            raise ValueError(f"source {s.package}: licence file {s.copyright_path(unpacked)} "
                             f"is missing; refusing to add the source")
    names = [photo_name(s, m) for s in sources for m in s.members]
    if len(set(names)) < len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"photo names {twice} are taken twice; give those sources qualify=True")
    seen = [thumb(Image.open(p)) for d in against for p in sorted(Path(d).glob("*.jpg"))]
    (out / "LICENSES").mkdir(parents=True, exist_ok=True)
    rows, counts = [], {"added": 0, "near_copies": 0, "cutouts": 0}
    for s in sources:
        shutil.copyfile(s.copyright_path(unpacked), out / "LICENSES" / f"{s.package}.copyright")
        for note in s.notes:
            shutil.copyfile(unpacked / s.package / note,
                            out / "LICENSES" / f"{s.package}.{Path(note).name}")
        for member in s.members:
            with Image.open(io.BytesIO(read_member(unpacked, s.package, member))) as src:
                src.load()
                if is_cutout(src):
                    counts["cutouts"] += 1
                    continue
                im = resize_like_shipped(src)
            t = thumb(im)
            if seen and max(float(t @ u) for u in seen) >= NEAR_COPY:
                counts["near_copies"] += 1
                print(f"skipped near copy: {s.package} {member}", file=sys.stderr)
                continue
            seen.append(t)
            name = photo_name(s, member)
            save_like_shipped(im, out / name)
            rows.append({"file": name, "split": "train", "source_package": s.package,
                         "original_path": f"{s.suite}/{s.package}/{member}",
                         "licence": s.licence, "width": im.width, "height": im.height})
            counts["added"] += 1
    with open(out / "ATTRIBUTION.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return counts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.prepare_photos", description=__doc__)
    p.add_argument("--unpacked", required=True, type=Path,
                   help="folder of unpacked packages, one sub-folder per package name")
    p.add_argument("--out", required=True, type=Path, help="photo folder to write")
    args = p.parse_args(argv)
    try:
        counts = prepare(args.unpacked, args.out)
    except (ValueError, FileNotFoundError) as exc:
        print(f"prepare_photos: error: {exc}", file=sys.stderr)
        return 2
    print(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
