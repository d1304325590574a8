"""The extra training photos (data/photos_train_extra): attribution, licences, loading."""

from __future__ import annotations

import csv
import shutil

import pytest
from PIL import Image

from scripts.prepare_photos import LONG_SIDE, SOURCES, is_cutout, prepare, thumb
from semcodec.datasets import (
    EXTRA_TRAIN_PHOTOS,
    SHIPPED_PHOTOS,
    attributed_photos,
    check_attribution,
    list_images,
)
from semcodec.ladder import make_datasets


def test_the_extra_folder_loads_with_every_attribution_row_checked():
    ds = attributed_photos(EXTRA_TRAIN_PHOTOS, 128, True)
    rows = list(csv.DictReader(open(EXTRA_TRAIN_PHOTOS / "ATTRIBUTION.csv")))
    assert ds.skipped == 0 and len(ds) == len(rows) >= 50
    assert sorted(p.name for p in ds.files) == sorted(r["file"] for r in rows)
    for r in rows:  # every file has a row whose licence file exists, sized as data/photos
        assert r["licence"] and (EXTRA_TRAIN_PHOTOS / "LICENSES" /
                                 f"{r['source_package']}.copyright").is_file()
        with Image.open(EXTRA_TRAIN_PHOTOS / r["file"]) as im:
            assert im.size == (int(r["width"]), int(r["height"])) and max(im.size) <= LONG_SIDE
    assert tuple(ds[0].shape) == (3, 128, 128)
    assert {s.package for s in SOURCES} == {r["source_package"] for r in rows}


def test_no_extra_photo_is_a_near_copy_of_a_shipped_photo():
    shipped = [thumb(Image.open(p)) for p in sorted(SHIPPED_PHOTOS.glob("*.jpg"))]
    for p in sorted(EXTRA_TRAIN_PHOTOS.glob("*.jpg")):
        t = thumb(Image.open(p))
        assert max(float(t @ u) for u in shipped) < 0.95, p.name
    names = {p.name for p in SHIPPED_PHOTOS.glob("*.jpg")}
    assert not names & {p.name for p in EXTRA_TRAIN_PHOTOS.glob("*.jpg")}


def test_the_shipped_photos_pass_the_same_attribution_check():
    files, _ = list_images(SHIPPED_PHOTOS)
    assert len(check_attribution(SHIPPED_PHOTOS, files)) == len(files) == 171


def _copy(tmp_path, n=3):
    d = tmp_path / "photos"
    (d / "LICENSES").mkdir(parents=True)
    rows = list(csv.DictReader(open(EXTRA_TRAIN_PHOTOS / "ATTRIBUTION.csv")))[:n]
    for r in rows:
        shutil.copy(EXTRA_TRAIN_PHOTOS / r["file"], d / r["file"])
        lic = f"{r['source_package']}.copyright"
        shutil.copy(EXTRA_TRAIN_PHOTOS / "LICENSES" / lic, d / "LICENSES" / lic)
    with open(d / "ATTRIBUTION.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return d, rows


def test_unreadable_files_are_skipped_and_counted(tmp_path, capsys):
    d, rows = _copy(tmp_path)
    (d / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    (d / "empty.png").write_bytes(b"")
    ds = attributed_photos(d, 64)
    assert len(ds) == len(rows) and ds.skipped == 2
    assert "skipped 2 unusable image file(s)" in capsys.readouterr().err


def test_a_source_without_licence_file_is_refused(tmp_path):
    d, rows = _copy(tmp_path)
    pkg = rows[0]["source_package"]
    (d / "LICENSES" / f"{pkg}.copyright").unlink()
    with pytest.raises(ValueError, match=f"photo source '{pkg}' .* has no licence file .*"
                                         f"refusing the source") as e:
        attributed_photos(d, 64)
    assert "\n" not in str(e.value)


def test_a_photo_without_attribution_row_is_refused(tmp_path):
    d, _ = _copy(tmp_path)
    Image.new("RGB", (96, 80), (10, 200, 30)).save(d / "stray.jpg")
    with pytest.raises(ValueError, match="photo stray.jpg .* has no row"):
        attributed_photos(d, 64)
    (d / "ATTRIBUTION.csv").unlink()
    with pytest.raises(ValueError, match="has no ATTRIBUTION.csv"):
        attributed_photos(d, 64)


def test_prepare_refuses_a_package_without_copyright_file(tmp_path):
    (tmp_path / "unpacked" / SOURCES[0].package).mkdir(parents=True)
    with pytest.raises(ValueError, match=f"source {SOURCES[0].package}: licence file .* "
                                         f"missing; refusing"):
        prepare(tmp_path / "unpacked", tmp_path / "out", SOURCES[:1])
    assert not (tmp_path / "out").exists()


def test_prepare_resizes_like_the_shipped_photos_and_drops_cutouts_and_copies(tmp_path):
    from scripts.prepare_photos import Source

    pkg = tmp_path / "unpacked" / "demo-photos"
    (pkg / "usr/share/doc/demo-photos").mkdir(parents=True)
    (pkg / "usr/share/doc/demo-photos/copyright").write_text("Files: *\nLicense: CC0-1.0\n")
    src = Image.open(sorted(EXTRA_TRAIN_PHOTOS.glob("*.jpg"))[0]).resize((1200, 800))
    src.save(pkg / "big.png")
    src.resize((600, 400)).save(pkg / "copy.png")  # the same photo again, smaller
    cut = src.convert("RGBA")
    cut.putalpha(Image.new("L", cut.size, 0).resize(cut.size))
    cut.save(pkg / "cut.png")
    counts = prepare(tmp_path / "unpacked", tmp_path / "out",
                     (Source("demo-photos", "test", ("big.png", "copy.png", "cut.png"),
                             "CC0-1.0"),), against=())
    assert counts == {"added": 1, "near_copies": 1, "cutouts": 1}
    out = Image.open(tmp_path / "out" / "demo-photos__big.jpg")
    assert out.size == (512, 341) and out.format == "JPEG"
    assert is_cutout(cut) and not is_cutout(src)
    assert len(attributed_photos(tmp_path / "out", 64)) == 1


def test_training_option_adds_the_extra_photos_to_the_train_split_only():
    tr, va, ev, desc = make_datasets("shipped+extra", None, 64, 0)
    base, bva, bev, _ = make_datasets("shipped", None, 64, 0)
    n_extra = len(list(EXTRA_TRAIN_PHOTOS.glob("*.jpg")))
    assert len(tr) == len(base) + n_extra and f"plus {n_extra} photos" in desc
    assert va.files == bva.files and len(ev) == len(bev)


def test_the_readme_counts_are_the_attribution_counts():
    import re
    from collections import Counter

    text = " ".join((EXTRA_TRAIN_PHOTOS / "README.md").read_text().split())
    rows = list(csv.DictReader(open(EXTRA_TRAIN_PHOTOS / "ATTRIBUTION.csv")))
    total, listed = re.search(r"^(\d+) real photographs from Debian packages \((.*?); suites",
                              text).groups()
    per_package = {p: int(n) for p, n in re.findall(r"([a-z0-9.+-]+) (\d+)", listed)}
    assert int(total) == len(rows) == sum(per_package.values())
    assert per_package == Counter(r["source_package"] for r in rows)
    mb = sum(p.stat().st_size for p in EXTRA_TRAIN_PHOTOS.rglob("*") if p.is_file()) / 1e6
    assert f"{round(mb)} MB" in text and mb < 60


def test_photo_names_are_unique_and_say_where_the_photo_came_from(tmp_path):
    from scripts.photo_sources import Source, packages
    from scripts.prepare_photos import photo_name

    kde = Source("plasma-workspace-wallpapers", "trixie",
                 ("usr/share/wallpapers/Mountain/contents/images/5120x2880.png",), "GPL-2+")
    assert photo_name(kde, kde.members[0]) == "plasma-workspace-wallpapers__Mountain.jpg"
    gc = "rcc:usr/share/gcompris-qt/rcc/erase.rcc:gcompris/src/activities/erase/resource/horse.webp"
    plain = Source("gcompris-qt-data", "bookworm", (gc,), "GPL-3+")
    qualified = Source("gcompris-qt-data", "bookworm", (gc,), "GPL-3+", qualify=True)
    assert photo_name(plain, gc) == "gcompris-qt-data__horse.jpg"
    assert photo_name(qualified, gc) == "gcompris-qt-data__erase_horse.jpg"
    names = [photo_name(s, m) for s in SOURCES for m in s.members]
    assert len(names) == len(set(names))
    # two photos that would get one name are refused before anything is written
    pkg = tmp_path / "unpacked" / "gcompris-qt-data" / "usr/share/doc/gcompris-qt-data"
    pkg.mkdir(parents=True)
    (pkg / "copyright").write_text("Files: *\nLicense: GPL-3+\n")
    farm = gc.replace("erase", "explore_farm_animals").replace("/horse", "/animals/horse")
    twice = (plain, Source("gcompris-qt-data", "bookworm", (farm,), "GPL-3"))
    with pytest.raises(ValueError, match=r"photo names \['gcompris-qt-data__horse.jpg'\] are "
                                         r"taken twice; give those sources qualify=True"):
        prepare(tmp_path / "unpacked", tmp_path / "out", twice, against=())
    assert not (tmp_path / "out").exists()
    # every package is fetched from one suite, and an unknown suite is refused in one line
    assert sorted(packages("bookworm") + packages("trixie")) == sorted({s.package
                                                                        for s in SOURCES})
    with pytest.raises(ValueError, match="suite 'sid' is not one of the sources' suites"):
        packages("sid")
