"""BLEU with sacrebleu, and the modified g-gram precisions p_g that NF eq. (19) uses.

BLEU (Papineni et al., 2002) of hypotheses against one reference each:

    BLEU = BP * exp(sum_g w_g ln p_g),   BP = exp(1 - r / c) if c < r else 1,

with c and r the hypothesis and reference lengths in tokens and p_g the modified (clipped)
g-gram precision. Scores come from sacrebleu (standard ``13a`` tokenisation). Because the
NF model needs p_g many times inside a bisection, :func:`corpus_stats` counts the clipped
g-grams directly on already-tokenised text; the tests check those counts against
sacrebleu's own ``counts`` / ``totals``. BLEU here is a fraction in [0, 1] unless a name
says "points" (sacrebleu's 0-100 scale).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import sacrebleu

MAX_ORDER = 4


def uniform_weights(max_order: int = MAX_ORDER) -> tuple[float, ...]:
    """w_g = 1/G for g = 1..G (BLEU's default, NF eq. (19)'s w_{g,k})."""
    if max_order < 1:
        raise ValueError(f"max_order={max_order} is invalid: must be >= 1")
    return tuple(1.0 / max_order for _ in range(max_order))


def check_weights(weights: Sequence[float]) -> tuple[float, ...]:
    w = tuple(float(x) for x in weights)
    if not w or any(x < 0 or not math.isfinite(x) for x in w) or abs(sum(w) - 1.0) > 1e-9:
        raise ValueError(f"weights={list(weights)} is invalid: must be >= 0 and sum to 1")
    return w


@dataclass(frozen=True)
class BleuStats:
    """Sufficient statistics of corpus BLEU.

    matches[g-1]: clipped g-gram matches summed over sentences (int), g = 1..G.
    totals[g-1]:  g-grams in the hypotheses (int).
    hyp_len, ref_len: tokens in hypotheses / references (int).
    """

    matches: tuple[int, ...]
    totals: tuple[int, ...]
    hyp_len: int
    ref_len: int

    @property
    def precisions(self) -> tuple[float, ...]:
        """p_g = matches / totals (fraction; 0 where there are no g-grams)."""
        return tuple(m / t if t > 0 else 0.0 for m, t in zip(self.matches, self.totals))

    @property
    def length_ratio(self) -> float:
        """c / r: the kept fraction of tokens when hypotheses are extractions."""
        return self.hyp_len / self.ref_len

    @property
    def brevity_penalty(self) -> float:
        """BP = exp(1 - r/c) for c < r, else 1 (0 for an empty hypothesis)."""
        if self.hyp_len == 0:
            return 0.0
        if self.hyp_len >= self.ref_len:
            return 1.0
        return math.exp(1.0 - self.ref_len / self.hyp_len)

    def log_precision(self, weights: Sequence[float] | None = None) -> float:
        """sum_g w_g ln p_g (natural log; -inf when some weighted p_g is 0)."""
        w = check_weights(weights) if weights is not None else uniform_weights(
            len(self.matches))
        if len(w) != len(self.matches):
            raise ValueError(f"weights={list(w)} is invalid: need {len(self.matches)} weights")
        s = 0.0
        for wg, p in zip(w, self.precisions):
            if wg == 0:
                continue
            if p <= 0:
                return -math.inf
            s += wg * math.log(p)
        return s

    def bleu(self, weights: Sequence[float] | None = None) -> float:
        """Corpus BLEU as a fraction, no smoothing: BP * exp(sum_g w_g ln p_g)."""
        lp = self.log_precision(weights)
        return 0.0 if lp == -math.inf else self.brevity_penalty * math.exp(lp)


def ngram_counts(tokens: Sequence[str], max_order: int = MAX_ORDER) -> Counter:
    """Counter of all g-grams (tuples) of a token sequence, g = 1..max_order."""
    c: Counter = Counter()
    n = len(tokens)
    for g in range(1, max_order + 1):
        for i in range(n - g + 1):
            c[tuple(tokens[i:i + g])] += 1
    return c


def corpus_stats(hyps: Sequence[Sequence[str]], refs: Sequence[Sequence[str]],
                 max_order: int = MAX_ORDER,
                 ref_counts: Sequence[Counter] | None = None) -> BleuStats:
    """Clipped g-gram statistics of tokenised hypotheses against one reference each.

    hyps, refs: sequences of token sequences (same length N). ref_counts: optional
    precomputed ``ngram_counts(ref)`` per sentence (speeds up repeated calls).
    """
    if len(hyps) != len(refs):
        raise ValueError(f"len(hyps)={len(hyps)} is invalid: must equal len(refs)={len(refs)}")
    matches = [0] * max_order
    totals = [0] * max_order
    hyp_len = ref_len = 0
    for i, (h, r) in enumerate(zip(hyps, refs)):
        hyp_len += len(h)
        ref_len += len(r)
        rc = ref_counts[i] if ref_counts is not None else ngram_counts(r, max_order)
        for ng, cnt in ngram_counts(h, max_order).items():
            g = len(ng) - 1
            totals[g] += cnt
            matches[g] += min(cnt, rc.get(ng, 0))
    return BleuStats(tuple(matches), tuple(totals), hyp_len, ref_len)


def sacrebleu_corpus(hyps: Sequence[str], refs: Sequence[str], max_order: int = MAX_ORDER,
                     smooth_method: str = "none") -> sacrebleu.metrics.bleu.BLEUScore:
    """sacrebleu corpus BLEU (13a tokenisation, brevity penalty), one reference each.

    ``force=True`` silences sacrebleu's "forgot to detokenize" warning: our strings are
    13a-tokenised on purpose (13a is idempotent on them)."""
    metric = sacrebleu.metrics.BLEU(tokenize="13a", max_ngram_order=max_order,
                                    smooth_method=smooth_method, force=True)
    return metric.corpus_score(list(hyps), [list(refs)])


def sentence_bleu(hyp: str, ref: str) -> float:
    """sacrebleu sentence BLEU in points (0-100; 13a, exp smoothing, effective order)."""
    return sacrebleu.sentence_bleu(hyp, [ref]).score


def corpus_bleu(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """sacrebleu corpus BLEU in points (0-100; 13a, no smoothing)."""
    return sacrebleu_corpus(hyps, refs).score
