"""The G-rate ladder: dataset selection, warm-started training of all rates, shipped models.

Training order (docs/design.md, "Training budget on 2 CPU cores"): the
highest-rate model is trained from scratch for ``base_steps``; each lower rate
then starts from its trained neighbour and is fine-tuned for ``finetune_steps``
(the usual practice for rate ladders). Each rate lives in ``<out>/q<i>/`` and
resumes independently, so an interrupted ladder continues where it stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .atomic_io import write_atomic
from .checkpoint import load_codec
from .datasets import (
    EXTRA_TRAIN_PHOTOS,
    ImageListDataset,
    attributed_photos,
    cub200,
    image_folder,
    shipped_photos,
)
from .learning_curve import HistoryPlot
from .shipped_data import require_shipped, shipped_path
from .train import TrainConfig, Trainer, stop_signals_handled
from .zoo import PRESETS

#: Where the shipped default ladder lives (one ``q<i>.ckpt`` per rate + ``ladder.json``).
SHIPPED_CODECS = shipped_path("codecs/compact")


def make_datasets(dataset: str, root: str | None, crop: int, seed: int,
                  eval_crop: int | None = None, bbox: bool = False):
    """(train crops, validation crops, whole evaluation images, description) for a dataset.

    dataset: ``shipped`` (data/photos), ``shipped+extra`` (the same validation and test
    photos; training on the shipped train split plus data/photos_train_extra, or the
    attributed photo folder ``root``), ``cub`` (CUB-200-2011 at ``root``) or ``folder``
    (every image under ``root``; a fixed 10% are held out for validation and evaluation).
    """
    val_crop = min(256, 2 * crop) if eval_crop is None else eval_crop
    if dataset == "shipped":
        tr = shipped_photos("train", crop, seed=seed)
        va = shipped_photos("val", val_crop)
        ev = shipped_photos("test", None)
        desc = "shipped photos (data/photos): train / val / test split.csv"
    elif dataset == "shipped+extra":
        extra = attributed_photos(root or EXTRA_TRAIN_PHOTOS, crop, True)
        files = shipped_photos("train", crop).files + extra.files
        tr = ImageListDataset(files, crop, True, seed=seed, cache=True)
        va = shipped_photos("val", val_crop)
        ev = shipped_photos("test", None)
        where = root or "data/photos_train_extra"  # the shipped folder, named as users see it
        desc = (f"shipped photos (data/photos) train split plus {len(extra.files)} photos of "
                f"{where} ({extra.skipped} skipped); val / test split.csv")
    elif dataset == "cub":
        if not root:
            raise ValueError("dataset=cub needs --data PATH (the CUB_200_2011 folder)")
        tr = cub200(root, "train", crop, bbox=bbox, seed=seed)
        te = cub200(root, "test", val_crop, bbox=bbox)
        te.files, te.boxes = te.files[:64], (te.boxes[:64] if te.boxes else None)
        va = te
        ev = cub200(root, "test", None, bbox=bbox)
        ev.files, ev.boxes = ev.files[:32], (ev.boxes[:32] if ev.boxes else None)
        desc = f"CUB-200-2011 at {root} (official split{', bounding-box crops' if bbox else ''})"
    elif dataset == "folder":
        if not root:
            raise ValueError("dataset=folder needs --data PATH (a folder of images)")
        allf = image_folder(root, crop, True, seed=seed)
        n_hold = max(1, len(allf) // 10) if len(allf) > 1 else 0
        held, train_files = allf.files[:n_hold] or allf.files, allf.files[n_hold:] or allf.files
        tr = type(allf)(train_files, crop, True, seed=seed, cache=len(train_files) <= 500)
        va = type(allf)(held, val_crop, False)
        ev = type(allf)(held, None, False)
        desc = f"image folder {root} ({len(train_files)} train, {len(held)} held out; " \
               f"{allf.skipped} non-image files skipped)"
    else:
        raise ValueError(f"dataset={dataset!r} is unknown: valid are shipped, shipped+extra, "
                         f"cub, folder")
    eval_images = [ev.image(i) for i in range(len(ev))]
    return tr, va, eval_images, desc


def train_ladder(lambdas: list[float], out: str | os.PathLike, base_steps: int,
                 finetune_steps: int, preset: str = "compact", dataset: str = "shipped",
                 root: str | None = None, crop: int = 128, seed: int = 0, device: str = "cpu",
                 meta: dict[str, Any] | None = None, plot_history: HistoryPlot | None = None,
                 **cfg_kw) -> list[Path]:
    """Train every rate of the ladder (highest first, then warm-started neighbours).

    ``plot_history`` draws each rate's ``history.png`` (:class:`semcodec.train.Trainer`).

    Returns the checkpoint paths, lowest rate first. Finished rates are skipped
    on rerun; an interrupted rate resumes from its ``train_state.pt``.
    """
    out = Path(out)
    lams = sorted(lambdas)
    tr, va, ev, desc = make_datasets(dataset, root, crop, seed)
    paths: dict[int, Path] = {}
    prev: Path | None = None
    for i in reversed(range(len(lams))):
        qdir = out / f"q{i + 1}"
        ckpt = qdir / "model.ckpt"
        if not ckpt.is_file():
            steps = base_steps if prev is None else finetune_steps
            cfg = TrainConfig(preset=preset, lmbda=lams[i], steps=steps, seed=seed + i,
                              device=device, init=str(prev) if prev else None, **cfg_kw)
            m = {"dataset": desc, "crop": crop, "quality_index": i + 1,
                 "warm_start": str(prev) if prev else None, **(meta or {})}
            Trainer(cfg, tr, va, ev, qdir, meta=m, plot_history=plot_history).fit()
        paths[i] = ckpt
        prev = ckpt
    return [paths[i] for i in range(len(lams))]


def train_ladder_parallel(lambdas: list[float], out: str | os.PathLike, steps: int,
                          train_args: list[str], seed: int = 0) -> list[Path]:
    """Train every rate from scratch at the same time, one process per rate.

    For a GPU, where one small codec leaves the device mostly idle: G processes
    share it and finish in about the time of one. No warm start (the rates do
    not wait for each other). Each process is ``python -m semcodec.train_rate``
    (:mod:`semcodec.train_rate`, the options of ``issc train``); ``train_args``
    are passed to every one (preset, dataset, crop, batch size, device, ...).
    Each rate resumes from its own ``<out>/q<i>/train_state.pt`` on rerun;
    finished rates are skipped.
    Returns the checkpoint paths, lowest rate first; raises if any rate failed
    (its log is ``<out>/q<i>/train.log``). SIGINT / SIGTERM sent to this process
    are passed on to the children; once they have saved their state and exited,
    ``KeyboardInterrupt`` is raised.
    """
    out = Path(out)
    lams = sorted(lambdas)
    jobs = []
    for i, lam in enumerate(lams):
        qdir = out / f"q{i + 1}"
        qdir.mkdir(parents=True, exist_ok=True)
        if not (qdir / "model.ckpt").is_file():
            jobs.append((qdir, ["--lmbda", repr(lam), "--steps", str(steps), "--seed",
                                str(seed + i), "--out", str(qdir), *train_args]))
    codes = launch_rates(jobs)
    failed = [str(q) for q, rc in codes if rc != 0]
    if failed:
        raise RuntimeError(f"training failed for {failed}; see train.log there")
    return [out / f"q{i + 1}" / "model.ckpt" for i in range(len(lams))]


def launch_rates(jobs: list[tuple[Path, list[str]]], term_at: float | None = None,
                 kill_at: float | None = None) -> list[tuple[Path, int]]:
    """Run ``python -m semcodec.train_rate ARGV`` for every (folder, ARGV) at once; wait.

    Each process logs to ``<folder>/train.log`` (appended). SIGINT / SIGTERM sent to this
    process are passed on to the children (:func:`_signals_forwarded`); once they have
    saved their state and exited, ``KeyboardInterrupt`` is raised. ``term_at`` and
    ``kill_at`` (``time.time()`` deadlines) are a backstop for a wall-clock budget: a
    child still running at ``term_at`` gets SIGTERM (it saves its state at the step it
    is on and exits 130), one still running at ``kill_at`` SIGKILL (its last saved state
    stays). Returns (folder, exit status) per job, in order.
    """
    procs: list[subprocess.Popen] = []
    qdirs: list[Path] = []
    with _signals_forwarded(procs) as got:
        for qdir, argv in jobs:
            if got:
                break
            qdir.mkdir(parents=True, exist_ok=True)
            cmd = [sys.executable, "-m", "semcodec.train_rate", *argv]
            log = open(qdir / "train.log", "ab")  # the child keeps its own handle
            procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT))
            qdirs.append(qdir)
            log.close()
        termed = False
        while any(p.poll() is None for p in procs):
            now = time.time()
            if kill_at is not None and now >= kill_at:
                for p in procs:
                    if p.poll() is None:
                        p.kill()
            elif term_at is not None and now >= term_at and not termed:
                termed = True
                for p in procs:
                    if p.poll() is None:
                        p.send_signal(signal.SIGTERM)
            time.sleep(0.2)
        codes = [(q, p.wait()) for q, p in zip(qdirs, procs)]
    if got:
        root = qdirs[0].parent if qdirs else Path(".")
        raise KeyboardInterrupt(
            f"{got[0]}: passed on to every rate still training; rerun the same command to "
            f"continue (each rate resumes from its own {root}/q<i>/train_state.pt)")
    return codes


@contextmanager
def _signals_forwarded(children: list[subprocess.Popen]) -> Iterator[list[str]]:
    """Pass SIGINT / SIGTERM sent to this process on to ``children`` (main thread only).

    Why: Ctrl-C reaches the whole process group, but ``kill -TERM <parent>`` (a
    job scheduler, a timeout) reaches only the parent; without forwarding, the
    children would train on unseen. Each child saves its state at its step
    boundary and exits 130. Yields the names of the signals received. The list
    ``children`` is read at signal time, so processes appended to it later count.
    """
    got: list[str] = []

    def forward(signum: int, _frame: object) -> None:
        got.append(signal.Signals(signum).name)
        for p in children:
            if p.poll() is None:
                p.send_signal(signum)

    with stop_signals_handled(forward):
        yield got


#: the file that indexes a ladder folder (written last by :func:`install_ladder`)
LADDER_INDEX = "ladder.json"
_STRICT = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)
Preset = Literal[tuple(PRESETS)]
Lambda = Annotated[float, Field(gt=0)]


class CheckpointFacts(BaseModel):
    """What :func:`install_ladder` reads from a checkpoint's metadata (other keys ignored)."""

    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False)
    preset: Preset
    lmbda: Lambda = Field(alias="lambda")
    steps: Annotated[int, Field(ge=0)] | None = None


class LadderRow(BaseModel):
    """One model of ``ladder.json``. ``preset`` is absent in files installed before presets
    could differ along a ladder (every model was then ``compact``)."""

    model_config = _STRICT
    model: Annotated[int, Field(ge=1)]
    file: Annotated[str, Field(pattern=r"^q[1-9][0-9]*\.ckpt$")]
    preset: Preset | None = None
    lmbda: Lambda = Field(alias="lambda")
    steps: Annotated[int, Field(ge=0)] | None = None
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    rs_bits: Annotated[float, Field(gt=0)] | None = None
    bpp: Annotated[float, Field(gt=0)] | None = None
    psnr: float | None = None
    ms_ssim: Annotated[float, Field(ge=-1, le=1)] | None = None
    n_images: Annotated[int, Field(ge=1)] | None = None


class LadderIndex(BaseModel):
    """``ladder.json``: the models lowest rate first and who installed them."""

    model_config = _STRICT
    models: Annotated[list[LadderRow], Field(min_length=1)]
    installed: dict[str, str] | None = None


def _schema_error(e: ValidationError, source: str) -> ValueError:
    """The first error of ``e`` as one line naming the file and the dotted key."""
    err = e.errors()[0]
    key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".")
    rule = err["msg"].replace("Input should be", "must be").replace("Value error, ", "")
    if err["type"] == "extra_forbidden":
        return ValueError(f"{source}: {key} is not a valid key ({rule})")
    if err["type"] == "missing":
        return ValueError(f"{source}: {key} is missing")
    return ValueError(f"{source}: {key}={err['input']!r} is invalid: {rule}")


def check_ladder_rows(rows: list[dict[str, Any]], source: str) -> list[LadderRow]:
    """Validate ladder rows (lowest rate first): each row's types and ranges, models numbered
    1..G with files ``q<i>.ckpt``, lambda strictly increasing, a preset that never shrinks.
    ValueError, one line naming ``source`` and the row."""
    try:
        index = LadderIndex.model_validate({"models": rows})
    except ValidationError as e:
        raise _schema_error(e, source) from None
    for i, r in enumerate(index.models, 1):
        if r.model != i or r.file != f"q{i}.ckpt":
            raise ValueError(f"{source}: models[{i - 1}] (model={r.model}, file={r.file!r}) "
                             f"is invalid: must be model {i}, file 'q{i}.ckpt' (lowest rate "
                             "first)")
    check_ladder_order([(r.preset or "compact", r.lmbda, r.file) for r in index.models],
                       source)
    return index.models


def check_ladder_order(models: list[tuple[str, float, str]], source: str = "ladder") -> None:
    """(preset, lambda, name) lowest rate first: lambda strictly increasing and the preset
    never shrinking (N and M never fall; CompressAI's zoo widens its top rates too).
    ValueError, one line starting with ``source``."""
    for i in range(1, len(models)):
        (p_lo, l_lo, _), (p_hi, l_hi, n_hi) = models[i - 1], models[i]
        lo, hi = PRESETS[p_lo], PRESETS[p_hi]
        if hi["N"] < lo["N"] or hi["M"] < lo["M"]:
            raise ValueError(
                f"{source}: preset must not shrink along the ladder: q{i + 1} ({n_hi}) is "
                f"{p_hi} (N={hi['N']}, M={hi['M']}), smaller than q{i}'s "
                f"{p_lo} (N={lo['N']}, M={lo['M']}); valid: presets in the order "
                f"{', '.join(sorted(PRESETS, key=lambda p: (PRESETS[p]['N'], PRESETS[p]['M'])))}")
        if not l_hi > l_lo:
            raise ValueError(
                f"{source}: lambda must increase along the ladder: q{i + 1} ({n_hi}) has "
                f"lambda={l_hi} <= q{i} lambda={l_lo}; give the checkpoints lowest rate first")


def read_ladder_index(root: str | os.PathLike) -> LadderIndex | None:
    """``root/ladder.json`` checked (schema, numbering, order), or None when there is none.

    ValueError (one line naming the file and the key) for a damaged or hand-edited index."""
    path = Path(root) / LADDER_INDEX
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None
    try:
        index = LadderIndex.model_validate(doc)
    except ValidationError as e:
        raise _schema_error(e, str(path)) from None
    check_ladder_rows([r.model_dump(by_alias=True) for r in index.models], str(path))
    return index


def install_ladder(ckpts: list[Path], dest: str | os.PathLike | None = None,
                   provenance: dict[str, Any] | None = None) -> Path:
    """Install trained checkpoints as the ladder ``dest/q<i>.ckpt`` + ``ladder.json`` + card.

    Args:
        ckpts: G checkpoint paths, lowest rate first (strictly increasing lambda;
            the preset may grow with the rate, N and M never shrink).
        dest: ladder folder (default: the shipped ``data/codecs/<preset of q1>``);
            created when missing. Models ``q<j>.ckpt`` of an
            older, longer ladder (j > G) are removed so the folder holds one ladder.
        provenance: extra record stored in ``ladder.json`` under ``"installed"``
            (e.g. the command that installed it).

    Every checkpoint is verified (hash, preset, lambda order) before ``dest`` is
    touched; each file is written to a temporary name and renamed, so an
    interrupted install never leaves half a checkpoint. ``ladder.json`` is
    written last.

    Raises:
        ValueError: empty list, lambdas not increasing or a preset smaller than the one below.
        FileNotFoundError / CheckpointError: a missing or damaged checkpoint.
    """
    if not ckpts:
        raise ValueError("no checkpoints given: a ladder needs at least one (lowest rate first)")
    metas = [load_codec(src)[1] for src in ckpts]
    facts = []
    for src, meta in zip(ckpts, metas):
        try:
            facts.append(CheckpointFacts.model_validate(meta))
        except ValidationError as e:
            raise _schema_error(e, f"checkpoint {src} metadata") from None
    check_ladder_order([(f.preset, f.lmbda, str(src)) for f, src in zip(facts, ckpts)],
                       "the checkpoints given")
    dest = SHIPPED_CODECS.parent / facts[0].preset if dest is None else Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    rows = [{"model": i, "file": f"q{i}.ckpt", "preset": f.preset, "lambda": f.lmbda,
             "steps": f.steps, "sha256": meta["sha256"],
             **{k: v for k, v in (meta.get("eval") or {}).items() if k in LadderRow.model_fields}}
            for i, (f, meta) in enumerate(zip(facts, metas), 1)]
    check_ladder_rows(rows, "the checkpoints given")  # what ladder.json will say must load
    for i, src in enumerate(ckpts, 1):
        write_atomic(dest / f"q{i}.ckpt", Path(src).read_bytes())
    for old in _ladder_files(dest)[len(ckpts):]:
        old.unlink()
    write_atomic(dest / "README.md", ladder_readme(metas, rows))
    doc: dict[str, Any] = {"models": rows}
    if provenance:
        doc["installed"] = provenance
    write_atomic(dest / "ladder.json", json.dumps(doc, indent=2))
    return dest


def ladder_readme(metas: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    """A human-readable card of an installed ladder: how each model was trained, what it does."""
    lines = ["# Codec ladder", "",
             "Scale-hyperprior codecs (CompressAI `ScaleHyperprior`), one per rate. Rates and",
             "distortions are measured on the evaluation images with the real entropy coder",
             "(whole images, padded to a multiple of 64; bpp counts the original pixels).", "",
             "| model | preset | lambda | steps (last stage) | steps (all stages) "
             "| R_s [bits/image] | bpp | PSNR [dB] | MS-SSIM |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r, meta in zip(rows, metas):
        steps = "?" if r["steps"] is None else r["steps"]
        lines.append(f"| q{r['model']} | {meta['preset']} | {r['lambda']} | {steps} "
                     f"| {_total_steps(meta)} "
                     f"| {r.get('rs_bits', 0):.0f} "
                     f"| {r.get('bpp', 0):.4f} | {r.get('psnr', 0):.2f} | "
                     f"{r.get('ms_ssim', 0):.4f} |")
    lines += ["", "## How each was trained (exact commands, outermost stage first)", ""]
    for i, meta in enumerate(metas, 1):
        lines.append(f"q{i}:")
        stage: dict[str, Any] | None = meta
        while stage:
            cfg = stage.get("config") or {}
            parent = stage.get("init_from")
            # a stage whose warm start had a smaller preset grew it (semcodec.widen)
            grown = (parent or {}).get("config", {}).get("preset")
            grown = f", grown from {grown}" if grown and grown != cfg.get("preset") else ""
            lines.append(f"- `{stage.get('command', '?')}` ({stage.get('steps', '?')} steps, "
                         f"preset {cfg.get('preset', '?')}{grown}, "
                         f"batch {cfg.get('batch_size', '?')}, crop {stage.get('crop', '?')}, "
                         f"device {cfg.get('device', '?')}; {stage.get('dataset', '?')})")
            stage = parent
        lines.append("")
    return "\n".join(lines)


def _total_steps(meta: dict[str, Any]) -> int:
    """Training steps over every warm-start stage of a checkpoint (its ``init_from`` chain)."""
    total, stage = 0, meta
    while stage:
        total += int(stage.get("steps") or 0)
        stage = stage.get("init_from")
    return total


def _ladder_files(root: Path) -> list[Path]:
    """``root/q<i>.ckpt`` by i; a user's ``q1_old.ckpt`` beside the ladder is not part of it."""
    return sorted((p for p in root.glob("q*.ckpt") if p.stem[1:].isdigit()),
                  key=lambda p: int(p.stem[1:]))


def shipped_ladder(root: str | os.PathLike = SHIPPED_CODECS) -> list[Path]:
    """Checkpoint paths of a ladder folder (``q1.ckpt`` ...), lowest rate first."""
    root = Path(root)
    if root == SHIPPED_CODECS:
        require_shipped(root)  # a broken install: name the data location
    files = _ladder_files(root)
    if not files:
        raise FileNotFoundError(f"no codec checkpoints (q<i>.ckpt) in {root}")
    index = read_ladder_index(root)
    if index is not None and [r.file for r in index.models] != [f.name for f in files]:
        raise ValueError(f"{root / LADDER_INDEX}: models lists "
                         f"{[r.file for r in index.models]} but the folder holds "
                         f"{[f.name for f in files]}; valid: the files it lists (reinstall "
                         "with `issc install-ladder`)")
    return files
