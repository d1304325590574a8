"""One plot style for every figure (scripts/plot_style.py, issue 30 part 4).

- no module but plot_style calls ``savefig`` (AST scan): every figure goes through
  ``plot_style.save`` (PNG + PDF, atomic) and so through the style;
- a few cheap figure paths on tiny inputs: a PDF beside every PNG, no text under 8 pt;
- the bootstrap interval: inside the metric's range, and against a case with a known answer.
"""

from __future__ import annotations

import ast
import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from scripts import plot_style as ps

ROOT = Path(__file__).resolve().parent.parent
#: Benchmarks keep their own quick plots (they time code; they are not product figures).
SAVEFIG_EXEMPT = {"scripts/plot_style.py", "scripts/bench_nearfield.py",
                  "scripts/bench_sweep_engine.py", "scripts/bench_sweep.py"}


def savefig_calls(source: str) -> list[int]:
    """Line numbers of every ``<anything>.savefig(...)`` call and ``plt.imsave``."""
    return [n.lineno for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and n.func.attr in ("savefig", "imsave")]


def test_no_figure_bypasses_plot_style_save():
    bad = []
    for pkg in ("semcodec", "linksim", "optim", "scripts"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel not in SAVEFIG_EXEMPT and (lines := savefig_calls(path.read_text())):
                bad.append(f"{rel}:{lines}")
    assert not bad, f"savefig outside scripts/plot_style.save (use ps.save): {bad}"


def test_the_scan_sees_savefig_in_any_form():
    src = ("def f(fig, plt):\n    fig.savefig('a.png')\n    plt.gcf().savefig('b')\n"
           "    x = fig.savefig\n")
    assert savefig_calls(src) == [2, 3]


@pytest.fixture
def saved(monkeypatch):
    """Every figure that reaches plot_style.save: (path, texts under 8 pt)."""
    seen: list[tuple[Path, list[str]]] = []
    real = ps.save

    def spy(fig, path):
        fig.canvas.draw()  # lay out (tick labels exist only after a draw)
        seen.append((Path(path), ps.check_font_sizes(fig)))
        return real(fig, path)

    monkeypatch.setattr(ps, "save", spy)
    return seen


def _check(seen, names):
    assert sorted(p.name for p, _ in seen) == sorted(names)
    for path, small in seen:
        assert path.stat().st_size > 0, path
        assert path.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-", path
        assert not small, f"{path.name}: text under {ps.MIN_FONT_PT} pt: {small}"
        assert not list(path.parent.glob(".*.tmp")), "a temporary file was left"


def test_ascc_figures_are_styled(tmp_path, saved):
    from scripts.cli import main

    assert main(["figure", "ascc-front", "--pt-dbm", "0", "--points", "3", "--out",
                 str(tmp_path / "front")]) == 0
    for name in ("ascc-3", "ascc-4"):
        assert main(["figure", name, "--pt-dbm=-2,2", "--abr", "0.1", "--method", "sdr",
                     "--grid", str(tmp_path / "grid"), "--out", str(tmp_path / name)]) == 0
    # issc ascc at one P_T: the summary is a marker per scheme (no degenerate line axis)
    assert main(["ascc", "--pt-dbm=-3", "--abr", "0.1", "--method", "sdr", "--out",
                 str(tmp_path / "one")]) == 0
    _check(saved, ["front.png", "fig3.png", "fig4.png", "summary.png"])


def test_shipped_fit_and_ldpc_table_figures_are_styled(tmp_path, saved):
    import shutil

    from linksim.ber_model import SHIPPED_TABLE, LDPCTableBERModel
    from scripts.cmd_fit_scurves import plot_fig2
    from scripts.cmd_phy_table import plot_table

    for f in ("fits.json", "points.csv"):
        shutil.copy(ROOT / "data" / "scurves" / f, tmp_path / f)
    plot_fig2(tmp_path)
    plot_table(LDPCTableBERModel.from_json(SHIPPED_TABLE), tmp_path / "ldpc_table.png")
    _check(saved, ["fig2.png", "ldpc_table.png"])


def test_save_refuses_a_path_that_is_not_png(tmp_path):
    fig, _ = ps.figure()
    with pytest.raises(ValueError, match=r"x\.pdf.*must end in \.png"):
        ps.save(fig, tmp_path / "x.pdf")
    assert not list(tmp_path.iterdir())


def test_style_of_gives_eight_distinct_curves_and_refuses_a_ninth():
    styles = [ps.style_of(k) for k in range(8)]
    for key in ("color", "marker", "linestyle"):
        assert len({str(s[key]) for s in styles}) == 8
    with pytest.raises(ValueError, match="curve index 8"):
        ps.style_of(8)


def test_fit_ylim_shows_the_band_of_the_data():
    fig, ax = ps.figure()
    ps.fit_ylim(ax, [0.92, 0.95, 0.99, float("nan")], lo=0.0, hi=1.0)
    lo, hi = ax.get_ylim()
    assert 0.9 < lo < 0.92 and 0.99 < hi <= 1.0
    ps.fit_ylim(ax, [0.5, 0.999], pad=0.5, lo=0.0, hi=1.0)
    assert ax.get_ylim()[1] == 1.0  # clipped to the metric's range
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_bootstrap_ci_of_ms_ssim_stays_in_its_range():
    # three images near 1 and one decode near 0: the normal interval with n = 3 leaves [0, 1]
    for x in ([0.99, 0.995, 0.05], [1.0, 1.0, 0.999], [0.0, 0.01, 0.9]):
        m = float(np.mean(x))
        half = 4.303 * np.std(x, ddof=1) / math.sqrt(3)  # Student-t, 2 dof
        lo, hi = ps.bootstrap_ci(x, lo=0.0, hi=1.0)
        assert 0.0 <= lo <= m <= hi <= 1.0
        assert min(x) <= lo and hi <= max(x)  # a mean of resamples never leaves the data
        assert m - half < 0.0 or m + half > 1.0 or x == [1.0, 1.0, 0.999]
    assert ps.bootstrap_ci([0.7]) == (0.7, 0.7)
    assert all(math.isnan(v) for v in ps.bootstrap_ci([]))


def test_bootstrap_ci_against_the_exact_resampling_distribution():
    # n = 4: the 256 equally likely ordered resamples give the mean's exact bootstrap
    # distribution; its 2.5 % and 97.5 % quantiles are 0.2 and 0.8125 (atoms 0.025 apart)
    x = np.array([0.1, 0.4, 0.5, 0.95])
    means = [np.mean(c) for c in itertools.product(x, repeat=4)]
    exact = np.quantile(means, [0.025, 0.975], method="inverted_cdf")
    assert exact == pytest.approx([0.2, 0.8125])
    lo, hi = ps.bootstrap_ci(x, n_boot=200_000, seed=3)
    assert lo == pytest.approx(exact[0], abs=0.01) and hi == pytest.approx(exact[1], abs=0.01)
    # a large normal sample: the interval approaches mean +- 1.96 sigma / sqrt(n)
    rng = np.random.default_rng(0)
    y = rng.normal(5.0, 2.0, 400)
    lo, hi = ps.bootstrap_ci(y, seed=1)
    half = 1.96 * y.std(ddof=1) / math.sqrt(y.size)
    assert lo == pytest.approx(y.mean() - half, abs=0.03)
    assert hi == pytest.approx(y.mean() + half, abs=0.03)
    assert ps.bootstrap_ci(y, seed=1) == (lo, hi)  # seeded: the same interval


@pytest.mark.parametrize("xs", [[9], [9, 12], [1, 2, 3, 20]])
def test_integer_ticks_stay_integers_even_on_one_grid_point(xs):
    import matplotlib.pyplot as plt

    fig, ax = ps.figure()
    ax.plot(xs, [1.0] * len(xs), "o")
    ps.integer_ticks(ax, "x")
    fig.canvas.draw()
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    plt.close(fig)
