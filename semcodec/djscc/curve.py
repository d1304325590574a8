"""MS-SSIM against channel SNR of a DJSCC model: measured, fitted, saved, predicted.

A DJSCC model has no rate to choose: its quality is a smooth function of the
SNR of the analog link (Bourtsoulatze, Kurka, Gunduz, IEEE TCCN 2019, Figs. 4-5:
graceful degradation below the training SNR, saturation above it). It is
measured on the shipped validation photos (``data/photos`` split ``val``,
256x256 centre crops) at a grid of SNRs and fitted by the logistic of the
S-curves (:func:`semcodec.distortion_model.fit_scurve`, the fitting machinery
of ASCC eq. (7)) with x = SNR in dB instead of log10 rho_b::

    MS-SSIM(snr) = S + C / (1 + exp(-E1 (snr - E2)))     (C >= 0, rising)

The curves of the shipped ladder live in ``data/djscc/curves.json`` (beside the
checkpoints they describe); ``optim`` reads them with :func:`load_djscc_curves`
and needs no model.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..atomic_io import write_json_atomic
from ..distortion_model import fit_scurve, scurve
from ..evaluate import ms_ssim, mse, psnr_from_mse
from ..shipped_data import shipped_path
from .model import DeepJSCC, nearest_c

#: The shipped ladder's fitted curves.
SHIPPED_CURVES = shipped_path("djscc/curves.json")
CURVE_FORM = "MS-SSIM = S + C / (1 + exp(-E1 (snr_db - E2)))"
CURVES_VERSION = 1


@dataclass(frozen=True)
class DJSCCCurve:
    """Fitted MS-SSIM against SNR (dB) of one DJSCC model.

    Attributes:
        name: model name (e.g. ``c10_snr10``); checkpoint: its file, relative to
            the curves file (or absolute); c, abr: channels and ABR (= c / 96);
        train_snr_db: (lo, hi) training SNR range in dB (lo == hi for one SNR);
        params: (S, C, E1, E2) of :data:`CURVE_FORM`; r2, rmse: fit quality on
            the measured points; points: the measured rows (snr_db, ms_ssim,
            psnr_db, n_images, trials).
    """

    name: str
    checkpoint: str
    c: int
    abr: float
    train_snr_db: tuple[float, float]
    params: tuple[float, float, float, float]
    r2: float
    rmse: float
    points: list[dict[str, float]] = field(default_factory=list)

    def predict_msssim(self, snr_db: float | np.ndarray) -> np.ndarray:
        """Predicted MS-SSIM (float64, shape of ``snr_db``) at SNR / SINR ``snr_db`` in dB."""
        return np.clip(scurve(np.asarray(snr_db, dtype=np.float64), *self.params), 0.0, 1.0)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> DJSCCCurve:
        return cls(name=str(d["name"]), checkpoint=str(d["checkpoint"]), c=int(d["c"]),
                   abr=float(d["abr"]),
                   train_snr_db=tuple(float(v) for v in d["train_snr_db"]),
                   params=tuple(float(v) for v in d["params"]), r2=float(d["r2"]),
                   rmse=float(d["rmse"]), points=list(d.get("points", [])))


@torch.no_grad()
def measure_djscc(model: DeepJSCC, images: list[torch.Tensor], snr_db: list[float],
                  trials: int = 2, seed: int = 0) -> list[dict[str, float]]:
    """Mean MS-SSIM and PSNR of ``model`` over ``images`` and noise draws at each SNR.

    Args:
        images: (3, H, W) float tensors in [0, 1] (H, W multiples of 8).
        snr_db: the SNRs (dB, finite) of the grid.
        trials: noise draws per image and SNR; seed: seed of the noise generator.

    Returns:
        one row per SNR: snr_db, ms_ssim (mean over images x trials), psnr_db
        (of the mean MSE), mse, n_images, trials.
    """
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    # images of one size go through the model as one batch (the mean over a batch of the
    # per-image MS-SSIM / MSE is what pytorch-msssim's size_average and a mean give)
    groups: dict[tuple[int, ...], list[torch.Tensor]] = {}
    for img in images:
        groups.setdefault(tuple(img.shape), []).append(img)
    batches = [torch.stack(g) for g in groups.values()]
    rows = []
    for s in snr_db:
        ssim_sum = mse_sum = 0.0
        for x in batches:
            for _ in range(trials):
                y = model(x, float(s), generator=gen)
                ssim_sum += ms_ssim(y, x) * x.shape[0]
                mse_sum += mse(y, x) * x.shape[0]
        n = len(images) * trials
        rows.append({"snr_db": float(s), "ms_ssim": ssim_sum / n,
                     "psnr_db": psnr_from_mse(mse_sum / n), "mse": mse_sum / n,
                     "n_images": len(images), "trials": trials})
    return rows


def fit_djscc_curve(name: str, checkpoint: str, model: DeepJSCC,
                    train_snr_db: tuple[float, float],
                    points: list[dict[str, float]]) -> DJSCCCurve:
    """Fit :data:`CURVE_FORM` to measured ``points`` (rows of :func:`measure_djscc`, >= 4)."""
    x = np.array([p["snr_db"] for p in points])
    y = np.array([p["ms_ssim"] for p in points])
    f = fit_scurve(x, y, rising=True)
    return DJSCCCurve(name=name, checkpoint=checkpoint, c=model.c, abr=model.abr,
                      train_snr_db=(float(train_snr_db[0]), float(train_snr_db[1])),
                      params=f.params, r2=f.r2, rmse=f.rmse, points=list(points))


def save_djscc_curves(curves: list[DJSCCCurve], path: str | os.PathLike,
                      extra: dict[str, Any] | None = None) -> Path:
    """Write ``curves`` as JSON (atomic); ``extra`` (provenance) is stored beside them."""
    doc = {"version": CURVES_VERSION, "form": CURVE_FORM, **(extra or {}),
           "models": [c.to_json() for c in curves]}
    write_json_atomic(path, doc)
    return Path(path)


def load_djscc_curves(path: str | os.PathLike = SHIPPED_CURVES) -> list[DJSCCCurve]:
    """The curves of a curves file (default: the shipped ladder's), in file order."""
    import json

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"DJSCC curves file {path} does not exist")
    doc = json.loads(path.read_text())
    if doc.get("version") != CURVES_VERSION or "models" not in doc:
        raise ValueError(f"{path} is not a DJSCC curves file (version {CURVES_VERSION} with "
                         f"'models')")
    return [DJSCCCurve.from_json(d) for d in doc["models"]]


def select_curve(curves: list[DJSCCCurve], abr: float, snr_db: float) -> DJSCCCurve:
    """Among the curves of the realisable ABR nearest ``abr``, the best at ``snr_db``.

    The ABR picks c (:func:`semcodec.djscc.model.nearest_c`); among the models
    with that c (different training SNRs) the one with the highest predicted
    MS-SSIM at the link's SNR / SINR ``snr_db`` is returned.
    """
    if not math.isfinite(float(snr_db)):
        raise ValueError(f"snr_db={snr_db} is invalid: must be a finite number of dB")
    c = nearest_c(abr)
    same = [k for k in curves if k.c == c]
    if not same:
        have = sorted({k.c for k in curves})
        raise ValueError(f"abr={abr} is invalid here: needs c={c} (ABR {c}/96) and the curves "
                         f"hold c in {have}")
    return max(same, key=lambda k: float(k.predict_msssim(snr_db)))
