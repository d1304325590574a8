"""Fitted end-to-end distortion D_o(R_s, rho_b): the logistic S-curve of ASCC eq. (7).

ASCC eq. (7), per model g with source rate R_s::

    log10 D_o = D_s(R_s) + D_c(R_s) / (1 + exp(-E1(R_s) (log10 rho_b - E2(R_s))))

D_s is the low-rho_b plateau (the clean, source-only distortion), D_c the rise
to the high-rho_b saturation, E1 > 0 the steepness and E2 the log10 rho_b of
the midpoint. D_o is the mean MSE (pixels in [0, 1]) over the images and trials
of a sweep (:mod:`semcodec.sweep`; with its default conditional sampling, the
expectation is formed from the clean decode and the trials given at least one
flip, see :func:`aggregate_sweep`), fitted in the log10 domain by bounded
least squares (scipy), multi-started over E1 and E2. The same logistic form is
fitted to the mean MS-SSIM (linear domain; its rise C is negative), since the
papers report MS-SSIM.

:class:`DistortionModel` loads ``fits.json`` and predicts both, vectorised:
this is the hand-off to ``optim`` (plain data, no codec needed).
"""

from __future__ import annotations

import csv
import json
import math
import os
import warnings
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import least_squares

from .atomic_io import write_json_atomic, write_rows_atomic
from .shipped_data import shipped_path

#: The fits shipped for the shipped codec ladder (``issc fit-scurves`` output, see docs).
SHIPPED_FITS = shipped_path("scurves/fits.json")

EQ7 = "log10 D_o = Ds + Dc / (1 + exp(-E1 (log10 rho_b - E2)))  (ASCC eq. (7))"
MS_SSIM_FORM = "MS-SSIM = S + C / (1 + exp(-E1 (log10 rho_b - E2)))"
FITS_VERSION = 1


def scurve(x: np.ndarray, d_s: float, d_c: float, e1: float, e2: float) -> np.ndarray:
    """The logistic of ASCC eq. (7) at x = log10 rho_b (any shape; float64)."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(over="ignore"):
        return d_s + d_c / (1.0 + np.exp(-e1 * (x - e2)))


@dataclass(frozen=True)
class SCurveFit:
    """Fitted (Ds, Dc, E1, E2) with goodness of fit on the fitted values (y domain)."""

    d_s: float
    d_c: float
    e1: float
    e2: float
    r2: float
    rmse: float
    n_points: int

    @property
    def params(self) -> tuple[float, float, float, float]:
        return (self.d_s, self.d_c, self.e1, self.e2)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return scurve(x, *self.params)


def fit_scurve(x: np.ndarray, y: np.ndarray, rising: bool = True) -> SCurveFit:
    """Least-squares fit of ``y ~ scurve(x)`` (x = log10 rho_b).

    Args:
        x, y: (n,) float arrays, n >= 4 (four parameters).
        rising: True for a rising curve (Dc >= 0: log10 MSE), False for a
            falling one (Dc <= 0: MS-SSIM).

    Returns:
        the best of a multi-start bounded fit (E1 in [1e-3, 100], E2 within 5
        decades of the data, ``|Dc|`` at most 3x the span of y + 1).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y shapes {x.shape} and {y.shape} are invalid: must match")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 4:
        raise ValueError(f"n_points={x.size} is invalid: a 4-parameter S-curve needs >= 4 "
                         f"finite points")
    order = np.argsort(x)
    x, y = x[order], y[order]
    span = float(y.max() - y.min())
    lo = [float(y.min()) - span - 1.0, 0.0 if rising else -3 * span - 1.0, 1e-3,
          float(x.min()) - 5.0]
    hi = [float(y.max()) + span + 1.0, 3 * span + 1.0 if rising else 0.0, 100.0,
          float(x.max()) + 5.0]
    n_edge = max(1, x.size // 5)
    y_lo, y_hi = float(np.mean(y[:n_edge])), float(np.mean(y[-n_edge:]))
    d_c0 = (y_hi - y_lo) if (y_hi - y_lo) * (1 if rising else -1) > 0 else (span if rising
                                                                           else -span)
    best = None
    for e2 in np.linspace(x.min(), x.max(), 7):
        for e1 in (0.5, 2.0, 8.0):
            p0 = np.clip([y_lo, d_c0, e1, e2], np.add(lo, 1e-9), np.subtract(hi, 1e-9))
            r = least_squares(lambda p: scurve(x, *p) - y, p0, bounds=(lo, hi), method="trf",
                              x_scale="jac", max_nfev=2000)
            if best is None or r.cost < best.cost:
                best = r
    res = scurve(x, *best.x) - y
    ss_res = float(np.sum(res ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
    return SCurveFit(*(float(v) for v in best.x), r2=r2, rmse=math.sqrt(ss_res / x.size),
                     n_points=int(x.size))


# ----------------------------------------------------------------------------- from a sweep

def aggregate_sweep(sweep: str | os.PathLike) -> tuple[list[dict], dict[str, dict], dict]:
    """Per (model, rho_b) expected distortion of a sweep folder.

    Per image, the expected MSE at rho_b is the mean over its trials
    (``plain`` sampling) or ``(1 - p_any) * clean MSE + p_any * mean over its
    trials`` (``conditional`` sampling: trials drawn given at least one flip;
    see :mod:`semcodec.sweep`); D_o is the mean over images. MS-SSIM likewise.

    Returns (points, per-model info, sweep config). A point holds ``model``,
    ``ber``, ``n`` (decodes), ``mse`` (D_o), ``mse_sem`` (standard error over
    images), ``ms_ssim`` (mean), ``decode_failed`` (count).
    """
    sweep = Path(sweep)
    res_path, clean_path, cfg_path = (sweep / n for n in ("results.csv", "clean.csv",
                                                          "sweep.json"))
    for p in (res_path, clean_path, cfg_path):
        if not p.is_file():
            raise FileNotFoundError(f"{p} does not exist: is {sweep} an issc ber-sweep folder?")
    cfg = json.loads(cfg_path.read_text())
    conditional = cfg.get("sampling", "plain") == "conditional"
    clean: dict[tuple[str, str], tuple[float, float, float]] = {}
    with open(clean_path, newline="") as f:
        for r in csv.DictReader(f):
            clean[(r["model"], r["image"])] = (float(r["mse"]), float(r["ms_ssim"]),
                                               float(r["bpp"]))
    groups: dict[tuple[str, float], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    info: dict[str, dict] = {}
    with open(res_path, newline="") as f:
        for r in csv.DictReader(f):
            groups[(r["model"], float(r["ber"]))][r["image"]].append(
                (float(r["mse"]), float(r["ms_ssim"]), int(r["decode_failed"]),
                 float(r.get("p_any_flip") or "nan")))
            info.setdefault(r["model"], {"lambda": float(r["lambda"]),
                                         "rs_bits": float(r["rs_bits"])})
    if not groups:
        raise ValueError(f"{res_path} holds no rows: run the sweep first")
    for name in info:
        a = np.array([v for (m, _), v in clean.items() if m == name])
        if a.size:
            info[name].update(clean_mse=float(a[:, 0].mean()), clean_ms_ssim=float(a[:, 1].mean()),
                              bpp=float(a[:, 2].mean()))
    points = []
    for (name, ber), per_image in sorted(groups.items(),
                                         key=lambda kv: (info[kv[0][0]]["rs_bits"], kv[0][1])):
        est_mse, est_ms, n, failed = [], [], 0, 0
        for image, rows in per_image.items():
            a = np.array(rows)
            n += len(a)
            failed += int(a[:, 2].sum())
            mse_t, ms_t = float(a[:, 0].mean()), float(a[:, 1].mean())
            if conditional:
                if (name, image) not in clean:
                    raise ValueError(f"{clean_path} lacks the clean decode of {name} / {image}")
                p_any = float(a[0, 3])
                c_mse, c_ms, _ = clean[(name, image)]
                mse_t = (1 - p_any) * c_mse + p_any * mse_t
                ms_t = (1 - p_any) * c_ms + p_any * ms_t
            est_mse.append(mse_t)
            est_ms.append(ms_t)
        k = len(est_mse)
        sem = float(np.std(est_mse, ddof=1) / math.sqrt(k)) if k > 1 else math.nan
        points.append({"model": name, "ber": ber, "n": n, "mse": float(np.mean(est_mse)),
                       "mse_sem": sem, "ms_ssim": float(np.mean(est_ms)),
                       "decode_failed": failed})
    return points, info, cfg


def fit_scurves(sweep: str | os.PathLike, out: str | os.PathLike, plot: bool = True
                ) -> dict[str, Path]:
    """Fit ASCC eq. (7) (and its MS-SSIM twin) per model of a sweep; write the results.

    Writes ``out/fits.json`` (per model: lambda, R_s, the four parameters of
    each fit, R^2 and RMSE, number of points; plus the sweep's size),
    ``out/points.csv`` (measured means and fitted values) and ``out/fig2.png``
    (ASCC Fig. 2: measured points and fitted curves, log-log, one colour per
    model, with MS-SSIM beside it). Returns their paths.
    """
    out = Path(out)
    points, info, cfg = aggregate_sweep(sweep)
    names = sorted(info, key=lambda n: info[n]["rs_bits"])
    few = {n: c for n in names if (c := sum(p["model"] == n for p in points)) <= 4}
    if few:  # 4 parameters through <= 4 points: an exact fit, R^2 = 1 whatever the data
        warnings.warn(f"{min(few.values())} rho_b points for the 4 parameters of ASCC eq. (7) "
                      f"({', '.join(few)}): the fit passes through every point and R^2 = 1 "
                      f"says nothing; sweep more points (ber-sweep --points 8 or more)",
                      stacklevel=2)
    models = []
    for k, name in enumerate(names):
        pts = [p for p in points if p["model"] == name]
        x = np.log10([p["ber"] for p in pts])
        f_mse = fit_scurve(x, np.log10([p["mse"] for p in pts]), rising=True)
        f_ms = fit_scurve(x, [p["ms_ssim"] for p in pts], rising=False)
        for p, xm in zip(pts, x):
            p["mse_fit"] = float(10 ** f_mse(xm))
            p["ms_ssim_fit"] = float(f_ms(xm))
        models.append({
            "model": name, "index": k, **info[name],
            "mse_fit": {"Ds": f_mse.d_s, "Dc": f_mse.d_c, "E1": f_mse.e1, "E2": f_mse.e2,
                        "r2_log10": f_mse.r2, "rmse_log10": f_mse.rmse,
                        "n_points": f_mse.n_points},
            "ms_ssim_fit": {"S": f_ms.d_s, "C": f_ms.d_c, "E1": f_ms.e1, "E2": f_ms.e2,
                            "r2": f_ms.r2, "rmse": f_ms.rmse, "n_points": f_ms.n_points},
        })
    n_per_point = sorted({p["n"] for p in points})
    doc = {
        "version": FITS_VERSION,
        "form": EQ7, "ms_ssim_form": MS_SSIM_FORM,
        "x": "log10 rho_b (bit error rate of the body bits)",
        "D_o": "mean MSE over images and trials, pixels in [0, 1]",
        "rs_bits": "R_s: mean payload body bits per image over the sweep's images",
        "sweep": {"n_images": len(cfg["image_names"]), "trials": cfg["trials"],
                  "points": len(cfg["bers"]), "ber_min": min(cfg["bers"]),
                  "ber_max": max(cfg["bers"]), "seed": cfg["seed"],
                  "decodes_per_point": n_per_point,
                  "sampling": cfg.get("sampling", "plain"),
                  "decode_failed": int(sum(p["decode_failed"] for p in points)),
                  "images": cfg["image_names"], "model_sha256": cfg.get("model_sha256")},
        "models": models,
    }
    out.mkdir(parents=True, exist_ok=True)
    fits_path = out / "fits.json"
    write_json_atomic(fits_path, doc)
    pts_path = out / "points.csv"
    cols = ("model", "ber", "n", "mse", "mse_sem", "ms_ssim", "decode_failed", "mse_fit",
            "ms_ssim_fit")
    write_rows_atomic(pts_path, cols, ([repr(p[c]) if isinstance(p[c], float) else p[c]
                                        for c in cols] for p in points), lineterminator="\n")
    paths = {"fits": fits_path, "points": pts_path}
    if plot:
        paths["fig2"] = plot_fig2(doc, points, out / "fig2.png")
    return paths


def plot_fig2(doc: dict, points: list[dict], path: str | os.PathLike) -> Path:
    """ASCC Fig. 2: D_o vs rho_b (log-log) per model, measured and fitted; MS-SSIM beside."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    cmap = plt.get_cmap("viridis")
    bers = [p["ber"] for p in points]
    xs = np.linspace(math.log10(min(bers)), math.log10(max(bers)), 300)
    g = len(doc["models"])
    for k, m in enumerate(doc["models"]):
        col = cmap(k / max(1, g - 1) * 0.9)
        pts = [p for p in points if p["model"] == m["model"]]
        b = np.array([p["ber"] for p in pts])
        f1, f2 = m["mse_fit"], m["ms_ssim_fit"]
        label = (f"{m['model']}: R_s={m['rs_bits'] / 1000:.1f} kbit "
                 f"({m.get('bpp', math.nan):.3f} bpp), R²={f1['r2_log10']:.3f}")
        ax1.loglog(b, [p["mse"] for p in pts], "o", color=col, ms=4)
        ax1.loglog(10 ** xs, 10 ** scurve(xs, f1["Ds"], f1["Dc"], f1["E1"], f1["E2"]), "-",
                   color=col, label=label)
        if "clean_mse" in m:
            ax1.axhline(m["clean_mse"], color=col, ls=":", lw=0.8)
        ax2.semilogx(b, [p["ms_ssim"] for p in pts], "o", color=col, ms=4)
        ax2.semilogx(10 ** xs, scurve(xs, f2["S"], f2["C"], f2["E1"], f2["E2"]), "-",
                     color=col, label=f"{m['model']}, R²={f2['r2']:.3f}")
    s = doc["sweep"]
    ax1.set(xlabel="bit error rate ρ_b", ylabel="E2E distortion D_o (MSE)",
            title=f"ASCC Fig. 2: D_o vs ρ_b (dots: {s['n_images']} images x {s['trials']} "
                  f"trials; lines: eq. (7); dotted: clean)")
    ax2.set(xlabel="bit error rate ρ_b", ylabel="MS-SSIM", title="MS-SSIM vs ρ_b")
    ax1.title.set_fontsize(9)
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ----------------------------------------------------------------------------- hand-off

class DistortionModel:
    """Predicts D_o (ASCC eq. (7)) and MS-SSIM from the model and rho_b; vectorised.

    Models are addressed by position ``g`` = 0..G-1 in ascending R_s (an int
    array broadcasts against ``ber``) or by name (``"q3"``).

    Attributes:
        names: (G,) model names; rs_bits: (G,) R_s in bits per image;
        lambdas: (G,) training lambdas; bpp: (G,) mean bits per pixel.
    """

    def __init__(self, doc: dict[str, Any]) -> None:
        models = sorted(doc["models"], key=lambda m: m["rs_bits"])
        if not models:
            raise ValueError("fits hold no models")
        self.doc = doc
        self.names = [m["model"] for m in models]
        self.rs_bits = np.array([m["rs_bits"] for m in models], dtype=np.float64)
        self.lambdas = np.array([m["lambda"] for m in models], dtype=np.float64)
        self.bpp = np.array([m.get("bpp", math.nan) for m in models], dtype=np.float64)
        self._mse = np.array([[m["mse_fit"][k] for k in ("Ds", "Dc", "E1", "E2")]
                              for m in models], dtype=np.float64)
        self._ms = np.array([[m["ms_ssim_fit"][k] for k in ("S", "C", "E1", "E2")]
                             for m in models], dtype=np.float64)

    @classmethod
    def from_json(cls, path: str | os.PathLike = SHIPPED_FITS) -> DistortionModel:
        """Load ``fits.json`` (default: the shipped fits of the shipped ladder)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"S-curve fits {path} do not exist")
        doc = json.loads(path.read_text())
        if doc.get("version") != FITS_VERSION or "models" not in doc:
            raise ValueError(f"{path} is not an issc fits.json (version {doc.get('version')})")
        return cls(doc)

    @property
    def n_models(self) -> int:
        return len(self.names)

    def index(self, model: int | str | np.ndarray) -> np.ndarray:
        """Positions (int array) of models given as positions or names."""
        if isinstance(model, str):
            if model not in self.names:
                raise KeyError(f"model={model!r} is unknown: fitted models are {self.names}")
            return np.array(self.names.index(model))
        g = np.asarray(model)
        if not np.issubdtype(g.dtype, np.integer) or g.size and (g.min() < 0
                                                                  or g.max() >= self.n_models):
            raise ValueError(f"model={model} is invalid: must be integer positions in "
                             f"0..{self.n_models - 1} (ascending R_s)")
        return g

    def params(self, model: int | str) -> tuple[float, float, float, float]:
        """(Ds, Dc, E1, E2) of ASCC eq. (7) for one model."""
        return tuple(float(v) for v in self._mse[int(self.index(model))])

    @staticmethod
    def _x(ber: np.ndarray) -> np.ndarray:
        b = np.asarray(ber, dtype=np.float64)
        if np.any((b < 0) | (b > 0.5)) or np.any(np.isnan(b)):
            raise ValueError(f"ber={ber} is invalid: bit error rates must lie in [0, 0.5]")
        with np.errstate(divide="ignore"):
            return np.log10(b)

    def log10_mse(self, model: int | str | np.ndarray, ber: np.ndarray) -> np.ndarray:
        """log10 D_o (ASCC eq. (7)); broadcasts ``model`` against ``ber``."""
        p = self._mse[self.index(model)]
        return scurve(self._x(ber), p[..., 0], p[..., 1], p[..., 2], p[..., 3])

    def mse(self, model: int | str | np.ndarray, ber: np.ndarray) -> np.ndarray:
        """D_o: predicted mean MSE (pixels in [0, 1])."""
        return 10.0 ** self.log10_mse(model, ber)

    def ms_ssim(self, model: int | str | np.ndarray, ber: np.ndarray) -> np.ndarray:
        """Predicted mean MS-SSIM (clipped to [0, 1])."""
        p = self._ms[self.index(model)]
        return np.clip(scurve(self._x(ber), p[..., 0], p[..., 1], p[..., 2], p[..., 3]), 0, 1)


# ----------------------------------------------------------------------------- for optimisers
# Added for the ASCC optimiser (optim.ascc): the fitted curves as functions of
# x = log10 rho_b with their derivatives, and the source dimension M of ASCC Sec. II-A.

def _scurve_and_slope(x: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``f(x) = a + b / (1 + exp(-e1 (x - e2)))`` and ``df/dx``; ``p`` is ``(..., 4)``."""
    x = np.asarray(x, dtype=np.float64)
    a, b, e1, e2 = p[..., 0], p[..., 1], p[..., 2], p[..., 3]
    with np.errstate(over="ignore"):
        s = 1.0 / (1.0 + np.exp(-e1 * (x - e2)))
    return a + b * s, b * e1 * s * (1.0 - s)


def log10_mse_of_log10_ber(dm: DistortionModel, model: int | str | np.ndarray,
                           x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log10 D_o`` (ASCC eq. (7)) at ``x = log10 rho_b`` and ``d log10 D_o / dx``.

    Args:
        dm: the fitted distortion model; model: position(s) 0..G-1 or a name.
        x: log10 of the bit error rate (any shape; may be -inf: the clean plateau).

    Returns:
        ``(value, slope)`` float64 arrays of the broadcast shape; the slope is >= 0.
    """
    return _scurve_and_slope(x, dm._mse[dm.index(model)])


def ms_ssim_of_log10_ber(dm: DistortionModel, model: int | str | np.ndarray,
                         x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fitted MS-SSIM at ``x = log10 rho_b`` (not clipped) and ``d MS-SSIM / dx`` (<= 0)."""
    return _scurve_and_slope(x, dm._ms[dm.index(model)])


def source_dimensions(dm: DistortionModel) -> np.ndarray:
    """``M`` of ASCC Sec. II-A per model: 3 colour samples per pixel of the fitted images.

    ``M = 3 * R_s / bpp`` (mean pixels per image from the measured R_s and bits per pixel),
    float64 ``(G,)``. Raises ``ValueError`` if the fits lack ``bpp``.
    """
    if not np.all(np.isfinite(dm.bpp) & (dm.bpp > 0)):
        raise ValueError(f"bpp={dm.bpp.tolist()} is invalid: the fits need each model's bits "
                         "per pixel (> 0) to give R_s per source dimension")
    return 3.0 * dm.rs_bits / dm.bpp
