"""Grow a trained codec into a wider preset without changing what it computes.

A codec of a larger preset (more hidden channels N, more latent channels M)
warm-started from a trained smaller one, so that the extra capacity can be
trained on a CPU from where the small codec already is instead of from
scratch (``issc train --preset bmshj2018 --init <compact checkpoint>``).

The rule, layer by layer (Net2Net-style, Chen et al. 2016): the old units keep
their weights and ignore the new units (zero weights from new inputs to old
outputs); the new units get a fresh initialisation. Three places keep the rate
where it was:

- the new latent channels ``y[M_old:]`` come from the last analysis layer with
  its fresh weights scaled by 1e-3, so they round to 0;
- their scales come from the hyper-synthesis' last layer with zero weights and
  a bias below the scale bound, so they sit at the bound and cost ~0 bits;
- the new hyper-latent channels ``z[N_old:]`` copy the old channel with the
  narrowest learned density (incoming weights, bias and density), so they
  cost what that nearly constant channel costs.

So in evaluation mode the widened codec reconstructs exactly what the narrow one
does, and its real bitstream is a few bytes longer (tested). The synthesis
weights from the new latents start at zero: they get gradients at once, since
training adds noise to every latent.
"""

from __future__ import annotations

import torch
from compressai.models import ScaleHyperprior

from .zoo import PRESETS, build_model, check_preset

#: Scale of the new latents' analysis weights (y[M_old:] ~ 0, rounds to 0).
NEW_LATENT_WEIGHT_SCALE = 1e-3
#: Bias of the new scale outputs: below CompressAI's scale bound 0.11, so the new
#: latents start at the narrowest Gaussian, and the ReLU in front still passes a gradient.
NEW_SCALE_BIAS = 0.01


def codec_widths(model: ScaleHyperprior) -> tuple[int, int]:
    """(N, M) of a scale-hyperprior codec: hidden and latent channels."""
    return int(model.g_a[0].weight.shape[0]), int(model.g_a[-1].weight.shape[0])


def _conv(wide: torch.Tensor, old: torch.Tensor, transposed: bool) -> None:
    """Copy ``old`` into the leading block of ``wide`` (both conv weights); zero the
    weights from new inputs to old outputs. Conv2d: (out, in, k, k); ConvTranspose2d:
    (in, out, k, k)."""
    if transposed:
        i, o = old.shape[:2]
        wide[:i, :o] = old
        wide[i:, :o] = 0
    else:
        o, i = old.shape[:2]
        wide[:o, :i] = old
        wide[:o, i:] = 0


def widen_codec(narrow: ScaleHyperprior, preset: str, seed: int = 0) -> ScaleHyperprior:
    """The codec of ``preset`` that computes what ``narrow`` computes (see module doc).

    Args:
        narrow: trained scale-hyperprior codec with N_old <= N and M_old <= M.
        preset: name in :data:`semcodec.zoo.PRESETS` (its N, M).
        seed: seed of the new units' initialisation.

    Returns:
        A new model (training mode, entropy tables not built: call ``update``
        before coding). ``narrow`` is not changed.

    Raises:
        ValueError: the preset is narrower than ``narrow`` in N or M.
    """
    n0, m0 = codec_widths(narrow)
    n1, m1 = PRESETS[check_preset(preset)]["N"], PRESETS[preset]["M"]
    if n1 < n0 or m1 < m0:
        raise ValueError(f"preset={preset!r} (N={n1}, M={m1}) is narrower than the codec "
                         f"(N={n0}, M={m0}): a codec can only be widened")
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        wide = build_model(preset)
    transposed = {f"{k}.weight" for k, mod in wide.named_modules()
                  if isinstance(mod, torch.nn.ConvTranspose2d)}
    old = narrow.state_dict()
    new = wide.state_dict()
    eb = "entropy_bottleneck."
    # the hyper-latent channel with the narrowest learned density: the new ones copy it
    q = old[eb + "quantiles"][:, 0, :]
    donor = int(torch.argmin(q[:, 2] - q[:, 0]))
    with torch.no_grad():
        for name, w_old in old.items():
            w = new[name]
            if w.numel() == 0:  # entropy-coder tables: ``update`` builds them for the new widths
                continue
            if w.shape == w_old.shape:
                if w_old.numel():
                    w.copy_(w_old)
                continue
            if name.startswith(eb):  # per-channel density parameters (C, ...)
                c = w_old.shape[0]
                w[:c] = w_old
                w[c:] = w_old[donor]
            elif name.endswith(".gamma"):  # GDN: new channels keep the fresh 0.1 I
                c = w_old.shape[0]
                w[:c, :c] = w_old
            elif w.dim() == 1:  # biases and GDN beta: new entries keep the fresh init
                w[: w_old.shape[0]] = w_old
            else:
                _conv(w, w_old, transposed=name in transposed)
        # keep the rate where it was (module doc)
        new["g_a.6.weight"][m0:] *= NEW_LATENT_WEIGHT_SCALE
        new["g_a.6.bias"][m0:] = 0
        new["h_s.4.weight"][m0:] = 0
        new["h_s.4.bias"][m0:] = NEW_SCALE_BIAS
        new["h_a.4.weight"][n0:] = 0
        new["h_a.4.weight"][n0:, :n0] = old["h_a.4.weight"][donor]
        new["h_a.4.bias"][n0:] = old["h_a.4.bias"][donor]
    wide.load_state_dict(new)
    return wide
