"""Monte Carlo bit-flip sweep over (model, rho_b, image, trial): the data of ASCC Fig. 2.

ASCC Sec. III-A.3 flips the bits of each model's entropy-coded stream at bit
error rate rho_b and measures the end-to-end distortion. Here every
(model, image) pair is coded once into a :class:`~semcodec.payload.Payload`
(phase 1, which also records the clean decode in ``clean.csv``); then for each
(model, rho_b, image, trial) the body crosses :func:`~semcodec.channel.flip_bits`
and is decoded by :class:`~semcodec.robust_decode.RobustDecoder` inside an
:class:`~semcodec.robust_decode.IsolatedPool` (phase 2, ``results.csv``).

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

import csv
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from semcodec.atomic_io import write_atomic
from semcodec.channel import check_ber, flip_bits, flip_bits_given_any, p_any_flip
from semcodec.payload import Payload, encode_image, model_sha_bytes
from semcodec.robust_decode import IsolatedPool, RobustDecoder, TaskFailure, fallback_image

RESULT_COLUMNS = ("model", "lambda", "rs_bits", "bpp", "ber", "image", "trial", "n_bits",
                  "n_flipped", "mse", "psnr", "ms_ssim", "decode_failed", "n_concealed",
                  "p_any_flip")
SAMPLINGS = ("conditional", "plain")
CLEAN_COLUMNS = ("model", "lambda", "image", "n_bits", "bpp", "mse", "psnr", "ms_ssim")
CONFIG_VERSION = 1

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


def seed_for(seed: int, m: int, b: int, i: int, t: int) -> np.random.Generator:
    """The generator of trial t of image i at grid point b for model m."""
    return np.random.default_rng(np.random.SeedSequence([int(seed), m, b, i, t]))


def image_metrics(ref: torch.Tensor, rec: torch.Tensor) -> tuple[float, float, float]:
    """(MSE, PSNR dB, MS-SSIM) of a reconstruction against the original, pixels in [0, 1]."""
    from semcodec.evaluate import ms_ssim

    mse = float(torch.mean((ref.double() - rec.double()) ** 2))
    psnr = math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)
    return mse, psnr, ms_ssim(ref, rec)


def draw_flips(body: bytes, ber: float, rng: np.random.Generator, sampling: str
               ) -> tuple[bytes, int, float]:
    """(received body, flips, p_any_flip) of one trial under the sweep's sampling."""
    if sampling == "conditional":
        return flip_bits_given_any(body, ber, rng)
    out, k = flip_bits(body, ber, rng)
    return out, k, p_any_flip(8 * len(body), ber)


def payload_path(out: Path, model: str, i: int, image: str) -> Path:
    return out / "payloads" / model / f"{i:04d}_{Path(image).stem}.issc"


# ----------------------------------------------------------------------------- worker side

class _SweepHandler:
    """Runs in a worker process: holds the models, images and payloads it has seen."""

    def __init__(self, config: dict, out: str) -> None:
        from semcodec.checkpoint import load_codec

        self.cfg, self.out = config, Path(out)
        self.models, self.decoders = [], []
        for path in config["models"]:
            model, meta = load_codec(path)
            self.models.append((model, meta))
            self.decoders.append(RobustDecoder(model))
        self.images: dict[int, torch.Tensor] = {}
        self.payloads: dict[tuple[int, int], Payload] = {}

    def image(self, i: int) -> torch.Tensor:
        if i not in self.images:
            from semcodec.datasets import load_image

            self.images[i] = load_image(self.cfg["images"][i])
        return self.images[i]

    def payload(self, m: int, i: int) -> Payload:
        if (m, i) not in self.payloads:
            p = payload_path(self.out, self.cfg["model_names"][m], i, self.cfg["image_names"][i])
            self.payloads[(m, i)] = Payload.from_bytes(p.read_bytes(), str(p))
        return self.payloads[(m, i)]

    def __call__(self, task: tuple) -> dict[str, Any]:
        if task[0] == "encode":
            return self.encode(*task[1:])
        return self.trial(*task[1:])

    def encode(self, m: int, i: int) -> dict[str, Any]:
        model, meta = self.models[m]
        img = self.image(i)
        p = encode_image(model, img, model_index=m + 1,
                         model_sha=model_sha_bytes(meta.get("sha256")))
        path = payload_path(self.out, self.cfg["model_names"][m], i, self.cfg["image_names"][i])
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, p.to_bytes())
        self.payloads[(m, i)] = p
        rec, _ = self.decoders[m].decode_payload(p)
        mse, psnr, mss = image_metrics(img, rec)
        npix = img.shape[-1] * img.shape[-2]
        return {"model": self.cfg["model_names"][m], "lambda": meta.get("lambda", math.nan),
                "image": self.cfg["image_names"][i], "n_bits": p.n_bits,
                "bpp": p.n_bits / npix, "mse": mse, "psnr": psnr, "ms_ssim": mss}

    def trial(self, m: int, b: int, i: int, t: int) -> dict[str, Any]:
        p = self.payload(m, i)
        body, n_flipped, p_any = draw_flips(p.body, self.cfg["bers"][b],
                                            seed_for(self.cfg["seed"], m, b, i, t),
                                            self.cfg["sampling"])
        rec, info = self.decoders[m].safe_decode(p.header, body)
        mse, psnr, mss = image_metrics(self.image(i), rec)
        return {"n_flipped": n_flipped, "mse": mse, "psnr": psnr, "ms_ssim": mss,
                "decode_failed": int(info.decode_failed), "n_concealed": info.n_concealed,
                "p_any_flip": p_any, "error": info.error}


def _sweep_factory(config: dict, out: str) -> _SweepHandler:
    return _SweepHandler(config, out)


# ----------------------------------------------------------------------------- tables

def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _read_rows(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    """Rows of a CSV written by this module; a half-written last line (after a kill) is cut."""
    if not path.is_file():
        return []
    raw = path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raw = raw[:raw.rfind(b"\n") + 1]
        path.write_bytes(raw)
    lines = raw.decode().splitlines()
    if not lines:
        return []
    if tuple(lines[0].split(",")) != tuple(columns):
        raise ValueError(f"{path} has columns {lines[0]!r}: expected {','.join(columns)}; use "
                         f"another --out folder")
    return [r for r in csv.DictReader(lines) if None not in r.values() and len(r) == len(columns)]


class _Appender:
    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        new = not path.is_file() or path.stat().st_size == 0
        self.f = open(path, "a", newline="")
        self.w = csv.writer(self.f, lineterminator="\n")
        self.columns = columns
        if new:
            self.w.writerow(columns)
            self.f.flush()

    def write(self, row: dict[str, Any]) -> None:
        self.w.writerow([_fmt(row[c]) for c in self.columns])
        self.f.flush()

    def close(self) -> None:
        self.f.close()


def _rewrite_sorted(path: Path, columns: Sequence[str], rows: list[dict[str, str]], key) -> None:
    rows = sorted(rows, key=key)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([r[c] for c in columns])
    os.replace(tmp, path)


def _write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2))


# ----------------------------------------------------------------------------- driver

def resolve_inputs(images: str | os.PathLike | None, models: str | os.PathLike | Sequence | None,
                   max_images: int | None = None) -> tuple[list[Path], Path, list[Path]]:
    """(image files, image root, checkpoint paths) with the shipped defaults for None."""
    from semcodec.datasets import SHIPPED_PHOTOS, list_images, shipped_photos
    from semcodec.ladder import SHIPPED_CODECS, shipped_ladder

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
    return files, root, ckpts


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
    import time

    from tqdm import tqdm

    from semcodec.checkpoint import read_checkpoint

    t0 = time.perf_counter()
    out = Path(out)
    bers = ber_grid(ber_min, ber_max, points)
    if int(trials) < 1:
        raise ValueError(f"trials={trials} is invalid: must be >= 1")
    if int(workers) < 1:
        raise ValueError(f"workers={workers} is invalid: must be >= 1")
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling={sampling!r} is invalid: must be one of {SAMPLINGS}")
    files, root, ckpts = resolve_inputs(images, models, max_images)
    metas = []
    for c in ckpts:
        ck = read_checkpoint(c)
        metas.append(ck["meta"] | {"sha256": ck["sha256"]})
    names = [Path(c).stem for c in ckpts]
    if len(set(names)) != len(names):
        raise ValueError(f"model names={names} are invalid: checkpoint file names must differ")
    config = {
        "version": CONFIG_VERSION,
        "models": [str(Path(c).resolve()) for c in ckpts],
        "model_names": names,
        "model_sha256": [m["sha256"] for m in metas],
        "lambdas": [float(m.get("lambda", math.nan)) for m in metas],
        "images": [str(Path(f).resolve()) for f in files],
        "image_names": [Path(f).relative_to(root).as_posix() for f in files],
        "bers": bers, "trials": int(trials), "seed": int(seed), "sampling": sampling,
    }
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "sweep.json"
    if cfg_path.is_file():
        old = json.loads(cfg_path.read_text())
        same = {k: old.get(k) for k in config if k not in ("models", "images")}
        want = {k: config[k] for k in config if k not in ("models", "images")}
        if same != want:
            diff = sorted(k for k in want if same.get(k) != want[k])
            raise ValueError(f"out={out} holds a sweep with other settings ({', '.join(diff)}): "
                             f"use another --out folder or the same settings to resume")
    else:
        _write_json(cfg_path, config)

    clean_path, res_path = out / "clean.csv", out / "results.csv"
    m_of = {n: k for k, n in enumerate(names)}
    i_of = {n: k for k, n in enumerate(config["image_names"])}
    b_of = {repr(b): k for k, b in enumerate(bers)}
    clean_rows = _read_rows(clean_path, CLEAN_COLUMNS)
    done_enc = {(m_of[r["model"]], i_of[r["image"]]) for r in clean_rows}
    res_rows = _read_rows(res_path, RESULT_COLUMNS)
    done = {(m_of[r["model"]], b_of[r["ber"]], i_of[r["image"]], int(r["trial"]))
            for r in res_rows}
    n_m, n_i, n_b, n_t = len(names), len(files), len(bers), int(trials)
    enc_tasks = [("encode", m, i) for m in range(n_m) for i in range(n_i)
                 if (m, i) not in done_enc or not payload_path(out, names[m], i,
                                                                config["image_names"][i]).is_file()]
    trial_tasks = [("trial", m, b, i, t) for m in range(n_m) for i in range(n_i)
                   for b in range(n_b) for t in range(n_t) if (m, b, i, t) not in done]
    n_total = n_m * n_i * n_b * n_t
    stats = {"decodes": 0, "decode_failed": 0, "crashes": 0, "timeouts": 0, "errors": 0,
             "resumed_rows": len(done)}
    fallback_cache: dict[int, tuple[float, float, float]] = {}

    def fallback_row(m: int, b: int, i: int, t: int, why: str) -> dict[str, Any]:
        from semcodec.datasets import load_image

        p = Payload.from_bytes(payload_path(out, names[m], i, config["image_names"][i])
                               .read_bytes())
        _, n_flipped, p_any = draw_flips(p.body, bers[b], seed_for(seed, m, b, i, t), sampling)
        if i not in fallback_cache:
            img = load_image(files[i])
            fallback_cache[i] = image_metrics(img, fallback_image(*img.shape[-2:]))
        mse, psnr, mss = fallback_cache[i]
        print(f"decode failed ({why}): model {names[m]}, ber {bers[b]:.3g}, "
              f"image {config['image_names'][i]}, trial {t}: fallback image used")
        return {"n_flipped": n_flipped, "mse": mse, "psnr": psnr, "ms_ssim": mss,
                "decode_failed": 1, "n_concealed": 0, "p_any_flip": p_any}

    with IsolatedPool(_sweep_factory, (config, str(out)), workers=int(workers),
                      timeout_s=timeout_s) as pool:
        pool.start()  # workers load the models in parallel before any timing
        stats["startup_s"] = round(time.perf_counter() - t0, 3)
        if enc_tasks:
            app = _Appender(clean_path, CLEAN_COLUMNS)
            try:
                bar = tqdm(total=len(enc_tasks), desc="encode", unit="img", disable=not progress)
                for task, res in pool.imap_unordered(enc_tasks):
                    if isinstance(res, TaskFailure):
                        raise RuntimeError(f"encoding {names[task[1]]} / "
                                           f"{config['image_names'][task[2]]} failed: "
                                           f"{res.kind} {res.detail}")
                    app.write(res)
                    clean_rows.append({c: _fmt(res[c]) for c in CLEAN_COLUMNS})
                    bar.update()
                bar.close()
            finally:
                app.close()
        enc = {(m_of[r["model"]], i_of[r["image"]]): r for r in clean_rows}
        rs_bits = [float(np.mean([int(enc[(m, i)]["n_bits"]) for i in range(n_i)]))
                   for m in range(n_m)]

        t_trials = time.perf_counter()
        app = _Appender(res_path, RESULT_COLUMNS)
        try:
            bar = tqdm(total=n_total, initial=len(done), desc="ber-sweep", unit="dec",
                       disable=not progress, smoothing=0.05)
            for task, res in pool.imap_unordered(trial_tasks):
                _, m, b, i, t = task
                if isinstance(res, TaskFailure):
                    res = fallback_row(m, b, i, t, f"{res.kind}: {res.detail}")
                elif res.get("error"):
                    stats["errors"] += 1
                    print(f"decode error: {res['error']} (model {names[m]}, ber {bers[b]:.3g})")
                e = enc[(m, i)]
                row = {"model": names[m], "lambda": config["lambdas"][m], "rs_bits": rs_bits[m],
                       "bpp": float(e["bpp"]), "ber": bers[b], "image": config["image_names"][i],
                       "trial": t, "n_bits": int(e["n_bits"]), **res}
                app.write(row)
                res_rows.append({c: _fmt(row[c]) for c in RESULT_COLUMNS})
                stats["decodes"] += 1
                stats["decode_failed"] += int(row["decode_failed"])
                bar.update()
            bar.close()
        finally:
            app.close()
        stats["trial_phase_s"] = round(time.perf_counter() - t_trials, 3)
        stats["crashes"] += pool.n_crashes
        stats["timeouts"] += pool.n_timeouts
        stats["errors"] += pool.n_errors

    _rewrite_sorted(clean_path, CLEAN_COLUMNS, clean_rows,
                    key=lambda r: (m_of[r["model"]], i_of[r["image"]]))
    _rewrite_sorted(res_path, RESULT_COLUMNS, res_rows,
                    key=lambda r: (m_of[r["model"]], b_of[r["ber"]], i_of[r["image"]],
                                   int(r["trial"])))
    stats.update(rows=len(res_rows), wall_time_s=round(time.perf_counter() - t0, 3),
                 workers=int(workers), n_models=n_m, n_images=n_i, n_points=n_b, n_trials=n_t)
    summary_path = out / "summary.json"
    _write_json(summary_path, stats)
    return {"results": res_path, "clean": clean_path, "config": cfg_path,
            "summary": summary_path}


def demo_sweep_and_fit(out: str | os.PathLike, seed: int = 0, workers: int = 2,
                       progress: bool = True, models: str | os.PathLike | None = None
                       ) -> dict[str, Path]:
    """The small sweep + S-curve fit of ``issc demo`` (shipped photos and codecs).

    ``DEMO_SWEEP``: first 3 shipped test photos, 8 rho_b points from 1e-7 to
    1e-2, 2 trials (``models``: another ladder folder). Writes ``out/sweep``
    and ``out/fit``; returns the paths of the sweep tables, ``fits.json`` and
    ``fig2.png``.
    """
    from semcodec.distortion_model import fit_scurves

    out = Path(out)
    paths = run_sweep(out / "sweep", models=models, seed=seed, workers=workers,
                      progress=progress, **DEMO_SWEEP)
    return paths | fit_scurves(out / "sweep", out / "fit")
