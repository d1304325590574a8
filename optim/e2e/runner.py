"""``issc e2e``: real images through optimised links (bit flips and the 5G LDPC chain).

For every design of a designs file (:class:`optim.ascc.LinkDesign`) and every image, the
image is coded with the design's codec into its real entropy-coded payload, the body
crosses the channel (:mod:`optim.e2e.worker`), and the crash-proof decode is measured
against the original: MSE, PSNR, MS-SSIM, beside the design's predictions.

Files in ``out``: ``e2e.json`` (settings; a rerun with other settings is refused),
``designs.json`` (the designs run), ``clean.csv`` (error-free decode per codec and image),
``results.csv`` (one row per trial, :data:`RESULT_COLUMNS`), ``summary.csv``
(:data:`optim.e2e.summary.SUMMARY_COLUMNS`). Rows are appended as they finish; a rerun into
the same folder skips finished trials, and the tables are rewritten sorted at the end, so
an interrupted-and-resumed run leaves the same files as an uninterrupted one.
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
from semcodec.sweep_tables import RowAppender, cell, read_rows, rewrite_sorted

from ..ascc.design import LinkDesign, load_designs, save_designs
from .analog import CHANNEL_ORDER, check_analog, design_channels, e2e_factory, resolve_all
from .summary import SUMMARY_COLUMNS, summarise
from .worker import CHANNELS

RESULT_COLUMNS = ("design", "scheme", "pt_dbm", "abr", "model", "rc", "sinr_db", "channel",
                  "image", "trial", "ber_pred", "ber_meas", "bler_meas", "mse_pred", "mse_meas",
                  "msssim_pred", "msssim_meas", "psnr_meas", "decode_failed")
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
            trials: int = 2, seed: int = 0, workers: int = 2,
            ladder: str | os.PathLike | None = None, split: str = "val",
            max_images: int | None = None, crop: int | None = None, num_iter: int = 20,
            timeout_s: float = 900.0, progress: bool = True,
            djscc_dir: str | os.PathLike | None = None) -> dict[str, Any]:
    """Run (or resume) the end-to-end evaluation of ``designs`` into ``out``.

    Args:
        designs: a designs.json path or a list of :class:`LinkDesign`.
        images: an image folder or a list of files (None: the shipped photos of ``split``;
            ``val`` is held out from both codec training and the S-curve fit).
        channel: ``bitflip``, ``ldpc`` or ``both``.
        trials: trials per (design, image, channel), >= 1.
        ladder: codec ladder folder (None: the shipped ladder).
        crop: centred square crop of each image (None: whole image).
        num_iter: LDPC belief-propagation iterations.
        djscc_dir: folder of the DJSCC models that DJSCC designs name (None: the shipped
            ones); DJSCC designs run on the ``analog`` channel whatever ``channel`` says.

    Returns:
        ``{"results", "clean", "summary", "designs", "config"}`` paths and ``"rows"``: the
        summary rows.
    """
    from tqdm import tqdm

    from semcodec.isolated_pool import IsolatedPool, TaskFailure

    t0 = time.perf_counter()
    out = Path(out)
    channels = check_channel(channel)
    if int(trials) < 1:
        raise ValueError(f"trials={trials!r} is invalid: must be >= 1")
    if int(workers) < 1:
        raise ValueError(f"workers={workers!r} is invalid: must be >= 1")
    dlist = load_designs(designs) if isinstance(designs, (str, os.PathLike)) else list(designs)
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
    out.mkdir(parents=True, exist_ok=True)
    cfg_path = out / "e2e.json"
    if cfg_path.is_file():
        old = json.loads(cfg_path.read_text())
        keys = [k for k in config if k not in ("codecs", "images")]
        diff = sorted(k for k in keys if old.get(k) != config[k])
        if diff:
            raise ValueError(f"out={out} holds an e2e run with other settings "
                             f"({', '.join(diff)}): use another --out folder or the same "
                             f"settings to resume")
    else:
        write_atomic(cfg_path, json.dumps(config, indent=1))
        save_designs(dlist, out / "designs.json", meta={"source": "issc e2e input"})

    names = config["codec_names"]
    clean_path, res_path = out / "clean.csv", out / "results.csv"
    clean_rows = read_rows(clean_path, CLEAN_COLUMNS)
    res_rows = read_rows(res_path, RESULT_COLUMNS)
    i_of = {n: k for k, n in enumerate(image_names)}
    done_clean = {(r["model"], r["image"]) for r in clean_rows}
    done = {(int(r["design"]), r["channel"], i_of[r["image"]], int(r["trial"]))
            for r in res_rows}
    used = sorted(set(codec_of))
    clean_tasks = [("clean", m, i) for m in used for i in range(len(files))
                   if (names[m], image_names[i]) not in done_clean]
    trial_tasks = [("trial", d, i, ch, t) for d in range(len(dlist)) for i in range(len(files))
                   for ch in design_channels(dlist[d], channels) for t in range(int(trials))
                   if (d, ch, i, t) not in done]
    n_total = sum(len(design_channels(des, channels)) for des in dlist) * len(files) * int(
        trials)
    counts = {"crashes": 0, "timeouts": 0, "errors": 0, "resumed_rows": len(done)}

    with IsolatedPool(e2e_factory, (config,), workers=int(workers), timeout_s=timeout_s) as pool:
        app = RowAppender(clean_path, CLEAN_COLUMNS)
        try:
            for task, res in tqdm(pool.imap_unordered(clean_tasks), total=len(clean_tasks),
                                  desc="e2e clean", unit="img", disable=not progress):
                if isinstance(res, TaskFailure):
                    raise RuntimeError(f"encoding {image_names[task[2]]} with "
                                       f"{names[task[1]]} failed: {res.kind} {res.detail}")
                row = {"model": names[task[1]], "image": image_names[task[2]], **res}
                app.write(row)
                clean_rows.append({c: cell(row[c]) for c in CLEAN_COLUMNS})
        finally:
            app.close()
        app = RowAppender(res_path, RESULT_COLUMNS)
        try:
            bar = tqdm(total=n_total, initial=len(done), desc="e2e", unit="trial",
                       disable=not progress)
            for task, res in pool.imap_unordered(trial_tasks):
                _, d, i, ch, t = task
                if isinstance(res, TaskFailure):
                    res = _fallback(files[i], crop, f"{res.kind}: {res.detail}")
                elif res.get("error"):
                    counts["errors"] += 1
                des = dlist[d]
                row = {"design": d, "scheme": des.scheme, "pt_dbm": des.pt_dbm, "abr": des.abr,
                       "model": names[codec_of[d]], "rc": des.rc, "sinr_db": des.sinr_db,
                       "channel": ch, "image": image_names[i], "trial": t,
                       "ber_pred": des.ber_pred, "mse_pred": des.mse_pred,
                       "msssim_pred": des.msssim_pred, **res}
                app.write(row)
                res_rows.append({c: cell(row[c]) for c in RESULT_COLUMNS})
                bar.update()
            bar.close()
        finally:
            app.close()
        counts.update(crashes=pool.n_crashes, timeouts=pool.n_timeouts,
                      errors=counts["errors"] + pool.n_errors)

    rewrite_sorted(clean_path, CLEAN_COLUMNS, clean_rows,
                    key=lambda r: (names.index(r["model"]), i_of[r["image"]]))
    rewrite_sorted(res_path, RESULT_COLUMNS, res_rows,
                    key=lambda r: (int(r["design"]), CHANNEL_ORDER.index(r["channel"]),
                                   i_of[r["image"]], int(r["trial"])))
    clean = {(r["model"], r["image"]): float(r["ms_ssim"]) for r in clean_rows}
    summary = summarise(res_rows, clean, {d: des.ber_model for d, des in enumerate(dlist)})
    sum_path = out / "summary.csv"
    lines = [",".join(SUMMARY_COLUMNS)] + [",".join(cell(s[c]) for c in SUMMARY_COLUMNS)
                                           for s in summary]
    write_atomic(sum_path, "\n".join(lines) + "\n")
    return {"results": res_path, "clean": clean_path, "summary": sum_path,
            "designs": out / "designs.json", "config": cfg_path, "rows": summary,
            "counts": counts | {"rows": len(res_rows),
                                "wall_time_s": round(time.perf_counter() - t0, 3)}}


def _fallback(path: Path, crop: int | None, why: str) -> dict[str, Any]:
    """Row values of a trial whose worker crashed or hung: the fallback image, decode_failed."""
    from semcodec.robust_decode import fallback_image
    from semcodec.sweep import image_metrics

    from .worker import load_e2e_image

    img = load_e2e_image(str(path), crop)
    mse, psnr, mss = image_metrics(img, fallback_image(*img.shape[-2:]))
    print(f"decode failed ({why}): {path.name}: fallback image used")
    return {"ber_meas": math.nan, "bler_meas": math.nan, "mse_meas": mse, "msssim_meas": mss,
            "psnr_meas": psnr, "decode_failed": 1}
