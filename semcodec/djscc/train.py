"""Training of one DJSCC model over AWGN, resumable: ``python -m semcodec.djscc.train``.

Bourtsoulatze, Kurka, Gunduz, "Deep joint source-channel coding for wireless
image transmission", IEEE TCCN 2019, Sec. IV: the autoencoder is trained end to
end through the noisy channel with the MSE of the reconstruction as loss and
Adam (lr 1e-3, divided by 10 late in the run). The channel SNR of a training
image is the training SNR, or uniform in [lo, hi] dB with ``snr_range`` (a
model for a range of links). Training crops are random crops (with flips) of
the shipped training photos (``data/photos`` split ``train``, the codecs'
split); validation uses 256x256 centre crops of the split ``val``, at the
report SNR, with a fixed noise seed so numbers compare across validations.

Resume works like codec training (:mod:`semcodec.train`, whose interrupt
handling it reuses): every ``ckpt_every`` steps the whole state (weights,
Adam, schedule, every generator, step, history) goes atomically to
``<out>/train_state.pt``; SIGINT / SIGTERM are held to the end of a step, the
state is saved and :class:`semcodec.train.TrainingInterrupted` is raised, so a
rerun continues exactly as if it had not stopped. The final model is
``<out>/model.ckpt`` (:func:`.checkpoint.save_djscc`), measured after the
float16 round trip of the file, and ``<out>/meta.json``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import Dataset
from tqdm import tqdm

from ..atomic_io import atomic_target
from ..datasets import shipped_photos
from ..evaluate import psnr_from_mse
from ..learning_curve import HistoryPlot, read_train_state, record_history
from ..progress import bar_disabled
from ..runinfo import run_record
from ..train import TrainingInterrupted, _signals_held, restore_loop_state, stack_batch
from .channel import check_snr_db
from .checkpoint import load_djscc, save_djscc
from .curve import measure_djscc
from .model import DeepJSCC, c_for_abr, parameter_count

#: Side of the centre crops of the validation photos (the 256x256 of the benchmarks).
VAL_CROP = 256

#: float32 copies of every parameter while training: weights, gradients, Adam's two moments.
PARAMETER_COPIES = 4
#: float32 copies of the latent kept per training crop (code, normalised, noisy, gradient).
LATENT_COPIES = 4


def training_memory_bytes(c: int, batch_size: int, crop: int, val_side: int = VAL_CROP) -> int:
    """Memory floor [B] of training ``DeepJSCC(c)``, from the sizes before any allocation.

    ``4 * 4 P`` for the parameters (:func:`~.model.parameter_count`, four float32 copies),
    ``4 * 4 B c (S/4)^2`` for the latents of a batch of ``B`` crops of side ``S``, and
    ``4 * 2 c (V/4)^2`` for one validation image's latent and its noisy copy.
    """
    c, b, s, v = int(c), int(batch_size), int(crop), int(val_side)
    params = 4 * PARAMETER_COPIES * parameter_count(c)
    latents = 4 * LATENT_COPIES * b * c * (s // 4) ** 2
    return params + latents + 4 * 2 * c * (v // 4) ** 2


@dataclass
class DJSCCTrainConfig:
    """Hyper-parameters of one DJSCC training run (recorded in the checkpoint).

    ``abr`` must be realisable (c = 96 ABR an integer); ``snr_db`` (dB) is the
    training SNR and the SNR of validation; ``snr_range`` = (lo, hi) dB, when
    given, draws each training image's SNR uniformly from it.
    """

    abr: float
    snr_db: float
    snr_range: tuple[float, float] | None = None
    steps: int = 3000
    batch_size: int = 16
    crop: int = 64
    lr: float = 1e-3
    lr_drop: float = 0.8  # fraction of the run after which lr is divided by 10
    val_every: int = 500
    ckpt_every: int = 250
    seed: int = 0
    device: str = "cpu"
    init: str | None = None  # warm start from this DJSCC checkpoint (same c)

    def __post_init__(self) -> None:
        self.c = c_for_abr(self.abr)
        check_snr_db(self.snr_db)
        if self.snr_range is not None:
            lo, hi = (float(v) for v in self.snr_range)
            check_snr_db(torch.tensor([lo, hi]), "snr_range")
            if not lo < hi:
                raise ValueError(f"snr_range=({lo}, {hi}) is invalid: must be LO < HI (dB)")
            self.snr_range = (lo, hi)
        for name in ("steps", "batch_size", "val_every", "ckpt_every"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name}={getattr(self, name)} is invalid: must be >= 1")
        if self.crop < 16 or self.crop % 8:
            raise ValueError(f"crop={self.crop} is invalid: must be a multiple of 8, >= 16")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr={self.lr} is invalid: must be positive")

    @property
    def train_snr_db(self) -> tuple[float, float]:
        """(lo, hi) of the training SNR in dB (lo == hi for a single SNR)."""
        return self.snr_range if self.snr_range is not None else (self.snr_db, self.snr_db)


class DJSCCTrainer:
    """Trains one :class:`DeepJSCC`; see the module docstring.

    Args:
        cfg: hyper-parameters.
        train_set: dataset of (3, S, S) float crops in [0, 1] (random, with a ``gen``).
        val_images: (3, H, W) images (H, W multiples of 8) for validation and the card.
        out: output folder (train_state.pt, model.ckpt).
        meta: extra metadata for the checkpoint (dataset, command line, ...).
    """

    def __init__(self, cfg: DJSCCTrainConfig, train_set: Dataset, val_images: list[torch.Tensor],
                 out: str | os.PathLike, meta: dict[str, Any] | None = None,
                 plot_history: HistoryPlot | None = None) -> None:
        self.plot_history = plot_history  # draws history.png (None: history.csv only)
        self.cfg, self.train_set, self.val_images = cfg, train_set, val_images
        self.out, self.meta = Path(out), dict(meta or {})
        self.out.mkdir(parents=True, exist_ok=True)
        torch.manual_seed(cfg.seed)
        self.device = torch.device(cfg.device)
        self.model = DeepJSCC(cfg.c)
        if cfg.init:
            init_model, init_meta = load_djscc(cfg.init)
            if init_model.c != cfg.c:
                raise ValueError(f"init={cfg.init} has c={init_model.c} (ABR {init_model.abr:.6g})"
                                 f", not c={cfg.c}: warm starts need the same ABR")
            self.model.load_state_dict(init_model.state_dict())
            self.meta.setdefault("init_from", {k: init_meta.get(k) for k in (
                "path", "sha256", "steps", "train_snr_db", "command")})
        self.model.to(self.device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=cfg.lr)
        drop_at = max(1, int(cfg.lr_drop * cfg.steps))
        self.sched = torch.optim.lr_scheduler.LambdaLR(
            self.opt, lambda s: 0.1 if s >= drop_at else 1.0)
        self.gen = torch.Generator().manual_seed(cfg.seed)  # batch indices, training SNRs
        self.noise_gen = torch.Generator(self.device).manual_seed(cfg.seed + 1)
        self.step, self.history, self.train_seconds = 0, [], 0.0
        self._run_t0: float | None = None
        self.state_path = self.out / "train_state.pt"
        if self.state_path.is_file():
            self._load_state()

    # -- state ---------------------------------------------------------------------------------
    def _seconds_so_far(self) -> float:
        running = 0.0 if self._run_t0 is None else time.perf_counter() - self._run_t0
        return self.train_seconds + running

    def save_state(self) -> None:
        st = {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
              "sched": self.sched.state_dict(), "gen": self.gen.get_state(),
              "noise_gen": self.noise_gen.get_state(), "torch_rng": torch.get_rng_state(),
              "crop_gen": getattr(self.train_set, "gen", torch.Generator()).get_state(),
              "step": self.step, "history": self.history, "config": asdict(self.cfg),
              "train_seconds": self._seconds_so_far()}
        with atomic_target(self.state_path) as tmp:
            torch.save(st, tmp)

    def _load_state(self) -> None:
        st = read_train_state(self.state_path, map_location=self.device)
        old = st["config"]
        mine = asdict(self.cfg)
        keys = ("abr", "snr_db", "snr_range", "steps", "batch_size", "crop", "seed")
        if any(_norm(old.get(k)) != _norm(mine[k]) for k in keys):
            was = ", ".join(f"{k}={old.get(k)}" for k in keys)
            raise ValueError(f"{self.state_path} belongs to another run ({was}); rerun with "
                             f"those options to resume, or use another --out")
        self.model.load_state_dict(st["model"])
        self.noise_gen.set_state(st["noise_gen"])
        restore_loop_state(self, st)

    # -- steps ---------------------------------------------------------------------------------
    def _training_snr(self, batch: int) -> float | torch.Tensor:
        if self.cfg.snr_range is None:
            return self.cfg.snr_db
        lo, hi = self.cfg.snr_range
        return lo + (hi - lo) * torch.rand(batch, generator=self.gen, dtype=torch.float64)

    def train_step(self, x: torch.Tensor) -> dict[str, float]:
        """One Adam step on batch x (B, 3, S, S) through the channel; returns mse, psnr."""
        self.model.train()
        self.opt.zero_grad(set_to_none=True)
        snr = self._training_snr(x.shape[0])
        loss = torch.mean((self.model(x, snr, generator=self.noise_gen) - x) ** 2)
        loss.backward()
        self.opt.step()
        self.sched.step()
        m = loss.item()
        return {"mse": m, "psnr": psnr_from_mse(max(m, 1e-12))}

    def validate(self, model: DeepJSCC | None = None, trials: int = 1) -> dict[str, float]:
        """MS-SSIM / PSNR on the validation images at ``cfg.snr_db`` (fixed noise seed)."""
        model = self.model if model is None else model
        row = measure_djscc(model.cpu(), self.val_images, [self.cfg.snr_db], trials=trials,
                            seed=12345)[0]
        model.to(self.device)
        return {"snr_db": row["snr_db"], "psnr": row["psnr_db"], "ms_ssim": row["ms_ssim"],
                "mse": row["mse"]}

    def fit(self, progress: bool = True, stop_after: int | None = None) -> Path | None:
        """Train up to ``cfg.steps`` (or ``stop_after`` more); returns model.ckpt when done."""
        n = len(self.train_set)
        target = self.cfg.steps if stop_after is None else min(self.cfg.steps,
                                                               self.step + stop_after)
        bar = tqdm(total=self.cfg.steps, initial=self.step, disable=bar_disabled(progress),
                   desc=f"DJSCC c={self.cfg.c} snr={self.cfg.train_snr_db}", dynamic_ncols=True)
        self._run_t0 = time.perf_counter()
        with _signals_held() as held:
            try:
                while self.step < target:
                    idx = torch.randint(0, n, (self.cfg.batch_size,), generator=self.gen)
                    x = stack_batch(self.train_set, idx).to(self.device)
                    stats = self.train_step(x)
                    self.step += 1
                    bar.update(1)
                    bar.set_postfix(psnr=f"{stats['psnr']:.2f}")
                    if self.step % self.cfg.val_every == 0 or self.step == self.cfg.steps:
                        v = self.validate()
                        self.history.append({"step": self.step,
                                             "train_s": self._seconds_so_far(),
                                             "train_psnr": stats["psnr"],
                                             **{f"val_{k}": x for k, x in v.items()}})
                        record_history(self.out, self.history,
                                       f"deep JSCC, ABR {self.cfg.c}/96, trained at "
                                       f"{self.cfg.train_snr_db} dB", self.plot_history)
                        bar.write(f"step {self.step}: val PSNR {v['psnr']:.2f} dB, MS-SSIM "
                                  f"{v['ms_ssim']:.4f} at {v['snr_db']:g} dB")
                    stop = held["signal"] is not None
                    if stop or self.step % self.cfg.ckpt_every == 0 or self.step == target:
                        self.save_state()
                    if stop:
                        raise TrainingInterrupted(self.step, self.state_path, held["signal"])
            finally:
                bar.close()
                self.train_seconds, self._run_t0 = self._seconds_so_far(), None
        if self.step < self.cfg.steps:
            return None
        return self.finalize()

    def finalize(self) -> Path:
        """Write ``model.ckpt``; its card numbers are measured on the weights as stored."""
        path = self.out / "model.ckpt"
        meta = {"steps": self.step, "config": asdict(self.cfg),
                "train_snr_db": list(self.cfg.train_snr_db), "train_seconds": self.train_seconds,
                **self.meta}
        save_djscc(path, self.model.cpu(), meta)
        stored, _ = load_djscc(path)
        meta["eval"] = dict(self.validate(stored, trials=2), n_images=len(self.val_images),
                            images=f"val split, {VAL_CROP}x{VAL_CROP} centre crops")
        meta["history_tail"] = self.history[-3:]
        save_djscc(path, stored, meta)
        self.model.to(self.device)
        return path


def _norm(v: Any) -> Any:
    return list(v) if isinstance(v, tuple) else v


def shipped_djscc_data(crop: int, seed: int) -> tuple[Dataset, list[torch.Tensor], str]:
    """(training crops, validation images, description) from the shipped photos' split."""
    train = shipped_photos("train", crop, seed=seed)
    val = shipped_photos("val", VAL_CROP)
    return train, [val[i] for i in range(len(val))], \
        "shipped photos (data/photos split.csv): train random crops, val 256x256 centre crops"


def train_djscc(cfg: DJSCCTrainConfig, out: str | os.PathLike, progress: bool = True,
                plot_history: HistoryPlot | None = None) -> tuple[Path | None, int]:
    """Train (or resume) one DJSCC model into ``out`` on the shipped photos; writes meta.json.
    ``plot_history``: see :class:`DJSCCTrainer`.

    Returns (``model.ckpt`` path, or None when stopped before ``cfg.steps``; step reached).
    """
    tr, va, desc = shipped_djscc_data(cfg.crop, cfg.seed)
    with run_record(out, seed=cfg.seed, dataset=desc, c=cfg.c, abr=cfg.abr) as meta:
        t = DJSCCTrainer(cfg, tr, va, out, meta={"dataset": desc, "command": meta["command"]},
                         plot_history=plot_history)
        path = t.fit(progress=progress)
        meta["checkpoint"] = str(path) if path else None
        meta["step"] = t.step
        meta["train_seconds"] = t.train_seconds
        if path:
            meta["eval"] = load_djscc(path)[1]["eval"]
    return path, t.step


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m semcodec.djscc.train",
                                description="train one DJSCC model over AWGN (resumable)")
    p.add_argument("--abr", type=float, required=True, help="bandwidth ratio k/n = c/96")
    p.add_argument("--snr-db", type=float, required=True, help="training / report SNR [dB]")
    p.add_argument("--snr-range", type=float, nargs=2, default=None, metavar=("LO", "HI"),
                   help="train at SNRs uniform in [LO, HI] dB")
    p.add_argument("--steps", type=int, default=3000, help="training steps")
    p.add_argument("--batch-size", type=int, default=16, help="crops per step")
    p.add_argument("--crop", type=int, default=64, help="training crop side [pixels]")
    p.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    p.add_argument("--val-every", type=int, default=500, help="steps between validations")
    p.add_argument("--ckpt-every", type=int, default=250, help="steps between saved states")
    p.add_argument("--seed", type=int, default=0, help="seed of weights, crops and noise")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--init", default=None, help="warm start from this DJSCC checkpoint")
    p.add_argument("--out", required=True, help="output folder (rerun the same to resume)")
    return p


def config_from_args(args: argparse.Namespace) -> DJSCCTrainConfig:
    """The :class:`DJSCCTrainConfig` of parsed options (this module's or ``issc train-djscc``)."""
    if args.threads:
        torch.set_num_threads(args.threads)
    return DJSCCTrainConfig(abr=args.abr, snr_db=args.snr_db,
                            snr_range=tuple(args.snr_range) if args.snr_range else None,
                            steps=args.steps, batch_size=args.batch_size, crop=args.crop,
                            lr=args.lr, val_every=args.val_every, ckpt_every=args.ckpt_every,
                            seed=args.seed, device=args.device or "cpu", init=args.init)


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and train; returns the exit status (2: bad input, 130: interrupted)."""
    args = _parser().parse_args(argv)
    try:
        train_djscc(config_from_args(args), args.out)
    except (ValueError, FileNotFoundError, KeyError) as exc:
        print(f"semcodec.djscc.train: error: {exc.args[0] if exc.args else exc!r}",
              file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        print(f"semcodec.djscc.train: {exc.args[0] if exc.args else 'interrupted'}",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
