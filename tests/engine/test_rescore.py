"""segbench evaluate: a finished run scored again, under test-time views or corruptions, into eval/<mode>.json,
never touching metrics.json; and the robustness table over every corruption."""

import json
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from helpers import edited_copy
from PIL import Image

import segbench
from segbench.cli import main
from segbench.config import load_config
from segbench.engine.rescore import rescore
from segbench.engine.run import execute
from segbench.engine.views import MS_SCALES, Views
from segbench.lock import locked
from segbench.report.runs import MS_FLIP, runs_tables
from segbench.rundir import METRICS, read_eval, read_metrics, read_per_image


@pytest.fixture(scope="module")
def trained(tmp_path_factory, smoke_config):
    out = tmp_path_factory.mktemp("run") / "segnet"
    execute(load_config(smoke_config, [f"output.dir={out}", "train.epochs=2"]))
    return out


def test_evaluate_repeats_the_runs_own_scoring_without_touching_it(trained, cli):
    before = (trained / METRICS).read_bytes()
    done = cli("evaluate", trained)
    assert done.returncode == 0, done.stderr
    found = read_eval(trained, "single")
    own = read_metrics(trained)
    assert found["confusion_matrix"] == own["confusion_matrix"] and found["miou"] == own["miou"]
    assert found["mode"]["weights"] == "best.weights.h5" and found["mode"]["flip"] is False
    assert f"the run's own score: {100 * own['miou']:.2f}" in done.stdout and "eval/single.json" in done.stdout
    assert (trained / METRICS).read_bytes() == before


def test_a_rescoring_compares_with_the_run_image_by_image(trained, capsys):
    run = segbench.load_run(trained)
    rescore(run, progress=False)
    assert main(["compare", str(trained / "eval" / "single.json"), str(trained), "--json", "--resamples", "200"]) == 0
    same = json.loads(capsys.readouterr().out)
    assert same["paper"]["miou"]["difference"] == 0.0 and same["paper"]["miou"]["interval"] == [0.0, 0.0]
    flipped = rescore(run, Views(flip=True), progress=False)
    assert main(["compare", str(trained / "eval" / "flip.json"), str(trained), "--json", "--resamples", "200"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["paper"]["miou"]["difference"] == pytest.approx(flipped["miou"] - read_metrics(trained)["miou"])
    assert found["runs"]["a"] == [str(trained / "eval" / "flip.json")] and found["images"] == len(read_per_image(trained)["ids"])
    (trained / "eval" / "flip.npz").unlink()  # a scoring from before the arrays were kept
    assert main(["compare", str(trained / "eval" / "flip.json"), str(trained)]) == 2
    assert "eval/flip.npz: missing" in capsys.readouterr().err


def test_views_are_recorded_and_score_every_pixel(trained):
    run = segbench.load_run(trained)
    total = np.asarray(read_metrics(trained)["confusion_matrix"]).sum()
    for views, name in ((Views(flip=True, scales=MS_SCALES), MS_FLIP), (Views(window=(32, 32), stride=16),
                                                                          "window32x32s16")):
        found = rescore(run, views, progress=False)
        assert found["mode"]["name"] == name and read_eval(trained, name) == found
        assert np.asarray(found["confusion_matrix"]).sum() == total  # every labelled pixel, at native size
        assert found["mode"]["scales"] == list(views.scales) and found["mode"]["flip"] == views.flip
    other = rescore(run, split="val", progress=False)
    assert other["mode"]["name"] == "single+split-val" and other["split"] == "val"
    last = rescore(segbench.load_run(trained, "last"), progress=False)
    assert last["mode"]["name"] == "single+weights-last" and last["mode"]["weights"] == "model.weights.h5"


def test_a_corruption_is_repeatable_and_named(trained):
    run = segbench.load_run(trained)
    first = rescore(run, corruption=("gaussian_noise", 5), progress=False)
    again = rescore(run, corruption=("gaussian_noise", 5), progress=False)
    assert first["mode"]["name"] == "corrupt-gaussian_noise-5" and first["mode"]["severity"] == 5
    assert first["confusion_matrix"] == again["confusion_matrix"]
    flipped = rescore(run, Views(flip=True), corruption=("fog", 1), progress=False)
    assert flipped["mode"]["name"] == "flip+corrupt-fog-1"


def test_robustness_writes_its_table_and_plot_and_keeps_what_is_done(trained, cli):
    done = cli("evaluate", trained, "--robustness")
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(trained / "eval" / "robustness.csv", index_col="corruption")
    assert list(table.index) == ["gaussian_noise", "motion_blur", "defocus_blur", "jpeg_compression", "brightness",
                                 "contrast", "fog", "mean"]
    assert list(table.columns) == ["1", "2", "3", "4", "5", "mean", "relative"]
    clean = read_eval(trained, "single")["miou"]
    fog = read_eval(trained, "corrupt-fog-2")["miou"]
    assert table.loc["fog", "2"] == pytest.approx(100 * fog, abs=1e-4)
    assert table.loc["mean", "relative"] == pytest.approx(table.loc["mean", "mean"] / (100 * clean), abs=1e-3)
    assert (trained / "eval" / "robustness.png").stat().st_size > 10_000
    assert "| corruption" in done.stdout
    again = cli("evaluate", trained, "--robustness")  # everything kept: nothing scored twice
    assert again.returncode == 0 and again.stdout.count("kept from eval/") == 36


def test_the_runs_table_shows_the_ms_flip_column_where_a_run_has_it(trained, tmp_path, fake_run):
    other = fake_run(tmp_path / "other", "camvid", [0.5] * 12)
    rescore(segbench.load_run(trained), Views(flip=True, scales=MS_SCALES), progress=False)
    tables = runs_tables([trained, other])
    found = read_eval(trained, MS_FLIP)
    [table] = [t for name, t in tables.items() if name == found["dataset"]]
    assert list(table.columns[6:8]) == ["mIoU", "mIoU (ms+flip)"]
    assert table["mIoU (ms+flip)"][0].startswith(f"{100 * found['miou']:.2f} [")
    assert "mIoU (ms+flip)" not in tables["camvid"].columns  # no run of that table has it


def test_bad_requests_are_one_line_before_any_framework_loads(trained, capsys):
    for args, expected in ((["--corrupt", "rain"], "unknown corruption 'rain'"),
                           (["--scales", "0,1"], "expected scales above 0"),
                           (["--scales", "1,inf"], "expected scales above 0"),
                           (["--scales", "1,8.5"], "at most 8 such as"),
                           (["--scales", "1000"], "at most 8 such as")):
        with pytest.raises(SystemExit) as info:  # the parser's
            main(["evaluate", str(trained), *args])
        assert info.value.code == 2 and expected in capsys.readouterr().err, args
    for args, expected in ((["--window", "32x32", "--stride", "40"], "stride must be in 1..32"),
                           (["--robustness", "--corrupt", "fog"], "leave out --corrupt"),
                           (["--stride", "8"], "--stride goes with --window")):
        assert main(["evaluate", str(trained), *args]) == 2
        assert expected in capsys.readouterr().err, args
    # In a fresh process, as a user meets it: one line, and neither Keras nor TensorFlow loaded to say it.
    code = ("import sys; from segbench.cli import main; code = main(sys.argv[1:]); "
            "print(code, sorted({'keras', 'tensorflow'} & set(sys.modules)))")
    for args, expected in (([trained, "--stride", "8"], "--stride goes with --window"),
                           ([trained.parent / "nothing"], "not a run folder")):
        done = subprocess.run([sys.executable, "-c", code, "evaluate", *map(str, args)], capture_output=True,
                              text=True, check=False)
        assert done.stdout.strip() == "2 []" and expected in done.stderr and len(done.stderr.splitlines()) == 1


def test_a_window_the_model_cannot_take_is_one_line_naming_its_rule(trained, capsys):
    """--window 8x8 of a SegNet (which pools down to 1/16) ended in Keras' MaxPooling2D traceback, and 24x24 was
    scored, rc 0, by a model built at a size its config refuses."""
    for window in ("8x8", "24x24"):
        assert main(["evaluate", str(trained), "--window", window]) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1] == (
            f"segbench: error: {trained}: its segnet cannot take inputs of {window} (segnet pools down to 1/16: "
            "height and width must be multiples of 16); --window and --scales ask for such sizes")
    assert not (trained / "eval" / "window8x8s4.json").exists() and not (trained / "eval" / "window24x24s12.json").exists()
    # Far more than the input size: killed by the system at 23 GB without a word (probe 20b case 9).
    height, width = load_config(trained / "config.yaml").model.input_size
    assert main(["evaluate", str(trained), "--window", f"{8 * height + 16}x{width}"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"segbench: error: {trained}: inputs of {8 * height + 16}x{width} are more than 8 times its input size "
        f"{height}x{width} a side, which could only run out of memory; ask --window and --scales for less")


def test_a_run_in_use_is_not_scored_beside_it(trained, cli):
    (trained / "eval" / "flip.json").unlink(missing_ok=True)
    with locked(trained):  # as a run training into the folder holds it
        done = cli("evaluate", trained, "--tta", "flip")
    assert done.returncode == 2 and "is in use by another segbench process" in done.stderr
    assert not (trained / "eval" / "flip.json").exists()


def test_an_onnx_file_of_another_class_count_is_named_as_such(tmp_path):
    """A file returning the logits of 12 classes (a CamVid run's) for a 5-class run was told to export again
    with --output logits, which it had."""
    from types import SimpleNamespace

    from segbench.engine.inference import SINGLE
    from segbench.engine.rescore import check_exported
    from segbench.errors import SegbenchError

    run = SimpleNamespace(path=tmp_path / "run", input_size=[32, 48], adapter=SimpleNamespace(num_classes=5),
                          config=SimpleNamespace(dataset=SimpleNamespace(name="synthetic")))
    output = SimpleNamespace(shape=[None, 32, 48, 12])
    onnx = SimpleNamespace(path=tmp_path / "camvid.onnx", input_size=[32, 48], output_name="logits",
                           session=SimpleNamespace(get_outputs=lambda: [output]))
    with pytest.raises(SegbenchError, match=r"camvid.onnx: returns the logits of 12 classes, but .*run's model has 5 "
                                            r"\(synthetic\): not a file of this run"):
        check_exported(run, onnx, SINGLE)


def test_a_config_edited_after_the_run_is_refused_by_every_reader(trained, tmp_path, capsys):
    """An input size edited in config.yaml was shown by `results` as the run's, and evaluate, predict and export
    rebuilt the model at it and scored it under the name of the run's own scoring."""
    import shutil

    run = tmp_path / "edited"
    shutil.copytree(trained, run, ignore=shutil.ignore_patterns("eval"))  # the other tests' scorings left out
    image = tmp_path / "street.png"
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(image)
    assert main(["results", str(run)]) == 0  # as it finished: read
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("- 48\n", "- 96\n", 1))
    for argv in (["results", str(run)], ["evaluate", str(run)], ["predict", str(run), str(image), "--out",
                 str(tmp_path / "maps")], ["export", str(run), "--format", "onnx", "--out", str(tmp_path / "m.onnx")],
                 ["compare", str(run), str(trained)]):
        assert main(argv) == 2, argv
        line = capsys.readouterr().err.strip()
        assert line == (f"segbench: error: {config}: changed since the run finished (metrics.json records another "
                        "file), so its figures are not this config's; restore it, or run the edited config into a new "
                        "folder"), argv
    assert not (run / "eval").exists() and not (tmp_path / "maps").exists() and not (tmp_path / "m.onnx").exists()
    # Another run's metrics.json linked in is the same lie.
    other = tmp_path / "other"
    shutil.copytree(trained, other)
    (other / "config.yaml").write_text((other / "config.yaml").read_text() + "# a note\n")
    (other / "metrics.json").unlink()
    (other / "metrics.json").symlink_to(trained / "metrics.json")
    assert main(["results", str(other)]) == 2
    assert "changed since the run finished" in capsys.readouterr().err


def test_the_best_weights_missing_are_not_replaced_by_another_epochs(trained, tmp_path, capsys):
    """best.weights.h5 gone, the last epoch's weights were scored in its place, written as the run's own scoring."""
    import shutil

    from segbench.rundir import write_metrics

    run = tmp_path / "no-best"
    shutil.copytree(trained, run)
    (run / "best.weights.h5").unlink()
    metrics = read_metrics(run)
    write_metrics(run, {**metrics, "epochs": 2, "scored_epoch": 2})  # the last epoch scored: the same weights
    assert main(["evaluate", str(run)]) == 0
    assert read_eval(run, "single")["mode"]["weights"] == "model.weights.h5"
    shutil.rmtree(run / "eval")
    write_metrics(run, {**metrics, "epochs": 2, "scored_epoch": 1})
    assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {run / 'best.weights.h5'}: missing, the weights of epoch 1 that the run scored; "
        "--checkpoint last takes those of epoch 2, its last")
    assert not (run / "eval").exists()
    assert main(["evaluate", str(run), "--checkpoint", "last"]) == 0
    # A FIFO in their place is called one, not "missing" (probe 22b case 9b).
    os.mkfifo(run / "best.weights.h5")
    assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.strip().startswith(
        f"segbench: error: {run / 'best.weights.h5'}: is a FIFO (a named pipe), not a file, the weights of epoch 1")
    (run / "model.weights.h5").unlink()
    os.mkfifo(run / "model.weights.h5")
    assert main(["evaluate", str(run), "--checkpoint", "last"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {run / 'model.weights.h5'}: is a FIFO (a named pipe), not a file, where the run keeps its "
        "weights")


def test_an_unfinished_run_is_not_scored_and_predicting_with_it_says_so(trained, tmp_path, capsys):
    """evaluate wrote eval/single.json for a run stopped at epoch 1 of 300, a scoring that outlived its weights once
    the run was resumed; predict and export used its weights without a word."""
    import shutil

    run = tmp_path / "stopped"
    shutil.copytree(trained, run, ignore=shutil.ignore_patterns("eval"))
    (run / "metrics.json").unlink()
    assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {run}: unfinished (0 of 2 epochs done); evaluate scores a finished run again: let it "
        "finish (--resume) first, or predict with the weights it has kept")
    assert not (run / "eval").exists()
    with locked(run):  # one training now: a --resume would be refused by its lock
        assert main(["evaluate", str(run)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {run}: unfinished (0 of 2 epochs done), training now (PID {os.getpid()}); evaluate scores "
        "a finished run again: wait for it to finish, or predict with the weights it has kept")
    image = tmp_path / "street.png"
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(image)
    assert main(["predict", str(run), str(image), "--out", str(tmp_path / "maps")]) == 0
    assert (f"note: {run} is unfinished (0 of 2 epochs done): its weights are those its training has kept so far"
            in capsys.readouterr().out)
    assert (tmp_path / "maps" / "street.png").is_file()


def test_weights_from_elsewhere_are_named_apart_and_a_scoring_is_read_under_its_own_name(trained, tmp_path, capsys):
    """A file of another folder named best.weights.h5 was written as eval/single+weights-best.json with weights
    best.weights.h5, read as the run's own; eval/single.json copied over flip.json was read as the flip scoring."""
    import shutil

    run = tmp_path / "run"
    shutil.copytree(trained, run, ignore=shutil.ignore_patterns("eval"))
    other = tmp_path / "other" / "best.weights.h5"
    other.parent.mkdir()
    shutil.copy(trained / "model.weights.h5", other)
    assert main(["evaluate", str(run), "--checkpoint", str(other)]) == 0
    [written] = (run / "eval").glob("*.json")
    found = json.loads(written.read_text())
    assert written.stem == found["mode"]["name"] == f"single+weights-best-{found['mode']['weights_sha256'][:8]}"
    assert found["mode"]["weights"] == str(other.resolve())
    assert main(["evaluate", str(run), "--tta", "flip"]) == 0
    assert main(["evaluate", str(run)]) == 0
    shutil.copy(run / "eval" / "single.json", run / "eval" / "flip.json")
    capsys.readouterr()
    assert main(["compare", str(run / "eval" / "flip.json"), str(run)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {run / 'eval' / 'flip.json'}: holds the scoring 'single', not 'flip'")


def test_another_runs_scoring_copied_into_eval_is_refused(trained, tmp_path, capsys):
    """runB's eval/ms+flip.json copied into runE/eval/ was shown by `results` as runE's ms+flip mIoU, and `compare`
    called it 55 points better than runE's own, as if test-time augmentation had done it."""
    import shutil

    mine = edited_copy(trained, tmp_path / "mine", lambda text: text.replace(str(trained), str(tmp_path / "mine")),
                       ignore=shutil.ignore_patterns("eval"))
    assert main(["evaluate", str(trained), "--scales", "ms", "--tta", "flip"]) == 0
    shutil.copytree(trained / "eval", mine / "eval")
    capsys.readouterr()
    for verb in (["results", str(mine)], ["compare", str(mine / "eval" / f"{MS_FLIP}.json"), str(mine)]):
        assert main(verb) == 2
        assert capsys.readouterr().err.strip() == (
            f"segbench: error: {mine / 'eval' / f'{MS_FLIP}.json'}: a scoring of another config than {mine / 'config.yaml'} "
            "(another run's, copied in, or one made before the config changed); score the run again with "
            "`segbench evaluate`")
    assert main(["evaluate", str(mine), "--scales", "ms", "--tta", "flip"]) == 0  # scored again, it is the run's own
    assert main(["results", str(mine)]) == 0


def test_another_runs_weights_of_the_same_shapes_are_not_read_as_the_runs(trained, tmp_path, smoke_config, capsys):
    """runB's best.weights.h5 copied into a copy of runA: `evaluate` wrote runB's model's score as runA's ms
    re-scoring ("the run's own score: 12.81" beside it)."""
    import shutil

    other = tmp_path / "other"
    execute(load_config(smoke_config, [f"output.dir={other}", "train.epochs=1", "train.seed=1"]))
    mine = tmp_path / "mine"
    shutil.copytree(trained, mine, ignore=shutil.ignore_patterns("eval"))
    assert json.loads((mine / METRICS).read_text())["weights_sha256"]["best.weights.h5"]
    shutil.copy(other / "best.weights.h5", mine / "best.weights.h5")
    capsys.readouterr()
    assert main(["evaluate", str(mine)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {mine / 'best.weights.h5'}: not the weights file the run saved (another run's copied in?); "
        "its scores are not this file's, so it is not read as the run's")
    assert not (mine / "eval").exists()
    # A copy cut short is told as that, not as another run's (probe 19b case 10).
    whole = (other / "best.weights.h5").read_bytes()
    (mine / "best.weights.h5").write_bytes(whole[: len(whole) // 2])
    assert main(["evaluate", str(mine)]) == 2
    said = capsys.readouterr().err.strip()
    assert said.startswith(f"segbench: error: {mine / 'best.weights.h5'}: not the weights file the run saved "
                           "(damaged: ") and "; a copy cut short?); its scores are not this file's" in said, said
