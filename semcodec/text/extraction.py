"""Semantic extraction: keep the ceil(rho * n) most important words of a sentence in order.

The NF paper's semantic extraction ratio rho_k (NF eq. (1)) is the fraction of a message
that is sent. A sentence of n tokens is reduced to the k = ceil(rho * n) tokens with the
highest importance, kept in their original order; the receiver's reconstruction is that
extracted sequence itself, so the hypothesis is a subsequence of the reference and its
length ratio is k / n ~ rho (which is what makes BLEU's brevity penalty exp(1 - 1/rho)).

Importance is learned from the user's knowledge base (the train part of the user's
corpus): TF-IDF (IDF over the KB's sentences) times a part-of-speech prior
(:data:`POS_PRIOR`, content words high, function words and punctuation low), plus an
optional *cohesion* term that lends a word a share of its neighbours' scores so that
keywords come in short phrases (BLEU counts g-grams, g > 1, only for adjacent kept words).
The cohesion share is fitted on the KB (:meth:`KeywordExtractor.fit`).

Baselines with the same interface: :class:`RandomExtractor` (keeps random words) and
:class:`LeadExtractor` (keeps the first words: BLEU's favourite, semantically blind).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from semcodec.text.bleu import MAX_ORDER, corpus_stats, ngram_counts
from semcodec.text.corpus import Sentence

# Part-of-speech prior by Brown base tag (compound tags such as NN-TL, NP$, FW-NN, PPS+BEZ
# use their first base tag). Content words carry the meaning; negation is kept high.
POS_PRIOR: dict[str, float] = {
    **dict.fromkeys(["NN", "NNS", "NP", "NPS", "NR", "NRS"], 1.0),
    **dict.fromkeys(["VB", "VBD", "VBG", "VBN", "VBZ"], 0.8),
    **dict.fromkeys(["JJ", "JJR", "JJS", "JJT"], 0.7),
    **dict.fromkeys(["CD", "OD"], 0.7),
    "*": 0.6,
    **dict.fromkeys(["RB", "RBR", "RBT", "RN", "RP"], 0.4),
    **dict.fromkeys(["AP", "ABN", "ABX", "ABL", "QL", "QLP", "UH"], 0.3),
    **dict.fromkeys(["MD", "BE", "BED", "BEDZ", "BEG", "BEM", "BEN", "BER", "BEZ", "HV",
                     "HVD", "HVG", "HVN", "HVZ", "DO", "DOD", "DOZ"], 0.2),
    **dict.fromkeys(["PN", "PPL", "PPLS", "PPO", "PPS", "PPSS", "PP$", "PP$$", "WDT", "WPO",
                     "WPS", "WP$", "WQL", "WRB", "EX", "DT", "DTI", "DTS", "DTX"], 0.15),
    **dict.fromkeys(["AT", "IN", "CC", "CS", "TO"], 0.1),
}
PUNCT_PRIOR = 0.05
UNKNOWN_PRIOR = 0.5

# Cohesion shares tried by KeywordExtractor.fit, and the ratios at which the KB is scored.
COHESION_GRID: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
FIT_RHOS: tuple[float, ...] = (0.3, 0.5, 0.7)


def base_tag(tag: str) -> str:
    """``"NN-TL"`` -> ``"NN"``, ``"FW-NN"`` -> ``"NN"``, ``"PPS+BEZ"`` -> ``"PPS"``,
    ``"NP$"`` -> ``"NP"`` (but ``"PP$"`` stays: it is a tag of its own)."""
    t = tag.upper()
    if t.startswith("FW-"):
        t = t[3:]
    t = t.split("+")[0]
    t = t.split("-")[0] if not t.startswith("-") else t
    if t.endswith("$") and t not in POS_PRIOR:
        t = t.rstrip("$")
    return t


def pos_prior(tag: str) -> float:
    """Prior importance of a tag (:data:`POS_PRIOR`; punctuation 0.05, unknown 0.5)."""
    b = base_tag(tag)
    if b in POS_PRIOR:
        return POS_PRIOR[b]
    if b and not any(ch.isalpha() for ch in b):
        return PUNCT_PRIOR
    return UNKNOWN_PRIOR


def n_keep(rho: float, n: int) -> int:
    """k = ceil(rho * n), at least 1 (tolerant to float error: ceil(0.3 * 10) = 3)."""
    if not (0.0 < rho <= 1.0):
        raise ValueError(f"rho={rho} is invalid: must be in (0, 1]")
    return max(1, min(n, math.ceil(rho * n - 1e-9)))


def apply_ranking(tokens: Sequence[str], order: np.ndarray, rho: float) -> tuple[str, ...]:
    """Keep the first ceil(rho n) positions of ``order`` (an importance ranking), in
    sentence order."""
    k = n_keep(rho, len(tokens))
    return tuple(tokens[i] for i in sorted(order[:k].tolist()))


class Extractor:
    """Ranks a sentence's positions by importance; extraction keeps a prefix of the ranking.

    Rankings are nested in rho: the words kept at rho are also kept at any larger rho.
    """

    name = "extractor"

    def rank(self, sentence: Sentence) -> np.ndarray:  # pragma: no cover - interface
        raise NotImplementedError

    def rankings(self, sentences: Sequence[Sentence]) -> list[np.ndarray]:
        """One ranking (int64 positions, most important first) per sentence."""
        return [self.rank(s) for s in sentences]

    def extract(self, sentence: Sentence, rho: float) -> tuple[str, ...]:
        """The kept tokens of one sentence at extraction ratio rho in (0, 1]."""
        return apply_ranking(sentence.tokens, self.rank(sentence), rho)


class KeywordExtractor(Extractor):
    """TF-IDF x part-of-speech prior importance, learned from a user's knowledge base.

    score_i = prior(tag_i) * tf_i * idf(word_i),  idf(w) = ln((1 + N) / (1 + df(w))) + 1,
    with N the KB's sentences and df(w) how many contain w (lower-cased; unseen words get
    the largest idf). With cohesion c, the ranking uses s_i + c (s_{i-1} + s_{i+1}).
    Ties go to the earlier word.
    """

    name = "keyword"

    def __init__(self, idf: dict[str, float], n_docs: int, cohesion: float = 0.0) -> None:
        if not (0.0 <= cohesion <= 1.0):
            raise ValueError(f"cohesion={cohesion} is invalid: must be in [0, 1]")
        self.idf = idf
        self.n_docs = n_docs
        self.unseen_idf = math.log(1.0 + n_docs) + 1.0
        self.cohesion = cohesion

    @classmethod
    def from_kb(cls, kb: Sequence[Sentence], cohesion: float = 0.0) -> KeywordExtractor:
        """IDF from the knowledge base's sentences (each sentence is a document)."""
        if not kb:
            raise ValueError("kb is invalid: the knowledge base holds no sentences")
        df: Counter = Counter()
        for s in kb:
            df.update({t.lower() for t in s.tokens})
        n = len(kb)
        idf = {w: math.log((1.0 + n) / (1.0 + c)) + 1.0 for w, c in df.items()}
        return cls(idf, n, cohesion)

    @classmethod
    def fit(cls, kb: Sequence[Sentence], grid: Sequence[float] = COHESION_GRID,
            rhos: Sequence[float] = FIT_RHOS,
            weights: Sequence[float] | None = None) -> KeywordExtractor:
        """Learn IDF from the KB and pick the cohesion share in ``grid`` that maximises the
        mean corpus BLEU of the KB over the extraction ratios ``rhos``."""
        ex = cls.from_kb(kb)
        order = len(weights) if weights is not None else MAX_ORDER
        refs = [s.tokens for s in kb]
        ref_counts = [ngram_counts(r, order) for r in refs]
        best, best_c = -1.0, 0.0
        for c in grid:
            ex.cohesion = float(c)
            ranks = ex.rankings(kb)
            score = 0.0
            for rho in rhos:
                hyps = [apply_ranking(s.tokens, o, rho) for s, o in zip(kb, ranks)]
                score += corpus_stats(hyps, refs, order, ref_counts).bleu(weights)
            if score > best + 1e-12:
                best, best_c = score, float(c)
        ex.cohesion = best_c
        return ex

    def scores(self, sentence: Sentence) -> np.ndarray:
        """Importance per token, float64 array of shape (n,)."""
        low = [t.lower() for t in sentence.tokens]
        tf = Counter(low)
        s = np.array([pos_prior(tag) * tf[w] * self.idf.get(w, self.unseen_idf)
                      for w, tag in zip(low, sentence.tags)], dtype=np.float64)
        if self.cohesion > 0 and len(s) > 1:
            nb = np.zeros_like(s)
            nb[1:] += s[:-1]
            nb[:-1] += s[1:]
            s = s + self.cohesion * nb
        return s

    def rank(self, sentence: Sentence) -> np.ndarray:
        # Stable sort on -score: ties keep sentence order.
        return np.argsort(-self.scores(sentence), kind="stable")


class RandomExtractor(Extractor):
    """Baseline: keeps uniformly random words (a seeded random ranking per sentence)."""

    name = "random"

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng

    def rank(self, sentence: Sentence) -> np.ndarray:
        return self.rng.permutation(len(sentence))


class LeadExtractor(Extractor):
    """Baseline: keeps the first words (truncation). All its g-grams are in the reference,
    so its BLEU is the brevity penalty alone: an upper bound that shows what BLEU rewards,
    not a useful semantic extractor."""

    name = "lead"

    def rank(self, sentence: Sentence) -> np.ndarray:
        return np.arange(len(sentence))
