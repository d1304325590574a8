"""BLEU against rho per user, extraction against baselines, and the rho_LB table.

The library side of ``issc text-bleu``: everything here returns plain rows (lists of
dicts) that the script writes as CSV / JSON and plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

import numpy as np

from semcodec.text.bleu import sacrebleu_corpus
from semcodec.text.corpus import genre_name, is_genre, load_corpus
from semcodec.text.extraction import KeywordExtractor, LeadExtractor, RandomExtractor
from semcodec.text.rho import UserTextModel, solve_rho_lb, user_model

DEFAULT_RHOS: tuple[float, ...] = tuple(round(0.05 * i, 2) for i in range(1, 21))


def parse_genres(spec: str) -> list[str]:
    """``"news,romance"`` or ``"all"`` -> genre names (NLTK names); paths pass through."""
    from semcodec.text.corpus import GENRE_NAMES

    items = [s.strip() for s in spec.split(",") if s.strip()]
    if not items:
        raise ValueError(f"genres={spec!r} is invalid: give a comma-separated list or 'all'")
    if items == ["all"]:
        return list(GENRE_NAMES)
    return [genre_name(s) if is_genre(s) else s for s in items]


def user_models(user: str, seed: int, cohesion: float | None = None,
                weights: Sequence[float] | None = None) -> dict[str, UserTextModel]:
    """The keyword model and the random / lead baselines of one user. The keyword model's
    cohesion share is fitted on the KB unless ``cohesion`` fixes it (ablation); weights
    w_g default to uniform over g = 1..4."""
    if cohesion is None:
        kw = user_model(user, tuple(weights) if weights is not None else None)
    else:
        corpus = load_corpus(user)
        kw = UserTextModel(corpus, KeywordExtractor.from_kb(corpus.train, cohesion),
                           weights=weights)
    corpus = kw.corpus
    return {
        "keyword": kw,
        "random": UserTextModel(corpus, RandomExtractor(np.random.default_rng(seed)),
                                weights=kw.weights),
        "lead": UserTextModel(corpus, LeadExtractor(), weights=kw.weights),
    }


def curve_rows(user: str, models: dict[str, UserTextModel],
               rhos: Sequence[float] = DEFAULT_RHOS) -> list[dict]:
    """Held-out corpus BLEU, precisions and brevity penalty at each rho, per extractor."""
    rows = []
    for method, m in models.items():
        for rho in rhos:
            st = m.stats(rho)
            p = st.precisions
            rows.append({"user": user, "method": method, "rho": rho,
                         "kept_fraction": st.length_ratio, "brevity_penalty": st.brevity_penalty,
                         **{f"p{g + 1}": p[g] for g in range(len(p))},
                         "bleu": st.bleu(m.weights),
                         "content_recall": m.content_recall(rho)})
    return rows


def gain_rows(curves: list[dict]) -> list[dict]:
    """BLEU of the keyword extractor minus the random baseline at the same rho."""
    by = {(r["user"], r["method"], r["rho"]): r["bleu"] for r in curves}
    rec = {(r["user"], r["method"], r["rho"]): r["content_recall"] for r in curves}
    out = []
    for (user, method, rho), b in by.items():
        if method == "keyword" and (user, "random", rho) in by:
            out.append({"user": user, "rho": rho, "bleu_keyword": b,
                        "bleu_random": by[(user, "random", rho)],
                        "bleu_lead": by.get((user, "lead", rho)),
                        "content_recall_keyword": rec[(user, "keyword", rho)],
                        "content_recall_random": rec[(user, "random", rho)],
                        "content_recall_lead": rec.get((user, "lead", rho)),
                        "gain_vs_random": b - by[(user, "random", rho)]})
    return out


def rho_row(user: str, model: UserTextModel, bleu_floor: float) -> dict:
    """One row of the eq. (19) against empirical rho_LB table, with a sacrebleu check of
    the measured BLEU at the empirical rho_LB (sacrebleu on the detokenised strings)."""
    r = solve_rho_lb(model, bleu_floor)
    hyps = [" ".join(h) for h in model.hypotheses(r.empirical)]
    refs = [s.text for s in model.corpus.heldout]
    # sacrebleu weighs the g-grams uniformly: the check applies to uniform weights only
    uniform = all(abs(w - 1.0 / model.max_order) < 1e-12 for w in model.weights)
    sb = sacrebleu_corpus(hyps, refs, max_order=model.max_order).score if uniform \
        else float("nan")
    row = {k: v for k, v in asdict(r).items() if k != "precisions_at_fixed_point"}
    row.update({f"p{g + 1}_at_fixed_point": p
                for g, p in enumerate(r.precisions_at_fixed_point)})
    row.update({"fixed_point_minus_empirical": r.eq19_fixed_point - r.empirical,
                "one_shot_minus_fixed_point": r.eq19_one_shot - r.eq19_fixed_point,
                "train_minus_heldout_fixed_point": r.eq19_train - r.eq19_fixed_point,
                "sacrebleu_points_at_empirical": sb,
                "cohesion": getattr(model.extractor, "cohesion", None),
                "heldout_sentences": len(model.corpus.heldout),
                "train_sentences": len(model.corpus.train)})
    return row
