"""A tiny DJSCC ladder for tests: briefly trained models, their checkpoints and fitted curves.

Not a test module (no ``test_`` prefix): imported by the DJSCC link and figure tests.
"""

from __future__ import annotations

from pathlib import Path

import torch

from semcodec.datasets import load_image, shipped_photos
from semcodec.djscc import (
    DeepJSCC,
    awgn,
    fit_djscc_curve,
    measure_djscc,
    save_djscc,
    save_djscc_curves,
)

#: c = 10: the realisable ABR nearest the ASCC figures' 0.1
TINY_ABR = 10 / 96
CURVE_SNRS = [-10.0, -5.0, 0.0, 5.0, 10.0, 20.0]


def crops(split: str, n: int, size: int, seed: int) -> list[torch.Tensor]:
    """``n`` random ``size`` x ``size`` crops of the shipped photos of ``split``."""
    g = torch.Generator().manual_seed(seed)
    files = list(shipped_photos(split, None).files)
    out = []
    for k in range(n):
        img = load_image(files[k % len(files)])
        h, w = img.shape[-2:]
        top = int(torch.randint(0, h - size + 1, (1,), generator=g))
        left = int(torch.randint(0, w - size + 1, (1,), generator=g))
        out.append(img[:, top:top + size, left:left + size].contiguous())
    return out


def train_tiny(abr: float, snr_db: float, steps: int = 80, seed: int = 0) -> DeepJSCC:
    """A DJSCC model trained for ``steps`` Adam steps on 32x32 training crops at ``snr_db``."""
    torch.manual_seed(seed)
    model = DeepJSCC.for_abr(abr)
    data = torch.stack(crops("train", 16, 32, seed))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(seed + 1)
    model.train()
    for step in range(steps):
        x = data[(step * 4) % 16:(step * 4) % 16 + 4]
        loss = torch.mean((model.decode(awgn(model.encode(x), snr_db, g)) - x) ** 2)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


def build_tiny_ladder(root: Path, abr: float = TINY_ABR, train_snrs: tuple = (0.0, 15.0),
                      steps: int = 80) -> Path:
    """Checkpoints + ``curves.json`` of one tiny model per training SNR; returns curves.json."""
    root.mkdir(parents=True, exist_ok=True)
    val = crops("val", 3, 64, 7)
    curves = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny convolutions: threads only contend on a shared machine
    try:
        for k, s in enumerate(train_snrs):
            model = train_tiny(abr, s, steps, seed=k)
            name = f"c{model.c}_snr{s:g}"
            save_djscc(root / f"{name}.ckpt", model, {"train_snr_db": [s, s], "steps": steps})
            pts = measure_djscc(model, val, CURVE_SNRS, trials=1, seed=0)
            curves.append(fit_djscc_curve(name, f"{name}.ckpt", model, (s, s), pts))
    finally:
        torch.set_num_threads(threads)
    return save_djscc_curves(curves, root / "curves.json", {"note": "tiny test ladder"})
