"""segbench bench deploy: the Pareto front, and bad inputs; the table on a real run and its files is
tests/engine/test_quantize.py's."""

import pytest

from segbench.bench.deploy import front_staircase, log_subs, pareto_front, read_latency, scorings
from segbench.errors import DataError


def test_the_pareto_front_keeps_what_nothing_beats_fastest_first():
    points = [(10, 50), (20, 60), (15, 40), (30, 60), (5, 30), (20, 60)]
    assert pareto_front(points) == [4, 0, 1, 5]  # (30, 60) is as accurate as (20, 60) and slower; (15, 40) beaten
    assert pareto_front([(1, 1)]) == [0] and pareto_front([]) == []


def test_the_front_is_drawn_out_to_the_slowest_point_even_when_it_is_one_point():
    assert front_staircase([(10, 50), (20, 60), (30, 55)]) == ([10, 20, 30], [50, 60, 60])
    assert front_staircase([(33, 45), (50, 44), (70, 38)]) == ([33, 70], [45, 45])  # one point beats all
    assert front_staircase([]) == ([], [])


def test_a_log_axis_within_a_decade_gets_ticks_enough_to_read():
    for low, high in ((31, 80), (35, 210), (5, 400)):
        ticks = [mantissa * 10 ** decade for decade in range(-1, 4) for mantissa in log_subs(low, high)]
        assert sum(low <= tick <= high for tick in ticks) >= 4, (low, high)


def test_a_file_that_is_not_a_latency_document_is_one_line(tmp_path):
    for name, text in (("a.json", "{"), ("b.json", '{"results": [{"kind": "onnx"}]}'), ("c.json", "[]")):
        (tmp_path / name).write_text(text)
        with pytest.raises(DataError, match=f"{name}: not a `segbench bench latency --out` file"):
            read_latency([tmp_path / name])
    with pytest.raises(DataError, match="d.json: not a `segbench bench latency --out` file"):
        read_latency([tmp_path / "d.json"])


def test_an_unfinished_run_is_one_line(tmp_path):
    with pytest.raises(DataError, match="not a finished run"):
        scorings(tmp_path)


def test_two_runs_of_one_name_are_not_kept_one_over_the_other(tmp_path):
    """d1/r and d2/r kept in one call (or one call after the other) left one row: the later replaced the earlier's
    copy without a word."""
    from segbench.bench.deploy import keep

    runs = []
    for parent, recipe in (("d1", "seed: 0"), ("d2", "seed: 1")):
        run = tmp_path / parent / "r"
        run.mkdir(parents=True)
        (run / "config.yaml").write_text(f"train: {{{recipe}}}\n")
        (run / "metrics.json").write_text("{}")
        runs.append(run)
    kept = tmp_path / "kept"
    with pytest.raises(DataError, match=r"d1/r and .*d2/r: two runs of one name, both kept as .*kept/r; give one"):
        keep(runs, kept)
    assert not kept.exists()  # refused before anything was copied
    assert keep([runs[0]], kept) == [kept / "r"]
    assert keep([runs[0]], kept) == [kept / "r"]  # the same run kept again replaces its copy
    with pytest.raises(DataError, match=r"kept/r: keeps another run of the name r \(its config.yaml is not "):
        keep([runs[1]], kept)
    assert (kept / "r" / "config.yaml").read_text() == "train: {seed: 0}\n"


def test_keep_writes_over_nothing_of_the_users_and_into_no_run(tmp_path):
    """A user's folder of the run's name under --keep was deleted whole (a file there left the staging folder behind
    and a misleading error); kept into another run's eval/, the kept run went with it when that run started over."""
    from segbench.bench.deploy import keep

    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text("{}")
    (run / "metrics.json").write_text("{}")
    kept = tmp_path / "kept"
    (kept / "r" / "photos").mkdir(parents=True)
    (kept / "r" / "thesis.txt").write_text("mine")
    with pytest.raises(DataError, match=r"kept/r: there already and not a run kept here; move it away"):
        keep([run], kept)
    assert (kept / "r" / "thesis.txt").read_text() == "mine" and sorted(p.name for p in kept.iterdir()) == ["r"]
    (kept / "r" / "thesis.txt").unlink()
    (kept / "r" / "photos").rmdir()
    (kept / "r").rmdir()
    (kept / "r").write_text("mine")
    with pytest.raises(DataError, match=r"kept/r: there already and not a run kept here"):
        keep([run], kept)
    assert sorted(p.name for p in kept.iterdir()) == ["r"]
    with pytest.raises(DataError, match=r"runs/r/eval: lies inside the run folder .*runs/r, whose eval/"):
        keep([run], run / "eval")
    assert not (run / "eval").exists()


def test_a_run_of_its_own_of_the_same_config_under_keep_is_not_replaced(tmp_path):
    """The same config run twice (kp/runA and kp/other/runA): kept into kp/, the run there was taken for a kept
    copy and replaced by one, its weights, history and predictions gone."""
    import shutil

    from segbench.bench.deploy import keep

    run = tmp_path / "other" / "r"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text("{}")
    (run / "metrics.json").write_text("{}")
    own = tmp_path / "r"
    shutil.copytree(run, own)
    (own / "best.weights.h5").write_bytes(b"weights")
    with pytest.raises(DataError, match=r"/r: holds best.weights.h5, which no run kept here holds: a run of its own"):
        keep([run], tmp_path)
    assert (own / "best.weights.h5").read_bytes() == b"weights"
    (own / "best.weights.h5").unlink()
    assert keep([run], tmp_path) == [own]  # a kept copy is replaced as before


def test_a_link_at_the_kept_runs_name_is_refused_naming_it(tmp_path):
    """kp/runA a link to a real run elsewhere: "kp/.runA.keeping: Not a directory", naming the staging folder, which
    was left behind (probe 15 case 3)."""
    import shutil

    from segbench.bench.deploy import keep

    run = tmp_path / "other" / "r"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text("{}")
    (run / "metrics.json").write_text("{}")
    real = tmp_path / "real" / "r"
    shutil.copytree(run, real)
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "r").symlink_to(real)
    with pytest.raises(DataError) as caught:
        keep([run], kept)
    assert str(caught.value) == (f"{kept / 'r'}: a link (to {real}) where the run would be kept, not a copy kept "
                                 "here; move it away, or keep the runs in another folder")
    assert [p.name for p in kept.iterdir()] == ["r"] and sorted(p.name for p in real.iterdir()) == \
        ["config.yaml", "metrics.json"]


def test_a_keep_that_fails_part_way_leaves_no_staging_folder(tmp_path, monkeypatch):
    """A copy cut short by an error (a disk full) left kp/.r.keeping behind until the next --keep cleared it, and
    the run's earlier kept copy stays as it was."""
    import shutil

    from segbench.bench import deploy

    run = tmp_path / "runs" / "r"
    (run / "eval").mkdir(parents=True)
    (run / "config.yaml").write_text("{}")
    (run / "metrics.json").write_text("{}")
    kept = tmp_path / "kept"
    copied, copy = [], shutil.copyfile

    def disk_full(source, target):
        if copied:
            raise OSError(28, "No space left on device")
        copied.append(copy(source, target))

    monkeypatch.setattr(deploy.shutil, "copyfile", disk_full)
    kept.mkdir()
    with pytest.raises(OSError, match="No space left"):
        deploy.keep([run], kept)
    assert copied and list(kept.iterdir()) == []


def test_a_keep_link_to_nothing_is_named_so(tmp_path):
    """`--keep kl` a link to nothing: "kl: File exists" (probe 16b case 5)."""
    from segbench.bench.deploy import keep

    run = tmp_path / "runs" / "r"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text("{}")
    (run / "metrics.json").write_text("{}")
    (tmp_path / "kl").symlink_to(tmp_path / "nowhere")
    with pytest.raises(DataError, match=rf"kl: is a link to nothing \(it leads to {tmp_path / 'nowhere'}\)"):
        keep([run], tmp_path / "kl")
    # A chain of links is followed to the name that is not there; a file is called one (it was "afile/.r.keeping:
    # Not a directory", naming segbench's own staging folder: probe 17b case 8).
    (tmp_path / "k2").symlink_to(tmp_path / "kl")
    with pytest.raises(DataError, match=rf"k2: is a link to nothing \(it leads to {tmp_path / 'nowhere'}\)"):
        keep([run], tmp_path / "k2")
    (tmp_path / "afile").write_text("mine")
    with pytest.raises(DataError, match=r"afile: is a file, not a folder; --keep names the folder runs are kept in$"):
        keep([run], tmp_path / "afile")


def test_a_runs_keras_latency_is_matched_by_the_weights_it_timed(tmp_path):
    """Another run of the folder's name (other weights) had the first run's latency and size in its row, rc 0
    (probe 16b case 16); a record or a kept run that holds no digest is matched by name as before."""
    from segbench.bench.deploy import matching

    record = {"kind": "keras", "run": "/elsewhere/base", "model": "segnet", "sha256": "a" * 64}
    metrics = {"model": "segnet", "weights_sha256": {"best.weights.h5": "b" * 64}}
    assert matching("keras", tmp_path / "base", metrics, [record]) == []
    assert matching("keras", tmp_path / "base", {**metrics, "weights_sha256": {"best.weights.h5": "a" * 64}},
                    [record]) == [record]
    assert matching("keras", tmp_path / "base", {"model": "segnet"}, [record]) == [record]


def test_a_latency_file_that_is_a_fifo_or_a_device_is_one_line_not_a_hang(tmp_path):
    """A FIFO as --latency blocked for good; /dev/zero was read until memory ran out (probe 16b case 17)."""
    import os

    os.mkfifo(tmp_path / "f.json")
    for path in (tmp_path / "f.json", "/dev/zero"):
        with pytest.raises(DataError, match="not a `segbench bench latency --out` file"):
            read_latency([path])


def test_threads_that_no_latency_was_measured_at_are_refused_before_anything_is_written(tmp_path, monkeypatch):
    """`--threads 3` where only 1 was measured wrote the table without its figure, without a word (probe 16b
    case 24)."""
    from segbench.bench import deploy
    from segbench.errors import SegbenchError

    monkeypatch.setattr(deploy, "read_latency", lambda files: {})
    monkeypatch.setattr(deploy, "deploy_rows", lambda runs, latency, resamples: [{"latency": {1: {"p50": 3.0}}}])
    with pytest.raises(SegbenchError, match=r"^--threads 3: no latency measured at 3 threads \(measured: 1\); give "
                                            "one of those, or measure it"):
        deploy.write_deploy([], [], tmp_path / "t.md", threads=3)
    assert not (tmp_path / "t.md").exists()


def test_two_runs_of_one_folder_name_are_told_apart_in_the_table_and_figure(tmp_path):
    """Both rows read "segnet (r)", and the figure drew them in one colour under one legend entry (probe 17b case
    17)."""
    from segbench.bench.deploy import _labels

    one, two, other = tmp_path / "dd1" / "r", tmp_path / "dd2" / "r", tmp_path / "dd1" / "s"
    assert _labels([one, two, other]) == {one: "dd1/r", two: "dd2/r", other: "s"}
    assert _labels([one, one]) == {one: "r"}  # a run given twice is one run
