"""The command as a user meets it: fresh processes, exit codes, and what lands on stderr."""

import json
import os
import subprocess
import sys

import pytest
from helpers import one_error_line

from segbench.cli import main


@pytest.mark.parametrize(
    "text, expected",
    [
        ("train:\n  epochs: 2\n  lerning_rate: 0.1\n", "unknown key 'train.lerning_rate' (did you mean 'train.learning_rate'?)"),
        ("dataset:\n  name: camvd\n", "dataset.name: unknown dataset 'camvd'"),
        ("train: !!python/object:os.system\n  a: 1\n", "the tag !!python/object:os.system is not allowed"),
        # Checked against the dataset once the run had made its folder (a config.yaml that `results` called
        # resumable); a negative weight trained to a loss of -3e16 and a "finished" run.
        ("train:\n  class_weights: [1, 2]\n", "train.class_weights: 2 weights for the 5 classes of synthetic"),
        ("train:\n  class_weights: [-3, 1, 1, 1, 1]\n", "train.class_weights: weights must be 0 to 1e+06, the largest"),
        ("train:\n  class_weights: [0, 0, 0, 0, 0]\n", "train.class_weights: weights must be 0 to 1e+06, the largest"),
        ("train:\n  class_weights: [1e-300, 0, 0, 0, 0]\n", "train.class_weights: weights must be 0 to 1e+06"),
        ("train:\n  class_weights: [1e308, 1, 1, 1, 1]\n", "train.class_weights: weights must be 0 to 1e+06"),
    ],
    ids=["typo", "unknown-dataset", "python-tag", "weights-count", "weights-negative", "weights-zero", "weights-tiny",
         "weights-huge"],
)
def test_bad_configs_end_in_one_line_and_exit_2(cli, smoke_config, tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(f"base: {smoke_config}\n{text}")
    line = one_error_line(cli("run", path, "--out", tmp_path / "run"))
    assert str(path) in line and expected in line
    assert not (tmp_path / "run").exists()  # nothing was started


def test_a_yaml_bomb_and_a_huge_value_end_in_one_short_line(cli, smoke_config, tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\n")  # nine levels of nine aliases: 387 million values if expanded
    assert one_error_line(cli("run", bomb)).endswith("bomb.yaml: its aliases expand to more than 100,000 values")
    huge = tmp_path / "huge.yaml"
    huge.write_text(f"base: {smoke_config}\ntrain:\n  epochs: {'9' * 100_000}x\n")
    line = one_error_line(cli("run", huge))
    assert "train.epochs" in line and "(100,003 characters)" in line and len(line) < 600


def test_out_naming_a_file_and_a_missing_backend(cli, smoke_config, tmp_path):
    (tmp_path / "file").write_text("not a folder")
    assert one_error_line(cli("run", smoke_config, "--out", tmp_path / "file")).endswith(
        "file: not a folder; name a folder (new or not) for the run folder")
    for backend, said in (("tensorflw", "not a Keras backend"), ("openvino", "the openvino package is not installed")):
        result = subprocess.run([sys.executable, "-m", "segbench", "models", "summary", "segnet"], capture_output=True,
                                text=True, env={**os.environ, "KERAS_BACKEND": backend}, timeout=120, check=False)
        assert one_error_line(result) == f"segbench: error: KERAS_BACKEND={backend}: {said}" + (
            f" in this environment ({sys.executable}); install it or name another backend" if backend == "openvino"
            else " (one of tensorflow, jax, torch, numpy, openvino)")


def test_missing_config_file(cli, tmp_path):
    line = one_error_line(cli("run", tmp_path / "nowhere.yaml"))
    assert line == f"segbench: error: {tmp_path / 'nowhere.yaml'}: no such config file"


def test_run_then_skip_then_results(cli, smoke_config, tmp_path):
    out = tmp_path / "runs" / "smoke"
    first = cli("run", smoke_config, "--out", out, "--set", "train.epochs=1", "--set", "train.seed=3")
    assert first.returncode == 0, first.stderr
    assert "mIoU" in first.stdout and "epoch 1/1" in first.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["seed"] == 3 and metrics["epochs"] == 1

    again = cli("run", smoke_config, "--out", out, "--set", "train.epochs=1", "--set", "train.seed=3")
    assert again.returncode == 0 and "skipped" in again.stdout

    bench = tmp_path / "runs" / "bench"
    bench.mkdir()
    (bench / "metrics.json").write_text('{"confusion_matrix": {"seconds": 0.1}}')  # `bench metrics` output
    table = cli("results", tmp_path / "runs")
    assert table.returncode == 0, table.stderr
    assert f"{100 * metrics['miou']:.2f}" in table.stdout
    assert "| segnet" in table.stdout and "void" in table.stdout
    assert f"skipped {bench / 'metrics.json'}: no config.yaml beside it, so not a run folder" in table.stderr


def test_results_without_runs(tmp_path, capsys):
    assert main(["results", str(tmp_path)]) == 2
    assert "no finished runs" in capsys.readouterr().err


def test_results_says_where_unfinished_runs_stand(tmp_path, capsys):
    from segbench.lock import locked

    stopped, training = tmp_path / "segnet-seed1", tmp_path / "segnet-seed2"
    for folder in (stopped, training):
        folder.mkdir()
        (folder / "config.yaml").write_text("train:\n  epochs: 60\n")
    # Killed after history.csv took epoch 4 and before the checkpoint did: --resume continues after epoch 3.
    (stopped / "history.csv").write_text("epoch,loss\n1,0.9\n2,0.8\n3,0.7\n4,0.6\n")
    (stopped / "checkpoints").mkdir()
    (stopped / "checkpoints" / "state.json").write_text(json.dumps({"epoch": 3, "weights": "epoch0003.weights.h5"}))
    with locked(training):
        assert main(["results", str(tmp_path)]) == 2  # nothing finished yet
    err = capsys.readouterr().err.splitlines()
    assert err[0] == (f"unfinished {stopped}: 3 of 60 epochs done, stopped; segbench run {stopped}/config.yaml "
                      f"--out {stopped} --resume continues it")
    assert err[1] == f"unfinished {training}: 0 of 60 epochs done, training now (PID {os.getpid()})"
    assert "no finished runs" in err[2]


def test_one_epoch_is_not_called_epochs(tmp_path):
    from segbench.commands.results import progress

    (tmp_path / "config.yaml").write_text("train:\n  epochs: 1\n")
    assert progress(tmp_path, None).startswith("0 of 1 epoch done, stopped")
    (tmp_path / "config.yaml").write_text("train: {}\n")  # a config that does not say how many
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "state.json").write_text(json.dumps({"epoch": 1, "weights": "epoch0001.weights.h5"}))
    assert progress(tmp_path, None).startswith("1 epoch done, stopped")


def test_a_run_stopped_before_its_first_epoch_is_not_called_resumable(tmp_path):
    """A run that diverged in its first epoch (or failed to start) was said to be continued by --resume, which
    started it over and diverged at the same step."""
    from segbench.commands.results import progress

    (tmp_path / "config.yaml").write_text("train:\n  epochs: 3\n")
    said = progress(tmp_path, None)
    assert said.startswith("0 of 3 epochs done, stopped before its first whole epoch, so nothing to resume; ")
    assert "--resume" not in said


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["fly"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["bench", "metrics", "--size", "0x0"])
    assert info.value.code == 2 and "expected HEIGHTxWIDTH" in capsys.readouterr().err


@pytest.mark.parametrize("args, said", [
    (["--size", "100000x100000"], "each side 1 to 8192, got '100000x100000'"),  # once: out of memory, shrink
    (["--images", "0,0,0"], "not all 0, got '0,0,0'")])                       # once: "<root>: no such folder"
def test_imitate_refuses_sizes_and_counts_that_cannot_be_written(tmp_path, capsys, args, said):
    with pytest.raises(SystemExit) as info:
        main(["datasets", "imitate", "camvid", "--root", str(tmp_path / "camvid"), *args])
    assert info.value.code == 2 and said in capsys.readouterr().err and not (tmp_path / "camvid").exists()


def test_models_list_and_summary(capsys):
    assert main(["models", "list", "--json"]) == 0
    names = {row["name"] for row in json.loads(capsys.readouterr().out)}
    assert {"segnet", "vgg_unet", "resnet50_unet", "mobilenet_unet", "resnet50_pspnet", "pspnet_50"} <= names
    assert main(["models", "summary", "resnet50_pspnet", "--input-size", "384x480", "--num-classes", "12",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["output_shape"] == [384, 480, 12] and summary["macs"] > 0
    assert main(["models", "summary", "mobilenet_unet", "--input-size", "352x480"]) == 0
    assert "352x480x12 (float32 logits)" in capsys.readouterr().out


def test_models_summary_errors(capsys):
    assert main(["models", "summary", "vgg_unett"]) == 2
    assert main(["models", "summary", "vgg_unet", "--input-size", "100x96"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "did you mean 'vgg_unet'" in lines[0] and "multiples of 32" in lines[1]
    with pytest.raises(SystemExit):
        main(["models", "summary", "segnet", "--input-size", "352"])


def test_a_reader_that_goes_away_ends_the_listing_quietly():
    """``segbench datasets list | head -1``: the pipe closes before segbench writes; no error line, the shell's
    SIGPIPE status."""
    child = subprocess.Popen([sys.executable, "-m", "segbench", "datasets", "list"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    child.stdout.close()  # before the child has imported anything, let alone written
    stderr = child.stderr.read().decode()
    assert child.wait(timeout=60) == 141
    assert stderr == ""


def test_a_size_that_cannot_fit_is_refused_when_the_config_is_checked(cli, smoke_config, tmp_path):
    line = one_error_line(cli("run", smoke_config, "--out", tmp_path / "run", "--set",
                              "model.input_size=[100000,100000]"))
    assert line.startswith("segbench: error: --set model.input_size: ")
    assert "less than or equal to 8192 (got 100000)" in line
    assert not (tmp_path / "run").exists()


OPENCV_OUT_OF_MEMORY = """
import resource, cv2, numpy as np
from segbench.errors import out_of_memory
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
try:
    cv2.resize(np.zeros((2, 2, 3), np.uint8), (50000, 50000))  # 7.5 GB
except Exception as exc:
    print(type(exc).__module__, out_of_memory(exc), out_of_memory(cv2.error("another OpenCV error")))
"""


def test_opencvs_insufficient_memory_is_told_from_its_other_errors():
    done = subprocess.run([sys.executable, "-c", OPENCV_OUT_OF_MEMORY], capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.stdout.split() == ["cv2", "True", "False"], done.stderr


@pytest.mark.parametrize("verb, advice", [("run", "try a smaller model.input_size or train.batch_size"),
                                          ("predict", "try a smaller --batch"),
                                          ("evaluate", "try a smaller --batch"),
                                          # a run's advice, of a verb with no config (probe 17d case 14)
                                          ("bench", ("try a smaller --batch (bench metrics: fewer --num-classes or "
                                                    "--images)"))])
def test_out_of_memory_is_one_line_with_the_advice_that_helps_that_verb(monkeypatch, capsys, tmp_path, verb, advice):
    from segbench import cli
    from segbench.commands import VERBS

    def exhausted(args):
        raise MemoryError

    monkeypatch.setattr(VERBS[verb], "metrics_command" if verb == "bench" else "run", exhausted)  # its parser's handler
    monkeypatch.setattr(cli, "_needs_keras", lambda args: False)
    run = tmp_path / "run"  # a finished run's folder, for the checks before Keras
    run.mkdir()
    (run / "config.yaml").touch()
    (run / "metrics.json").touch()
    argv = {"run": ["run", "config.yaml"], "predict": ["predict", str(run), "x.jpg", "--out", str(tmp_path / "maps")],
            "evaluate": ["evaluate", str(run)], "bench": ["bench", "metrics", "--num-classes", "100000"]}[verb]
    assert main(argv) == 2
    assert capsys.readouterr().err == f"segbench: error: out of memory (MemoryError); {advice}\n"


def test_an_interrupted_imitate_leaves_nothing_the_next_refuses(tmp_path, monkeypatch, capsys):
    """Written into <root>/.imitating and moved in once whole: a Ctrl-C half-way left hundreds of files and a root
    the next imitate refused ("holds files already")."""
    from segbench.data import imitation

    root, real, calls = tmp_path / "camvid", imitation.write_image, []

    def interrupted(path, array):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt
        real(path, array)

    monkeypatch.setattr(imitation, "write_image", interrupted)
    assert main(["datasets", "imitate", "camvid", "--root", str(root)]) == 130
    assert capsys.readouterr().err == "segbench: interrupted\n"
    assert all(".imitating" in path.parts for path in calls) and not root.exists()
    (root / ".imitating" / "train").mkdir(parents=True)  # as a SIGKILL would leave it
    (root / "test").mkdir()  # an empty folder is no obstacle: the imitated one's files go into it
    monkeypatch.setattr(imitation, "write_image", real)
    assert main(["datasets", "imitate", "camvid", "--root", str(root), "--images", "2,1,1"]) == 0
    assert "train 2, val 1, test 1" in capsys.readouterr().out
    assert sorted(p.name for p in root.iterdir()) == ["test", "testannot", "train", "trainannot", "val", "valannot"]


def test_a_newline_in_a_name_keeps_the_error_on_one_line(tmp_path, capsys):
    """An archive member (or any file) named with a newline is echoed as ``\\n``: the error stays one line, as a
    sweep reading its children's lines by their prefix needs."""
    import zipfile

    with zipfile.ZipFile(tmp_path / "nl.zip", "w") as zf:
        zf.writestr("../evil\nsecond line", b"x")
    assert main(["datasets", "prepare", "sitting", "--from", str(tmp_path / "nl.zip"),
                 "--root", str(tmp_path / "root")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "refusing member ../evil\\nsecond line" in lines[0], lines


@pytest.mark.parametrize("verb", ["imitate", "prepare"])
def test_a_link_where_the_staging_folder_goes_is_refused_and_its_target_kept(tmp_path, capsys, verb):
    """rmtree(ignore_errors=True) left a link named .imitating (or .unpacking) in place and the files were written
    through it: the user's folder it pointed to was filled, then emptied into the root."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    root = tmp_path / "camvid"
    root.mkdir()
    staging = root / (".imitating" if verb == "imitate" else ".unpacking")
    staging.symlink_to(mine)
    argv = ["datasets", "imitate", "camvid", "--root", str(root)] if verb == "imitate" else \
        ["datasets", "prepare", "camvid", "--from", str(tmp_path / "nothing.zip"), "--root", str(root)]
    if verb == "prepare":
        import zipfile

        with zipfile.ZipFile(tmp_path / "nothing.zip", "w") as zf:
            zf.writestr("CamVid/trainannot/a.png", b"x")
    assert main(argv) == 2
    assert capsys.readouterr().err == f"segbench: error: {staging}: a link where segbench stages what it writes " \
                                      "(a name of its own); move it away\n"
    assert sorted(p.name for p in mine.iterdir()) == ["keep.txt"] and staging.is_symlink()
    assert sorted(p.name for p in root.iterdir()) == [staging.name]



def test_a_placed_member_named_with_a_newline_or_an_escape_is_shown_escaped(tmp_path, capsys):
    """`camvid: placed a` / `b<ESC>[31mRED.txt, test, ...`: the success line broke in two and coloured the terminal."""
    import zipfile

    tree = tmp_path / "tree"
    assert main(["datasets", "imitate", "camvid", "--root", str(tree), "--images", "1,1,1", "--size", "16x16"]) == 0
    with zipfile.ZipFile(tmp_path / "cv.zip", "w") as zf:
        for path in sorted(tree.rglob("*")):
            if path.is_file():
                zf.write(path, f"CamVid/{path.relative_to(tree).as_posix()}")
        zf.writestr("CamVid/a\nb\x1b[31mRED.txt", b"x")
    capsys.readouterr()
    assert main(["datasets", "prepare", "camvid", "--from", str(tmp_path / "cv.zip"),
                 "--root", str(tmp_path / "root")]) == 0
    placed, following = capsys.readouterr().out.splitlines()
    assert "a\\nb\\x1b[31mRED.txt" in placed and following.startswith("next: ")


def test_prepare_s_next_command_works_as_pasted(tmp_path, capsys):
    """`next: segbench datasets verify suim --root my data/suim`, pasted, named another folder (probe 19a case 9)."""
    import shlex
    import zipfile

    with zipfile.ZipFile(tmp_path / "TEST.zip", "w") as zf:
        zf.writestr("TEST/images/a.jpg", b"x")
        zf.writestr("TEST/masks/a.bmp", b"y")
    root = tmp_path / "my data" / "suim"
    assert main(["datasets", "prepare", "suim", "--from", str(tmp_path / "TEST.zip"), "--root", str(root)]) == 0
    following = capsys.readouterr().out.splitlines()[-1]
    assert shlex.split(following.removeprefix("next: ")) == ["segbench", "datasets", "verify", "suim", "--root",
                                                             str(root)]


def test_results_advice_is_quoted_for_the_shell_and_names_are_escaped(tmp_path, capsys, monkeypatch):
    """`segbench run runs/sp ace/r1/config.yaml --out runs/sp ace/r1 --resume`, pasted, split at the space; and a
    terminal escape in a run's name coloured the terminal (probe 16c cases 2, 3)."""
    import shlex

    for name in ("sp ace", "e\x1b[31mf"):
        stopped = tmp_path / name / "r1"
        stopped.mkdir(parents=True)
        (stopped / "config.yaml").write_text("train:\n  epochs: 4\n")
        (stopped / "history.csv").write_text("epoch,loss\n1,0.9\n")
        (stopped / "checkpoints").mkdir()
        (stopped / "checkpoints" / "state.json").write_text(json.dumps({"epoch": 1, "weights": "e.weights.h5"}))
    assert main(["results", str(tmp_path / "sp ace")]) == 2
    line = capsys.readouterr().err.splitlines()[0]
    advice = line.split("; ", 1)[1].removesuffix(" continues it")
    assert shlex.split(advice)[2:] == [f"{tmp_path}/sp ace/r1/config.yaml", "--out", f"{tmp_path}/sp ace/r1",
                                       "--resume"]
    assert main(["results", str(tmp_path / "e\x1b[31mf")]) == 2
    assert "\x1b" not in capsys.readouterr().err
    # A folder named from where the user stands that starts with a dash: `-unf` was read as options (probe 17b 5).
    monkeypatch.chdir(tmp_path / "sp ace")
    (tmp_path / "sp ace" / "r1").rename(tmp_path / "sp ace" / "-unf")
    assert main(["results", "--", "-unf"]) == 2
    advice = capsys.readouterr().err.splitlines()[0].split("; ", 1)[1].removesuffix(" continues it")
    assert shlex.split(advice)[2:] == ["./-unf/config.yaml", "--out", "./-unf", "--resume"]
    # A newline in a name: shown escaped, and quoted so that the shell reads the escape as the terminal shows it
    # ('runs/n\nl' pasted named another folder: probe 17c case 16).
    (tmp_path / "sp ace" / "-unf").rename(tmp_path / "sp ace" / "n\nl")
    assert main(["results", str(tmp_path / "sp ace")]) == 2
    advice = capsys.readouterr().err.splitlines()[0].split("; ", 1)[1].removesuffix(" continues it")
    out = advice.split(" --out ", 1)[1].removesuffix(" --resume")
    said = subprocess.run(["bash", "-c", f"printf %s {out}"], capture_output=True, text=True, check=True).stdout
    assert said == str(tmp_path / "sp ace" / "n\nl")


def test_an_out_folder_that_is_a_link_to_nothing_is_called_so(tmp_path, capsys):
    """`report --out dl`, `run --out dl`, `predict --out dl` of a link whose target is gone: "dl: File exists" of a
    place that is not there (probe 17b case 16)."""
    (tmp_path / "results").mkdir()
    link = tmp_path / "dl"
    link.symlink_to(tmp_path / "gone")
    said = f"segbench: error: {link}: is a link to nothing (it leads to {tmp_path / 'gone'}); remove it, or make what " \
        "it leads to"
    assert main(["report", "--suite", "camvid", "--results", str(tmp_path / "results"), "--out", str(link)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == said
    # `run` says it too: its own handler of the system's errors had kept "File exists" (probe 17c case 18).
    assert main(["run", "smoke/segnet", "--out", str(link)]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == said


def test_run_takes_resume_or_force_not_both(capsys):
    """Both were taken, and --force started over without a word where --resume was asked for (probe 16c case 22)."""
    with pytest.raises(SystemExit) as stopped:
        main(["run", "smoke/segnet", "--resume", "--force"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "segbench run: error: argument --force: not allowed with argument --resume")


def test_prepare_says_where_under_the_root_each_part_went(tmp_path, capsys):
    """Probe 22a case 15: SUIM's TEST into a root holding TEST/ already said "placed images, masks, train_val in r",
    though images/ and masks/ went into r/TEST/."""
    import zipfile

    archive = tmp_path / "suim.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in ("TEST", "train_val"):
            zf.writestr(f"{part}/images/a.jpg", b"x")
            zf.writestr(f"{part}/masks/a.bmp", b"y")
    root = tmp_path / "r"
    (root / "TEST").mkdir(parents=True)
    capsys.readouterr()
    assert main(["datasets", "prepare", "suim", "--from", str(archive), "--root", str(root)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"suim: placed TEST/images, TEST/masks, train_val in {root}"
