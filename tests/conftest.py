"""Shared fixtures: a tiny CUB-style tree, tiny image folders, a fast tiny codec."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

torch.set_num_threads(2)


def _write_image(path: Path, w: int, h: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    # smooth random image (photo-like low-pass content) so codecs have something to code
    base = rng.random((h // 8 + 2, w // 8 + 2, 3))
    img = Image.fromarray((base * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path)


@pytest.fixture
def tiny_cub(tmp_path: Path) -> Path:
    """CUB-200-2011 layout: 2 classes x 3 images; ids 1, 4 and 6 are test images."""
    root = tmp_path / "CUB_200_2011"
    rows, split, boxes = [], [], []
    k = 0
    for cls in ["001.Black_footed_Albatross", "002.Laysan_Albatross"]:
        for j in range(3):
            k += 1
            rel = f"{cls}/{cls.split('.')[1]}_{j:04d}.jpg"
            _write_image(root / "images" / rel, 96 + 8 * j, 80, seed=k)
            rows.append(f"{k} {rel}")
            split.append(f"{k} {0 if k in (1, 4, 6) else 1}")
            boxes.append(f"{k} 8.0 4.0 {40 + k}.0 {50}.0")
    (root / "images.txt").write_text("\n".join(rows) + "\n")
    (root / "train_test_split.txt").write_text("\n".join(split) + "\n")
    (root / "bounding_boxes.txt").write_text("\n".join(boxes) + "\n")
    return root


@pytest.fixture
def image_dir(tmp_path: Path) -> Path:
    d = tmp_path / "imgs"
    for i in range(3):
        _write_image(d / f"im{i}.png", 128, 96, seed=100 + i)
    (d / "readme.txt").write_text("not an image")
    return d


def tiny_sweep_inputs(root: Path, image_seed: int, model_seed: int) -> tuple[Path, Path]:
    """Two 96x64 smooth images and one untrained ``compact`` codec ``q1.ckpt`` under
    ``root`` (the inputs of the small bit-flip sweeps); returns (image folder, model folder)."""
    from semcodec.checkpoint import save_checkpoint
    from semcodec.zoo import build_model

    imgs = root / "imgs"
    imgs.mkdir()
    rng = np.random.default_rng(image_seed)
    for i in range(2):
        base = rng.random((10, 12, 3))
        Image.fromarray((base * 255).astype(np.uint8)).resize((96, 64), Image.BICUBIC).save(
            imgs / f"im{i}.png")
    models = root / "models"
    models.mkdir()
    torch.manual_seed(model_seed)
    m = build_model("compact").eval()
    m.update(force=True)
    save_checkpoint(models / "q1.ckpt", m, {"lambda": 0.013, "preset": "compact"})
    return imgs, models


@pytest.fixture
def ctrl_c_as_at_a_terminal():
    """SIGINT handled as in a foreground shell, whatever the suite inherited.

    A job started with ``&`` from a non-interactive shell (nohup, CI wrappers) inherits
    SIGINT ignored, and Python then installs no KeyboardInterrupt handler; tests of the
    Ctrl-C path must set up the terminal's disposition themselves. Returns the
    ``preexec_fn`` that gives a child process the same disposition.
    """
    import signal

    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    finally:
        signal.signal(signal.SIGINT, old)


@pytest.fixture(autouse=True)
def _figures_keep_the_plot_style(monkeypatch):
    """Every figure any test draws through scripts.plot_style.save is checked: no text under
    8 pt at the saved size (tests/test_plot_style.py checks that nothing bypasses save)."""
    from scripts import plot_style as ps

    real = ps.save

    def checked(fig, path):
        fig.canvas.draw()  # tick labels exist only after a draw
        small = ps.check_font_sizes(fig)
        if small:
            import matplotlib.pyplot as plt

            plt.close(fig)
            raise AssertionError(f"{Path(path).name}: text under {ps.MIN_FONT_PT} pt: {small}")
        return real(fig, path)

    monkeypatch.setattr(ps, "save", checked)
