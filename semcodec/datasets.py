"""Image datasets: CUB-200-2011 (official layout), any image folder, the shipped photos.

All datasets yield float32 tensors of shape (3, H, W) in [0, 1]. Training
uses random crops (with random horizontal flips); evaluation uses deterministic
centre crops, or whole images when ``crop`` is None. Images smaller than the
crop are padded by reflection (or refused with ``pad=False``).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image, UnidentifiedImageError
from torch.utils.data import Dataset

from .progress import logger
from .shipped_data import require_shipped, shipped_path

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".ppm")

#: The photos shipped with the product (data/photos: files, split.csv, ATTRIBUTION.csv).
SHIPPED_PHOTOS = shipped_path("photos")
#: More real training photos (data/photos_train_extra: files, ATTRIBUTION.csv, LICENSES/).
EXTRA_TRAIN_PHOTOS = shipped_path("photos_train_extra")  # in the repository only


class ImageReadError(ValueError):
    """An image file that cannot be used: empty, not an image, truncated, too large."""


def _to_rgb(im: Image.Image) -> Image.Image:
    """8-bit RGB of any Pillow mode; 16-bit greyscale is scaled (v / 257), not clipped at 255."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N") or (
            im.mode == "I" and im.getextrema()[1] > 255):
        import numpy as np

        grey = np.asarray(im, dtype=np.float64)
        grey8 = np.clip(np.rint(grey / 257.0), 0, 255).astype(np.uint8)
        return Image.fromarray(grey8, mode="L").convert("RGB")
    return im.convert("RGB")


def read_rgb(path: str | Path) -> Image.Image:
    """Open and fully decode an image file as 8-bit RGB, or raise one clear error.

    Raises ``FileNotFoundError`` for a missing file and :class:`ImageReadError`
    (a ``ValueError``, one line naming the file and the reason) for an empty
    file, a file that is not an image, a truncated or damaged one, and one
    whose header declares more pixels than Pillow's decompression-bomb guard
    allows (``PIL.Image.MAX_IMAGE_PIXELS`` x 2).
    """
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"image {p} does not exist")
    if p.stat().st_size == 0:
        raise ImageReadError(f"image {p} is unreadable: the file is empty (0 bytes)")
    try:
        with Image.open(p) as im:
            im.load()
            return _to_rgb(im)
    except Image.DecompressionBombError as exc:
        why = str(exc).split(", could be")[0]
        raise ImageReadError(f"image {p} is refused: {why} (Pillow's decompression-bomb "
                             f"guard)") from None
    except UnidentifiedImageError:
        raise ImageReadError(f"image {p} is unreadable: not an image format Pillow "
                             f"recognises") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageReadError(f"image {p} is unreadable (truncated or damaged): "
                             f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
                             ) from None


def load_image(path: str | Path) -> torch.Tensor:
    """Read an image file as a float32 tensor (3, H, W) in [0, 1] (errors: :func:`read_rgb`)."""
    im = read_rgb(path)
    arr = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
    w, h = im.size
    return arr.view(h, w, 3).permute(2, 0, 1).float().div_(255.0)


def list_images(folder: str | Path, min_side: int | None = None) -> tuple[list[Path], int]:
    """Usable image files under ``folder`` (recursive, sorted) and the count of skipped files.

    Every file with an image suffix is decoded once: unreadable images (empty,
    not an image, truncated, decompression bomb) and, with ``min_side``, images
    with a side shorter than ``min_side`` pixels are skipped, counted with the
    non-image files, and reported in one line on stderr. A folder with no usable
    image is refused.
    """

    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"image folder {folder} is a file, not a folder")
    if not folder.is_dir():
        raise FileNotFoundError(f"image folder {folder} does not exist")
    files, skipped, bad = [], 0, []
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            if p.suffix.lower() in IMAGE_SUFFIXES:
                try:
                    w, h = read_rgb(p).size
                except ImageReadError as exc:
                    bad.append(f"{p.name} ({str(exc).split(': ', 1)[-1]})")
                    continue
                if min_side is not None and min(w, h) < min_side:
                    bad.append(f"{p.name} ({w}x{h} px, smaller than {min_side} px)")
                    continue
                files.append(p)
            elif not p.name.startswith("."):
                skipped += 1
    if bad:
        shown = "; ".join(bad[:3]) + (f"; and {len(bad) - 3} more" if len(bad) > 3 else "")
        logger.warning(f"skipped {len(bad)} unusable image file(s) in {folder}: {shown}")
    if not files:
        why = f"; {len(bad)} unusable image file(s) skipped" if bad else ""
        raise ValueError(f"image folder {folder} holds no images (looked for "
                         f"{IMAGE_SUFFIXES}{why})")
    return files, skipped + len(bad)


def _fit_crop(img: torch.Tensor, size: int, pad: bool, name: str) -> torch.Tensor:
    _, h, w = img.shape
    if h >= size and w >= size:
        return img
    if not pad:
        raise ValueError(f"image {name} is {w}x{h}, smaller than crop={size}; use pad=True or a "
                         f"smaller crop")
    ph, pw = max(0, size - h), max(0, size - w)
    mode = "reflect" if ph < h and pw < w else "replicate"
    return F.pad(img[None], (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode=mode)[0]


def crop(img: torch.Tensor, size: int | None, train: bool, gen: torch.Generator | None = None,
         pad: bool = True, name: str = "") -> torch.Tensor:
    """Random (train) or centre (eval) square crop of side ``size``; None keeps the image."""
    if size is None:
        return img
    img = _fit_crop(img, size, pad, name)
    _, h, w = img.shape
    if train:
        top = int(torch.randint(0, h - size + 1, (1,), generator=gen))
        left = int(torch.randint(0, w - size + 1, (1,), generator=gen))
        out = img[:, top:top + size, left:left + size]
        if bool(torch.randint(0, 2, (1,), generator=gen)):
            out = out.flip(-1)
        return out
    top, left = (h - size) // 2, (w - size) // 2
    return img[:, top:top + size, left:left + size]


class ImageListDataset(Dataset):
    """A list of image files, cropped for training or evaluation.

    Args:
        files: image paths.
        crop_size: side of the square crop in pixels; None returns whole images.
        train: random crops + flips (True) or deterministic centre crops (False).
        boxes: optional per-file (x, y, w, h) boxes in pixels to crop to first.
        cache: keep decoded images in memory (fast for small sets like the shipped photos).
        seed: seed of the crop generator (training crops are reproducible).
    """

    def __init__(self, files: Sequence[str | Path], crop_size: int | None = 256,
                 train: bool = False,
                 boxes: Sequence[tuple[float, float, float, float]] | None = None,
                 pad: bool = True, cache: bool = False, seed: int = 0) -> None:
        if crop_size is not None and crop_size < 16:
            raise ValueError(f"crop={crop_size} is invalid: must be at least 16 pixels")
        self.files = [Path(f) for f in files]
        if not self.files:
            raise ValueError("dataset is empty: no image files given")
        self.crop_size, self.train, self.boxes, self.pad = crop_size, train, boxes, pad
        self.gen = torch.Generator().manual_seed(seed)
        self._cache: dict[int, torch.Tensor] | None = {} if cache else None

    def __len__(self) -> int:
        return len(self.files)

    def image(self, i: int) -> torch.Tensor:
        """The whole (box-cropped) image i, (3, H, W) float32 in [0, 1]."""
        if self._cache is not None and i in self._cache:
            return self._cache[i]
        img = load_image(self.files[i])
        if self.boxes is not None:
            x, y, w, h = (int(round(v)) for v in self.boxes[i])
            img = img[:, max(0, y):y + h, max(0, x):x + w]
        if self._cache is not None:
            self._cache[i] = img
        return img

    def __getitem__(self, i: int) -> torch.Tensor:
        return crop(self.image(i), self.crop_size, self.train, self.gen, self.pad,
                    self.files[i].name)


def image_folder(root: str | Path, crop_size: int | None = 256, train: bool = False,
                 **kw) -> ImageListDataset:
    """Every image under ``root``; non-image files are skipped and counted (``.skipped``)."""
    files, skipped = list_images(root)
    ds = ImageListDataset(files, crop_size, train, **kw)
    ds.skipped = skipped
    return ds


def shipped_photos(split: str = "train", crop_size: int | None = 256, train: bool | None = None,
                   root: str | Path = SHIPPED_PHOTOS, **kw) -> ImageListDataset:
    """The real photos shipped in ``data/photos`` (fixed train / val / test split in split.csv)."""
    root = Path(root)
    if split not in ("train", "val", "test", "all"):
        raise ValueError(f"split={split!r} is invalid: must be train, val, test or all")
    table = root / "split.csv"
    if root == SHIPPED_PHOTOS:
        require_shipped(table)  # a broken install: name the data location
    if not table.is_file():
        raise FileNotFoundError(f"missing split file {table}")
    with open(table, newline="") as f:
        files = [root / r["file"] for r in csv.DictReader(f) if split in ("all", r["split"])]
    kw.setdefault("cache", True)
    return ImageListDataset(files, crop_size, split == "train" if train is None else train, **kw)


def check_attribution(root: str | Path, files: Sequence[str | Path]) -> dict[str, str]:
    """Check that every file has a row in ``root/ATTRIBUTION.csv`` with a licence file.

    A row's licence file is ``root/LICENSES/<source_package>.copyright`` (the
    package's Debian copyright file). Returns {file name: source package}; raises a
    one-line ``ValueError`` for a missing table, a file without a row, or a source
    whose licence file is missing (the whole source is refused).
    """
    root = Path(root)
    table = root / "ATTRIBUTION.csv"
    if not table.is_file():
        raise ValueError(f"photo folder {root} has no ATTRIBUTION.csv (file, source_package, "
                         f"original_path, licence per photo)")
    with open(table, newline="") as f:
        rows = {r["file"]: r for r in csv.DictReader(f)}
    for p in files:
        name = Path(p).name
        if name not in rows:
            raise ValueError(f"photo {name} in {root} has no row in {table}: add its source "
                             f"package, original path and licence")
        if not rows[name].get("licence", "").strip():
            raise ValueError(f"photo {name} in {root} has an empty licence in {table}")
    for pkg in sorted({rows[Path(p).name]["source_package"] for p in files}):
        lic = root / "LICENSES" / f"{pkg}.copyright"
        if not lic.is_file():
            raise ValueError(f"photo source {pkg!r} in {root} has no licence file {lic}; "
                             f"refusing the source")
    return {Path(p).name: rows[Path(p).name]["source_package"] for p in files}


def attributed_photos(root: str | Path = EXTRA_TRAIN_PHOTOS, crop_size: int | None = 256,
                      train: bool = True, **kw) -> ImageListDataset:
    """Every photo of a folder with attribution (``data/photos_train_extra`` by default).

    Unreadable image files are skipped and counted (``.skipped``, and one line on
    stderr, see :func:`list_images`); every usable photo must pass
    :func:`check_attribution`.
    """
    files, _ = list_images(root)
    check_attribution(root, files)
    n_images = sum(1 for p in Path(root).rglob("*")
                   if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    kw.setdefault("cache", len(files) <= 1000)
    ds = ImageListDataset(files, crop_size, train, **kw)
    ds.skipped = n_images - len(files)  # unreadable images (the tables are not counted)
    return ds


def cub200(root: str | Path, split: str = "train", crop_size: int | None = 256,
           train: bool | None = None, bbox: bool = False, **kw) -> ImageListDataset:
    """CUB-200-2011 in its official layout with the official train / test split.

    ``root`` holds ``images.txt`` (id path), ``train_test_split.txt`` (id is_train),
    ``images/`` and, for ``bbox=True``, ``bounding_boxes.txt`` (id x y w h).
    """
    root = Path(root)
    if split not in ("train", "test"):
        raise ValueError(f"split={split!r} is invalid: CUB-200-2011 has train and test")
    needed = ["images.txt", "train_test_split.txt"] + (["bounding_boxes.txt"] if bbox else [])
    for name in needed:
        if not (root / name).is_file():
            raise FileNotFoundError(f"CUB-200-2011 layout: missing {root / name}")
    if not (root / "images").is_dir():
        raise FileNotFoundError(f"CUB-200-2011 layout: missing folder {root / 'images'}")
    paths = dict(_read_table(root / "images.txt"))
    is_train = {k: v[0] == "1" for k, v in _read_table(root / "train_test_split.txt", 1)}
    want = split == "train"
    ids = [i for i in paths if is_train.get(i) == want]
    files = [root / "images" / paths[i] for i in ids]
    for f in files:
        if not f.is_file():
            raise FileNotFoundError(f"CUB-200-2011 layout: missing image {f}")
    boxes = None
    if bbox:
        tab = dict(_read_table(root / "bounding_boxes.txt", 4))
        boxes = [tuple(float(v) for v in tab[i]) for i in ids]
    return ImageListDataset(files, crop_size, want if train is None else train, boxes=boxes, **kw)


def _read_table(path: Path, ncols: int | None = None) -> list[tuple[str, list[str] | str]]:
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if not parts:
            continue
        if ncols is None:
            rows.append((parts[0], " ".join(parts[1:])))
        else:
            rows.append((parts[0], parts[1:1 + ncols]))
    return rows
