import io
import stat
import tarfile
import zipfile

import pytest

from segbench.data.archive import safe_extract
from segbench.errors import DataError


def make_zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_plain_zip_extracts(tmp_path):
    archive = make_zip(tmp_path / "ok.zip", {"CamVid/train/a.png": b"x", "CamVid/train.txt": b"a b\n"})
    safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "CamVid" / "train" / "a.png").read_bytes() == b"x"


@pytest.mark.parametrize("name, why", [("../evil.txt", "outside the target"), ("a/../../evil.txt", "outside the target"),
                                       ("/etc/evil.txt", "absolute path")])
def test_zip_members_outside_are_refused_before_anything_is_written(tmp_path, name, why):
    archive = make_zip(tmp_path / "bad.zip", {"fine.txt": b"ok", name: b"evil"})
    with pytest.raises(DataError, match=f"bad.zip: refusing member {name} .*{why}"):
        safe_extract(archive, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []
    assert not (tmp_path / "evil.txt").exists()


def test_zip_symlink_pointing_out_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("data/escape")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "../../outside")
    with pytest.raises(DataError, match="refusing link data/escape"):
        safe_extract(archive, tmp_path / "out")


def add_tar_member(tf, name, data=b"", kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    tf.addfile(info, io.BytesIO(data))


def test_tar_extracts_and_refuses_escapes(tmp_path):
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tf:
        add_tar_member(tf, "Sitting/img/image1.jpg", b"jpg")
    safe_extract(good, tmp_path / "out")
    assert (tmp_path / "out" / "Sitting" / "img" / "image1.jpg").read_bytes() == b"jpg"
    for name, kind, link in (("../up.txt", tarfile.REGTYPE, ""), ("/abs.txt", tarfile.REGTYPE, ""),
                             ("Sitting/ln", tarfile.SYMTYPE, "/etc/passwd")):
        bad = tmp_path / "bad.tar"
        with tarfile.open(bad, "w") as tf:
            add_tar_member(tf, "Sitting/ok.txt", b"ok")
            add_tar_member(tf, name, b"x" if kind == tarfile.REGTYPE else b"", kind, link)
        with pytest.raises(DataError, match=f"refusing member {name}"):
            safe_extract(bad, tmp_path / "out2")
        assert not (tmp_path / "out2" / "Sitting" / "ok.txt").exists()


def test_not_an_archive(tmp_path):
    (tmp_path / "x.zip").write_text("hello")
    with pytest.raises(DataError, match="not a zip or tar archive"):
        safe_extract(tmp_path / "x.zip", tmp_path / "out")
