"""``issc e2e``: real images through optimised links (bit flips and the 5G LDPC chain).

For every design of a designs file (:class:`optim.ascc.LinkDesign`) and every image, the
image is coded with the design's codec into its real entropy-coded payload, the body
crosses the channel (:mod:`optim.e2e.worker`), and the crash-proof decode is measured
against the original: MSE, PSNR, MS-SSIM, beside the design's predictions.

The work runs on a sweep engine (:mod:`optim.sweep`: local processes or a Ray cluster) as
two grids: the error-free decodes ``{"model", "image"}`` (:func:`clean_points`) and the
trials ``{"design", "image", "channel", "trial"}`` (:func:`trial_points`), one worker
function per kind of point (:data:`~optim.e2e.worker.CLEAN_WORKER`,
:data:`~optim.e2e.worker.TRIAL_WORKER`). A trial draws from its own generator
(:func:`~optim.e2e.worker.trial_rng`), so no row depends on the engine, the worker count,
the order or a resume.

Files in ``out``: ``e2e.json`` (settings; a rerun with other settings is refused, naming
them), ``designs.json`` (the designs run), ``engine/clean`` and ``engine/trials`` (the
engine's per-point logs: a rerun into the same folder skips finished points),
``clean.csv`` (error-free decode per codec and image), ``results.csv`` (one row per trial,
:data:`RESULT_COLUMNS`) and ``summary.csv`` (:data:`optim.e2e.summary.SUMMARY_COLUMNS`),
both with a ``violations`` column (the constraints of its scenario a design violates, ``a;b``;
empty for a design that meets them all; only ``allow_infeasible`` lets such a design run),
written sorted at the end, so an interrupted-and-resumed run leaves the same files as an
uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from semcodec.atomic_io import write_atomic
from semcodec.progress import logger
from semcodec.sweep_tables import cell, rewrite_sorted

from ..ascc.design import LinkDesign, load_designs, save_designs
from ..ascc.verify import verify_designs
from ..sweep import Engine, make_engine, point_key, run_grid
from .analog import CHANNEL_ORDER, check_analog, design_channels, resolve_all
from .summary import SUMMARY_COLUMNS, summarise
from .worker import CHANNELS, CLEAN_WORKER, TRIAL_WORKER

RESULT_COLUMNS = ("design", "scheme", "pt_dbm", "abr", "model", "rc", "sinr_db", "channel",
                  "image", "trial", "ber_pred", "ber_meas", "bler_meas", "mse_pred", "mse_meas",
                  "msssim_pred", "msssim_meas", "psnr_meas", "decode_failed", "violations")
CLEAN_COLUMNS = ("model", "image", "n_bits", "mse", "psnr", "ms_ssim")
CHANNEL_CHOICES = (*CHANNELS, "both")
E2E_VERSION = 1


def check_channel(channel: str) -> tuple[str, ...]:
    """``bitflip`` / ``ldpc`` / ``both`` -> the channels to run."""
    if channel not in CHANNEL_CHOICES:
        raise ValueError(f"channel={channel!r} is invalid: must be one of {CHANNEL_CHOICES}")
    return CHANNELS if channel == "both" else (channel,)


def resolve_codecs(designs: Sequence[LinkDesign], ladder: str | os.PathLike | None = None
                   ) -> tuple[list[Path], list[str], list[int]]:
    """(checkpoint paths, their SHA-256, codec position per design) for the designs.

    A design names its codec by ``model_name`` (``q3``; else by position ``model``); when it
    carries ``codec_sha256``, the ladder's checkpoint must have that hash, so a designs file
    from another ladder is refused.
    """
    from semcodec.checkpoint import read_checkpoint
    from semcodec.ladder import SHIPPED_CODECS, shipped_ladder

    root = Path(ladder) if ladder else SHIPPED_CODECS
    files = shipped_ladder(root)
    by_name = {f.stem: f for f in files}
    paths: list[Path] = []
    index: list[int] = []
    shas: dict[Path, str] = {}
    for d, des in enumerate(designs):
        if des.model_name:
            if des.model_name not in by_name:
                raise ValueError(f"design {d} uses codec model_name={des.model_name!r}, which "
                                 f"ladder {root} lacks (it has {sorted(by_name)})")
            f = by_name[des.model_name]
        elif 0 <= int(des.model) < len(files):
            f = files[int(des.model)]
        else:
            raise ValueError(f"design {d} has model={des.model!r}: ladder {root} has codecs "
                             f"0..{len(files) - 1}")
        if f not in shas:
            shas[f] = read_checkpoint(f)["sha256"]
        if des.codec_sha256 and des.codec_sha256 != shas[f]:
            raise ValueError(f"design {d} was made for codec {des.model_name or des.model} with "
                             f"SHA-256 {des.codec_sha256[:12]}..., but {f} has "
                             f"{shas[f][:12]}...: the designs file is from another ladder; "
                             f"pass the ladder it was made with (--ladder)")
        if f not in paths:
            paths.append(f)
        index.append(paths.index(f))
    return paths, [shas[p] for p in paths], index


def check_designs(designs: Sequence[LinkDesign], channels: Sequence[str]) -> None:
    """Refuse designs a channel cannot carry (one-line ValueError naming design and value)."""
    from linksim.payload_link import choose_code

    if not designs:
        raise ValueError("the designs file holds no designs; valid: a designs.json written by "
                         "`issc ascc` with at least one design")
    for d, des in enumerate(designs):
        if des.is_analog:  # DJSCC: the analog channel (optim.e2e.analog)
            check_analog(d, des)
            continue
        if not (0.0 <= des.ber_pred <= 0.5):
            raise ValueError(f"design {d} has ber_pred={des.ber_pred!r}: must be in [0, 0.5]")
        if "ldpc" in channels:
            if not (math.isfinite(des.sinr) and des.sinr > 0):
                raise ValueError(f"design {d} has sinr={des.sinr!r}: the ldpc channel needs a "
                                 f"finite SINR > 0 (linear)")
            try:
                choose_code(des.rc, des.blocklength)
            except ValueError as e:
                raise ValueError(f"design {d}: {e}") from None


def _images(images: str | os.PathLike | Sequence | None, split: str,
            max_images: int | None) -> tuple[list[Path], Path]:
    from semcodec.datasets import SHIPPED_PHOTOS, list_images, shipped_photos

    if images is None:
        files, root = list(shipped_photos(split, None).files), SHIPPED_PHOTOS
    elif isinstance(images, (str, os.PathLike)):
        root = Path(images)
        files, _ = list_images(root)
    else:
        files = [Path(f) for f in images]
        if not files:
            raise ValueError("images=[] is invalid: give at least one image")
        root = Path(os.path.commonpath([f.resolve().parent for f in files]))
    if max_images is not None:
        if int(max_images) < 1:
            raise ValueError(f"max_images={max_images!r} is invalid: must be >= 1")
        files = files[:int(max_images)]
    return files, root


def run_e2e(out: str | os.PathLike, designs: str | os.PathLike | Sequence[LinkDesign],
            images: str | os.PathLike | Sequence | None = None, channel: str = "both",
            trials: int = 2, seed: int = 0, workers: int | None = 2,
            ladder: str | os.PathLike | None = None, split: str = "val",
            max_images: int | None = None, crop: int | None = None, num_iter: int = 20,
            timeout_s: float = 900.0, progress: bool = True, engine: str | Engine = "local",
            address: str | None = None, djscc_dir: str | os.PathLike | None = None,
            allow_infeasible: bool = False) -> dict[str, Any]:
    """Run (or resume) the end-to-end evaluation of ``designs`` into ``out``.

    Args:
        designs: a designs.json path or a list of :class:`LinkDesign`.
        images: an image folder or a list of files (None: the shipped photos of ``split``;
            ``val`` is held out from both codec training and the S-curve fit).
        channel: ``bitflip``, ``ldpc`` or ``both``.
        trials: trials per (design, image, channel), >= 1.
        workers: parallel workers (local: processes; ray: CPUs of the local cluster it
            starts); None: every CPU.
        ladder: codec ladder folder (None: the shipped ladder).
        crop: centred square crop of each image (None: whole image).
        num_iter: LDPC belief-propagation iterations.
        timeout_s: a point running longer is stopped (its trial gets the fallback image).
        engine: ``local`` (process pool), ``ray`` (cluster at ``address``, or a local one
            when None), or an :class:`optim.sweep.Engine` to share (left open).
        djscc_dir: folder of the DJSCC models that DJSCC designs name (None: the shipped
            ones); DJSCC designs run on the ``analog`` channel whatever ``channel`` says.
        allow_infeasible: evaluate designs that violate a constraint of their scenario
            (:func:`optim.ascc.verify.verify_designs`, run on every design before any work);
            their rows name the violations (``violations`` column). False: such a design
            is refused (one-line ValueError naming the design, constraint, value, limit).

    Returns:
        ``{"results", "clean", "summary", "designs", "config"}`` paths, ``"rows"``: the
        summary rows, and ``"counts"``.
    """
    t0 = time.perf_counter()
    out = Path(out)
    channels = check_channel(channel)
    if int(trials) < 1:
        raise ValueError(f"trials={trials!r} is invalid: must be >= 1")
    if workers is not None and int(workers) < 1:
        raise ValueError(f"workers={workers!r} is invalid: must be >= 1")
    if isinstance(designs, (str, os.PathLike)):
        dlist = load_designs(designs)
        source = f"designs file {str(designs)!r}"
    else:
        dlist, source = list(designs), ""
    # every constraint re-computed from the design's scenario first, then what the channels need
    violations = [c.names for c in verify_designs(dlist, allow_infeasible, source)]
    check_designs(dlist, channels)
    codecs, shas, codec_of, kinds = resolve_all(dlist, ladder, djscc_dir)
    files, root = _images(images, split, max_images)
    image_names = [Path(f).resolve().relative_to(root.resolve()).as_posix() for f in files]
    design_json = [d.to_json() for d in dlist]
    config: dict[str, Any] = {
        "version": E2E_VERSION, "codecs": [str(p.resolve()) for p in codecs],
        "codec_names": [p.stem for p in codecs], "codec_sha256": shas,
        "images": [str(Path(f).resolve()) for f in files], "image_names": image_names,
        "designs_sha256": hashlib.sha256(json.dumps(design_json, sort_keys=True)
                                         .encode()).hexdigest(),
        "designs": [{"codec": codec_of[d], "rc": des.rc, "blocklength": des.blocklength,
                     "sinr_db": des.sinr_db, "ber_pred": des.ber_pred}
                    for d, des in enumerate(dlist)],
        "channels": list(channels), "trials": int(trials), "seed": int(seed),
        "crop": int(crop) if crop else None, "num_iter": int(num_iter),
    }
    if "djscc" in kinds:  # only then: digital runs keep their resume identity
        config["codec_kinds"] = kinds
        for d, des in enumerate(dlist):
            if des.is_analog:  # no rate, no BER (None: NaN would not compare equal on resume)
                config["designs"][d].update(kind="djscc", rc=None, ber_pred=None)
    eng = engine if isinstance(engine, Engine) else make_engine(engine, workers, address,
                                                                 timeout_s)
    cfg_path = _open_run(out, config, dlist)
    chans = [design_channels(des, channels) for des in dlist]
    names = config["codec_names"]
    # the settings are the grids' identity; where the files are is not (a folder may move)
    paths = {k: config[k] for k in INPUT_PATHS}
    run = {"context": {k: v for k, v in config.items() if k not in INPUT_PATHS},
           "paths": paths, "write_csv": False, "progress": progress}
    try:
        clean = run_grid(clean_points(sorted(set(codec_of)), len(files)), CLEAN_WORKER,
                         out / "engine" / "clean", seed, engine=eng, retry_failed=True,
                         desc="e2e clean", **run)
        for r in clean:
            if r["status"] != "ok":
                raise RuntimeError(f"encoding {image_names[r['image']]} with "
                                   f"{names[r['model']]} failed: {r['status']} {r['error']}")
        res = run_grid(trial_points(chans, len(files), int(trials)),
                       TRIAL_WORKER, out / "engine" / "trials", seed, engine=eng, desc="e2e",
                       **run)
    finally:
        if eng is not engine:
            eng.close()

    counts = {"crashes": 0, "timeouts": 0, "errors": 0, "resumed_rows": res.n_resumed}
    clean_rows = [{c: cell(v) for c, v in (r | {"model": names[r["model"]],
                                                "image": image_names[r["image"]]}).items()}
                  for r in clean]
    res_rows = []
    for r, key in zip(res, map(point_key, trial_points(chans, len(files), int(trials)))):
        now = key in res.ran_now
        if r["status"] != "ok":
            values = _fallback(files[r["image"]], crop, f"{r['status']}: {r['error']}",
                               report=now)
            for status, name in (("crash", "crashes"), ("timeout", "timeouts"),
                                 ("error", "errors")):
                counts[name] += now and r["status"] == status
        else:
            values = r
            counts["errors"] += now and bool(r["decode_error"])
        row = _trial_row(dlist, r, names[codec_of[r["design"]]], image_names[r["image"]],
                         values) | {"violations": violations[r["design"]]}
        res_rows.append({c: cell(row[c]) for c in RESULT_COLUMNS})

    i_of = {n: k for k, n in enumerate(image_names)}
    clean_path, res_path = out / "clean.csv", out / "results.csv"
    rewrite_sorted(clean_path, CLEAN_COLUMNS, clean_rows,
                   key=lambda r: (names.index(r["model"]), i_of[r["image"]]))
    rewrite_sorted(res_path, RESULT_COLUMNS, res_rows,
                   key=lambda r: (int(r["design"]), CHANNEL_ORDER.index(r["channel"]),
                                  i_of[r["image"]], int(r["trial"])))
    clean_ms = {(r["model"], r["image"]): float(r["ms_ssim"]) for r in clean_rows}
    summary = summarise(res_rows, clean_ms, {d: des.ber_model for d, des in enumerate(dlist)})
    sum_path = out / "summary.csv"
    lines = [",".join(SUMMARY_COLUMNS)] + [",".join(cell(s[c]) for c in SUMMARY_COLUMNS)
                                           for s in summary]
    write_atomic(sum_path, "\n".join(lines) + "\n")
    return {"results": res_path, "clean": clean_path, "summary": sum_path,
            "designs": out / "designs.json", "config": cfg_path, "rows": summary,
            "counts": counts | {"rows": len(res_rows), "engine": eng.name,
                                "wall_time_s": round(time.perf_counter() - t0, 3)}}


#: entries of ``e2e.json`` that say where the inputs are (not part of a run's identity)
INPUT_PATHS = ("codecs", "images")


def clean_points(codecs: Sequence[int], n_images: int) -> list[dict[str, int]]:
    """The error-free decodes: one point per (codec used by a design, image)."""
    return [{"model": m, "image": i} for m in codecs for i in range(n_images)]


def trial_points(channels: Sequence[Sequence[str]], n_images: int, trials: int
                 ) -> list[dict[str, Any]]:
    """The trials, one point per (design, image, channel, trial): the resume key.

    ``channels[d]``: the channels design ``d`` runs on (:func:`optim.e2e.analog.
    design_channels`: ``analog`` for a DJSCC design).
    """
    return [{"design": d, "image": i, "channel": ch, "trial": t}
            for d, chs in enumerate(channels) for i in range(n_images) for ch in chs
            for t in range(trials)]


def _trial_row(designs: Sequence[LinkDesign], point: dict[str, Any], model: str, image: str,
               values: dict[str, Any]) -> dict[str, Any]:
    """One results.csv row: the design's predictions beside a trial's measured values."""
    des = designs[point["design"]]
    return {"design": point["design"], "scheme": des.scheme, "pt_dbm": des.pt_dbm,
            "abr": des.abr, "model": model, "rc": des.rc, "sinr_db": des.sinr_db,
            "channel": point["channel"], "image": image, "trial": point["trial"],
            "ber_pred": des.ber_pred, "mse_pred": des.mse_pred,
            "msssim_pred": des.msssim_pred,
            **{c: values[c] for c in ("ber_meas", "bler_meas", "mse_meas", "msssim_meas",
                                      "psnr_meas", "decode_failed")}}


def _open_run(out: Path, config: dict[str, Any], designs: Sequence[LinkDesign]) -> Path:
    """Write ``e2e.json`` and ``designs.json``, or check that ``out`` holds the same run."""
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "e2e.json"
    if cfg_path.is_file():
        old = json.loads(cfg_path.read_text())
        keys = [k for k in config if k not in INPUT_PATHS]
        diff = sorted(k for k in keys if old.get(k) != config[k])
        if diff:
            raise ValueError(f"out={out} holds an e2e run with other settings "
                             f"({', '.join(diff)}): use another --out folder or the same "
                             f"settings to resume")
    else:
        write_atomic(cfg_path, json.dumps(config, indent=1))
        save_designs(list(designs), out / "designs.json", meta={"source": "issc e2e input"})
    return cfg_path


def _fallback(path: Path, crop: int | None, why: str, report: bool = True
              ) -> dict[str, Any]:
    """Row values of a trial whose worker crashed or hung: the fallback image, decode_failed."""
    from semcodec.robust_decode import fallback_image
    from semcodec.sweep import image_metrics

    from .worker import load_e2e_image

    img = load_e2e_image(str(path), crop)
    mse, psnr, mss = image_metrics(img, fallback_image(*img.shape[-2:]))
    if report:
        logger.warning(f"decode failed ({why}): {path.name}: fallback image used")
    return {"ber_meas": math.nan, "bler_meas": math.nan, "mse_meas": mse, "msssim_meas": mss,
            "psnr_meas": psnr, "decode_failed": 1}
