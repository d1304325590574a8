"""Per-user lower bound rho_LB of the semantic extraction ratio (NF eq. (19)).

NF eq. (19):  rho_LB = 1 / (1 - ln varrho + sum_g w_g ln p_{g,k})

is exactly the ratio at which corpus BLEU with brevity penalty exp(1 - 1/rho) meets the
floor varrho:  exp(1 - 1/rho) prod_g p_g^{w_g} = varrho  <=>  rho = 1 / (1 - ln varrho +
sum_g w_g ln p_g). The paper takes the precisions p_{g,k} as given; here they are measured
on the user's held-out text with the user's extraction model, and since they depend on rho
(fewer kept words -> fewer adjacent kept words -> lower p_g, g > 1), eq. (19) is solved as a
fixed point rho = F(rho), F(rho) = 1 / (1 - ln varrho + S(rho)), S(rho) = sum_g w_g ln p_g(rho).

How the fixed point is solved: g(rho) = rho - F(rho) (F = +inf where the denominator is
<= 0) changes sign once when the precisions do not fall as rho grows. We scan a grid of
step 0.01 for the smallest rho with g >= 0 (the scan guards against several crossings),
bisect the last cell to 1e-6, and return rho* = F(rho_hi): where the precisions are constant
on the final cell (no sentence changes its kept count inside it) that value is an exact
fixed point, F(rho*) = rho*, so exp(1 - 1/rho*) prod_g p_g(rho*)^{w_g} = varrho to rounding.
Where they are not (a kept count jumps inside the cell, so no exact fixed point exists),
F(rho_hi) can lie below the jump with a modelled BLEU under the floor; then the conservative
end rho_hi itself is returned (modelled BLEU >= varrho there, within 1e-6 of the infimum).
Plain iteration rho <- F(rho) is not used: F decreases in rho, so the iteration oscillates
and need not converge.

The empirical rho_LB is the smallest rho whose measured held-out corpus BLEU meets the floor
(same grid scan + bisection). It uses the real brevity penalty exp(1 - r/c) with c / r the
real kept fraction, which is >= rho because each sentence keeps ceil(rho n_i) tokens; so
the empirical value sits slightly below the fixed point of eq. (19), which uses the
nominal rho in the brevity penalty. Floors are fractions in (0, 1] (BLEU points / 100).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from semcodec.atomic_io import write_atomic
from semcodec.text.bleu import MAX_ORDER, BleuStats, check_weights, corpus_stats, ngram_counts
from semcodec.text.corpus import (
    Corpus,
    Sentence,
    default_data_dir,
    genre_name,
    is_genre,
    load_corpus,
)
from semcodec.text.extraction import (
    Extractor,
    KeywordExtractor,
    apply_ranking,
    n_keep,
    pos_prior,
)

RHO_MIN = 0.01          # smallest ratio scanned (a 100-token sentence keeps 1 token)
SCAN_STEP = 0.01
BISECT_TOL = 1e-6
DEFAULT_REF_RHO = 0.5   # where the "one-shot" eq. (19) measures its precisions
CACHE_FILE = "rho_lb_cache.json"
CACHE_FLOORS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 20))


def check_floor(bleu_floor: float) -> float:
    """Validate a BLEU floor varrho given as a fraction in (0, 1]."""
    try:
        f = float(bleu_floor)
    except (TypeError, ValueError):
        raise ValueError(f"bleu_floor={bleu_floor!r} is invalid: must be a number in (0, 1]"
                         ) from None
    if not (0.0 < f <= 1.0) or not math.isfinite(f):
        hint = f" ({f:g} BLEU points is {f / 100:g})" if 1.0 < f <= 100.0 else ""
        raise ValueError(f"bleu_floor={bleu_floor!r} is invalid: must be a fraction in (0, 1]"
                         f"{hint}")
    return f


def eq19(bleu_floor: float, log_precision: float) -> float:
    """NF eq. (19): 1 / (1 - ln varrho + sum_g w_g ln p_g); +inf when the denominator is
    <= 0 (no rho meets the floor with these precisions). log_precision uses natural logs."""
    d = 1.0 - math.log(check_floor(bleu_floor)) + log_precision
    return math.inf if d <= 0 else 1.0 / d


class UserTextModel:
    """A user's extraction model with its BLEU(rho) curve on its own text.

    corpus: the user's corpus (train = knowledge base, held-out = evaluation text).
    extractor: ranks words; default :meth:`KeywordExtractor.fit` on the KB.
    weights: w_g, g = 1..G (default uniform 1/4).
    """

    def __init__(self, corpus: Corpus, extractor: Extractor | None = None,
                 weights: Sequence[float] | None = None) -> None:
        self.corpus = corpus
        self.weights = check_weights(weights) if weights is not None else (0.25,) * MAX_ORDER
        self.max_order = len(self.weights)
        self.extractor = extractor if extractor is not None else KeywordExtractor.fit(
            corpus.train, weights=self.weights)
        self._splits: dict[str, tuple] = {}

    def _split(self, split: str) -> tuple:
        if split not in ("heldout", "train"):
            raise ValueError(f"split={split!r} is invalid: must be 'heldout' or 'train'")
        if split not in self._splits:
            sents: Sequence[Sentence] = getattr(self.corpus, split)
            refs = [s.tokens for s in sents]
            self._splits[split] = (sents, [ngram_counts(r, self.max_order) for r in refs],
                                   self.extractor.rankings(sents), {}, {})
        return self._splits[split]

    def hypotheses(self, rho: float, split: str = "heldout") -> list[tuple[str, ...]]:
        """The extracted token sequences at ratio rho, one per sentence."""
        sents, _, ranks, _, _ = self._split(split)
        return [apply_ranking(s.tokens, o, rho) for s, o in zip(sents, ranks)]

    def stats(self, rho: float, split: str = "heldout") -> BleuStats:
        """Corpus BLEU statistics of the extraction at ratio rho (memoised).

        A sentence's clipped counts depend on rho only through its kept count
        k = ceil(rho n), so they are memoised per (sentence, k): a scan over rho recounts
        only the sentences whose k changed. Equal to ``corpus_stats`` (tested)."""
        sents, rcounts, ranks, per_k, memo = self._split(split)
        key = round(float(rho), 12)
        if key not in memo:
            G = self.max_order
            lens = np.fromiter((len(x) for x in sents), dtype=np.int64, count=len(sents))
            ks = np.clip(np.ceil(rho * lens - 1e-9), 1, lens).astype(np.int64).tolist()
            rows = []
            for i, k in enumerate(ks):
                row = per_k.get((i, k))
                if row is None:
                    s, o = sents[i], ranks[i]
                    hyp = tuple(s.tokens[j] for j in sorted(o[:k].tolist()))
                    st = corpus_stats([hyp], [s.tokens], G, [rcounts[i]])
                    row = st.matches + st.totals + (st.hyp_len, st.ref_len)
                    per_k[(i, k)] = row
                rows.append(row)
            acc = np.asarray(rows, dtype=np.int64).sum(axis=0)
            memo[key] = BleuStats(tuple(int(x) for x in acc[:G]),
                                  tuple(int(x) for x in acc[G:2 * G]), int(acc[-2]),
                                  int(acc[-1]))
        return memo[key]

    def content_recall(self, rho: float, split: str = "heldout") -> float:
        """Fraction of the content tokens (POS prior >= 0.7: nouns, verbs, adjectives,
        numbers) that the extraction keeps at ratio rho: a check on meaning that BLEU,
        which rewards any contiguous run, does not make."""
        sents, _, ranks, _, _ = self._split(split)
        kept = total = 0
        for s, o in zip(sents, ranks):
            content = {i for i, t in enumerate(s.tags) if pos_prior(t) >= 0.7}
            total += len(content)
            kept += len(content.intersection(o[:n_keep(rho, len(s))].tolist()))
        return kept / total if total else float("nan")

    def bleu(self, rho: float, split: str = "heldout") -> float:
        """Measured corpus BLEU (fraction) at ratio rho, real brevity penalty."""
        return self.stats(rho, split).bleu(self.weights)

    def log_precision(self, rho: float, split: str = "heldout") -> float:
        """S(rho) = sum_g w_g ln p_g(rho)."""
        return self.stats(rho, split).log_precision(self.weights)

    def eq19_map(self, rho: float, bleu_floor: float, split: str = "heldout") -> float:
        """F(rho) = eq. (19) with the precisions measured at rho."""
        return eq19(bleu_floor, self.log_precision(rho, split))


@dataclass(frozen=True)
class RhoResult:
    """rho_LB of one user at one floor (all ratios in (0, 1]; BLEU as fractions).

    eq19_fixed_point: solution of rho = F(rho) on held-out precisions.
    eq19_exact: whether F(rho*) = rho* holds exactly (precisions constant near rho*).
    eq19_residual: |F(rho*) - rho*|.
    eq19_train: the same fixed point with the KB's (train) precisions.
    eq19_one_shot: eq. (19) with held-out precisions measured once at ref_rho.
    empirical: smallest rho whose measured held-out BLEU meets the floor.
    bleu_at_empirical: the measured BLEU there; kept_fraction: c / r there.
    """

    user: str
    bleu_floor: float
    eq19_fixed_point: float
    eq19_exact: bool
    eq19_residual: float
    eq19_train: float
    eq19_one_shot: float
    ref_rho: float
    empirical: float
    bleu_at_empirical: float
    kept_fraction: float
    precisions_at_fixed_point: tuple[float, ...]


def smallest_feasible(ok: Callable[[float], bool], lo: float = RHO_MIN, hi: float = 1.0,
                      step: float = SCAN_STEP, tol: float = BISECT_TOL,
                      what: str = "the condition") -> tuple[float, float]:
    """Bracket (a, b] of the smallest rho in [lo, hi] with ok(rho): scan the grid lo, lo +
    step, ..., hi upward, then bisect the first passing cell to width tol. Returns (a, b)
    with ok(b) true and ok(a) false (a = 0 when ok(lo) already holds). Raises ValueError
    if ok(hi) is false."""
    if not ok(hi):
        raise ValueError(f"rho_max={hi:g} is invalid: {what} fails at every rho <= {hi:g}")
    grid = np.round(np.arange(lo, hi + 1e-12, step), 10)
    grid = grid[grid < hi]
    prev = 0.0
    b = hi
    for r in grid:
        if ok(float(r)):
            b = float(r)
            break
        prev = float(r)
    if b == lo and ok(lo):
        return 0.0, lo
    a = prev
    while b - a > tol:
        m = 0.5 * (a + b)
        if ok(m):
            b = m
        else:
            a = m
    return a, b


def solve_rho_lb(model: UserTextModel, bleu_floor: float, ref_rho: float = DEFAULT_REF_RHO,
                 rho_max: float = 1.0, with_train: bool = True) -> RhoResult:
    """Eq. (19) as a fixed point, the same on the KB (skipped, NaN, if not with_train), the
    one-shot eq. (19), and the empirical rho_LB, for one user and one floor (fraction in
    (0, 1]). Raises ValueError when no rho <= rho_max meets the floor."""
    f = check_floor(bleu_floor)
    if not (0.0 < rho_max <= 1.0):
        raise ValueError(f"rho_max={rho_max} is invalid: must be in (0, 1]")
    top = model.bleu(rho_max)
    if top < f:
        raise ValueError(f"bleu_floor={f:g} cannot be met by any rho <= {rho_max:g}: user "
                         f"{model.corpus.name!r} reaches BLEU {top:.4f} at rho={rho_max:g}")

    def fixed_point(split: str) -> tuple[float, bool, float]:
        # g(rho) >= 0  <=>  rho >= F(rho)
        _, b = smallest_feasible(lambda r: r >= model.eq19_map(r, f, split), hi=rho_max,
                                 what=f"eq. (19) at bleu_floor={f:g} ({split} precisions)")
        star = model.eq19_map(b, f, split)
        if not math.isfinite(star) or star > b:
            star = b
        # The conservative end: F(b) is a fixed point only when the precisions are constant
        # on [F(b), b]; when a sentence changes its kept count in between, the modelled
        # BLEU at F(b) falls below the floor, so return b (modelled BLEU >= floor there).
        if model.eq19_map(star, f, split) > star + 1e-12:
            star = b
        res = abs(model.eq19_map(star, f, split) - star)
        return star, res <= 1e-12, res

    fp, exact, res = fixed_point("heldout")
    fp_train = fixed_point("train")[0] if with_train else math.nan
    _, emp = smallest_feasible(lambda r: model.bleu(r) >= f, hi=rho_max,
                               what=f"BLEU >= {f:g}")
    st = model.stats(emp)
    return RhoResult(
        user=model.corpus.name, bleu_floor=f, eq19_fixed_point=fp, eq19_exact=exact,
        eq19_residual=res, eq19_train=fp_train,
        eq19_one_shot=model.eq19_map(ref_rho, f), ref_rho=ref_rho, empirical=emp,
        bleu_at_empirical=st.bleu(model.weights), kept_fraction=st.length_ratio,
        precisions_at_fixed_point=model.stats(fp).precisions)


# --- API for the NF optimiser -----------------------------------------------------------

@lru_cache(maxsize=64)
def user_model(genre_or_corpus: str, weights: tuple[float, ...] | None = None
               ) -> UserTextModel:
    """The default extraction model of a Brown genre or a user corpus path (memoised);
    weights w_g as in :class:`UserTextModel` (default uniform over g = 1..4)."""
    return UserTextModel(load_corpus(genre_or_corpus), weights=weights)


def _cache_path(path: str | os.PathLike | None = None) -> Path:
    """The cache JSON file: ``path`` if given, else ``data/text/rho_lb_cache.json``."""
    return Path(path) if path else default_data_dir() / CACHE_FILE


@lru_cache(maxsize=4)
def _load_cache(path: str) -> dict:
    p = Path(path)
    return json.loads(p.read_text()) if p.exists() else {}


def cached_result(genre: str, bleu_floor: float, cache: str | os.PathLike | None = None
                  ) -> dict | None:
    """The shipped result for a Brown genre at a floor, or None if not cached."""
    data = _load_cache(str(_cache_path(cache)))
    entry = data.get("genres", {}).get(genre_name(genre), {})
    hit = entry.get(f"{float(bleu_floor):.4f}")
    # only an exact floor (to float rounding) is served from the cache
    return hit if hit is not None and abs(hit["bleu_floor"] - float(bleu_floor)) < 1e-12 \
        else None


def rho_lower_bound(genre_or_corpus: str | os.PathLike, bleu_floor: float,
                    method: str = "eq19", weights: Sequence[float] | None = None) -> float:
    """Per-user rho_LB for the NF optimiser (NF eq. (19), constraint (28f)).

    genre_or_corpus: a Brown genre (NLTK name such as ``"news"`` or letter ``"a"``) or a
        path to a user corpus (one-sentence-per-line file, or a folder of them).
    bleu_floor: varrho as a fraction in (0, 1] (BLEU points / 100).
    method: ``"eq19"`` (fixed point of eq. (19) with measured precisions; default),
        ``"empirical"`` (smallest rho whose measured held-out BLEU meets the floor), or
        ``"kept"`` (the fraction of tokens actually sent there, c / r >= rho because each
        sentence keeps ceil(rho n) tokens: NF eq. (1)'s size ratio at the threshold).
    weights: w_{g,k} of eq. (19), g = 1..G (default uniform 1/4, G = 4; other weights
        are always computed).
    Returns rho_LB in (0, 1]. Shipped results for the Brown genres at the floors
    0.05, 0.10, ..., 0.95 are read from ``data/text/rho_lb_cache.json``; anything else is
    computed (a few seconds per user). Raises ValueError / KeyError / FileNotFoundError
    with a one-line message for a bad floor, unknown genre, missing or empty corpus, or a
    floor no rho <= 1 can meet.
    """
    f = check_floor(bleu_floor)
    keys = {"eq19": "eq19_fixed_point", "empirical": "empirical", "kept": "kept_fraction"}
    if method not in keys:
        raise ValueError(f"method={method!r} is invalid: must be one of {', '.join(keys)}")
    key = keys[method]
    w = check_weights(weights) if weights is not None else None
    if w is not None and len(w) == MAX_ORDER and all(abs(x - 0.25) < 1e-15 for x in w):
        w = None  # the default: uniform over 4 orders
    name = str(genre_or_corpus)
    if is_genre(name) and not Path(name).exists():
        hit = cached_result(name, f) if w is None else None
        if hit is not None:
            return float(hit[key])
        name = genre_name(name)
    return float(getattr(solve_rho_lb(user_model(name, w), f, with_train=False), key))


def build_cache(genres: Sequence[str], floors: Sequence[float] = CACHE_FLOORS,
                path: str | os.PathLike | None = None, progress: bool = True) -> dict:
    """Compute :func:`solve_rho_lb` for Brown genres x floors and write the JSON cache."""
    from tqdm import tqdm

    from ..progress import bar_disabled

    out: dict = {"about": "rho_LB per Brown genre (semcodec.text.rho.build_cache); floors "
                          "are BLEU fractions; keys are floors formatted %.4f",
                 "weights": [0.25] * MAX_ORDER, "genres": {}}
    for g in tqdm(list(genres), desc="rho_LB cache", disable=bar_disabled(progress)):
        name = genre_name(g)
        model = user_model(name)
        out["genres"][name] = {
            f"{fl:.4f}": {k: v for k, v in asdict(solve_rho_lb(model, fl)).items()
                          if k != "user"}
            for fl in floors}
        out["genres"][name]["cohesion"] = getattr(model.extractor, "cohesion", None)
    p = _cache_path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(p, json.dumps(out, indent=1))
    _load_cache.cache_clear()
    return out
