"""One definition of the training options: ``issc train`` / ``train-all`` and ``python -m
semcodec.train_rate`` (what the parallel ladder launches) take the same options."""

from __future__ import annotations

import argparse

from scripts.cli import build_parser
from semcodec import train_options
from semcodec.train_rate import _parser as train_rate_parser


def _verb(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


#: options of every issc parser (scripts.cli), not training options
CLI_WIDE = {"help", "quiet", "verbose"}


def _options(p: argparse.ArgumentParser) -> dict[tuple[str, ...], tuple]:
    """Each option's (dest, default, required, choices, nargs, help), keyed by its flags;
    ``--out``'s default is the parser's own ``runs/<name>`` (the --out rule), so not compared."""
    return {tuple(a.option_strings): (a.dest, None if a.dest == "out" else a.default,
                                      a.required, a.choices, a.nargs, a.help)
            for a in p._actions if a.option_strings and a.dest not in CLI_WIDE}


def test_issc_train_and_the_module_entry_point_take_the_same_options_and_defaults():
    issc, module = _options(_verb("train")), _options(train_rate_parser())
    assert issc == module
    assert {("--lmbda", "--lambda"), ("--crop",), ("--out",), ("--init",)} <= set(issc)
    assert issc[("--crop",)][1] == 128 and issc[("--steps",)][1] == 20000


def test_train_all_has_every_training_option_of_one_rate_but_the_rate_ones():
    rate_only = {("--lmbda", "--lambda"), ("--steps",), ("--init",), ("--stop-at",),
                 ("--save-every-s",), ("--no-finalize",)}  # the last three: per rate (train-gpu)
    shared = {k: v for k, v in _options(train_rate_parser()).items() if k not in rate_only}
    all_opts = _options(_verb("train-all"))
    assert {k: all_opts[k] for k in shared} == shared


def test_the_same_command_line_parses_to_the_same_values_in_both():
    argv = ["--lmbda", "0.0067", "--preset", "bmshj2018", "--dataset", "folder", "--data", "d",
            "--crop", "192", "--batch-size", "3", "--lr", "2e-4", "--warmup-steps", "7",
            "--val-every", "11", "--ckpt-every", "5", "--seed", "9", "--device", "cpu",
            "--threads", "2", "--steps", "40", "--out", "o"]
    issc = build_parser().parse_args(["train", *argv])
    module = train_rate_parser().parse_args(argv)
    for key, value in vars(module).items():
        assert getattr(issc, key) == value, key


def test_what_train_all_passes_on_parses_back_to_the_same_values():
    """train-all --parallel hands each rate ``training_argv``: every option but seed / out
    must reach the child unchanged, and none may be forgotten."""
    parsed = build_parser().parse_args([
        "train-all", "--parallel", "--preset", "bmshj2018", "--dataset", "folder", "--data", "d",
        "--crop", "64", "--batch-size", "3", "--lr", "2e-4", "--warmup-steps", "0",
        "--val-every", "11", "--ckpt-every", "5", "--device", "cpu", "--threads", "2",
        "--out", "o"])
    child = train_rate_parser().parse_args(
        ["--lmbda", "0.01", "--out", "q1", *train_options.training_argv(vars(parsed))])
    for dest in train_options.PASSED_ON:
        assert getattr(child, dest) == getattr(parsed, dest), dest
    rate_opts = {a.dest for a in train_rate_parser()._actions if a.option_strings}
    assert rate_opts - set(train_options.PASSED_ON) == {"help", "lmbda", "steps", "init",
                                                        "seed", "out", "stop_at",
                                                        "save_every_s", "no_finalize"}


def test_options_left_unset_are_not_passed_on():
    argv = train_options.training_argv({"preset": "compact", "data": None, "threads": None})
    assert argv == ["--preset", "compact"]
