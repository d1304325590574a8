"""Copy a figure's PNG into the gallery (``docs/figures/``), reduced to at most ~150 kB.

``python -m scripts.gallery_png RUN/fig3.png docs/figures/ascc_fig3.png``: the image is
quantised to an adaptive 256-colour palette (Pillow; the product's plots use a few colours,
so nothing visible changes), and scaled down in steps of 10 % until it fits ``--max-kb``.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image

from semcodec.atomic_io import write_atomic


def reduce_png(src: str | Path, max_kb: float = 150.0) -> bytes:
    """The PNG bytes of ``src`` as a 256-colour palette image, at most ``max_kb`` kB."""
    img = Image.open(src).convert("RGB")
    scale = 1.0
    while True:
        w, h = max(1, round(img.width * scale)), max(1, round(img.height * scale))
        im = img if scale == 1.0 else img.resize((w, h), Image.Resampling.LANCZOS)
        buf = io.BytesIO()
        im.quantize(256, method=Image.Quantize.MEDIANCUT).save(buf, "PNG", optimize=True)
        if buf.tell() <= max_kb * 1024 or scale < 0.3:
            return buf.getvalue()
        scale *= 0.9


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("dest", type=Path)
    ap.add_argument("--max-kb", type=float, default=150.0)
    args = ap.parse_args(argv)
    data = reduce_png(args.src, args.max_kb)
    write_atomic(args.dest, data)
    print(f"{args.dest}: {len(data) / 1024:.0f} kB")


if __name__ == "__main__":
    main()
