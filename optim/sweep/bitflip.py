"""``issc ber-sweep`` on the sweep engine: the bit-flip sweep of ASCC Fig. 2 as two grids.

Phase 1 codes every (model, image) once (:func:`semcodec.sweep_points.encode_point`),
phase 2 decodes every (model, rho_b, image, trial) after flipping bits
(:func:`semcodec.sweep_points.trial_point`); :func:`optim.sweep.run_grid` runs
both, resumably, on the ``local`` or ``ray`` engine. The tables are those of
:func:`semcodec.sweep.run_sweep`, byte for byte for the same settings: the
same ``sweep.json``, ``clean.csv`` and ``results.csv`` (see that module for the
columns and the sampling), the flips drawn from ``SeedSequence([seed, m, b, i, t])``.
The engine's own state is kept under ``out/engine/{encode,trials}``.

A decode whose worker crashes, hangs past ``timeout_s`` or raises is a failed
decode: its row carries the fallback image's distortion and ``decode_failed=1``.
On a multi-node Ray cluster the workers read the checkpoints, images and
payloads by path: ``out`` and the inputs must be on a filesystem every node
mounts at the same path (``docs/sweep_engine.md``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from semcodec.atomic_io import write_atomic, write_rows_atomic
from semcodec.progress import logger
from semcodec.sweep import (
    CLEAN_COLUMNS,
    RESULT_COLUMNS,
    SAMPLINGS,
    SweepInputs,
    ber_grid,
    claim_sweep_folder,
    draw_flips,
    image_metrics,
    payload_path,
    resolve_inputs,
    seed_for,
)
from semcodec.sweep import sweep_config as semcodec_sweep_config
from semcodec.sweep_tables import cell

from .engines import make_engine
from .run import run_grid


def _write_table(path: Path, columns: Sequence[str], rows: list[dict]) -> None:
    """The sweep's tables exactly as ``semcodec.sweep`` writes them (floats as repr, LF)."""
    write_rows_atomic(path, columns, ([cell(r[c]) for c in columns] for r in rows),
                      lineterminator="\n")


def sweep_config(inputs: SweepInputs, bers: list[float], trials: int, seed: int,
                 sampling: str) -> dict:
    """The ``sweep.json`` record of a bit-flip sweep; refuses bad settings.

    The record is :func:`semcodec.sweep.sweep_config`'s, so both orchestrations write the
    same ``sweep.json``."""
    if int(trials) < 1:
        raise ValueError(f"trials={trials} is invalid: must be >= 1")
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling={sampling!r} is invalid: must be one of {SAMPLINGS}")
    return semcodec_sweep_config(inputs.ckpts, inputs.files, inputs.root, bers, trials, seed,
                                 sampling)


def run_ber_sweep(out: str | os.PathLike, images: str | os.PathLike | None = None,
                  models: str | os.PathLike | Sequence | None = None, ber_min: float = 1e-9,
                  ber_max: float = 1e-1, points: int = 16, trials: int = 2, seed: int = 0,
                  workers: int | None = 2, max_images: int | None = None, timeout_s: float = 120.0,
                  progress: bool = True, sampling: str = "conditional", engine: str = "local",
                  address: str | None = None,
                  inputs: SweepInputs | None = None) -> dict[str, Path]:
    """Run (or resume) a bit-flip sweep into ``out`` on a sweep engine.

    Arguments as :func:`semcodec.sweep.run_sweep`, plus ``engine`` (``local`` or
    ``ray``) and ``address`` (Ray cluster; None starts a local one of ``workers`` CPUs).
    ``workers=None``: every CPU (of this machine, or of the cluster at ``address``).
    ``inputs``: the images and models already resolved by
    :func:`semcodec.sweep.resolve_inputs` (a caller that checked them first passes
    them on, so the image folder is listed, and every image decoded, once); then
    ``images``, ``models`` and ``max_images`` must be None.

    Returns:
        ``{"results", "clean", "config", "summary"}`` paths; ``summary`` (JSON) holds
        the counts of decodes run now, failures, crashes, hangs and the wall time.
    """
    t0 = time.perf_counter()
    out = Path(out)
    bers = ber_grid(ber_min, ber_max, points)
    if workers is not None and int(workers) < 1:
        raise ValueError(f"workers={workers} is invalid: must be >= 1")
    if inputs is None:
        inputs = resolve_inputs(images, models, max_images)
    elif (images, models, max_images) != (None, None, None):
        raise ValueError("images, models and max_images are invalid together with inputs: "
                         "give either the resolved inputs or where to find them")
    files = inputs.files
    config = sweep_config(inputs, bers, trials, seed, sampling)
    cfg_path = claim_sweep_folder(out, config)
    names, image_names = config["model_names"], config["image_names"]
    n_m, n_i, n_b, n_t = len(names), len(files), len(bers), int(trials)
    # the settings are the grids' identity; where the files are is not (a folder may move)
    settings = {k: v for k, v in config.items() if k not in ("models", "images")}
    paths = {"models": config["models"], "images": config["images"], "out": str(out.resolve())}
    run = {"context": settings, "paths": paths, "write_csv": False, "progress": progress}
    with make_engine(engine, workers, address, timeout_s) as eng:
        # one engine for both phases: its workers load the models once
        enc_points = [{"m": m, "i": i} for m in range(n_m) for i in range(n_i)]
        enc = run_grid(enc_points, "semcodec.sweep_points:encode_point",
                       out / "engine" / "encode", seed, engine=eng, retry_failed=True,
                       desc="encode", **run)
        for r in enc:
            if r["status"] != "ok":
                raise RuntimeError(f"encoding {names[r['m']]} / {image_names[r['i']]} failed: "
                                   f"{r['status']} {r['error']}")
            p = payload_path(out, names[r["m"]], r["i"], image_names[r["i"]])
            if not p.is_file():
                raise ValueError(f"payload {p} is missing from a finished sweep folder: use "
                                 f"another --out folder")
        rs_bits = [float(np.mean([enc[m * n_i + i]["n_bits"] for i in range(n_i)]))
                   for m in range(n_m)]

        t_trials = time.perf_counter()
        trial_points = [{"m": m, "b": b, "i": i, "t": t} for m in range(n_m)
                        for b in range(n_b) for i in range(n_i) for t in range(n_t)]
        res = run_grid(trial_points, "semcodec.sweep_points:trial_point",
                       out / "engine" / "trials", seed, engine=eng, desc="ber-sweep", **run)
    stats = {"decodes": 0, "decode_failed": 0, "crashes": 0, "timeouts": 0, "errors": 0,
             "resumed_rows": res.n_resumed}
    fallback = _Fallback(out, config, files)
    rows = []
    for r, key in zip(res, _keys(trial_points)):
        m, b, i, t = r["m"], r["b"], r["i"], r["t"]
        now = key in res.ran_now
        if r["status"] != "ok":
            values = fallback.row(m, b, i, t, f"{r['status']}: {r['error']}", report=now)
            stats["crashes"] += now and r["status"] == "crash"
            stats["timeouts"] += now and r["status"] == "timeout"
            stats["errors"] += now and r["status"] == "error"
        else:
            values = {c: r[c] for c in RESULT_COLUMNS if c in r}
            if now and r["decode_error"]:
                stats["errors"] += 1
                logger.warning(f"decode error: {r['decode_error']} (model {names[m]}, "
                               f"ber {bers[b]:.3g})")
        e = enc[m * n_i + i]
        row = {"model": names[m], "lambda": config["lambdas"][m], "rs_bits": rs_bits[m],
               "bpp": float(e["bpp"]), "ber": bers[b], "image": image_names[i], "trial": t,
               "n_bits": int(e["n_bits"]), **values}
        rows.append(row)
        stats["decodes"] += now
        stats["decode_failed"] += now and int(row["decode_failed"])

    clean_path, res_path = out / "clean.csv", out / "results.csv"
    _write_table(clean_path, CLEAN_COLUMNS, list(enc))
    _write_table(res_path, RESULT_COLUMNS, rows)
    stats.update(trial_phase_s=round(time.perf_counter() - t_trials, 3), rows=len(rows),
                 wall_time_s=round(time.perf_counter() - t0, 3), workers=eng.workers,
                 engine=engine, n_models=n_m, n_images=n_i, n_points=n_b, n_trials=n_t)
    summary_path = out / "summary.json"
    write_atomic(summary_path, json.dumps(stats, indent=2))
    return {"results": res_path, "clean": clean_path, "config": cfg_path,
            "summary": summary_path}


def _keys(points: list[dict]) -> list[str]:
    from .grid import point_key

    return [point_key(p) for p in points]


class _Fallback:
    """Rows of failed decodes: the flips that were drawn, the fallback image's distortion."""

    def __init__(self, out: Path, config: dict, files: list[Path]) -> None:
        self.out, self.cfg, self.files = out, config, files
        self._metrics: dict[int, tuple[float, float, float]] = {}

    def row(self, m: int, b: int, i: int, t: int, why: str, report: bool) -> dict[str, Any]:
        from semcodec.datasets import load_image
        from semcodec.payload import Payload
        from semcodec.robust_decode import fallback_image

        cfg = self.cfg
        name, image = cfg["model_names"][m], cfg["image_names"][i]
        p = Payload.from_bytes(payload_path(self.out, name, i, image).read_bytes())
        _, n_flipped, p_any = draw_flips(p.body, cfg["bers"][b], seed_for(cfg["seed"], m, b, i, t),
                                         cfg["sampling"])
        if i not in self._metrics:
            img = load_image(self.files[i])
            self._metrics[i] = image_metrics(img, fallback_image(*img.shape[-2:]))
        mse, psnr, mss = self._metrics[i]
        if report:
            logger.warning(f"decode failed ({why}): model {name}, ber "
                           f"{cfg['bers'][b]:.3g}, image {image}, trial {t}: fallback image used")
        return {"n_flipped": n_flipped, "mse": mse, "psnr": psnr, "ms_ssim": mss,
                "decode_failed": 1, "n_concealed": 0, "p_any_flip": p_any}
