"""``issc text-bleu``: BLEU against rho per user (Brown genre) and the rho_LB table."""

from __future__ import annotations

import argparse
from pathlib import Path

from scripts import argtypes as at
from scripts.runinfo import run_record, write_csv_atomic, write_json_atomic


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "text-bleu",
        help="BLEU against extraction ratio per genre; eq. (19) against empirical rho_LB",
        description="Per user (Brown genre or corpus file): held-out corpus BLEU of the keyword "
                    "extractor, a random-word baseline and truncation against rho, and rho_LB "
                    "from NF eq. (19) (fixed point) against the empirical one.")
    p.add_argument("--genres", **at.list_of(str),
                   default=["news", "editorial", "religion", "learned", "romance"],
                   help="Brown genres (NLTK names or letters), UTF-8 corpus files, or 'all'; "
                        "'a,b' or 'a b'")
    p.add_argument("--bleu-floor", type=at.finite_float, default=0.3,
                   help="BLEU floor varrho as a fraction in (0, 1] (BLEU points / 100)")
    p.add_argument("--out", type=at.out_dir, default=at.default_out(p), help="output folder")
    p.add_argument("--seed", type=at.nonneg_int, default=0, help="seed of the random baseline")
    p.add_argument("--weights", **at.list_of(at.nonneg_float), default=None,
                   help="BLEU weights w_g, g = 1..G; 'a,b,c,d' or 'a b c d' (default: 0.25 x 4)")
    p.add_argument("--cohesion", type=at.unit_interval, default=None,
                   help="fix the keyword extractor's cohesion share in [0, 1] instead of "
                        "fitting it on each user's knowledge base (ablation; default: fitted)")
    p.add_argument("--write-cache", action="store_true",
                   help="also rebuild data/text/rho_lb_cache.json for these genres at the "
                        "floors 0.05, 0.10, ..., 0.95")
    p.set_defaults(func=run)



def _plot(path: Path, curves: list[dict], table: list[dict], floor: float) -> None:
    from scripts import plot_style as ps

    users = list(dict.fromkeys(r["user"] for r in curves))
    fig, (ax, bx) = ps.figure((13, 5.4), 1, 2, gridspec_kw={"width_ratios": [3, 2]})
    colors = ps.COLORS
    styles = {"keyword": "-", "random": "--", "lead": ":"}
    for i, u in enumerate(users):
        c = colors[i % len(colors)]
        for method, ls in styles.items():
            pts = [(r["rho"], 100 * r["bleu"]) for r in curves
                   if r["user"] == u and r["method"] == method]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, ls, color=c, lw=1.4 if method == "keyword" else 0.9,
                        label=f"{Path(u).name} ({method})" if method != "lead" or i == 0
                        else None)
        row = next(t for t in table if t["user"] == u)
        ax.plot([row["empirical"]], [100 * floor], "o", color=c, ms=5)
    names = [Path(t["user"]).name for t in table]
    y = range(len(table))
    for key, mk, lab in (("eq19_one_shot", "x", "eq. (19), p_g at rho=0.5"),
                         ("eq19_fixed_point", "o", "eq. (19) fixed point"),
                         ("empirical", "s", "empirical (nominal rho)"),
                         ("kept_fraction", "^", "empirical (tokens sent)")):
        bx.plot([t[key] for t in table], y, mk, label=lab, ms=5, mfc="none")
    bx.set_yticks(list(y), names)
    bx.set_xlabel("smallest extraction ratio ρ_LB")
    bx.set_title(f"Smallest ratio per user at BLEU floor {floor:g}")
    ps.legend_outside(bx, "below", ncol=2)
    ax.axhline(100 * floor, color="k", lw=0.8)
    ax.set_xlabel("extraction ratio ρ (kept fraction of tokens)")
    ax.set_ylabel("held-out corpus BLEU [points]")
    ax.set_title("Text quality against the share of tokens sent")
    ps.legend_outside(ax, "below", ncol=3)
    ps.footer(fig, f"BLEU floor {floor:g} (black line); dots on it: empirical ρ_LB per user")
    ps.save(fig, path)


def run(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    from semcodec.progress import bar_disabled
    from semcodec.text.bleu import check_weights
    from semcodec.text.corpus import GENRE_NAMES, is_genre
    from semcodec.text.experiment import curve_rows, gain_rows, parse_genres, rho_row, user_models
    from semcodec.text.rho import build_cache, check_floor

    floor = check_floor(args.bleu_floor)
    if args.cohesion is not None and not 0.0 <= args.cohesion <= 1.0:
        raise ValueError(f"cohesion={args.cohesion} is invalid: must be in [0, 1]")
    weights = None
    if args.weights:
        weights = tuple(args.weights)
        check_weights(weights)
    if args.write_cache and (args.cohesion is not None or weights is not None):
        raise ValueError("--write-cache is invalid with --cohesion or --weights: the shipped "
                         "cache uses the defaults")
    users = parse_genres(at.join_list(args.genres))
    for u in users:  # refuse a missing or binary corpus file before any work
        if not is_genre(u) and not Path(u).is_dir():
            if not Path(u).exists():
                raise FileNotFoundError(f"corpus={u!r} is invalid: neither a Brown genre "
                                        f"({', '.join(GENRE_NAMES)}) nor an existing file or "
                                        f"folder")
            at.check_text_file(u, "corpus file")
    out = Path(args.out)
    with run_record(out, seed=args.seed, bleu_floor=floor, users=users,
                    bleu_floor_unit="fraction (BLEU points / 100)") as meta:
        curves, table = [], []
        for u in tqdm(users, desc="users", disable=bar_disabled()):
            models = user_models(u, args.seed, args.cohesion, weights)
            curves += curve_rows(u, models)
            table.append(rho_row(u, models["keyword"], floor))
        gains = gain_rows(curves)
        write_csv_atomic(out / "bleu_vs_rho.csv", curves)
        write_csv_atomic(out / "rho_lb_table.csv", table)
        write_csv_atomic(out / "gain_vs_random.csv", gains)
        _plot(out / "bleu_vs_rho.png", curves, table, floor)
        summary = {
            "bleu_floor": floor,
            "rho_lb": {r["user"]: {k: r[k] for k in ("eq19_fixed_point", "empirical",
                                                     "eq19_one_shot", "eq19_train")}
                       for r in table},
            "mean_gain_vs_random_points": {
                u: 100 * sum(g["gain_vs_random"] for g in gains if g["user"] == u)
                / max(1, sum(1 for g in gains if g["user"] == u)) for u in users},
        }
        write_json_atomic(out / "results.json", summary)
        meta["outputs"] = ["bleu_vs_rho.csv", "rho_lb_table.csv", "gain_vs_random.csv",
                           "bleu_vs_rho.png", "results.json"]
        meta["cohesion"] = "fitted on each KB" if args.cohesion is None else args.cohesion
        if args.write_cache:
            build_cache([u for u in users if "/" not in u])
            meta["wrote_cache"] = True
    for r in table:
        print(f"{Path(r['user']).name:16s} eq19 fixed point {r['eq19_fixed_point']:.4f}  "
              f"empirical {r['empirical']:.4f}  one-shot(rho={r['ref_rho']:g}) "
              f"{r['eq19_one_shot']:.4f}")
