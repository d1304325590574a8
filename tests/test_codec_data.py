"""Datasets: CUB layout + official split + boxes, image folders, crops, shipped photos."""

from __future__ import annotations

import pytest
import torch

from semcodec.datasets import crop, cub200, image_folder, shipped_photos


def test_cub_official_split_and_files(tiny_cub):
    train = cub200(tiny_cub, "train", crop_size=32)
    test = cub200(tiny_cub, "test", crop_size=32)
    assert [f.name for f in test.files] == ["Black_footed_Albatross_0000.jpg",
                                            "Laysan_Albatross_0000.jpg",
                                            "Laysan_Albatross_0002.jpg"]
    assert len(train) == 3 and not set(train.files) & set(test.files)
    x = train[0]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32 and 0 <= x.min() <= x.max() <= 1


def test_cub_bounding_box_crop(tiny_cub):
    ds = cub200(tiny_cub, "test", crop_size=None, bbox=True)
    # image id 1: box (8, 4, 41, 50) -> the whole-image view is the box
    assert ds.image(0).shape == (3, 50, 41)
    full = cub200(tiny_cub, "test", crop_size=None).image(0)
    assert torch.equal(ds.image(0), full[:, 4:54, 8:49])


def test_cub_missing_file_names_it(tiny_cub):
    (tiny_cub / "train_test_split.txt").unlink()
    with pytest.raises(FileNotFoundError, match="train_test_split.txt"):
        cub200(tiny_cub, "train")


def test_cub_missing_image_names_it(tiny_cub):
    victim = next((tiny_cub / "images").rglob("*_0001.jpg"))
    victim.unlink()
    with pytest.raises(FileNotFoundError, match=victim.name):
        cub200(tiny_cub, "train")


def test_folder_skips_and_counts_non_images(image_dir):
    ds = image_folder(image_dir, crop_size=64)
    assert len(ds) == 3 and ds.skipped == 1


def test_empty_folder_refused(tmp_path):
    (tmp_path / "e").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        image_folder(tmp_path / "e")


def test_crops_random_train_deterministic_eval():
    img = torch.rand(3, 70, 90)
    g = torch.Generator().manual_seed(0)
    a, b = crop(img, 64, True, g), crop(img, 64, True, g)
    assert a.shape == b.shape == (3, 64, 64)
    assert torch.equal(crop(img, 64, False), crop(img, 64, False))
    assert torch.equal(crop(img, 64, False), img[:, 3:67, 13:77])


def test_small_image_padded_or_refused():
    img = torch.rand(3, 40, 50)
    assert crop(img, 64, False).shape == (3, 64, 64)
    with pytest.raises(ValueError, match="smaller than crop=64"):
        crop(img, 64, False, pad=False, name="tiny.png")


def test_shipped_split_disjoint_and_complete():
    parts = {s: set(shipped_photos(s, None).files) for s in ("train", "val", "test")}
    assert all(parts.values())
    assert not (parts["train"] & parts["val"] or parts["train"] & parts["test"]
                or parts["val"] & parts["test"])
    assert len(shipped_photos("all", None)) == sum(map(len, parts.values()))
