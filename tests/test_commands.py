"""The verb modules of segbench.commands: each registers its parsers and handlers, every verb and action answers
--help, and a bad number is argparse's usage error naming the option, before any work (or Keras) starts."""

import argparse

import pytest
from helpers import commands, loads_keras, parsers

from segbench import cli
from segbench.commands import VERBS, args

PATHS = [path for path, _ in parsers(cli.build_parser())]


def test_every_verb_is_a_module_that_registers_its_parsers_and_handlers():
    top = dict(parsers(cli.build_parser()))
    assert [path[0] for path in top if len(path) == 1] == list(VERBS)  # in the registry's order, none missing
    for verb, module in VERBS.items():
        assert callable(module.register) and isinstance(module.NEEDS_KERAS, (bool, set))
        actions = {path[1]: parser for path, parser in top.items() if len(path) == 2 and path[0] == verb}
        if not actions:
            assert top[(verb,)].get_default("handler") is module.run, verb
            continue
        assert module.NEEDS_KERAS is True or module.NEEDS_KERAS <= set(actions), verb
        for action, parser in actions.items():
            handler = parser.get_default("handler")
            assert handler.__module__ == module.__name__ and handler is getattr(module, handler.__name__), (verb, action)


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(path) or "segbench" for path in PATHS])
def test_help_of_every_verb_and_action(path, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([*path, "--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: {' '.join(('segbench', *path))} ")


def test_keras_is_loaded_for_the_verbs_that_build_models_and_for_downloads():
    loads = {path for path in commands() if loads_keras(path)}
    assert loads == {("run",), ("sweep",), ("evaluate",), ("predict",), ("export",), ("models", "summary"),
                     ("datasets", "prepare"), ("weights", "fetch"),
                     *(("bench", action) for action in ("model", "loader", "metrics", "suite", "settings"))}


@pytest.mark.parametrize("argv, option, expected", [
    (["report", "--suite", "camvid", "--worst", "-1"], "--worst", "expected a whole number of at least 0, got '-1'"),
    (["sweep", "--seeds", "0", "x.yaml"], "--seeds", "expected a whole number of at least 1, got '0'"),
    (["models", "summary", "segnet", "--num-classes", "0"], "--num-classes", "at least 1, got '0'"),
    (["bench", "model", "segnet", "--batch", "0"], "--batch", "from 1 to 1,024, got '0'"),
    # Unbounded, one photo was padded to a batch of 100000, and the OOM killer ended the verb (probe 17c case 17).
    (["predict", "run", "photo.jpg", "--batch", "100000"], "--batch", "from 1 to 1,024, got '100000'"),
    (["evaluate", "run", "--batch", "1025"], "--batch", "from 1 to 1,024, got '1025'"),
    (["bench", "model", "segnet", "--steps", "two"], "--steps", "at least 1, got 'two'"),
    (["bench", "model", "segnet", "--peak-tflops", "-1"], "--peak-tflops", "expected a number above 0, got '-1'"),
    (["bench", "loader", "synthetic", "--epochs", "0"], "--epochs", "at least 1, got '0'"),
    (["bench", "metrics", "--images", "0"], "--images", "at least 1, got '0'"),
    (["bench", "suite", "--suite", "camvid", "--repeats", "0"], "--repeats", "at least 1, got '0'"),
    (["bench", "settings", "--suite", "camvid", "--steps", "0"], "--steps", "at least 1, got '0'"),
    (["sweep", "x.yaml", "--gpus-per-run", "-1"], "--gpus-per-run", "expected a number of at least 0, got '-1'"),
    (["sweep", "x.yaml", "--slurm-option", "account"], "--slurm-option",
     "expected KEY=VALUE such as account=abc, got 'account'"),
    # A negative seed was numpy's traceback after the runs were read; one resample gave a "95 % interval" that did
    # not hold the estimate, and a verdict from it.
    (["compare", "a", "b", "--seed", "-1"], "--seed", "expected a whole number of at least 0, got '-1'"),
    (["evaluate", "a", "--corrupt", "fog", "--seed", "-1"], "--seed", "of at least 0, got '-1'"),
    (["compare", "a", "b", "--resamples", "1"], "--resamples", "expected a whole number from 100 to 1,000,000, got '1'"),
    (["compare", "a", "b", "--resamples", "99999999999"], "--resamples", "from 100 to 1,000,000, got '99999999999'"),
    (["bench", "deploy", "a", "--resamples", "10"], "--resamples", "from 100 to 1,000,000, got '10'"),
], ids=["worst", "seeds", "summary-classes", "batch", "predict-batch", "evaluate-batch", "steps", "peak", "epochs", "images", "repeats", "settings-steps",
        "gpus-per-run", "slurm-option", "compare-seed", "evaluate-seed", "one-resample", "too-many-resamples",
        "deploy-resamples"])
def test_a_bad_number_is_a_usage_error_naming_the_option(argv, option, expected, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: segbench ") and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("segbench ") and f": error: argument {option}: " in last and last.endswith(expected)


def test_the_smallest_numbers_allowed_pass():
    parsed = cli.build_parser().parse_args(["report", "--suite", "camvid", "--worst", "0"])
    assert parsed.worst == 0
    parsed = cli.build_parser().parse_args(["sweep", "x.yaml", "--seeds", "3"])
    assert parsed.seeds == 3
    parsed = cli.build_parser().parse_args(["bench", "model", "segnet", "--batch", "1", "--peak-tflops", "0.5"])
    assert parsed.batch == 1 and parsed.peak_tflops == 0.5


@pytest.mark.parametrize("text", ["", "-1", "1.5", "x", " 2"])
def test_non_negative_refuses_what_is_not_a_whole_number(text):
    with pytest.raises(argparse.ArgumentTypeError, match="at least 0"):
        args.non_negative(text)


@pytest.mark.parametrize("text", ["0", "-2", "nan", "x", ""])
def test_positive_float_refuses_zero_negatives_and_nan(text):
    with pytest.raises(argparse.ArgumentTypeError, match="above 0"):
        args.positive_float(text)


def test_the_table_formats_offered_are_the_ones_written():
    from segbench.report import TABLE_FORMATS
    from segbench.report.table import RENDER

    assert tuple(RENDER) == TABLE_FORMATS


def test_the_export_choices_offered_are_the_ones_exported():
    from segbench.commands import export as command
    from segbench.engine import export, onnxfile, quantize

    assert command.FORMATS == tuple(export.FORMATS) and command.OUTPUTS == export.OUTPUTS
    assert command.PRECISIONS == onnxfile.PRECISIONS and command.CALIBRATE == quantize.CALIBRATE
