import json
import os
import stat

import pytest

from segbench.io import atomic_path, sha256, write_json


def test_write_json_replaces_whole_file(tmp_path):
    path = tmp_path / "deep" / "metrics.json"
    write_json(path, {"miou": 0.5})
    write_json(path, {"miou": 0.75})
    assert json.loads(path.read_text()) == {"miou": 0.75}
    assert [p.name for p in path.parent.iterdir()] == ["metrics.json"]
    assert stat.S_IMODE(path.stat().st_mode) & 0o044  # readable by others, unlike mkstemp's 0600


def test_failure_while_writing_keeps_the_old_file_and_no_debris(tmp_path):
    path = tmp_path / "metrics.json"
    write_json(path, {"miou": 0.5})
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text('{"miou": 0.')  # half written when the process "dies"
        raise RuntimeError("killed")
    assert json.loads(path.read_text()) == {"miou": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_temporary_name_keeps_the_suffixes(tmp_path):
    with atomic_path(tmp_path / "model.weights.h5") as tmp:
        assert tmp.name.endswith(".weights.h5")
        tmp.write_bytes(b"x")
    assert (tmp_path / "model.weights.h5").read_bytes() == b"x"


def test_a_file_where_a_staging_folder_goes_is_refused_and_kept(tmp_path):
    from segbench.errors import SegbenchError
    from segbench.io import clear_staging

    (tmp_path / ".x.exporting").write_text("mine")
    with pytest.raises(SegbenchError, match=r"\.x\.exporting: a file where segbench stages"):
        clear_staging(tmp_path / ".x.exporting")
    assert (tmp_path / ".x.exporting").read_text() == "mine"
    (tmp_path / "left").mkdir()
    (tmp_path / "left" / "half").write_text("a killed run's")
    clear_staging(tmp_path / "left")
    assert not (tmp_path / "left").exists()


def test_inside_is_where_a_path_is_named_and_where_it_leads(tmp_path):
    from segbench.io import inside

    root, elsewhere = tmp_path / "root", tmp_path / "elsewhere"
    (root / "split").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "out").symlink_to(elsewhere)  # named inside the root, leading out of it
    (elsewhere / "in").symlink_to(root / "split")  # named outside, leading in
    (tmp_path / "alias").symlink_to(root)  # the root by another name
    assert inside(root, root) and inside(root / "split" / "new.png", root) and inside(root / "out", root)
    assert inside(elsewhere / "in" / "x.png", root) and inside(tmp_path / "alias" / "x", root)
    assert not inside(elsewhere / "x.png", root) and not inside(tmp_path / "rootless", root)
    assert not inside(root / "out" / "x.png", root)  # written through the link, into elsewhere


def test_a_digest_of_what_is_no_file_is_an_error_not_a_hang(tmp_path):
    """Probe 22b case 9: a FIFO as a finished run's config.yaml hung `run` and `sweep` for good, in the digest that
    tells whether the run's config was edited since; now it is 'not the file the run finished with'."""
    import signal

    from segbench.rundir import config_edited

    os.mkfifo(tmp_path / "config.yaml")
    signal.alarm(20)  # fail rather than hang
    try:
        with pytest.raises(OSError, match=r"^it is a FIFO \(a named pipe\), not a file$"):
            sha256(tmp_path / "config.yaml")
        assert config_edited(tmp_path, {"config_file_sha256": "0" * 64})
    finally:
        signal.alarm(0)
