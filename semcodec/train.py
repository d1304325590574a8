"""Rate-distortion training of one codec of the ladder, resumable.

Loss (CompressAI's MSE objective): ``lambda * 255^2 * MSE + bpp`` with bpp the
estimated rate from the likelihoods, plus the auxiliary loss of the entropy
bottleneck's quantiles (own Adam). The main optimiser is Adam with gradient
clipping and a schedule: a linear warm-up over ``warmup_steps`` (a fresh Adam's
first steps move every weight by about lr whatever its gradient; on a trained
codec that is a shock that, measured here, cost 5 dB and then diverged to NaN
through an infinite rate term), then lr x 0.1 at ``lr_drop`` of the run. A
step whose loss or gradient is not finite is skipped and counted
(``skipped_steps`` in the metadata) instead of poisoning the weights.

Resume: every ``ckpt_every`` steps the full training state (weights, both
optimisers, scheduler, RNG states, step, history) is written atomically to
``<out>/train_state.pt``; a rerun with the same ``out`` continues from it.
SIGINT (Ctrl-C) and SIGTERM are held until the running step ends, the state
is saved at that step and :class:`TrainingInterrupted` is raised, so a killed
run loses no steps and resumes exactly as if it had not stopped. At
the end the entropy tables are updated, the codec is measured on the
evaluation images with the real entropy coder, and ``<out>/model.ckpt`` is
written with its metadata.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from compressai.models import ScaleHyperprior
from compressai.ops import quantize_ste
from torch.utils.data import Dataset
from tqdm import tqdm

from .atomic_io import atomic_target
from .checkpoint import load_codec, restore_likelihood_bounds, save_checkpoint
from .evaluate import measure_codec, psnr_from_mse
from .learning_curve import HistoryPlot, read_train_state, record_history
from .progress import bar_disabled
from .widen import widen_codec
from .zoo import build_model, check_lambda, check_preset

#: Training-time quantisers of the latents y (``TrainConfig.quantizer``).
QUANTIZERS: dict[str, str] = {
    "noise": "y + U(-1/2, 1/2) for both the rate term and the synthesis (CompressAI's default)",
    "mixed": "y + U(-1/2, 1/2) for the rate term, round(y) with a straight-through gradient "
             "into the synthesis (Minnen & Singh 2020), so the decoder trains on what it decodes",
}


def check_quantizer(quantizer: str) -> str:
    if quantizer not in QUANTIZERS:
        raise ValueError(f"quantizer={quantizer!r} is unknown: valid quantizers are "
                         f"{sorted(QUANTIZERS)}")
    return quantizer


class TrainingInterrupted(KeyboardInterrupt):
    """Training stopped by SIGINT / SIGTERM after saving its state at a step boundary."""

    def __init__(self, step: int, state_path: Path, signame: str) -> None:
        super().__init__(f"{signame} at step {step}: training state saved to {state_path}; "
                         f"rerun the same command to continue")
        self.step, self.state_path, self.signame = step, state_path, signame


@contextmanager
def stop_signals_handled(handler: Callable[[int, object], None]) -> Iterator[bool]:
    """Route SIGINT / SIGTERM to ``handler`` inside the block, then restore the old handlers.

    Yields whether ``handler`` was installed: only the main thread may set
    signal handlers, elsewhere the block runs with the handlers it found.
    """
    if threading.current_thread() is not threading.main_thread():
        yield False
        return
    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield True
    finally:
        for s, h in old.items():
            signal.signal(s, h)


@contextmanager
def _signals_held() -> Iterator[dict[str, str | None]]:
    """Turn SIGINT / SIGTERM into a flag read between steps (main thread only).

    Why: an interrupt inside a step would leave weights, optimisers and RNGs at
    different steps; held to the step's end, the saved state is exact.
    """
    flag: dict[str, str | None] = {"signal": None}

    def hold(signum: int, _frame: object) -> None:
        flag["signal"] = signal.Signals(signum).name

    with stop_signals_handled(hold):
        yield flag


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run (recorded in the checkpoint)."""

    preset: str = "compact"
    lmbda: float = 0.0130
    steps: int = 20000
    batch_size: int = 8
    lr: float = 1e-4
    aux_lr: float = 1e-3
    lr_drop: float = 0.9  # fraction of the run after which lr is divided by 10
    warmup_steps: int = 500  # linear lr warm-up (protects warm starts, see module doc)
    clip_norm: float = 1.0
    val_every: int = 500
    ckpt_every: int = 250
    seed: int = 0
    device: str = "cpu"
    init: str | None = None  # warm start from this checkpoint (a trained neighbour)
    quantizer: str = "noise"  # see QUANTIZERS
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_preset(self.preset)
        check_lambda(self.lmbda)
        check_quantizer(self.quantizer)
        for name in ("steps", "batch_size", "val_every", "ckpt_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)} is invalid: must be >= 1")
        if not self.lr > 0:
            raise ValueError(f"lr={self.lr} is invalid: must be positive")


def rd_loss(out: dict, x: torch.Tensor, lmbda: float) -> dict[str, torch.Tensor]:
    """CompressAI MSE rate-distortion loss; bpp from the likelihoods (bits / pixel)."""
    n, _, h, w = x.shape
    nats = sum(torch.log(lk).sum() for lk in out["likelihoods"].values())
    bpp = nats / (-math.log(2) * n * h * w)
    mse = torch.mean((out["x_hat"] - x) ** 2)
    return {"loss": lmbda * 255**2 * mse + bpp, "bpp": bpp, "mse": mse}


def training_forward(model: ScaleHyperprior, x: torch.Tensor, quantizer: str = "noise") -> dict:
    """The model's training-mode forward pass under ``quantizer`` (see :data:`QUANTIZERS`).

    Args:
        model: scale-hyperprior codec in training mode.
        x: float (B, 3, H, W) in [0, 1], H and W multiples of 64.

    Returns:
        ``{"x_hat": (B, 3, H, W), "likelihoods": {"y": ..., "z": ...}}`` as CompressAI's
        ``forward``. With ``"mixed"`` the likelihoods are the same as with ``"noise"``
        (same noise draws) and only the synthesis input differs: the decoder then sees
        round(y), exactly what the real entropy decoder hands it.
    """
    if check_quantizer(quantizer) == "noise":
        return model(x)
    y = model.g_a(x)
    z_hat, z_likelihoods = model.entropy_bottleneck(model.h_a(torch.abs(y)))
    scales_hat = model.h_s(z_hat)
    _, y_likelihoods = model.gaussian_conditional(y, scales_hat)
    return {"x_hat": model.g_s(quantize_ste(y)),
            "likelihoods": {"y": y_likelihoods, "z": z_likelihoods}}


def stack_batch(ds: Dataset, idx: torch.Tensor) -> torch.Tensor:
    """The items ``idx`` (int tensor (B,)) of ``ds`` stacked: float (B, 3, S, S)."""
    return torch.stack([ds[int(i)] for i in idx])


def restore_loop_state(trainer: Any, st: dict) -> None:
    """Restore what every trainer's saved state holds besides its model: optimiser,
    scheduler, generators (initialisation, torch global, crops), step, history and
    training seconds. One place, so a resumed run of either trainer (codec or DJSCC)
    continues exactly as the uninterrupted one would."""
    trainer.opt.load_state_dict(st["opt"])
    trainer.sched.load_state_dict(st["sched"])
    trainer.gen.set_state(st["gen"])
    torch.set_rng_state(st["torch_rng"])
    if hasattr(trainer.train_set, "gen"):
        trainer.train_set.gen.set_state(st["crop_gen"])
    trainer.step, trainer.history = st["step"], st["history"]
    trainer.train_seconds = float(st.get("train_seconds", 0.0))


class Trainer:
    """Trains one scale-hyperprior codec at one lambda; see the module docstring.

    Args:
        cfg: hyper-parameters.
        train_set: dataset yielding (3, S, S) float crops in [0, 1].
        val_set: dataset of (3, S, S) centre crops for periodic validation.
        eval_images: whole images (3, H, W) on which the final codec is measured
            with the real entropy coder (R_s, PSNR, MS-SSIM in the metadata).
        out: output folder (train_state.pt, model.ckpt, history.csv, history.png).
        meta: extra metadata for the checkpoint (dataset name, command line, ...).
        plot_history: draws ``history.png`` at each validation
            (:data:`semcodec.learning_curve.HistoryPlot`; None: history.csv only).
    """

    def __init__(self, cfg: TrainConfig, train_set: Dataset, val_set: Dataset,
                 eval_images: list[torch.Tensor], out: str | os.PathLike,
                 meta: dict[str, Any] | None = None,
                 plot_history: HistoryPlot | None = None) -> None:
        self.plot_history = plot_history
        self.cfg, self.train_set, self.val_set = cfg, train_set, val_set
        self.eval_images, self.out = eval_images, Path(out)
        self.meta = dict(meta or {})
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(cfg.seed)
        self.device = torch.device(cfg.device)
        self.model = build_model(cfg.preset).to(self.device)
        if cfg.init:
            init_model, init_meta = load_codec(cfg.init)
            if init_meta["preset"] != cfg.preset:  # a smaller trained codec grows into this one
                init_model = widen_codec(init_model, cfg.preset, seed=cfg.seed)
                self.meta.setdefault("widened_from", init_meta["preset"])
            self.model.load_state_dict(init_model.state_dict())
            # provenance of the warm start travels with the checkpoint (how it was trained)
            self.meta.setdefault("init_from", {k: init_meta.get(k) for k in (
                "path", "sha256", "steps", "command", "dataset", "crop", "config", "widened_from",
                "init_from")})
        params = {n for n, p in self.model.named_parameters() if not n.endswith(".quantiles")}
        named = dict(self.model.named_parameters())
        self.opt = torch.optim.Adam([named[n] for n in sorted(params)], lr=cfg.lr)
        self.aux_opt = torch.optim.Adam(
            [named[n] for n in sorted(set(named) - params)], lr=cfg.aux_lr)
        self.sched = torch.optim.lr_scheduler.LambdaLR(self.opt, self._lr_factor)
        self.skipped = 0
        self.gen = torch.Generator().manual_seed(cfg.seed)
        self.step = 0
        self.history: list[dict[str, float]] = []
        # training time over every run of this folder (a resumed run adds to it)
        self.train_seconds = 0.0
        self._run_t0: float | None = None
        self.state_path = self.out / "train_state.pt"
        if self.state_path.is_file():
            self._load_state()

    def _lr_factor(self, step: int) -> float:
        warm = min(1.0, (step + 1) / self.cfg.warmup_steps) if self.cfg.warmup_steps > 0 else 1.0
        return warm * (0.1 if step >= max(1, int(self.cfg.lr_drop * self.cfg.steps)) else 1.0)

    # -- state ---------------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "aux_opt": self.aux_opt.state_dict(), "sched": self.sched.state_dict(),
                "gen": self.gen.get_state(), "torch_rng": torch.get_rng_state(),
                "crop_gen": getattr(self.train_set, "gen", torch.Generator()).get_state(),
                "step": self.step, "history": self.history, "config": asdict(self.cfg),
                "skipped": self.skipped, "train_seconds": self._seconds_so_far()}

    def _seconds_so_far(self) -> float:
        running = 0.0 if self._run_t0 is None else time.perf_counter() - self._run_t0
        return self.train_seconds + running

    def save_state(self) -> None:
        with atomic_target(self.state_path) as tmp:
            torch.save(self._state(), tmp)

    def _load_state(self) -> None:
        st = read_train_state(self.state_path, map_location=self.device)
        saved = {"preset": st["config"]["preset"], "lambda": st["config"]["lmbda"],
                 "quantizer": st["config"].get("quantizer", "noise")}
        asked = {"preset": self.cfg.preset, "lambda": self.cfg.lmbda,
                 "quantizer": self.cfg.quantizer}
        if saved != asked:
            raise ValueError(f"{self.state_path} belongs to "
                             f"{' '.join(f'{k}={v}' for k, v in saved.items())}, not "
                             f"{' '.join(f'{k}={v}' for k, v in asked.items())}; use another --out")
        # a state warm-started from an older float16 file may carry the bound as 0
        self.model.load_state_dict(restore_likelihood_bounds(st["model"], self.model))
        self.aux_opt.load_state_dict(st["aux_opt"])
        restore_loop_state(self, st)
        self.skipped = st.get("skipped", 0)

    # -- steps ---------------------------------------------------------------------------------
    def train_step(self, x: torch.Tensor) -> dict[str, float]:
        """One optimisation step on batch x (B, 3, S, S); returns loss, bpp, mse, psnr, aux."""
        self.model.train()
        self.opt.zero_grad(set_to_none=True)
        self.aux_opt.zero_grad(set_to_none=True)
        out = training_forward(self.model, x, self.cfg.quantizer)
        terms = rd_loss(out, x, self.cfg.lmbda)
        finite = bool(torch.isfinite(terms["loss"]))
        if finite:
            terms["loss"].backward()
            max_norm = self.cfg.clip_norm if self.cfg.clip_norm > 0 else float("inf")
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)
            finite = bool(torch.isfinite(norm))
        if finite:
            self.opt.step()
        else:  # an infinite rate or gradient would turn every weight into NaN
            self.skipped += 1
        aux = self.model.aux_loss()
        aux.backward()
        self.aux_opt.step()
        self.sched.step()
        mse = terms["mse"].item()
        return {"loss": terms["loss"].item(), "bpp": terms["bpp"].item(), "mse": mse,
                "psnr": psnr_from_mse(max(mse, 1e-12)), "aux": aux.item()}

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Mean loss / estimated bpp / PSNR on the validation crops (no entropy coding)."""
        self.model.eval()
        acc = {"loss": 0.0, "bpp": 0.0, "mse": 0.0}
        n = len(self.val_set)
        for i in range(0, n, self.cfg.batch_size):
            idx = torch.arange(i, min(n, i + self.cfg.batch_size))
            x = stack_batch(self.val_set, idx).to(self.device)
            t = rd_loss(self.model(x), x, self.cfg.lmbda)
            for k in acc:
                acc[k] += float(t[k]) * x.shape[0] / n
        acc["psnr"] = psnr_from_mse(max(acc["mse"], 1e-12))
        return acc

    def fit(self, progress: bool = True, stop_after: int | None = None,
            stop_at: float | None = None, save_every_s: float | None = None,
            finalize: bool = True) -> Path | None:
        """Train up to ``cfg.steps`` (or ``stop_after`` more); returns model.ckpt when done.

        Args:
            progress: show a progress bar.
            stop_after: train at most this many more steps.
            stop_at: wall-clock deadline (``time.time()``, seconds since the epoch): no
                step is started that would, at the pace of the last one, end after it.
            save_every_s: also save the state when this many wall seconds passed since
                the last save (the step interval ``cfg.ckpt_every`` still applies).
            finalize: write ``model.ckpt`` when ``cfg.steps`` is reached (False: leave
                that to :meth:`finalize`, e.g. on another machine).

        Returns None when it stopped (``stop_after``, ``stop_at``) before ``cfg.steps``
        or ``finalize`` is False; the state is then saved at the step reached. Raises
        :class:`TrainingInterrupted` after saving the state on SIGINT / SIGTERM.
        """
        n = len(self.train_set)
        target = self.cfg.steps if stop_after is None else min(self.cfg.steps,
                                                               self.step + stop_after)
        bar = tqdm(total=self.cfg.steps, initial=self.step, disable=bar_disabled(progress),
                   desc=f"{self.cfg.preset} lambda={self.cfg.lmbda}", dynamic_ncols=True)
        self._run_t0, s0 = time.perf_counter(), self.step
        last_save, saved_step, step_s = time.monotonic(), self.step, 0.0
        with _signals_held() as held:
            try:
                while self.step < target:
                    if stop_at is not None and time.time() + step_s >= stop_at:
                        if self.step != saved_step:
                            self.save_state()
                        break
                    t_step = time.monotonic()
                    idx = torch.randint(0, n, (self.cfg.batch_size,), generator=self.gen)
                    x = stack_batch(self.train_set, idx).to(self.device)
                    stats = self.train_step(x)
                    self.step += 1
                    bar.update(1)
                    bar.set_postfix(loss=f"{stats['loss']:.3f}", bpp=f"{stats['bpp']:.3f}",
                                    psnr=f"{stats['psnr']:.2f}")
                    if self.step % self.cfg.val_every == 0 or self.step == self.cfg.steps:
                        v = self.validate()
                        self.history.append({"step": self.step,
                                             "train_s": self._seconds_so_far(),
                                             **{f"val_{k}": x for k, x in v.items()},
                                             **{f"train_{k}": x for k, x in stats.items()}})
                        record_history(self.out, self.history,
                                       f"{self.cfg.preset} codec, lambda {self.cfg.lmbda}",
                                       self.plot_history)
                        bar.write(f"step {self.step}: val loss {v['loss']:.4f} bpp {v['bpp']:.4f} "
                                  f"PSNR {v['psnr']:.2f} dB")
                    stop = held["signal"] is not None
                    due = save_every_s is not None and time.monotonic() - last_save >= save_every_s
                    if (stop or due or self.step % self.cfg.ckpt_every == 0
                            or self.step == target):
                        self.save_state()
                        last_save, saved_step = time.monotonic(), self.step
                    step_s = time.monotonic() - t_step
                    if stop:
                        raise TrainingInterrupted(self.step, self.state_path, held["signal"])
            finally:  # the time of this run counts whichever way it ends
                bar.close()
                self.train_seconds, self._run_t0 = self._seconds_so_far(), None
        self.meta["train_seconds"] = self.train_seconds
        self.meta["steps_this_run"] = self.step - s0
        if self.step < self.cfg.steps or not finalize:
            return None
        return self.finalize()

    def finalize(self) -> Path:
        """Update entropy tables, measure with the real coder, write ``model.ckpt``."""
        self.model.eval().cpu()
        self.model.update(force=True)
        path = self.out / "model.ckpt"
        meta = {"preset": self.cfg.preset, "lambda": self.cfg.lmbda, "steps": self.step,
                "skipped_steps": self.skipped,
                "config": asdict(self.cfg), **self.meta}
        save_checkpoint(path, self.model, meta)  # weights as stored (float16) ...
        model, _ = load_codec(path)  # ... are what is measured
        meta["eval"] = measure_codec(model, self.eval_images)
        meta["history_tail"] = self.history[-3:]
        save_checkpoint(path, model, meta)
        self.model.to(self.device)
        return path
