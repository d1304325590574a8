"""A prepared GPU run of the whole ladder under a wall-clock budget (``issc train-gpu``).

Every rate of the shipped ladder trains on at once, one ``python -m semcodec.train_rate``
process per rate sharing the device (:func:`semcodec.ladder.launch_rates`), each
warm-started from its shipped checkpoint and grown where its preset is larger
(:mod:`semcodec.widen`): by default ``bmshj2018`` for q1-q5 (q1-q4 grown from
``compact``, q5 continued) and ``bmshj2018-high`` for q6 (grown from the shipped
``bmshj2018``). The budget is wall time from the start of the command:

- each rate saves its state every ``save_every_s`` wall seconds and stops by itself
  before ``budget - margin`` (no step started that would end after it), saving its
  state at the step reached;
- a rate still running at ``budget - margin / 2`` gets SIGTERM (saves at its step,
  exits 130), one still running at ``budget - margin / 4`` SIGKILL (its last saved
  state stays), so the command returns before the budget.

No ``model.ckpt`` is written on the GPU machine: measuring with the real entropy coder
runs on the CPU and would take its time from training. ``<out>/finish.sh`` lists the
CPU commands that do the rest: ``issc train-gpu --finish`` (``model.ckpt`` of each rate
from its state, measured), ``install-ladder`` into a candidate folder, ``codec-eval``
with all three anchors, ``ber-sweep``, ``fit-scurves`` and ``learning-curves``.
A rerun with the same ``--out`` continues every rate from its state.

Layout of ``out``: ``plan.json`` (the rates and their options), ``init/q<i>.ckpt``
(copies of the shipped checkpoints the rates start from, so a later change of the
shipped ladder does not change a resumed run), ``q<i>/`` (each rate's state, history,
``train.log``, ``meta.json``), ``finish.sh`` and ``meta.json``.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .atomic_io import write_atomic
from .ladder import SHIPPED_CODECS, check_ladder_order, launch_rates, read_ladder_index
from .zoo import PRESETS, check_preset

#: The preset each rate trains at (q1..q6): CompressAI's bmshj2018-hyperprior sizes.
GPU_PRESETS = ("bmshj2018",) * 5 + ("bmshj2018-high",)
#: What ``plan.json`` must agree on for a rerun to continue a run.
PLAN_FILE = "plan.json"
#: Exit statuses of a rate process that stopped as planned.
#: (A SIGTERM outside a step, in start-up or exit, ends the process with -SIGTERM: its
#: state is then as saved, since saves happen inside steps, where signals are held.)
_STOPPED_BY = {0: "its deadline (or its steps)", 130: "the SIGTERM backstop",
               -signal.SIGTERM: "the SIGTERM backstop (outside a step)",
               -signal.SIGKILL: "the SIGKILL backstop (state as last saved)"}


@dataclass(frozen=True)
class GpuRate:
    """One rate of the run: ``q<index>`` at ``lmbda``, trained at ``preset`` from ``init``."""

    index: int
    lmbda: float
    preset: str
    shipped_preset: str
    init: str  # the copy under <out>/init/ of the shipped checkpoint
    seed: int


def gpu_plan(out: str | os.PathLike, rates: list[int] | None = None, seed: int = 0,
             shipped: str | os.PathLike = SHIPPED_CODECS,
             presets: tuple[str, ...] = GPU_PRESETS) -> list[GpuRate]:
    """The rates to train (``rates``: 1-based, default all), lowest first.

    ValueError (one line) for a rate the ladder lacks, a preset smaller than the shipped
    one (a codec can only grow) or a selection whose finished ladder (trained rates plus
    the shipped others) would not install (preset shrinking along the ladder).
    """
    shipped = Path(shipped)
    index = read_ladder_index(shipped)
    if index is None:
        raise FileNotFoundError(f"{shipped / 'ladder.json'}: no ladder index to start from")
    rows = index.models
    if len(presets) != len(rows):
        raise ValueError(f"presets lists {len(presets)} presets for a ladder of {len(rows)}")
    chosen = sorted(set(rates)) if rates else list(range(1, len(rows) + 1))
    for r in chosen:
        if not 1 <= r <= len(rows):
            raise ValueError(f"rates={r} is invalid: the ladder {shipped} has q1..q{len(rows)}")
    plan, final = [], []
    for row in rows:
        shipped_preset = row.preset or "compact"
        preset = check_preset(presets[row.model - 1]) if row.model in chosen else shipped_preset
        old, new = PRESETS[shipped_preset], PRESETS[preset]
        if new["N"] < old["N"] or new["M"] < old["M"]:
            raise ValueError(f"q{row.model}: preset {preset} is smaller than the shipped "
                             f"{shipped_preset}; valid: a preset at least as large")
        final.append((preset, row.lmbda, f"q{row.model}"))
        if row.model in chosen:
            plan.append(GpuRate(row.model, row.lmbda, preset, shipped_preset,
                                str(Path(out) / "init" / row.file), seed + row.model))
    check_ladder_order(final, f"rates={','.join(map(str, chosen))}: the finished ladder")
    return plan


def process_start_time() -> float:
    """When this process started (``time.time()`` scale, seconds since the epoch).

    The budget of a run counts from there, so Python's start-up and imports are in it.
    Linux: ``/proc/self/stat`` start time after boot plus ``/proc/stat`` btime (whole
    seconds, truncated: the start is placed at most 1 s early, on the safe side).
    Elsewhere: now.
    """
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
        btime = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                     if line.startswith("btime "))
        start = btime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()
    return min(start, time.time())


def check_budget(budget_s: float, margin_s: float, save_every_s: float) -> None:
    """Refuse (ValueError, one line) a budget too small to save one state before the stop."""
    if not 0 < margin_s < budget_s:
        raise ValueError(f"margin-s={margin_s} is invalid: must be > 0 and below "
                         f"budget-s={budget_s}")
    if budget_s - margin_s < save_every_s:
        raise ValueError(f"budget-s={budget_s} is too small: training stops at budget-s - "
                         f"margin-s = {budget_s - margin_s:g} s, before the first saved state "
                         f"at save-every-s={save_every_s:g} s; valid: budget-s >= "
                         f"{margin_s + save_every_s:g}")


def _check_plan(out: Path, doc: dict[str, Any]) -> None:
    """A rerun must train the rates it started (same lambda, preset, data and crop)."""
    path = out / PLAN_FILE
    if not path.is_file():
        return
    old = json.loads(path.read_text())
    keys = ("rates", "dataset", "data", "crop")
    for k in keys:
        if old.get(k) != doc.get(k):
            raise ValueError(f"{path}: {k} was {old.get(k)!r}, now {doc.get(k)!r}; rerun with "
                             f"the options it was started with, or use another --out")


def rate_argv(rate: GpuRate, out: Path, steps: int, train_args: list[str],
              stop_at: float, save_every_s: float) -> list[str]:
    """The ``python -m semcodec.train_rate`` options of one rate (every word a string)."""
    return ["--lmbda", repr(rate.lmbda), "--preset", rate.preset, "--init", rate.init,
            "--steps", str(steps), "--seed", str(rate.seed), "--out", str(out / f"q{rate.index}"),
            *train_args, "--stop-at", repr(stop_at), "--save-every-s", repr(save_every_s),
            "--no-finalize"]


def finish_commands(out: str | os.PathLike, plan: list[GpuRate], n_rates: int,
                    workers: int = 2) -> list[str]:
    """The CPU commands (``$ISSC`` = ``issc``) that finish a GPU run into a candidate ladder
    ``<out>/ladder``, measured, swept, fitted; rates not trained use their shipped copy."""
    out = str(out)
    trained = {r.index for r in plan}
    ckpts = [f"{out}/q{i}/model.ckpt" if i in trained else f"{out}/init/q{i}.ckpt"
             for i in range(1, n_rates + 1)]
    q = shlex.quote
    ladder = f"{out}/ladder"
    return [
        f"$ISSC train-gpu --finish --out {q(out)}",
        "$ISSC install-ladder " + " ".join(map(q, ckpts)) + f" --out {q(ladder)}",
        f"$ISSC codec-eval --models {q(ladder)} --anchors jpeg,webp,avif "
        f"--out {q(out + '/codec_eval')}",
        f"$ISSC ber-sweep --models {q(ladder)} --workers {workers} --out {q(out + '/sweep')}",
        f"$ISSC fit-scurves --sweep {q(out + '/sweep')} --out {q(out + '/scurves')}",
        "$ISSC learning-curves " + " ".join(q(f"{out}/q{r.index}") for r in plan)
        + f" --out {q(out + '/curves')}",
    ]


def finish_script(out: str | os.PathLike, commands: list[str]) -> str:
    """``finish.sh``: the commands in order, stopping at the first that fails."""
    out = str(out)
    adopt = commands[1].split(" --out ")[0]
    return "\n".join([
        "#!/bin/sh",
        "# Written by `issc train-gpu`: run on the CPU from the repository root once the",
        f"# GPU run's folder {out} is here. ISSC may name another front end, e.g.",
        "# ISSC='python -m scripts.cli' sh finish.sh",
        "set -e",
        'ISSC="${ISSC:-issc}"',
        *commands,
        "# To adopt the candidate once codec_eval/ shows it ahead of the shipped ladder:",
        f"#   {adopt} --out data/codecs/compact",
        f"#   $ISSC fit-scurves --sweep {shlex.quote(out + '/sweep')} --out data/scurves",
        ""])


def train_gpu(out: str | os.PathLike, budget_s: float, t0: float, train_args: list[str],
              rates: list[int] | None = None, steps: int = 100000, seed: int = 0,
              save_every_s: float = 180.0, margin_s: float = 30.0,
              shipped: str | os.PathLike = SHIPPED_CODECS,
              plan_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train the rates of :func:`gpu_plan` at once until ``t0 + budget_s`` (see module doc).

    Args:
        out: run folder (rerun the same to continue).
        budget_s: wall-clock budget [s] counted from ``t0`` (``time.time()`` at the start
            of the command, so start-up counts).
        train_args: options passed to every rate (device, dataset, crop, batch size, ...).
        rates, seed, shipped: which rates (1-based), the seed base, the ladder to start from.
        steps: step target of every rate over all resumed runs (lr drops at 90% of it).
        save_every_s: wall seconds between saved states of each rate.
        margin_s: seconds kept at the end of the budget for the last saves and the exit.
        plan_extra: what else ``plan.json`` records (dataset, data, crop: a rerun must agree).

    Returns:
        ``{"rates": [...], "finish": [...]}``: per rate the step reached and how it stopped,
        and the finish commands (also in ``<out>/finish.sh``).
    """
    check_budget(budget_s, margin_s, save_every_s)
    out = Path(out)
    plan = gpu_plan(out, rates, seed, shipped)
    doc = {"rates": [asdict(r) for r in plan], **(plan_extra or {})}
    _check_plan(out, doc)
    n_rates = len(read_ladder_index(shipped).models)
    (out / "init").mkdir(parents=True, exist_ok=True)
    for i in range(1, n_rates + 1):  # the shipped ladder as it was when the run started
        dst = out / "init" / f"q{i}.ckpt"
        if not dst.is_file():
            write_atomic(dst, (Path(shipped) / f"q{i}.ckpt").read_bytes())
    write_atomic(out / PLAN_FILE, json.dumps(doc, indent=2))
    commands = finish_commands(out, plan, n_rates)
    write_atomic(out / "finish.sh", finish_script(out, commands))
    end = t0 + budget_s
    stop_at = end - margin_s
    jobs = [(out / f"q{r.index}", rate_argv(r, out, steps, train_args, stop_at, save_every_s))
            for r in plan]
    codes = launch_rates(jobs, term_at=end - margin_s / 2, kill_at=end - margin_s / 4)
    results = []
    for r, (qdir, rc) in zip(plan, codes):
        rec = _read_json(qdir / "meta.json", newer_than=t0)  # this run's record, if any
        results.append({"rate": f"q{r.index}", "preset": r.preset, "lambda": r.lmbda,
                        "exit": rc, "stopped_by": _STOPPED_BY.get(rc, f"failed (exit {rc})"),
                        "step": rec.get("step"), "steps_this_run": rec.get("steps_this_run"),
                        "state": str(qdir / "train_state.pt")})
    failed = [f"{x['rate']} (exit {x['exit']})" for x in results if x["exit"] not in _STOPPED_BY]
    if failed:
        raise RuntimeError(f"training failed for {failed}; see {out}/q<i>/train.log")
    return {"rates": results, "finish": commands, "stop_at_s": round(stop_at - t0, 3),
            "finished_s": round(time.time() - t0, 3)}


def finish_gpu(out: str | os.PathLike) -> list[dict[str, Any]]:
    """On the CPU: write ``model.ckpt`` of every rate of ``out`` from its saved state.

    Uses ``plan.json`` (the data the rates trained on) and each rate's ``meta.json`` (the
    command that trained it, kept in the checkpoint). Returns per rate the checkpoint,
    its steps and what :func:`semcodec.evaluate.measure_codec` measured.
    """
    from .checkpoint import load_codec
    from .train_rate import finalize_state

    out = Path(out)
    if not (out / PLAN_FILE).is_file():
        raise FileNotFoundError(f"{out / PLAN_FILE}: not a `issc train-gpu` run folder")
    doc = json.loads((out / PLAN_FILE).read_text())
    rows = []
    for r in doc["rates"]:
        qdir = out / f"q{r['index']}"
        rec = _read_json(qdir / "meta.json")
        path = finalize_state(qdir, doc.get("dataset", "shipped"), doc.get("data"),
                              int(doc.get("crop", 256)), command=rec.get("command"))
        meta = load_codec(path)[1]
        rows.append({"rate": f"q{r['index']}", "checkpoint": str(path), "steps": meta["steps"],
                     **meta["eval"]})
    return rows


def _read_json(path: Path, newer_than: float | None = None) -> dict[str, Any]:
    """``path`` as JSON; {} when missing, damaged or last written before ``newer_than``."""
    try:
        if newer_than is not None and path.stat().st_mtime < newer_than:
            return {}
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return {}
