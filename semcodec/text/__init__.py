"""Text semantic extraction and BLEU model: per-user rho_LB for NF-ISCSC (NF eq. (19)).

Public API::

    from semcodec.text import rho_lower_bound
    rho_lower_bound("news", 0.3)            # Brown genre, BLEU floor 0.3 (fraction)
    rho_lower_bound("my_corpus.txt", 0.3)   # user corpus, one sentence per line

See :mod:`semcodec.text.corpus` (Brown corpus and user corpora),
:mod:`semcodec.text.extraction` (keyword extraction at ratio rho),
:mod:`semcodec.text.bleu` (sacrebleu BLEU, g-gram precisions) and
:mod:`semcodec.text.rho` (eq. (19) fixed point and the empirical rho_LB).
"""

from semcodec.text.bleu import BleuStats, corpus_bleu, corpus_stats, sentence_bleu
from semcodec.text.corpus import (
    GENRE_NAMES,
    Corpus,
    Sentence,
    load_corpus,
    load_genre,
    load_sentences,
    parse_tagged_brown,
)
from semcodec.text.extraction import (
    KeywordExtractor,
    LeadExtractor,
    RandomExtractor,
)
from semcodec.text.rho import (
    RhoResult,
    UserTextModel,
    eq19,
    rho_lower_bound,
    solve_rho_lb,
    user_model,
)

__all__ = [
    "GENRE_NAMES", "BleuStats", "Corpus", "KeywordExtractor", "LeadExtractor",
    "RandomExtractor", "RhoResult", "Sentence", "UserTextModel", "corpus_bleu", "corpus_stats",
    "eq19", "load_corpus", "load_genre", "load_sentences", "parse_tagged_brown",
    "rho_lower_bound", "sentence_bleu", "solve_rho_lb", "user_model",
]
