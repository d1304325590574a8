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

The plateau is not fitted: it is anchored to what the sweep measured without
flips (``clean.csv``, the mean clean decode per model), ``Ds = log10 clean MSE``
and ``S = clean MS-SSIM``, and the rise is bounded so that the fitted MSE is
``>= clean`` (``Dc >= 0``) and the fitted MS-SSIM lies in ``[0, clean]``
(``-S <= C <= 0``). A free plateau lets the fit trade it against the curve's
shape; on the stage-11 sweep that put q5's clean MS-SSIM above q6's (the ladder
inverted at the top) and the MSE plateaus 2.5-23.7 % below the measured clean
MSE. Anchored, the fitted ladder keeps the measured order of clean quality by
construction. ``fits.json`` records per metric the plateau error (fitted minus
measured clean) of the anchored fit and, for comparison, of a free fit.

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


def fit_scurve(x: np.ndarray, y: np.ndarray, rising: bool = True,
               plateau: float | None = None, floor: float | None = None) -> SCurveFit:
    """Least-squares fit of ``y ~ scurve(x)`` (x = log10 rho_b).

    Args:
        x, y: (n,) float arrays; n >= 4 (four parameters), or n >= 3 with ``plateau``.
        rising: True for a rising curve (Dc >= 0: log10 MSE), False for a
            falling one (Dc <= 0: MS-SSIM).
        plateau: if given, Ds is fixed to it (the measured clean value, y units) and
            only Dc, E1, E2 are fitted.
        floor: for a falling curve, the saturation Ds + Dc is kept >= floor (MS-SSIM: 0).

    Returns:
        the best of a multi-start bounded fit (E1 in [1e-3, 100], E2 within 5
        decades of the data, ``|Dc|`` at most 3x the span of y + 1, or the span from the
        plateau to the farthest point + 1 with ``plateau``).
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.shape != y.shape:
        raise ValueError(f"x and y shapes {x.shape} and {y.shape} are invalid: must match")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n_free = 4 if plateau is None else 3
    if x.size < n_free:
        raise ValueError(f"n_points={x.size} is invalid: a {n_free}-parameter S-curve needs "
                         f">= {n_free} finite points")
    if plateau is not None and not math.isfinite(plateau):
        raise ValueError(f"plateau={plateau!r} is invalid: must be finite")
    order = np.argsort(x)
    x, y = x[order], y[order]
    span = float(y.max() - y.min())
    if plateau is None:
        lo = [float(y.min()) - span - 1.0, 0.0 if rising else -3 * span - 1.0, 1e-3,
              float(x.min()) - 5.0]
        hi = [float(y.max()) + span + 1.0, 3 * span + 1.0 if rising else 0.0, 100.0,
              float(x.max()) + 5.0]
    else:  # rise from the fixed plateau: at most the distance to the farthest point, doubled
        reach = 2 * float(np.max(np.abs(y - plateau))) + 1.0
        lo = [plateau, 0.0 if rising else -reach, 1e-3, float(x.min()) - 5.0]
        hi = [plateau, reach if rising else 0.0, 100.0, float(x.max()) + 5.0]
    if floor is not None and not rising:  # Ds + Dc >= floor
        lo[1] = max(lo[1], floor - (plateau if plateau is not None else float(y.max())))
        if lo[1] > 0:
            raise ValueError(f"plateau={plateau!r} is invalid: below the floor {floor!r}")
    n_edge = max(1, x.size // 5)
    y_lo = float(np.mean(y[:n_edge])) if plateau is None else plateau
    y_hi = float(np.mean(y[-n_edge:]))
    d_c0 = (y_hi - y_lo) if (y_hi - y_lo) * (1 if rising else -1) > 0 else (span if rising
                                                                           else -span)
    free = slice(0 if plateau is None else 1, 4)

    def params(q: np.ndarray) -> np.ndarray:
        return q if plateau is None else np.concatenate([[plateau], q])

    best = None
    for e2 in np.linspace(x.min(), x.max(), 7):
        for e1 in (0.5, 2.0, 8.0):
            p0 = np.clip([y_lo, d_c0, e1, e2], np.add(lo, 1e-9), np.subtract(hi, 1e-9))[free]
            lo_f = np.asarray(lo)[free]
            hi_f = np.asarray(hi)[free]
            p0 = np.clip(p0, lo_f, hi_f)
            hi_f = np.where(hi_f > lo_f, hi_f, lo_f + 1e-12)  # a zero-width bound (no rise)
            r = least_squares(lambda q: scurve(x, *params(q)) - y, p0, bounds=(lo_f, hi_f),
                              method="trf", x_scale="jac", max_nfev=2000)
            if best is None or r.cost < best.cost:
                best = r
    p_best = params(best.x)
    res = scurve(x, *p_best) - y
    ss_res = float(np.sum(res ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else (1.0 if ss_res == 0 else 0.0)
    return SCurveFit(*(float(v) for v in p_best), r2=r2, rmse=math.sqrt(ss_res / x.size),
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
    for name in info:  # the clean point anchors the fit's plateau: every model needs it
        images = sorted({im for (m, _), per in groups.items() if m == name for im in per})
        lacking = [im for im in images if (name, im) not in clean]
        if lacking:
            raise ValueError(f"model {name!r} has no clean decode in {clean_path} for "
                             f"{len(lacking)} of its {len(images)} images (first "
                             f"{lacking[0]!r}): the fit anchors each model's plateau to its "
                             f"measured clean distortion; valid: a sweep with clean.csv rows "
                             f"for every model and image (rerun issc ber-sweep)")
        a = np.array([clean[(name, im)] for im in images])
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


def fit_scurves(sweep: str | os.PathLike, out: str | os.PathLike) -> dict[str, Path]:
    """Fit ASCC eq. (7) (and its MS-SSIM twin) per model of a sweep; write the results.

    Writes ``out/fits.json`` (per model: lambda, R_s, the four parameters of
    each fit with the plateau anchored to the measured clean point, R^2 and RMSE at
    the measured points, number of points, the plateau error of this fit and of a
    free one; the ladder's clean order, :func:`clean_order_check`; the sweep's size)
    and ``out/points.csv`` (measured means and fitted values). Returns their paths;
    ``issc fit-scurves`` draws ASCC Fig. 2 (``fig2.png``) from them.
    """
    out = Path(out)
    points, info, cfg = aggregate_sweep(sweep)
    names = sorted(info, key=lambda n: info[n]["rs_bits"])
    few = {n: c for n in names if (c := sum(p["model"] == n for p in points)) <= 3}
    if few:  # 3 free parameters through <= 3 points: an exact fit, R^2 = 1 whatever the data
        warnings.warn(f"{min(few.values())} rho_b points for the 3 free parameters of ASCC eq. "
                      f"(7) ({', '.join(few)}): the fit passes through every point and R^2 = 1 "
                      f"says nothing; sweep more points (ber-sweep --points 8 or more)",
                      stacklevel=2)
    models = []
    for k, name in enumerate(names):
        pts = [p for p in points if p["model"] == name]
        x = np.log10([p["ber"] for p in pts])
        y_mse, y_ms = np.log10([p["mse"] for p in pts]), np.array([p["ms_ssim"] for p in pts])
        c_mse, c_ms = info[name]["clean_mse"], info[name]["clean_ms_ssim"]
        f_mse = fit_scurve(x, y_mse, rising=True, plateau=math.log10(c_mse))
        f_ms = fit_scurve(x, y_ms, rising=False, plateau=c_ms, floor=0.0)
        # the free fit (plateau fitted too), kept only to show what the anchor changes
        free_mse = fit_scurve(x, y_mse, rising=True) if x.size >= 4 else None
        free_ms = fit_scurve(x, y_ms, rising=False) if x.size >= 4 else None
        for p, xm in zip(pts, x):
            p["mse_fit"] = float(10 ** f_mse(xm))
            p["ms_ssim_fit"] = float(f_ms(xm))
        models.append({
            "model": name, "index": k, **info[name],
            "mse_fit": {"Ds": f_mse.d_s, "Dc": f_mse.d_c, "E1": f_mse.e1, "E2": f_mse.e2,
                        "r2_log10": f_mse.r2, "rmse_log10": f_mse.rmse,
                        "n_points": f_mse.n_points,
                        **_plateau_report(10 ** f_mse.d_s, c_mse,
                                          None if free_mse is None else 10 ** free_mse.d_s,
                                          None if free_mse is None else free_mse.r2)},
            "ms_ssim_fit": {"S": f_ms.d_s, "C": f_ms.d_c, "E1": f_ms.e1, "E2": f_ms.e2,
                            "r2": f_ms.r2, "rmse": f_ms.rmse, "n_points": f_ms.n_points,
                            **_plateau_report(f_ms.d_s, c_ms,
                                              None if free_ms is None else free_ms.d_s,
                                              None if free_ms is None else free_ms.r2)},
        })
    order = clean_order_check(models)
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
        "plateau": "anchored: Ds = log10 clean_mse, S = clean_ms_ssim (the sweep's clean "
                   "decodes, clean.csv); Dc >= 0, -S <= C <= 0; plateau_error = fitted minus "
                   "measured clean (MSE in MSE units, relative in plateau_error_rel); "
                   "free_*: the same fit with the plateau left free, for comparison",
        "clean_order": order,
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
    return {"fits": fits_path, "points": pts_path}


def _plateau_report(fitted: float, clean: float, free: float | None,
                    free_r2: float | None) -> dict[str, float | None]:
    """Plateau error of the anchored fit (fitted minus measured clean) and of a free fit."""
    return {"plateau": fitted, "plateau_error": fitted - clean,
            "plateau_error_rel": (fitted - clean) / clean,
            "free_plateau": free, "free_plateau_error": None if free is None else free - clean,
            "free_plateau_error_rel": None if free is None else (free - clean) / clean,
            "free_r2": free_r2}


def clean_order_check(models: list[dict]) -> dict[str, Any]:
    """Whether the fitted plateaus order the ladder as the measured clean points do.

    ``models`` are ``fits.json`` model entries in ascending R_s. Returns the measured and
    fitted order (model names from best to worst clean quality) per metric, ``kept``
    (True when both agree for both metrics) and, for comparison, ``free_kept`` (the free
    fit's plateaus; None without a free fit).
    """
    out: dict[str, Any] = {}
    kept, free_kept = True, True
    for metric, key, best_high in (("mse", "mse_fit", False), ("ms_ssim", "ms_ssim_fit", True)):
        sign = -1.0 if best_high else 1.0
        measured = [m["model"] for m in sorted(models, key=lambda m: sign * m[f"clean_{metric}"])]
        fitted = [m["model"] for m in sorted(models, key=lambda m: sign * m[key]["plateau"])]
        out[metric] = {"measured": measured, "fitted": fitted}
        kept &= measured == fitted
        if all(m[key]["free_plateau"] is not None for m in models):
            free = [m["model"] for m in sorted(models,
                                               key=lambda m: sign * m[key]["free_plateau"])]
            out[metric]["free_fit"] = free
            free_kept &= measured == free
        else:
            free_kept = None
    out["kept"] = bool(kept)
    out["free_kept"] = None if free_kept is None else bool(free_kept)
    return out


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

    def ms_ssim_params(self, model: int | str) -> tuple[float, float, float, float]:
        """(S, C, E1, E2) of the MS-SSIM S-curve for one model (C <= 0)."""
        return tuple(float(v) for v in self._ms[int(self.index(model))])

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
