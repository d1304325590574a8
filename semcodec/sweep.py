"""Monte Carlo bit-flip sweep over (model, rho_b, image, trial): the data of ASCC Fig. 2.

ASCC Sec. III-A.3 flips the bits of each model's entropy-coded stream at bit
error rate rho_b and measures the end-to-end distortion. Here every
(model, image) pair is coded once into a :class:`~semcodec.payload.Payload`
(phase 1, which also records the clean decode in ``clean.csv``); then for each
(model, rho_b, image, trial) the body crosses :func:`~semcodec.channel.flip_bits`
and is decoded by :class:`~semcodec.robust_decode.RobustDecoder` inside an
:class:`~semcodec.isolated_pool.IsolatedPool` (phase 2, ``results.csv``). The
worker side is :mod:`semcodec.sweep_worker`, the tables :mod:`semcodec.sweep_tables`.

Reproducibility: trial (m, b, i, t) draws its flips from
``SeedSequence([seed, m, b, i, t])``, so a row's numbers do not depend on the
order, on the worker that ran it or on interruptions. Rows are appended as they
finish; a rerun into the same folder skips the finished keys (and drops a
half-written last line), and at the end both tables are rewritten sorted, so an
interrupted-and-resumed sweep leaves the same files as an uninterrupted one.

Columns of ``results.csv`` (one row per decode): ``model`` (checkpoint stem),
``lambda``, ``rs_bits`` (R_s: the model's mean body bits per image over the
sweep's images), ``bpp`` (this image's body bits per pixel), ``ber``, ``image``
(path relative to the image folder), ``trial``, ``n_bits`` (body bits of this
image), ``n_flipped``, ``mse`` (pixels in [0, 1]), ``psnr`` (dB, peak 1),
``ms_ssim``, ``decode_failed`` (0/1), ``n_concealed`` (latent symbols bounded by
the concealment rule), ``p_any_flip`` (P(at least one body bit flips) =
1 - (1 - rho_b)^n_bits).

Sampling. ``plain``: every trial is a plain binary-symmetric-channel draw, and
D_o is the mean of the rows. ``conditional`` (default, stratified on "at least
one flip"): every trial is drawn given at least one flip
(:func:`~semcodec.channel.flip_bits_given_any`), and the expected distortion of
an image is ``(1 - p_any_flip) * clean + p_any_flip * mean over trials`` (the
clean decode of a body with no flip is the clean reconstruction, bit-exact).
Both estimate the same expectation; the conditional one has no rare-event
noise at low rho_b, where a plain trial almost never flips a bit and a single
unlucky one moves the mean by a factor of ten. ``aggregate_sweep``
(:func:`semcodec.distortion_model.aggregate_sweep`) does the aggregation for either.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from .atomic_io import write_json_atomic
from .channel import check_ber
from .isolated_pool import IsolatedPool, TaskFailure
from .payload import Payload
from .progress import logger
from .robust_decode import fallback_image
from .sweep_tables import (
    CLEAN_COLUMNS,
    RESULT_COLUMNS,
    RowAppender,
    cell,
    read_rows,
    rewrite_sorted,
)
from .sweep_worker import draw_flips, image_metrics, payload_path, seed_for, sweep_factory

__all__ = ["CLEAN_COLUMNS", "CONFIG_VERSION", "DEMO_SWEEP", "RESULT_COLUMNS", "SAMPLINGS",
           "SweepInputs", "ber_grid", "demo_sweep_and_fit", "resolve_inputs", "run_sweep"]

SAMPLINGS = ("conditional", "plain")
CONFIG_VERSION = 1
#: sweep.json keys that may differ on resume (absolute paths of the same files).
_PATH_KEYS = ("models", "images")

#: The small sweep of ``issc demo`` (3 shipped test photos, 8 rates, 2 trials).
DEMO_SWEEP = {"max_images": 3, "ber_min": 1e-7, "ber_max": 1e-2, "points": 8, "trials": 2}


def ber_grid(ber_min: float, ber_max: float, points: int) -> list[float]:
    """``points`` bit error rates, log-spaced from ``ber_min`` to ``ber_max`` (inclusive)."""
    lo, hi = check_ber(ber_min, "ber_min"), check_ber(ber_max, "ber_max")
    if lo <= 0:
        raise ValueError(f"ber_min={ber_min} is invalid: must be > 0 (log-spaced grid)")
    if hi < lo:
        raise ValueError(f"ber_max={ber_max} is invalid: must be >= ber_min={ber_min}")
    if int(points) < 1:
        raise ValueError(f"points={points} is invalid: must be >= 1")
    if int(points) == 1:
        return [lo]
    return [float(v) for v in np.logspace(math.log10(lo), math.log10(hi), int(points))]


class SweepInputs(NamedTuple):
    """A sweep's images and models, resolved once (:func:`resolve_inputs`)."""

    files: list[Path]
    """Image files, sorted by path (the first ``max_images``)."""
    root: Path
    """The folder the image names are relative to."""
    ckpts: list[Path]
    """Checkpoint paths."""


def resolve_inputs(images: str | os.PathLike | None, models: str | os.PathLike | Sequence | None,
                   max_images: int | None = None) -> SweepInputs:
    """(image files, image root, checkpoint paths) with the shipped defaults for None.

    Listing a folder decodes every image once (and reports the unusable ones), so
    a caller that checks the inputs first passes the result on instead of listing
    the folder again (``optim.sweep.bitflip.run_ber_sweep(inputs=...)``).
    """
    from .datasets import SHIPPED_PHOTOS, list_images, shipped_photos
    from .ladder import SHIPPED_CODECS, shipped_ladder

    if images is None:
        files, root = list(shipped_photos("test", None).files), SHIPPED_PHOTOS
    else:
        root = Path(images)
        files, _ = list_images(root)  # refuses a missing or empty folder, naming it
    if max_images is not None:
        if int(max_images) < 1:
            raise ValueError(f"max_images={max_images} is invalid: must be >= 1")
        files = files[:int(max_images)]
    if models is None or isinstance(models, (str, os.PathLike)):
        ckpts = shipped_ladder(SHIPPED_CODECS if models is None else models)
    else:
        ckpts = [Path(p) for p in models]
        if not ckpts:
            raise ValueError("models=[] is invalid: give at least one checkpoint")
    return SweepInputs(files, root, ckpts)


def _check_counts(trials: int, workers: int, sampling: str) -> None:
    if int(trials) < 1:
        raise ValueError(f"trials={trials} is invalid: must be >= 1")
    if int(workers) < 1:
        raise ValueError(f"workers={workers} is invalid: must be >= 1")
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling={sampling!r} is invalid: must be one of {SAMPLINGS}")


def sweep_config(ckpts: list[Path], files: list[Path], root: Path, bers: list[float],
                 trials: int, seed: int, sampling: str) -> dict[str, Any]:
    """The ``sweep.json`` record: models (path, name, hash, lambda), images, grid, seed."""
    from .checkpoint import read_checkpoint

    metas = []
    for c in ckpts:
        ck = read_checkpoint(c)
        metas.append(ck["meta"] | {"sha256": ck["sha256"]})
    names = [Path(c).stem for c in ckpts]
    if len(set(names)) != len(names):
        raise ValueError(f"model names={names} are invalid: checkpoint file names must differ")
    return {
        "version": CONFIG_VERSION,
        "models": [str(Path(c).resolve()) for c in ckpts],
        "model_names": names,
        "model_sha256": [m["sha256"] for m in metas],
        "lambdas": [float(m.get("lambda", math.nan)) for m in metas],
        "images": [str(Path(f).resolve()) for f in files],
        "image_names": [Path(f).relative_to(root).as_posix() for f in files],
        "bers": bers, "trials": int(trials), "seed": int(seed), "sampling": sampling,
    }


def claim_sweep_folder(out: Path, config: dict[str, Any]) -> Path:
    """Write ``sweep.json``, or check that the one there describes the same sweep (both
    orchestrations of the bit-flip sweep claim their folder here)."""
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "sweep.json"
    if cfg_path.is_file():
        try:
            old = json.loads(cfg_path.read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{cfg_path}: is not the sweep.json a sweep wrote ({e}); use "
                             "another --out folder or remove it to start over") from None
        if not isinstance(old, dict):
            raise ValueError(f"{cfg_path}: is not the sweep.json a sweep wrote (a "
                             f"{type(old).__name__}, not a table of settings); use another "
                             "--out folder or remove it to start over")
        same = {k: old.get(k) for k in config if k not in _PATH_KEYS}
        want = {k: config[k] for k in config if k not in _PATH_KEYS}
        if same != want:
            diff = sorted(k for k in want if same.get(k) != want[k])
            raise ValueError(f"out={out} holds a sweep with other settings ({', '.join(diff)}): "
                             f"use another --out folder or the same settings to resume")
    else:
        write_json_atomic(cfg_path, config)
    return cfg_path


class _SweepTables:
    """The two tables of a sweep folder, with what is already done and what is left."""

    def __init__(self, out: Path, config: dict[str, Any], files: list[Path]) -> None:
        self.out, self.cfg, self.files = out, config, files
        self.names, self.bers = config["model_names"], config["bers"]
        self.m_of = {n: k for k, n in enumerate(self.names)}
        self.i_of = {n: k for k, n in enumerate(config["image_names"])}
        self.b_of = {repr(b): k for k, b in enumerate(self.bers)}
        self.clean_path, self.res_path = out / "clean.csv", out / "results.csv"
        self.clean_rows = read_rows(self.clean_path, CLEAN_COLUMNS)
        self.res_rows = read_rows(self.res_path, RESULT_COLUMNS)
        self.done = {self.trial_key(r) for r in self.res_rows}
        self._fallback: dict[int, tuple[float, float, float]] = {}

    def trial_key(self, r: dict[str, str]) -> tuple[int, int, int, int]:
        return (self.m_of[r["model"]], self.b_of[r["ber"]], self.i_of[r["image"]],
                int(r["trial"]))

    def payload_path(self, m: int, i: int) -> Path:
        return payload_path(self.out, self.names[m], i, self.cfg["image_names"][i])

    def encode_tasks(self) -> list[tuple]:
        done = {(self.m_of[r["model"]], self.i_of[r["image"]]) for r in self.clean_rows}
        return [("encode", m, i) for m in range(len(self.names)) for i in range(len(self.files))
                if (m, i) not in done or not self.payload_path(m, i).is_file()]

    def trial_tasks(self) -> list[tuple]:
        n_t = self.cfg["trials"]
        return [("trial", m, b, i, t) for m in range(len(self.names))
                for i in range(len(self.files)) for b in range(len(self.bers))
                for t in range(n_t) if (m, b, i, t) not in self.done]

    def fallback_row(self, m: int, b: int, i: int, t: int, why: str) -> dict[str, Any]:
        """The row of a trial whose worker crashed or hung: same flips, fallback image."""
        from .datasets import load_image

        p = Payload.from_bytes(self.payload_path(m, i).read_bytes())
        _, n_flipped, p_any = draw_flips(p.body, self.bers[b], seed_for(self.cfg["seed"], m, b,
                                                                         i, t),
                                         self.cfg["sampling"])
        if i not in self._fallback:
            img = load_image(self.files[i])
            self._fallback[i] = image_metrics(img, fallback_image(*img.shape[-2:]))
        mse, psnr, mss = self._fallback[i]
        logger.warning(f"decode failed ({why}): model {self.names[m]}, ber "
                       f"{self.bers[b]:.3g}, image {self.cfg['image_names'][i]}, trial {t}: "
                       f"fallback image used")
        return {"n_flipped": n_flipped, "mse": mse, "psnr": psnr, "ms_ssim": mss,
                "decode_failed": 1, "n_concealed": 0, "p_any_flip": p_any}

    def rewrite_sorted(self) -> None:
        rewrite_sorted(self.clean_path, CLEAN_COLUMNS, self.clean_rows,
                       key=lambda r: (self.m_of[r["model"]], self.i_of[r["image"]]))
        rewrite_sorted(self.res_path, RESULT_COLUMNS, self.res_rows, key=self.trial_key)


def _encode_phase(pool: IsolatedPool, tab: _SweepTables, progress: bool) -> None:
    """Phase 1: code every (model, image) not yet coded; append its clean decode row."""
    from tqdm import tqdm

    from .progress import bar_disabled, logger

    tasks = tab.encode_tasks()
    if not tasks:
        return
    logger.info(f"encode: {len(tasks)} (model, image) payloads to code")
    app = RowAppender(tab.clean_path, CLEAN_COLUMNS)
    try:
        bar = tqdm(total=len(tasks), desc="encode", unit="img", disable=bar_disabled(progress))
        for task, res in pool.imap_unordered(tasks):
            if isinstance(res, TaskFailure):
                raise RuntimeError(f"encoding {tab.names[task[1]]} / "
                                   f"{tab.cfg['image_names'][task[2]]} failed: "
                                   f"{res.kind} {res.detail}")
            app.write(res)
            tab.clean_rows.append({c: cell(res[c]) for c in CLEAN_COLUMNS})
            bar.update()
        bar.close()
    finally:
        app.close()


def _trial_phase(pool: IsolatedPool, tab: _SweepTables, stats: dict[str, Any],
                 progress: bool) -> None:
    """Phase 2: every (model, rho_b, image, trial) not yet done; append its row."""
    from tqdm import tqdm

    from .progress import bar_disabled, logger

    n_i = len(tab.files)
    enc = {(tab.m_of[r["model"]], tab.i_of[r["image"]]): r for r in tab.clean_rows}
    rs_bits = [float(np.mean([int(enc[(m, i)]["n_bits"]) for i in range(n_i)]))
               for m in range(len(tab.names))]
    n_total = len(tab.names) * n_i * len(tab.bers) * tab.cfg["trials"]
    logger.info(f"ber-sweep: {n_total - len(tab.done)} of {n_total} decodes to run")
    app = RowAppender(tab.res_path, RESULT_COLUMNS)
    try:
        bar = tqdm(total=n_total, initial=len(tab.done), desc="ber-sweep", unit="dec",
                   disable=bar_disabled(progress), smoothing=0.05)
        for task, res in pool.imap_unordered(tab.trial_tasks()):
            _, m, b, i, t = task
            if isinstance(res, TaskFailure):
                res = tab.fallback_row(m, b, i, t, f"{res.kind}: {res.detail}")
            elif res.get("error"):
                stats["errors"] += 1
                logger.warning(f"decode error: {res['error']} (model {tab.names[m]}, "
                               f"ber {tab.bers[b]:.3g})")
            e = enc[(m, i)]
            row = {"model": tab.names[m], "lambda": tab.cfg["lambdas"][m],
                   "rs_bits": rs_bits[m], "bpp": float(e["bpp"]), "ber": tab.bers[b],
                   "image": tab.cfg["image_names"][i], "trial": t, "n_bits": int(e["n_bits"]),
                   **res}
            app.write(row)
            tab.res_rows.append({c: cell(row[c]) for c in RESULT_COLUMNS})
            stats["decodes"] += 1
            stats["decode_failed"] += int(row["decode_failed"])
            bar.update()
        bar.close()
    finally:
        app.close()


def run_sweep(out: str | os.PathLike, images: str | os.PathLike | None = None,
              models: str | os.PathLike | Sequence | None = None, ber_min: float = 1e-9,
              ber_max: float = 1e-1, points: int = 16, trials: int = 2, seed: int = 0,
              workers: int = 2, max_images: int | None = None, timeout_s: float = 120.0,
              progress: bool = True, sampling: str = "conditional") -> dict[str, Path]:
    """Run (or resume) a bit-flip sweep into ``out``.

    Args:
        out: output folder (``sweep.json``, ``clean.csv``, ``results.csv``, ``payloads/``).
        images: folder of images (None: the shipped test photos).
        models: folder of ``q<i>.ckpt`` files, or a list of checkpoints (None: shipped ladder).
        ber_min, ber_max, points: the log-spaced rho_b grid (0 < ber_min <= ber_max <= 0.5).
        trials: Monte Carlo trials per (model, rho_b, image).
        seed: base seed of every flip pattern.
        workers: decode worker processes (each one torch thread).
        max_images: use only the first N images (sorted by path).
        timeout_s: a decode taking longer counts as a hang (worker restarted).
        sampling: ``conditional`` (trials given at least one flip; stratified) or
            ``plain`` (plain channel draws); see the module docstring.

    Returns:
        ``{"results", "clean", "config", "summary"}`` paths. ``summary`` (JSON) holds
        the counts of decodes, failures, crashes, hangs and the wall time.
    """
    t0 = time.perf_counter()
    out = Path(out)
    bers = ber_grid(ber_min, ber_max, points)
    _check_counts(trials, workers, sampling)
    files, root, ckpts = resolve_inputs(images, models, max_images)
    config = sweep_config(ckpts, files, root, bers, trials, seed, sampling)
    cfg_path = claim_sweep_folder(out, config)
    tab = _SweepTables(out, config, files)
    stats = {"decodes": 0, "decode_failed": 0, "crashes": 0, "timeouts": 0, "errors": 0,
             "resumed_rows": len(tab.done)}
    with IsolatedPool(sweep_factory, (config, str(out)), workers=int(workers),
                      timeout_s=timeout_s) as pool:
        pool.start()  # workers load the models in parallel before any timing
        stats["startup_s"] = round(time.perf_counter() - t0, 3)
        _encode_phase(pool, tab, progress)
        t_trials = time.perf_counter()
        _trial_phase(pool, tab, stats, progress)
        stats["trial_phase_s"] = round(time.perf_counter() - t_trials, 3)
        stats["crashes"] += pool.n_crashes
        stats["timeouts"] += pool.n_timeouts
        stats["errors"] += pool.n_errors
    tab.rewrite_sorted()
    stats.update(rows=len(tab.res_rows), wall_time_s=round(time.perf_counter() - t0, 3),
                 workers=int(workers), n_models=len(ckpts), n_images=len(files),
                 n_points=len(bers), n_trials=int(trials))
    summary_path = out / "summary.json"
    write_json_atomic(summary_path, stats)
    return {"results": tab.res_path, "clean": tab.clean_path, "config": cfg_path,
            "summary": summary_path}


def demo_sweep_and_fit(out: str | os.PathLike, seed: int = 0, workers: int = 2,
                       progress: bool = True, models: str | os.PathLike | None = None
                       ) -> dict[str, Path]:
    """The small sweep + S-curve fit of ``issc demo`` (shipped photos and codecs).

    ``DEMO_SWEEP``: first 3 shipped test photos, 8 rho_b points from 1e-7 to
    1e-2, 2 trials (``models``: another ladder folder). Writes ``out/sweep``
    and ``out/fit``; returns the paths of the sweep tables and ``fits.json``
    (``issc demo`` draws ``fig2.png``).
    """
    from .distortion_model import fit_scurves

    out = Path(out)
    paths = run_sweep(out / "sweep", models=models, seed=seed, workers=workers,
                      progress=progress, **DEMO_SWEEP)
    return paths | fit_scurves(out / "sweep", out / "fit")
