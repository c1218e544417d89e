"""A checkpoint that is damaged or tampered with stops --resume with one line; it is never obeyed."""

import json
import warnings

import pytest
from helpers import after_each_epoch, stop_at

from segbench.config import load_config
from segbench.engine import checkpoint
from segbench.engine.run import execute
from segbench.errors import ConfigError, DataError, SegbenchError


class Stop(Exception):
    pass


@pytest.fixture(scope="module")
def interrupted_run(tmp_path_factory, smoke_config):
    """A run of 3 epochs stopped after its first, with its checkpoint; each test works on a copy."""
    out = tmp_path_factory.mktemp("interrupted")
    cfg = load_config(smoke_config, [f"output.dir={out}", "train.epochs=3"])
    with pytest.MonkeyPatch.context() as patch:
        after_each_epoch(patch, stop_at(1, Stop))
        with pytest.raises(Stop):
            execute(cfg)
    assert checkpoint.load_state(out, 3)["epoch"] == 1
    return cfg, out


def test_results_reads_the_epoch_resume_continues_after(interrupted_run):
    from segbench.rundir import epochs_done

    assert epochs_done(interrupted_run[1]) == (1, 3)  # the checkpoint's epoch, of the config's


@pytest.fixture
def copy(interrupted_run, tmp_path):
    import shutil

    cfg, out = interrupted_run
    shutil.copytree(out, tmp_path / "run")
    cfg = cfg.model_copy(deep=True)
    cfg.output.dir = str(tmp_path / "run")
    return cfg, tmp_path / "run" / "checkpoints"


def edit_state(folder, **changes):
    state = json.loads((folder / "state.json").read_text())
    (folder / "state.json").write_text(json.dumps({**state, **changes}))
    return state


@pytest.mark.parametrize("changes, said", [
    ({"epoch": 99}, r"state.json: epoch 99 is not one of this run's 1..3"),
    ({"epoch": "1"}, r"state.json: epoch '1' is not one of"),
    ({"weights": "../../other/model.weights.h5"}, r"state.json: weights '../../other/model.weights.h5' is not a file"),
    ({"optimizer": "/etc/passwd"}, r"state.json: optimizer '/etc/passwd' is not a file of"),
    # A text ended in a TypeError mid-training; epoch 999 of 3 was written into metrics.json as the scored epoch.
    ({"best_val_miou": "abc"}, r"state.json: best_val_miou 'abc' at best_epoch 1 is not a val mIoU \(0 to 1\)"),
    ({"best_val_miou": 2.0, "best_epoch": 999}, r"state.json: best_val_miou 2.0 at best_epoch 999 is not"),
    # In bounds, not the history's: later better epochs were never kept, the scored epoch misnamed.
    ({"best_val_miou": 0.999, "best_epoch": 1}, r"state.json: best_val_miou 0.999 at best_epoch 1 is not what history"),
    ({"data": "abc"}, r"state.json: data 'abc' is not the record of a dataset"),
    ({"config": [1]}, r"state.json: config \[1\] is not a config"),
])
def test_a_tampered_state_is_refused(copy, changes, said):
    cfg, folder = copy
    edit_state(folder, **changes)
    with pytest.raises(DataError, match=said + ".*drop --resume to start over"):
        execute(cfg, resume=True)
    assert not (folder.parent / "metrics.json").exists()


@pytest.mark.parametrize("history, said", [
    ("x,y\n1,2\n", r"no column 'epoch' \(a run's history has epoch, loss, val_loss, val_miou, seconds\)"),   # a KeyError traceback, and the file rewritten with both sets of columns
    ("", r"cannot be read \(No columns to parse from file\)"),  # pandas' EmptyDataError traceback
    ("epoch,loss,val_loss,val_miou,seconds\n5,nan,abc,7,-1\n", "not the rows of epochs 1..1 this run wrote"),
], ids=["other-columns", "empty", "garbage-row"])
def test_a_damaged_history_is_refused_before_it_is_continued(copy, history, said):
    cfg, folder = copy
    (folder.parent / "history.csv").write_text(history)
    with pytest.raises(DataError, match=f"history.csv: {said}; drop --resume to start over"):
        execute(cfg, resume=True)
    assert (folder.parent / "history.csv").read_text() == history and not (folder.parent / "metrics.json").exists()


def test_unreadable_state(copy):
    cfg, folder = copy
    (folder / "state.json").write_text("{not json")
    with pytest.raises(DataError, match="state.json: unreadable checkpoint state"):
        execute(cfg, resume=True)


@pytest.mark.parametrize("damage", ["truncated", "empty"])
def test_damaged_weights_and_optimizer_files_are_refused(copy, damage):
    cfg, folder = copy
    state = json.loads((folder / "state.json").read_text())
    for key, said in (("weights", "damaged or another model's checkpoint"), ("optimizer", "damaged checkpoint")):
        path = folder / state[key]
        kept = path.read_bytes()
        path.write_bytes(kept[: len(kept) // 2] if damage == "truncated" else b"")
        with pytest.raises(DataError, match=rf"{path.name}: {said} \(.*\); drop --resume to start over"):
            execute(cfg, resume=True)
        path.write_bytes(kept)
    assert not (folder.parent / "metrics.json").exists()


def test_an_optimizer_file_of_pickled_objects_is_refused_unread_without_numpy_s_advice(copy):
    """Probe 22b: numpy's error for a pickle in the optimiser's file advised loading it "unsafely", in the line."""
    import numpy as np

    cfg, folder = copy
    state = json.loads((folder / "state.json").read_text())
    np.savez(folder / state["optimizer"], np.array([{"a": 1}], dtype=object))
    with pytest.raises(DataError) as refused:
        execute(cfg, resume=True)
    assert str(refused.value) == (f"{folder / state['optimizer']}: damaged checkpoint (it holds pickled objects, which "
                                  "no checkpoint of segbench's does, left unread); drop --resume to start over")


def test_a_checkpoint_of_another_model_is_refused(copy, tmp_path, smoke_config):
    cfg, folder = copy
    other = load_config(smoke_config, [f"output.dir={tmp_path / 'other'}", "train.epochs=1", "model.width=0.5"])
    execute(other)
    state = json.loads((folder / "state.json").read_text())
    (folder / state["weights"]).write_bytes((tmp_path / "other" / "model.weights.h5").read_bytes())
    # Once Keras warned about every layer it skipped (34 lines before the one), and the one ended at a colon.
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        with pytest.raises(DataError, match=r"damaged or another model's checkpoint \(.*: variable\.shape=\(.*\), "
                                            r"Received: value\.shape=\(.*\)\); drop --resume"):
            execute(cfg, resume=True)
    assert not [w for w in said if "Skipping" in str(w.message)]


@pytest.mark.parametrize("damage", ["missing", "another model's"])
def test_best_weights_the_state_relies_on_are_checked_before_anything_trains(copy, tmp_path, smoke_config, damage):
    """A missing best.weights.h5 was found only after every remaining epoch had trained (then each --resume failed
    the same way, the folder called resumable), and another model's ended in Keras' traceback."""
    cfg, folder = copy
    best = folder.parent / "best.weights.h5"
    assert json.loads((folder / "state.json").read_text())["best_epoch"] == 1 and best.is_file()
    if damage == "missing":
        best.unlink()
    else:
        other = load_config(smoke_config, [f"output.dir={tmp_path / 'other'}", "train.epochs=1", "model.width=0.5"])
        execute(other)
        best.write_bytes((tmp_path / "other" / "model.weights.h5").read_bytes())
    history = (folder.parent / "history.csv").read_text()
    said = "missing" if damage == "missing" else r"damaged or another model's \(.*\)"
    with pytest.raises(DataError, match=rf"best.weights.h5: {said}, though state.json keeps epoch 1 as the best so "
                                        r"far, whose weights it holds; drop --resume to start over"):
        execute(cfg, resume=True)
    assert (folder.parent / "history.csv").read_text() == history  # nothing trained
    assert not (folder.parent / "metrics.json").exists()


@pytest.fixture(scope="module")
def other_best(tmp_path_factory, smoke_config):
    """best.weights.h5 of another run of the same model and shapes (another seed)."""
    out = tmp_path_factory.mktemp("other-seed")
    execute(load_config(smoke_config, [f"output.dir={out}", "train.epochs=1", "train.seed=7"]))
    return (out / "best.weights.h5").read_bytes()


def test_another_runs_best_of_the_same_shapes_is_refused_by_resume_predict_and_export(copy, other_best):
    """Another run's best.weights.h5 put in an unfinished run's place loaded, and was predicted with, exported
    and (after the resume) scored as this run's best epoch."""
    from segbench.engine.loaded import load_run

    cfg, folder = copy
    best = folder.parent / "best.weights.h5"
    best.write_bytes(other_best)
    said = r"best.weights.h5: not the weights this run saved as its best so far, epoch 1 \(another run's copied in\?\)"
    with pytest.raises(DataError, match=said + "; restore it, or drop --resume to start over"):
        execute(cfg, resume=True)
    with pytest.raises(SegbenchError, match=said + "; it is not read as the run's"):
        load_run(folder.parent)
    assert not (folder.parent / "metrics.json").exists()


def test_a_kill_between_the_state_and_the_move_of_the_new_best_is_finished_by_the_resume(copy):
    """The new best is staged in checkpoints/ until state.json records its digest: a kill before its move into
    place leaves the older best in the run folder (here a file no model could load), which the resume replaces
    with the staged one rather than refusing, or loading, it."""
    import os

    cfg, folder = copy
    state = json.loads((folder / "state.json").read_text())
    best = folder.parent / "best.weights.h5"
    staged = folder / state["best_staged"]
    assert state["best_staged"] == "epoch0001.best.weights.h5" and not staged.exists()
    os.replace(best, staged)  # as the kill left it: staged, not yet moved
    best.write_bytes(b"the best of an earlier epoch")
    assert execute(cfg, resume=True) == folder.parent
    assert not staged.exists() and json.loads((folder.parent / "metrics.json").read_text())["epochs"] == 3


def test_a_best_left_staged_by_a_kill_is_said_so_by_predict(copy):
    """A kill between state.json and the move: predict called the run's own earlier best "another run's"."""
    import os

    from segbench.engine.loaded import load_run

    _, folder = copy
    state = json.loads((folder / "state.json").read_text())
    os.replace(folder.parent / "best.weights.h5", folder / state["best_staged"])
    (folder.parent / "best.weights.h5").write_bytes(b"an earlier best")
    with pytest.raises(SegbenchError, match=r"best.weights.h5: not yet the best so far, epoch 1, which the run was "
                                            r"killed before moving into place from epoch0001.best.weights.h5; "
                                            r"--resume the run to finish it"):
        load_run(folder.parent)


def test_an_unfinished_runs_last_weights_are_its_checkpoints_checked_by_digest(copy, other_best):
    """`--checkpoint last` of an unfinished run took a model.weights.h5 of another run's put there: none of the
    run's records names one before it finishes."""
    from segbench.engine.loaded import load_run

    _, folder = copy
    (folder.parent / "model.weights.h5").write_bytes(other_best)
    assert load_run(folder.parent, "last").weights == folder / "epoch0001.weights.h5"
    (folder / "epoch0001.weights.h5").write_bytes(other_best)
    with pytest.raises(SegbenchError, match=r"epoch0001.weights.h5: not the weights file the run saved"):
        load_run(folder.parent, "last")


@pytest.mark.parametrize("edit, said", [
    (lambda run: (run / "config.yaml").write_text((run / "config.yaml").read_text().replace(
        "input_size:\n  - 32\n  - 48", "input_size:\n  - 64\n  - 96")),
     r"run: its config.yaml is not the config its epochs trained with \(model.input_size: \[32, 48\] -> \[64, 96\]"),
    (lambda run: edit_state(run / "checkpoints", plugins_sha256={str(run / "gone.py"): "0" * 64}),
     r"gone.py: the plugin .*run's epochs trained with has changed"),
], ids=["config", "plugin"])
def test_predict_and_export_of_an_unfinished_run_use_what_it_trained_with(copy, edit, said):
    """An unfinished run's config.yaml edited since its checkpoint (or its plugin): predict and export built
    another model (an ONNX file at 64x96 of a run trained at 32x48) and called it the run's."""
    from segbench.engine.loaded import load_run

    _, folder = copy
    assert "input_size:\n  - 32\n  - 48" in (folder.parent / "config.yaml").read_text()
    edit(folder.parent)
    with pytest.raises(SegbenchError, match=said):
        load_run(folder.parent)


@pytest.mark.parametrize("finished", [False, True], ids=["unfinished", "finished"])
def test_predict_of_a_run_whose_classes_changed_since_is_refused(copy, finished, monkeypatch):
    """A class file reordered since (names and palette): predict and export painted the run's class maps in other
    classes' colours and named them so, where evaluate refused the run."""
    from segbench.data.synthetic import Synthetic
    from segbench.engine.loaded import load_run

    cfg, folder = copy
    if finished:
        execute(cfg, resume=True)
    classes = Synthetic.classes
    monkeypatch.setattr(Synthetic, "classes", (classes[1], classes[0], *classes[2:]))
    with pytest.raises(SegbenchError, match=rf"run: its dataset's classes are not the run's since \(class 0: "
                                            rf"'{classes[0]}' -> '{classes[1]}'"):
        load_run(folder.parent)


def test_the_runs_own_weights_named_by_another_path_are_checked_as_its_own(copy, other_best, monkeypatch):
    """`--checkpoint /abs/run/best.weights.h5` or `../x/run/best.weights.h5` skipped the digest check (paths
    were compared as written): another run's best copied in was scored as the run's own re-scoring."""
    from segbench.engine.loaded import load_run

    cfg, folder = copy
    run = folder.parent
    execute(cfg, resume=True)  # finished: metrics.json records the digests
    (run / "best.weights.h5").write_bytes(other_best)
    monkeypatch.chdir(run.parent)
    (run.parent / "mine.weights.h5").symlink_to(run / "best.weights.h5")  # a link of another name to it
    for named in (str(run / "best.weights.h5"), f"../{run.parent.name}/run/best.weights.h5", "mine.weights.h5"):
        with pytest.raises(SegbenchError, match="weights.h5: not the weights file the run saved"):
            load_run("run", named)
    # The run's own file a link to another run's: followed, it was checked as none of the run's.
    (run.parent / "theirs.weights.h5").write_bytes(other_best)
    (run / "best.weights.h5").unlink()
    (run / "best.weights.h5").symlink_to(run.parent / "theirs.weights.h5")
    with pytest.raises(SegbenchError, match="best.weights.h5: not the weights file the run saved"):
        load_run("run")


def test_best_weights_replaced_while_the_run_trains_are_not_scored(tmp_path, smoke_config, other_best, monkeypatch):
    """Replaced after the last new best, the file was scored, and recorded by digest, as the run's best epoch."""
    cfg = load_config(smoke_config, [f"output.dir={tmp_path / 'run'}", "train.epochs=2"])

    def swap_after_last(epoch):
        if epoch == 2:
            (tmp_path / "run" / "best.weights.h5").write_bytes(other_best)

    after_each_epoch(monkeypatch, swap_after_last)
    with pytest.raises(DataError, match=r"run/best.weights.h5: not the weights this run saved as its best, epoch \d "
                                        r"\(another run's copied in\?\); restore it and run with --resume"):
        execute(cfg)
    assert not (tmp_path / "run" / "metrics.json").exists() and (tmp_path / "run" / "checkpoints").is_dir()


@pytest.mark.parametrize("data, said", [
    ({"decoding_sha256": "0" * 64}, "the labels' decoding"),
    ({"classes": ["a", "b"]}, "2 classes -> 5"),
    ({"dataset_root": "/elsewhere/data"}, None),  # the synthetic data reads no folder: no root of its own to compare
])
def test_a_resume_on_other_data_than_the_run_trained_on_is_refused(copy, data, said):
    """A relative root resumed from another folder (or a class file edited between the kill and the resume)
    trained the rest of the epochs on other data, and metrics.json recorded only the second."""
    cfg, folder = copy
    state = json.loads((folder / "state.json").read_text())
    assert state["data"]["decoding_sha256"] and state["data"]["dataset_root"] is None
    edit_state(folder, data={**state["data"], **data})
    if said is None:
        assert execute(cfg, resume=True) == folder.parent
        return
    with pytest.raises(DataError, match=rf"run: the interrupted run trained on other data than this config reads now "
                                        rf"\({said}.*\); resume it from where it ran"):
        execute(cfg, resume=True)
    assert not (folder.parent / "metrics.json").exists()


def test_a_resume_with_its_config_yaml_edited_since_the_checkpoint_is_refused(copy):
    """config.yaml edited by hand after a kill, then resumed with it: the config matched itself, the last epochs
    trained at another learning rate, and metrics.json vouched for it as the whole run's recipe."""
    _, folder = copy
    saved = folder.parent / "config.yaml"
    saved.write_text(saved.read_text().replace("learning_rate: 0.001", "learning_rate: 0.01"))
    edited = load_config(saved)
    assert edited.train.learning_rate == 0.01
    edited.output.dir = str(folder.parent)
    with pytest.raises(ConfigError, match=r"run: the interrupted run's epochs trained with another config than this "
                                          r"one \(train.learning_rate: 0.001 -> 0.01; its config.yaml edited since\?\)"):
        execute(edited, resume=True)
    assert not (folder.parent / "metrics.json").exists()


def test_an_intact_checkpoint_resumes(copy):
    cfg, folder = copy
    assert execute(cfg, resume=True) == folder.parent
    assert json.loads((folder.parent / "metrics.json").read_text())["epochs"] == 3


@pytest.mark.parametrize("name", ["checkpoints/state.json", "history.csv", "best.weights.h5"])
def test_a_checkpoint_file_that_is_a_fifo_is_one_line_not_a_hang_nor_a_fresh_start(copy, name):
    """A FIFO as state.json was taken for no checkpoint (51 epochs started over) and hung `results`; as
    history.csv or best.weights.h5 it hung the resume."""
    import os
    import signal

    from segbench.commands.results import progress

    cfg, folder = copy
    path = folder.parent / name
    path.unlink()
    os.mkfifo(path)
    signal.alarm(30)  # fail rather than hang
    try:
        assert progress(folder.parent, None).startswith(("0 of 3", "1 of 3"))
        with pytest.raises(DataError, match=rf"{path.name}: .*(not a regular file|drop --resume to start over)"):
            execute(cfg, resume=True)
    finally:
        signal.alarm(0)
    assert not (folder.parent / "metrics.json").exists() and (folder / "epoch0001.weights.h5").is_file()


@pytest.mark.parametrize("key", ["weights", "optimizer"])
def test_another_runs_epoch_checkpoint_of_the_same_shapes_is_refused(copy, tmp_path, smoke_config, key):
    """Another run's weights put in place of the epoch's checkpoint were trained on, and the finished run scored
    another training as its own (31.48 against the untouched copy's 20.16)."""
    cfg, folder = copy
    other = load_config(smoke_config, [f"output.dir={tmp_path / 'other'}", "train.epochs=3", "train.seed=1"])
    with pytest.MonkeyPatch.context() as patch:
        after_each_epoch(patch, stop_at(1, Stop))
        with pytest.raises(Stop):
            execute(other)
    state = json.loads((folder / "state.json").read_text())
    theirs = json.loads((tmp_path / "other" / "checkpoints" / "state.json").read_text())
    (folder / state[key]).write_bytes((tmp_path / "other" / "checkpoints" / theirs[key]).read_bytes())
    with pytest.raises(DataError, match=rf"{state[key]}: not the file this run saved at epoch 1 \(another run's "
                                        r"copied in\?\); restore it, or drop --resume to start over"):
        execute(cfg, resume=True)
    assert not (folder.parent / "metrics.json").exists()
