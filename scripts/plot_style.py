"""The one plot style of the product's figures (issue 30, part 4).

Every figure verb makes its figures with :func:`figure` (matplotlib's own style
machinery over the rcParams of :data:`STYLE`) and writes them with :func:`save`
(PNG and a vector PDF beside it, both atomic). The helpers cover the rest:

- :data:`COLORS` (Okabe-Ito, 8 colours told apart also with colour-blindness),
  :data:`MARKERS` and :data:`LINESTYLES` for up to 8 curves; :func:`colorbar`
  where curves are many (more than 8);
- :func:`integer_ticks` for integer axes (iterations, counts, antennas);
- :func:`fit_ylim`: a y range that shows the differences (0.92-0.99 and not 0-1);
- :func:`legend_outside`: the legend beside or below the axes, never on the data;
- :func:`footer`: grid and settings in small print, and "quick grid" on quick figures;
- :func:`bootstrap_ci`: seeded percentile bootstrap of a mean, clipped to the
  metric's range (MS-SSIM in [0, 1]).

Font sizes are in points at the saved size: no text of a figure is under
:data:`MIN_FONT_PT` (tests/test_plot_style.py checks every text artist).
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from cycler import cycler

from semcodec.atomic_io import atomic_target

#: The smallest font size [pt] of any text of a saved figure.
MIN_FONT_PT = 8.0
FOOTER_GID = "issc-footer"
#: Okabe & Ito (2008) colour-blind-safe set, black last (used as the 8th curve).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442",
          "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 2)),
              (0, (8, 2, 2, 2)))
#: Figure sizes [inch]: one panel, two panels side by side, a wide single panel.
SIZES = {"single": (6.4, 4.4), "double": (11.0, 4.4), "wide": (9.0, 4.8), "tall": (6.4, 6.0)}
DPI = 150

#: rcParams of every figure (matplotlib.style.context takes the dict as is).
STYLE: dict[str, Any] = {
    "figure.figsize": SIZES["single"],
    "figure.dpi": 100,
    "savefig.dpi": DPI,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.08,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 8.5,
    "legend.title_fontsize": 9,
    "figure.titlesize": 12,
    "axes.prop_cycle": cycler(color=list(COLORS)),
    "axes.grid": True,
    "axes.grid.which": "major",
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "lines.linewidth": 1.6,
    "lines.markersize": 5,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "pdf.fonttype": 42,  # TrueType in the PDF: text stays text
    "image.cmap": "viridis",
    "axes.formatter.useoffset": False,  # tick labels read as values, not "+4.511" offsets
}


def use() -> None:
    """Apply :data:`STYLE` (matplotlib.style.use) on the non-interactive Agg backend.

    A figure verb is one process drawing one set of figures, so the style is set for
    the process rather than in a ``with`` block around every figure's code.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.style

    matplotlib.style.use(STYLE)


def figure(size: str | tuple[float, float] = "single", nrows: int = 1, ncols: int = 1,
           **kw: Any) -> tuple[Any, Any]:
    """:func:`use` the style, then ``plt.subplots`` at one of :data:`SIZES` (or an explicit
    (width, height) in inch)."""
    use()
    import matplotlib.pyplot as plt

    figsize = SIZES[size] if isinstance(size, str) else size
    return plt.subplots(nrows, ncols, figsize=figsize, **kw)


def style_of(k: int) -> dict[str, Any]:
    """Colour, marker and line style of curve ``k`` (0-7): all three differ between curves,
    so coinciding curves still show as separate markers/dashes."""
    if not 0 <= k < len(COLORS):
        raise ValueError(f"curve index {k} is invalid: the colour set has {len(COLORS)} "
                         "entries; use colorbar() for more curves")
    return {"color": COLORS[k], "marker": MARKERS[k], "linestyle": LINESTYLES[k]}


def colorbar(fig: Any, ax: Any, values: Sequence[float], label: str,
             cmap: str = "viridis") -> Any:
    """A colour per value (for more than 8 curves) and the colourbar that names them.

    Returns a function value -> RGBA colour; the colourbar is drawn beside ``ax``.
    """
    import matplotlib as mpl

    lo, hi = float(min(values)), float(max(values))
    norm = mpl.colors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1.0)
    cm = mpl.colormaps[cmap]
    sm = mpl.cm.ScalarMappable(norm=norm, cmap=cm)
    fig.colorbar(sm, ax=ax, label=label, pad=0.02)
    return lambda v: cm(norm(float(v)))


def integer_ticks(ax: Any, axis: str = "x", nbins: int | str = "auto") -> None:
    """Integer tick positions only on ``axis`` ("x", "y" or "both"); ``nbins``: at most so
    many intervals (a narrow panel with large step counts needs few, e.g. 4)."""
    from matplotlib.ticker import MaxNLocator

    for name in ("x", "y") if axis == "both" else (axis,):
        # min_n_ticks=1: integers also when the axis spans a single value (one grid point)
        getattr(ax, f"{name}axis").set_major_locator(
            MaxNLocator(nbins=nbins, integer=True, min_n_ticks=1))


def fit_ylim(ax: Any, values: Iterable[float], pad: float = 0.08,
             lo: float | None = None, hi: float | None = None, log: bool = False) -> None:
    """Set the y range to the finite ``values`` plus ``pad`` of their span each side,
    clipped to the metric's range [lo, hi] (e.g. 0 and 1 for MS-SSIM); on a log axis
    the pad is in decades."""
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    if log:
        v = np.log10(v[v > 0])
    if v.size == 0:
        return
    a, b = float(v.min()), float(v.max())
    span = b - a if b > a else max(abs(a) * 0.05, 1e-3 if not log else 0.5)
    a, b = a - pad * span, b + pad * span
    if log:
        a, b = 10 ** a, 10 ** b
    if lo is not None:
        a = max(a, lo)
    if hi is not None:
        b = min(b, hi)
    ax.set_ylim(a, b)


def legend_outside(ax: Any, where: str = "right", **kw: Any) -> Any:
    """The legend beside (``"right"``) or below (``"below"``) the axes: never on the data."""
    if where == "right":
        return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kw)
    if where == "below":
        ncol = kw.pop("ncol", 3)
        return ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=ncol, **kw)
    raise ValueError(f"where={where!r} is invalid: must be 'right' or 'below'")


def footer(fig: Any, text: str, quick: bool = False) -> Any:
    """Settings and grid of the run in small print under the figure; "quick grid" first on
    quick figures (a coarse grid, not the paper's)."""
    if quick:
        text = "QUICK GRID (coarse, not for the paper) - " + text
    # placed by save(), under everything else (legends below the axes included)
    t = fig.text(0.0, 0.0, text, ha="left", va="top", fontsize=MIN_FONT_PT,
                 color="0.25" if not quick else "#D55E00", transform=fig.transFigure)
    t.set_gid(FOOTER_GID)
    return t


def subtitle(ax: Any, text: str) -> Any:
    """A small line above the axes (e.g. the paper figure it reproduces), under the title."""
    ax.set_title(ax.get_title(), pad=2.6 * MIN_FONT_PT)  # room under the title
    return ax.text(0.0, 1.015, text, transform=ax.transAxes, ha="left", va="bottom",
                   fontsize=MIN_FONT_PT + 0.5, color="0.3")


def save(fig: Any, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG at ``path`` and as vector PDF beside it (same stem), each
    atomically (semcodec.atomic_io), and close the figure. Returns the PNG path."""
    import matplotlib.pyplot as plt

    path = Path(path)
    if path.suffix.lower() != ".png":
        raise ValueError(f"figure path {str(path)!r} is invalid: must end in .png (the PDF "
                         "is written beside it)")
    try:
        _place_footers(fig)
        with atomic_target(path) as tmp:
            fig.savefig(tmp, format="png")
        with atomic_target(path.with_suffix(".pdf")) as tmp:
            fig.savefig(tmp, format="pdf")
    finally:
        plt.close(fig)
    return path


def _place_footers(fig: Any) -> None:
    """Put the :func:`footer` texts just under the bounding box of everything else."""
    feet = [t for t in fig.texts if t.get_gid() == FOOTER_GID]
    if not feet:
        return
    for t in feet:
        t.set_visible(False)
    renderer = fig.canvas.get_renderer()
    box = fig.get_tightbbox(renderer)  # inches
    y = box.y0 - 0.06
    for t in feet:
        # wrapped to the drawing's width (an 8 pt character is about 1/16 inch wide)
        text = "\n".join(textwrap.wrap(" ".join(t.get_text().split()),
                                       max(40, int(box.width * 16))))
        t.set_text(text)
        t.set_visible(True)
        # in figure fractions: savefig's tight crop shifts transFigure, not inches
        w, h = fig.get_size_inches()
        t.set_position((box.x0 / w, y / h))
        y -= 0.16 * (text.count("\n") + 1) + 0.04


def bootstrap_ci(samples: Sequence[float] | np.ndarray, level: float = 0.95,
                 n_boot: int = 4000, seed: int = 0, lo: float | None = None,
                 hi: float | None = None) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of ``samples`` (seeded), clipped to the
    metric's range [lo, hi].

    Resampling keeps every interval inside the range the samples live in (a
    normal approximation with n = 3 reaches -0.6 for MS-SSIM); the clip guards
    the range exactly. One sample gives the degenerate interval (x, x); NaNs are dropped.
    """
    x = np.asarray(samples, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return (float("nan"), float("nan"))
    if not 0.0 < level < 1.0:
        raise ValueError(f"level={level} is invalid: must be in (0, 1)")
    if x.size == 1:
        a = b = float(x[0])
    else:
        rng = np.random.default_rng(seed)
        means = x[rng.integers(0, x.size, size=(n_boot, x.size))].mean(axis=1)
        a, b = (float(q) for q in np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))
    if lo is not None:
        a, b = max(a, lo), max(b, lo)
    if hi is not None:
        a, b = min(a, hi), min(b, hi)
    return a, b


def check_font_sizes(fig: Any, minimum: float = MIN_FONT_PT) -> list[str]:
    """Every visible text artist of ``fig`` under ``minimum`` pt, as 'size: text' lines."""
    from matplotlib.text import Text

    small = []
    for t in fig.findobj(Text):
        if t.get_visible() and t.get_text().strip() and t.get_fontsize() < minimum - 1e-9:
            small.append(f"{t.get_fontsize():g}: {t.get_text()[:40]!r}")
    return small
