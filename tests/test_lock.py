"""One process per run folder and per sweep: the second stops at once, naming the folder and the holder's PID;
a killed holder leaves no stale lock and no file behind."""

import subprocess
import sys
import textwrap
import time

import pytest

from segbench.lock import FolderLocked, holder, locked

HOLD = textwrap.dedent("""
    import sys, time
    from segbench.lock import locked
    with locked(sys.argv[1]):
        print("held", flush=True)
        time.sleep(600)
""")


@pytest.fixture
def held(tmp_path):
    """A folder locked by another process, killed at the end of the test (or by it)."""
    folder = tmp_path / "run"
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(folder)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    yield folder, process
    process.kill()
    process.wait()


def test_a_held_folder_stops_the_second_process_naming_the_holder(held):
    folder, process = held
    with pytest.raises(FolderLocked, match=rf"{folder}: this run folder is in use by another segbench process "
                                           rf"\(PID {process.pid}\)"), locked(folder):
        pass
    assert holder(folder) == process.pid


def test_a_killed_holder_leaves_no_stale_lock_and_no_file(held):
    folder, process = held
    process.kill()
    process.wait()
    with locked(folder):
        assert holder(folder) is not None
    assert list(folder.iterdir()) == []
    assert holder(folder) is None


def test_the_holder_is_read_from_the_kernels_table(tmp_path):
    import os

    folder = tmp_path / "x"
    folder.mkdir()
    stat = os.stat(folder)
    device = f"{os.major(stat.st_dev):02x}:{os.minor(stat.st_dev):02x}:{stat.st_ino}"
    table = tmp_path / "locks"
    table.write_text(f"1: POSIX  ADVISORY  WRITE 11 {device} 0 EOF\n"
                     f"2: FLOCK  ADVISORY  WRITE 22 00:00:{stat.st_ino + 1} 0 EOF\n"
                     f"2: -> FLOCK  ADVISORY  WRITE 44 {device} 0 EOF\n"
                     f"3: FLOCK  ADVISORY  WRITE 33 {device} 0 EOF\n")
    assert holder(folder, table) == 33  # not the POSIX lock, another inode, nor a waiting request
    assert holder(folder, tmp_path / "absent") is None


def test_two_runs_into_one_folder(held, smoke_config, cli):
    folder, process = held
    done = cli("run", smoke_config, "--out", folder)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        (f"segbench: error: {folder}: this run folder is in use by another segbench process (PID {process.pid}); "
         "wait for it to end, or choose another folder")]
    assert list(folder.iterdir()) == []  # nothing written into the held folder


def test_two_sweeps_over_one_results_folder(held, smoke_config, cli):
    results, process = held
    done = cli("sweep", smoke_config, "--results", results)
    assert done.returncode == 2
    assert f"this results folder is in use by another segbench process (PID {process.pid})" in done.stderr
    assert list(results.iterdir()) == []


def test_a_forked_child_does_not_keep_the_lock(tmp_path):
    import os

    folder = tmp_path / "run"
    with locked(folder):
        child = os.fork()
        if child == 0:  # a loader worker that outlives its run
            time.sleep(30)
            os._exit(0)
    try:
        # The parent let go; the child dropped its copy of the descriptor as it started (give it a moment to run).
        for _ in range(50):
            try:
                with locked(folder):
                    break
            except FolderLocked:
                time.sleep(0.1)
        else:
            pytest.fail("the forked child kept the folder locked")
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)


def test_a_runs_weights_gone_while_it_trains_again_say_so(held):
    """`evaluate` beside `run --force`, which had just removed the old weights: "no model.weights.h5 there (a run
    committed or copied without its weights ...)", the wrong cause (probe 17b case 11)."""
    from segbench.engine.loaded import weights_of
    from segbench.errors import SegbenchError
    from segbench.schema import Config

    folder, process = held
    with pytest.raises(SegbenchError, match=rf"^{folder}: training now \(PID {process.pid}\), its earlier weights "
                                            "removed; wait for it to finish$"):
        weights_of(folder, Config.model_validate({"dataset": {"name": "synthetic"}, "model": {"name": "segnet"}}),
                   "last", {})
