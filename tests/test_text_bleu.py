"""BLEU and g-gram precisions against sacrebleu's own numbers."""

import math

import numpy as np
import pytest

from semcodec.text.bleu import (
    BleuStats,
    corpus_stats,
    sacrebleu_corpus,
    sentence_bleu,
    uniform_weights,
)
from semcodec.text.corpus import load_genre
from semcodec.text.extraction import LeadExtractor, RandomExtractor, apply_ranking

SENT = "The jury said it did find that many of Georgia's registration laws are outmoded ."


def test_unchanged_sentence_scores_100():
    assert sentence_bleu(SENT, SENT) == pytest.approx(100.0)
    assert sentence_bleu("Short one .", "Short one .") == pytest.approx(100.0)
    held = load_genre("humor").heldout[:50]
    refs = [s.text for s in held]
    assert sacrebleu_corpus(refs, refs).score == pytest.approx(100.0)
    st = corpus_stats([s.tokens for s in held], [s.tokens for s in held])
    assert st.bleu() == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("rho", [0.2, 0.5, 0.8])
def test_precisions_match_sacrebleu_counts(seed, rho):
    held = load_genre("humor").heldout
    ex = RandomExtractor(np.random.default_rng(seed))
    hyps = [apply_ranking(s.tokens, ex.rank(s), rho) for s in held]
    refs = [s.tokens for s in held]
    ours = corpus_stats(hyps, refs)
    sb = sacrebleu_corpus([" ".join(h) for h in hyps], [" ".join(r) for r in refs])
    assert list(ours.matches) == list(sb.counts)
    assert list(ours.totals) == list(sb.totals)
    assert (ours.hyp_len, ours.ref_len) == (sb.sys_len, sb.ref_len)
    assert 100 * ours.bleu() == pytest.approx(sb.score, rel=1e-12, abs=1e-9)
    assert ours.brevity_penalty == pytest.approx(sb.bp, rel=1e-12)


def test_clipping_of_repeated_ngrams_matches_sacrebleu():
    # "the the the" against a reference with one "the": clipped unigram matches = 1.
    hyps = [("the", "the", "the", "cat"), ("a", "b", "a", "b", "a", "b")]
    refs = [("the", "cat", "sat", "on", "a", "mat"), ("a", "b", "c", "a", "b")]
    ours = corpus_stats(hyps, refs)
    sb = sacrebleu_corpus([" ".join(h) for h in hyps], [" ".join(r) for r in refs])
    assert list(ours.matches) == list(sb.counts)
    assert list(ours.totals) == list(sb.totals)
    assert ours.matches[0] == 2 + 4


@pytest.mark.parametrize("rho", [0.25, 0.35, 0.5, 0.75, 0.9])
def test_brevity_penalty_is_exp_one_minus_inverse_rho(rho):
    # 20-token sentences: k = ceil(rho * 20) = rho * 20 exactly, so c / r = rho.
    rng = np.random.default_rng(3)
    refs = [tuple(f"w{rng.integers(1000)}" for _ in range(20)) for _ in range(30)]
    hyps = [apply_ranking(r, LeadExtractor().rank(_S(r)), rho) for r in refs]
    st = corpus_stats(hyps, refs)
    assert st.length_ratio == pytest.approx(rho)
    assert st.brevity_penalty == pytest.approx(math.exp(1 - 1 / rho), rel=1e-12)
    sb = sacrebleu_corpus([" ".join(h) for h in hyps], [" ".join(r) for r in refs])
    assert sb.bp == pytest.approx(math.exp(1 - 1 / rho), rel=1e-12)
    # Truncation keeps only true g-grams, so its BLEU is the brevity penalty itself.
    assert st.bleu() == pytest.approx(math.exp(1 - 1 / rho), rel=1e-12)


class _S:
    def __init__(self, tokens):
        self.tokens = tokens

    def __len__(self):
        return len(self.tokens)


def test_weighted_bleu_is_bp_times_weighted_geometric_mean():
    st = BleuStats(matches=(90, 60, 30, 10), totals=(100, 90, 80, 70), hyp_len=100,
                   ref_len=150)
    w = (0.4, 0.3, 0.2, 0.1)
    p = [m / t for m, t in zip(st.matches, st.totals)]
    expect = math.exp(1 - 150 / 100) * math.prod(pg ** wg for pg, wg in zip(p, w))
    assert st.bleu(w) == pytest.approx(expect, rel=1e-12)
    assert st.bleu((1, 0, 0, 0)) == pytest.approx(math.exp(-0.5) * 0.9)
    assert st.bleu() == pytest.approx(
        math.exp(-0.5) * math.prod(pg ** 0.25 for pg in p), rel=1e-12)
    assert uniform_weights(2) == (0.5, 0.5)


def test_zero_precision_gives_zero_bleu_and_bad_weights_raise():
    st = BleuStats(matches=(5, 0, 0, 0), totals=(5, 4, 3, 2), hyp_len=5, ref_len=5)
    assert st.bleu() == 0.0
    assert st.log_precision() == -math.inf
    with pytest.raises(ValueError, match="weights="):
        st.bleu((0.5, 0.6, 0, 0))
    with pytest.raises(ValueError, match="weights="):
        st.bleu((0.5, 0.5))
