"""``issc text-bleu`` end to end on the smallest genre, and its one-line errors."""

import csv
import json

from scripts.cli import main


def test_text_bleu_writes_curves_table_png_meta(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["text-bleu", "--genres", "m", "--bleu-floor", "0.4", "--out", str(out)]) == 0
    for name in ("bleu_vs_rho.csv", "rho_lb_table.csv", "gain_vs_random.csv",
                 "bleu_vs_rho.png", "results.json", "meta.json"):
        assert (out / name).stat().st_size > 0
    table = list(csv.DictReader(open(out / "rho_lb_table.csv")))
    assert [r["user"] for r in table] == ["science_fiction"]
    row = table[0]
    # sacrebleu on the strings agrees with our counts at the empirical rho_LB
    assert abs(float(row["sacrebleu_points_at_empirical"])
               - 100 * float(row["bleu_at_empirical"])) < 1e-9
    assert float(row["bleu_at_empirical"]) >= 0.4
    meta = json.loads((out / "meta.json").read_text())
    assert meta["status"] == "ok" and meta["bleu_floor"] == 0.4


def test_text_bleu_bad_input_is_one_line(tmp_path, capsys):
    assert main(["text-bleu", "--genres", "m", "--bleu-floor", "30", "--out",
                 str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err.strip()
    assert "bleu_floor=30.0 is invalid" in err and "\\n" not in err and len(err.splitlines()) == 1
    assert main(["text-bleu", "--genres", "poetry", "--out", str(tmp_path / "b")]) == 2
    assert "poetry" in capsys.readouterr().err
