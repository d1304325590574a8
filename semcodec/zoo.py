"""Codec zoo: CompressAI scale-hyperprior presets and the G-rate ladder.

ASCC Sec. III-A.1 trains G hyper-prior encoder-decoder pairs, one per source
rate R_s, without channel errors. Here each pair is a CompressAI
:class:`~compressai.models.ScaleHyperprior` (Balle et al. 2018) trained with the
MSE rate-distortion loss ``lambda * 255^2 * MSE + bpp`` at one lambda of the
ladder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # compressai (torch) is imported when a model is built, so the
    # presets are readable without it (``issc --help`` lists them)
    from compressai.models import ScaleHyperprior

#: Preset name -> constructor arguments (N: hidden channels, M: latent channels).
PRESETS: dict[str, dict[str, int]] = {
    "compact": {"N": 64, "M": 96},  # the CPU default
    "bmshj2018": {"N": 128, "M": 192},  # CompressAI's bmshj2018-hyperprior, qualities 1-5
    "bmshj2018-high": {"N": 192, "M": 320},  # the same, qualities 6-8 (a GPU size)
}

#: CompressAI's MSE lambdas for qualities 1..6 (compressai.zoo image models).
DEFAULT_LAMBDAS: tuple[float, ...] = (0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483)


def check_preset(preset: str) -> str:
    if preset not in PRESETS:
        raise ValueError(f"preset={preset!r} is unknown: valid presets are {sorted(PRESETS)}")
    return preset


def check_lambda(lmbda: float) -> float:
    lmbda = float(lmbda)
    if not lmbda > 0 or lmbda != lmbda or lmbda == float("inf"):
        raise ValueError(f"lambda={lmbda} is invalid: must be a finite positive number")
    return lmbda


def build_model(preset: str = "compact") -> ScaleHyperprior:
    """A fresh (untrained) scale-hyperprior codec of the given preset."""
    from compressai.models import ScaleHyperprior

    return ScaleHyperprior(**PRESETS[check_preset(preset)])


def rate_ladder(g: int | None = None, lambdas: Sequence[float] | None = None) -> list[float]:
    """The G lambdas of the ladder, lowest rate first.

    Args:
        g: number of models G (default: ``len(lambdas)``). With the default
            lambdas, ``g`` picks the first ``g`` CompressAI qualities.
        lambdas: explicit lambdas (any positive values; sorted ascending).
    """
    lams = [check_lambda(x) for x in (lambdas if lambdas is not None else DEFAULT_LAMBDAS)]
    if g is None:
        g = len(lams)
    if not 1 <= g <= len(lams):
        raise ValueError(f"G={g} is invalid: must be between 1 and {len(lams)} (number of lambdas)")
    return sorted(lams)[:g]
