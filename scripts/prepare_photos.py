"""Prepare real photographs from Debian packages into a photo folder with attribution.

The convention of ``data/photos`` (see its README): longest side resized to 512 px
(Lanczos, never enlarged), stored as JPEG quality 95 with 4:4:4 chroma, named
``<package>__<stem>.jpg``; ``ATTRIBUTION.csv`` gives per file the source package,
the path inside the package, the licence and the size; ``LICENSES/`` holds each
package's Debian copyright file (``<package>.copyright``) and any licence note the
package keeps beside the images.

Steps (the packages are fetched with Debian's own client, then unpacked)::

    apt-get download budgie-backgrounds tuxpaint-data ...      # see SOURCES for suites
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
import shutil
import struct
import sys
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
LONG_SIDE = 512
JPEG_QUALITY = 95
#: normalised correlation of 32x32 grey thumbnails at or above which two photos are one
NEAR_COPY = 0.95


@dataclass(frozen=True)
class Source:
    """Photos of one Debian package.

    Args:
        package: Debian package name (``apt-get download <package>``).
        suite: Debian suite it was taken from (bookworm, trixie).
        members: paths inside the unpacked package; ``rcc:<archive>:<path>`` reads a
            file out of a Qt resource archive (GCompris stores its images so).
        licence: licence of these files as the copyright file states it.
        notes: further licence files inside the package, copied to ``LICENSES/``
            as ``<package>.<name>``.
    """

    package: str
    suite: str
    members: tuple[str, ...]
    licence: str
    notes: tuple[str, ...] = ()

    def copyright_path(self, root: Path) -> Path:
        return root / self.package / "usr/share/doc" / self.package / "copyright"


_BUDGIE = "usr/share/backgrounds/budgie/"
_TUX = "usr/share/tuxpaint/templates/"
_LXQT = "usr/share/lxqt/wallpapers/"
_SCRATCH = "usr/share/scratch/Media/Backgrounds/"
_GRUB = "usr/share/images/grub/"
_GC = "rcc:usr/share/gcompris-qt/rcc/categorization.rcc:gcompris/src/activities/categorization/" \
      "resource/images/"

#: The sources of ``data/photos_train_extra`` (chosen by eye: photographs of scenes,
#: no renderings, drawings or abstract art; licences checked in each copyright file).
SOURCES: tuple[Source, ...] = (
    Source("budgie-backgrounds", "trixie", tuple(_BUDGIE + f + ".jpg" for f in (
        "beacon-street-sunset", "blue-periwinkle", "canyon-wren", "casa-mila",
        "extreme-desert-hike", "high-trestle-trail", "lake-sherburne", "oakland-zoo-otters",
        "perched-osprey", "piazza-gae-aulenti", "roman-colosseum", "singaporean-cityscape",
        "tea-gardens")),
        "CC0-1.0; see LICENSES/budgie-backgrounds.copyright"),
    Source("tuxpaint-data", "trixie", tuple(_TUX + f + ".jpg" for f in (
        "burnt_bark", "cliff", "clouds_from_airplane", "corn_maze", "jellyfish", "lighthouse",
        "lough_leane", "mossy_bark", "mossy_log", "mudstone", "ocean_splash", "ocean_waves",
        "redwoods_above", "rocks", "sheep", "spiders_web", "sun_behind_clouds",
        "sun_behind_leaves", "trees_above", "trees_at_dusk", "wool_mill_machine")),
        "GPL-2+ (Files: *); see LICENSES/tuxpaint-data.copyright"),
    Source("lxqt-themes", "bookworm", tuple(_LXQT + f for f in (
        "Butterfly-Kenneth-Wimer.jpg", "Valendas.png", "after-the-rain.jpg", "appleflower.png",
        "beam.png", "butterfly.png", "cloud.png", "drop.png", "flowers.png", "fog.jpg",
        "this-is-not-windows.jpg")),
        "CC-BY-SA-3.0 (LXQt Project Team); see LICENSES/lxqt-themes.copyright and "
        "lxqt-themes.License", notes=(_LXQT + "License",)),
    Source("palapeli-data", "bookworm", tuple("usr/share/palapeli/collection/" + f + ".jpg"
                                              for f in ("castle-maintenon", "cincinnati-bridge",
                                                        "citrus-fruits", "european-honey-bee",
                                                        "panther-chameleon-female")),
           "GPL-2+ (Files: *); see LICENSES/palapeli-data.copyright"),
    Source("pysolfc", "trixie", ("usr/share/games/pysolfc/tiles/save-aspect/Leaf.jpg",
                                 "usr/share/games/pysolfc/tiles/save-aspect/Mountains.jpg"),
           "CC0 (tiles/COPYRIGHT); see LICENSES/pysolfc.copyright and pysolfc.COPYRIGHT",
           notes=("usr/share/games/pysolfc/tiles/COPYRIGHT",)),
    Source("gcompris-qt-data", "bookworm", tuple(_GC + f + ".webp" for f in (
        "alphabets/alphabets", "numbers/numbers", "others/spoons", "others/weighingMachine",
        "renewable/windmill6", "tools/nailCutter", "monuments/victoriaMemorial")),
        "mostly CC-BY / CC-BY-SA (Wikimedia Commons), per file; see "
        "LICENSES/gcompris-qt-data.copyright"),
    Source("scratch", "bookworm", tuple(_SCRATCH + f + ".jpg" for f in (
        "Indoors/clothing-store", "Indoors/hall", "Indoors/kitchen", "Indoors/the-movies-inside",
        "Nature/beach-malibu", "Nature/canyon", "Nature/flower-bed", "Nature/forest",
        "Nature/garden-rock", "Nature/grand-canyon", "Nature/gravel-desert", "Nature/hill",
        "Nature/lake", "Nature/moon", "Nature/pathway", "Nature/tree", "Nature/water-and-rocks",
        "Nature/wave", "Outdoors/all-sports-mural", "Outdoors/atom-playground",
        "Outdoors/bench-with-view", "Outdoors/berkeley-mural", "Outdoors/boardwalk",
        "Outdoors/brick-wall-and-stairs", "Outdoors/brick-wall1", "Outdoors/brick-wall2",
        "Outdoors/building-at-mit", "Outdoors/building-fireproof", "Outdoors/castle",
        "Outdoors/city-with-water", "Outdoors/city-with-water2", "Outdoors/driveway",
        "Outdoors/hallway_outdoors", "Outdoors/hay_field", "Outdoors/houses", "Outdoors/mansion",
        "Outdoors/mural-faro", "Outdoors/parking-ramp", "Outdoors/pool", "Outdoors/route66",
        "Outdoors/silos", "Outdoors/the-movies", "Outdoors/train-tracks1",
        "Outdoors/train-tracks2", "Outdoors/village", "Outdoors/wooden-house",
        "Sports/baseball-field", "Sports/basketball-court1-a", "Sports/basketball-court1-b",
        "Sports/football-field", "Sports/playing-field", "Sports/tennis-backboard")),
        "CC-BY-SA-3.0 (Files: Media/*, MIT); see LICENSES/scratch.copyright"),
    Source("grub2-splashimages", "trixie", tuple(_GRUB + f + ".tga" for f in (
        "050817-N-3488C-028", "Apollo_17_The_Last_Moon_Shot_Edit1", "B-1B_over_the_pacific_ocean",
        "BonsaiTridentMaple", "Moraine_Lake_17092005", "Windbuchencom")),
        "public domain (Wikimedia Commons), per file; see LICENSES/grub2-splashimages.copyright"),
    Source("grub2-splashimages", "trixie", tuple(_GRUB + f + ".tga" for f in (
        "2006-02-15_Piping", "Hortensia-1", "Lake_mapourika_NZ", "Plasma-lamp",
        "TulipStair_QueensHouse_Greenwich")),
        "GFDL-1.2+ (Wikimedia Commons), per file; see LICENSES/grub2-splashimages.copyright"),
    Source("sddm-theme-maldives", "trixie",
           ("usr/share/sddm/themes/maldives/background.jpg",),
           "CC-BY-SA-3.0 (2012, Dr. Peter Schmidt; Files: data/themes/maldives/*); see "
           "LICENSES/sddm-theme-maldives.copyright"),
)


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

    Raises ``ValueError`` (one line) for a source without its copyright file, before
    anything is written.
    """
    for s in sources:
        if not s.copyright_path(unpacked).is_file():
            raise ValueError(f"source {s.package}: licence file {s.copyright_path(unpacked)} "
                             f"is missing; refusing to add the source")
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
            name = f"{s.package}__{Path(member.split(':')[-1]).stem}.jpg"
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
