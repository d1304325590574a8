"""``issc ber-sweep`` lists its image folder once: one decode of every image while listing,
one "skipped N unusable image file(s)" line."""

from __future__ import annotations

import pytest
from conftest import tiny_sweep_inputs

from scripts.cli import main


def test_a_bad_image_is_reported_once_and_the_folder_listed_once(tmp_path, capfd, monkeypatch):
    from semcodec import datasets

    imgs, models = tiny_sweep_inputs(tmp_path, image_seed=3, model_seed=4)
    (imgs / "zero.png").write_bytes(b"")
    calls = []
    real = datasets.list_images

    def counted(folder, *a, **kw):
        calls.append(folder)
        return real(folder, *a, **kw)

    monkeypatch.setattr(datasets, "list_images", counted)
    capfd.readouterr()
    out = tmp_path / "sw"
    assert main(["ber-sweep", "--images", str(imgs), "--models", str(models), "--points", "1",
                 "--ber-min", "1e-3", "--trials", "1", "--workers", "1", "--out", str(out)]) == 0
    err = capfd.readouterr().err
    lines = [s for s in err.replace("\r", "\n").splitlines() if "unusable image file(s)" in s]
    assert lines == [f"skipped 1 unusable image file(s) in {imgs}: zero.png (the file is empty "
                     f"(0 bytes))"], err
    assert len(calls) == 1
    assert (out / "results.csv").read_text().count("\n") == 1 + 2  # header + 2 images


def test_resolved_inputs_and_where_to_find_them_are_refused_together(tmp_path):
    from optim.sweep.bitflip import run_ber_sweep
    from semcodec.sweep import resolve_inputs

    imgs, models = tiny_sweep_inputs(tmp_path, image_seed=3, model_seed=4)
    inputs = resolve_inputs(imgs, models)
    assert [f.name for f in inputs.files] == ["im0.png", "im1.png"] and inputs.root == imgs
    with pytest.raises(ValueError, match="together with inputs"):
        run_ber_sweep(tmp_path / "o", images=imgs, inputs=inputs)
    assert not (tmp_path / "o").exists()
