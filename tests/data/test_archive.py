import io
import os
import stat
import tarfile
import zipfile
import zlib

import pytest

from segbench.data import archive as archive_module
from segbench.data.archive import safe_extract, unpack_limit
from segbench.errors import DataError


def make_zip(path, members):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def add_tar_member(tf, name, data=b"", kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    tf.addfile(info, io.BytesIO(data))


def files_under(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def test_plain_zip_extracts(tmp_path):
    archive = make_zip(tmp_path / "ok.zip", {"CamVid/train/a.png": b"x", "CamVid/train.txt": b"a b\n"})
    safe_extract(archive, tmp_path / "out")
    assert (tmp_path / "out" / "CamVid" / "train" / "a.png").read_bytes() == b"x"
    assert files_under(tmp_path / "out") == ["CamVid", "CamVid/train", "CamVid/train.txt", "CamVid/train/a.png"]


@pytest.mark.parametrize("name, why", [("../evil.txt", "outside the target"), ("a/../../evil.txt", "outside the target"),
                                       ("/etc/evil.txt", "absolute path")])
def test_zip_members_outside_are_refused_and_nothing_stays(tmp_path, name, why):
    archive = make_zip(tmp_path / "bad.zip", {"fine.txt": b"ok", name: b"evil"})
    with pytest.raises(DataError, match=f"bad.zip: refusing member {name} .*{why}"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "evil.txt").exists()


def test_zip_symlink_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("data/escape")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "../../outside")
    with pytest.raises(DataError, match=r"refusing member data/escape \(a symbolic link; a dataset needs only"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_tar_extracts_plain_members(tmp_path):
    good = tmp_path / "good.tar.gz"
    with tarfile.open(good, "w:gz") as tf:
        add_tar_member(tf, "./", kind=tarfile.DIRTYPE)
        add_tar_member(tf, "Sitting/img", kind=tarfile.DIRTYPE)
        add_tar_member(tf, "Sitting/img/image1.jpg", b"jpg")
    safe_extract(good, tmp_path / "out")
    assert (tmp_path / "out" / "Sitting" / "img" / "image1.jpg").read_bytes() == b"jpg"


def test_tar_symlink_chain_cannot_reach_outside(tmp_path):
    """The shape of CVE-2025-4517: links whose resolved path the filter misjudges, then a file written through
    them. The first link is refused; nothing outside changes."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    bad = tmp_path / "chain.tar"
    with tarfile.open(bad, "w") as tf:
        add_tar_member(tf, "data/ok.txt", b"ok")
        deep = "d" * 200
        add_tar_member(tf, deep, kind=tarfile.DIRTYPE)
        add_tar_member(tf, "l0", kind=tarfile.SYMTYPE, link=deep)
        add_tar_member(tf, "escape", kind=tarfile.SYMTYPE, link="l0/../../..")
        add_tar_member(tf, "escape/victim.txt", b"overwritten")
        add_tar_member(tf, "escape/new.txt", b"planted")
    with pytest.raises(DataError, match=r"chain.tar: refusing member l0 \(a symbolic link"):
        safe_extract(bad, tmp_path / "deep" / "er" / "out")
    assert victim.read_text() == "precious"
    assert not list(tmp_path.rglob("new.txt"))
    assert not (tmp_path / "deep" / "er" / "out").exists()


@pytest.mark.parametrize("kind, said", [(tarfile.LNKTYPE, "a hard link"), (tarfile.FIFOTYPE, "a FIFO"),
                                        (tarfile.CHRTYPE, "a device"), (tarfile.BLKTYPE, "a device")])
def test_tar_links_devices_and_fifos_are_refused(tmp_path, kind, said):
    bad = tmp_path / "bad.tar"
    with tarfile.open(bad, "w") as tf:
        add_tar_member(tf, "data/ok.txt", b"ok")
        add_tar_member(tf, "data/odd", kind=kind, link="data/ok.txt" if kind == tarfile.LNKTYPE else "")
    with pytest.raises(DataError, match=rf"refusing member data/odd \({said}; a dataset needs only folders and files"):
        safe_extract(bad, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_small_zip_that_unpacks_to_gigabytes_is_stopped_at_the_limit(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf, \
            zf.open("zeros.bin", "w", force_zip64=True) as out:
        zero = bytes(1 << 20)
        for _ in range(1100):  # 1.1 GiB of zeros: a 1 MB archive
            out.write(zero)
    assert bomb.stat().st_size < 2 << 20 and unpack_limit(bomb.stat().st_size) == 1 << 30
    with pytest.raises(DataError, match=r"bomb.zip: unpacks to more than 1.0 GiB .* possible decompression bomb"):
        safe_extract(bomb, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_limit_grows_with_the_archive():
    assert unpack_limit(0) == 1 << 30
    assert unpack_limit(10 << 30) == 500 << 30  # a 10 GiB archive of images may unpack to far more than 1 GiB


def test_member_count_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_module, "MAX_MEMBERS", 3)
    archive = make_zip(tmp_path / "many.zip", {f"f{i}.txt": b"" for i in range(5)})
    with pytest.raises(DataError, match="many.zip: more than 3 members"):
        safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_truncated_and_corrupt_archives_end_in_one_line(tmp_path):
    data = os.urandom(200_000)  # incompressible, so the archive is long enough to cut
    tgz = tmp_path / "full.tar.gz"
    with tarfile.open(tgz, "w:gz") as tf:
        add_tar_member(tf, "a.bin", data)
        add_tar_member(tf, "b.bin", data)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tgz.read_bytes()[: tgz.stat().st_size // 2])
    with pytest.raises(DataError, match=r"cut.tar.gz: damaged archive \(") as raised:
        safe_extract(cut, tmp_path / "out")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "out").exists()

    flipped = bytearray(make_zip(tmp_path / "zip.zip", {"a.bin": data}).read_bytes())
    flipped[len(flipped) // 2] ^= 0xFF  # inside the member's compressed data: its CRC no longer matches
    (tmp_path / "flipped.zip").write_bytes(bytes(flipped))
    with pytest.raises(DataError, match=r"flipped.zip: damaged archive \("):
        safe_extract(tmp_path / "flipped.zip", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_encrypted_zip_is_refused(tmp_path):
    archive = bytearray(make_zip(tmp_path / "plain.zip", {"a.txt": b"secret"}).read_bytes())
    # zipfile cannot write encrypted members; set the "encrypted" flag in the local and the central header.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = archive.index(signature) + offset
        archive[at] |= 0x1
    (tmp_path / "locked.zip").write_bytes(bytes(archive))
    with pytest.raises(DataError, match="locked.zip: member a.txt is encrypted"):
        safe_extract(tmp_path / "locked.zip", tmp_path / "out")


def test_a_member_twice_is_refused(tmp_path):
    archive = tmp_path / "twice.tar"
    with tarfile.open(archive, "w") as tf:
        add_tar_member(tf, "a.txt", b"first")
        add_tar_member(tf, "a.txt", b"second")
    with pytest.raises(DataError, match="twice.tar: member a.txt appears twice"):
        safe_extract(archive, tmp_path / "out")


def test_a_file_where_a_folder_was_made_is_not_called_a_member_twice(tmp_path):
    """A folder entry, then a file of its name: "member d/extra appears twice", of a folder and a file."""
    archive = tmp_path / "both.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("d/extra/", b"")
        zf.writestr("d/extra", b"a file")
    with pytest.raises(DataError, match="both.zip: member d/extra is a file where an earlier member made a folder of "
                                        "its name$"):
        safe_extract(archive, tmp_path / "out")


def test_a_member_that_cannot_be_written_is_named(tmp_path):
    """A file, then a folder of its name: "cannot unpack into out (File exists)" named no member."""
    archive = tmp_path / "clash.tar"
    with tarfile.open(archive, "w") as tf:
        add_tar_member(tf, "CamVid/extra", b"a file")
        add_tar_member(tf, "CamVid/extra/inner.png", b"in a folder of that name")
    with pytest.raises(DataError) as caught:
        safe_extract(archive, tmp_path / "out")
    assert str(caught.value) == (f"{archive}: cannot unpack member CamVid/extra/inner.png into {tmp_path / 'out'} (an "
                                 "earlier member is a file of a folder's name it needs)")
    assert not (tmp_path / "out").exists()


def test_not_an_archive_and_an_existing_target(tmp_path):
    (tmp_path / "x.zip").write_text("hello")
    with pytest.raises(DataError, match="x.zip: not a zip or tar archive"):
        safe_extract(tmp_path / "x.zip", tmp_path / "out")
    archive = make_zip(tmp_path / "ok.zip", {"a.txt": b"a"})
    (tmp_path / "taken").mkdir()
    with pytest.raises(DataError, match="taken: already exists"):
        safe_extract(archive, tmp_path / "taken")


def test_odd_member_names_are_one_line_or_plain_names(tmp_path):
    """A member with an empty name is skipped as "./" is (zipfile's is_dir indexed it: IndexError); a path thousands
    of folders deep is refused (pathlib's mkdir recursed past Python's limit); a colon after more than one letter is
    a name, not a Windows drive."""
    with zipfile.ZipFile(tmp_path / "empty-name.zip", "w") as zf:
        zf.writestr(zipfile.ZipInfo(""), b"x")
        zf.writestr("12:30 frame.png", b"x")
    safe_extract(tmp_path / "empty-name.zip", tmp_path / "out")
    assert files_under(tmp_path / "out") == ["12:30 frame.png"]
    deep = make_zip(tmp_path / "deep.zip", {"/".join(["d"] * 2000) + "/f": b"x"})
    with pytest.raises(DataError, match="deep.zip: refusing member d/d/.*2,000 folders deep"):
        safe_extract(deep, tmp_path / "deep")
    assert not (tmp_path / "deep").exists()
    with pytest.raises(DataError, match="refusing member C:x.png \\(absolute path\\)"):
        safe_extract(make_zip(tmp_path / "drive.zip", {"C:x.png": b"x"}), tmp_path / "drive")


def test_a_folder_nested_hundreds_deep_is_refused_in_one_line(tmp_path):
    """os.walk recurses once per level: at 1,100 levels a --from FOLDER ended in a RecursionError traceback."""
    from segbench.data.archive import safe_copy

    os.makedirs(tmp_path.joinpath("src", *["d"] * 300))
    with pytest.raises(DataError, match="src: holds folders nested more than 256 deep \\(below d/\\)"):
        safe_copy(tmp_path / "src", tmp_path / "copy")
    assert not (tmp_path / "copy").exists()


def test_a_plain_tar_whose_last_member_is_a_zip_unpacks_the_tar(tmp_path):
    """zipfile.is_zipfile found the inner zip's end record in the tar's last 64 KiB, and the inner zip was unpacked
    in the tar's place (probe 12 case 5)."""
    inner = make_zip(tmp_path / "sample.zip", {"CamVid/train/s.png": b"sample"})
    archive = tmp_path / "full.tar"
    with tarfile.open(archive, "w") as tf:
        add_tar_member(tf, "CamVid/train/a.png", b"full")
        tf.add(inner, "CamVid/sample.zip")
    assert zipfile.is_zipfile(archive)  # what misled the unpacker
    safe_extract(archive, tmp_path / "out")
    assert files_under(tmp_path / "out") == ["CamVid", "CamVid/sample.zip", "CamVid/train", "CamVid/train/a.png"]


def test_a_zip_s_folders_named_with_windows_backslashes_are_folders(tmp_path):
    """Probe 21a case 3: a zip written on Windows named its folders `CamVid\\` and `CamVid\\train\\`; each was
    unpacked as an empty file, and the first file under it was refused as if the archive held a file and a folder
    of one name. A folder member marked so by its Unix mode alone (no trailing separator) is a folder too."""
    archive = tmp_path / "windows.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("CamVid\\", "CamVid\\train\\"):
            zf.writestr(zipfile.ZipInfo(name), b"")
        folder = zipfile.ZipInfo("CamVid\\test")
        folder.external_attr = (stat.S_IFDIR | 0o755) << 16
        zf.writestr(folder, b"")
        zf.writestr("CamVid\\train\\a.png", b"x")
        zf.writestr("CamVid\\test\\b.png", b"y")
    safe_extract(archive, tmp_path / "out")
    assert files_under(tmp_path / "out") == ["CamVid", "CamVid/test", "CamVid/test/b.png", "CamVid/train",
                                             "CamVid/train/a.png"]
    assert (tmp_path / "out" / "CamVid" / "train" / "a.png").read_bytes() == b"x"


def test_a_tar_cut_short_at_or_in_a_member_s_header_is_damaged_not_shorter(tmp_path):
    """Probe 22a case 1: a plain tar cut at a member's header (or inside one) was unpacked without its last members,
    rc 0, and verify said OK of a test split one pair short: tarfile takes such a header for the archive's end.
    A header damaged in the middle was the end too. Only tar's block of zeros ends an archive."""
    whole = tmp_path / "whole.tar"
    with tarfile.open(whole, "w") as tf:
        for name in ("CamVid/a.png", "CamVid/b.png", "CamVid/c.png"):
            add_tar_member(tf, name, b"z" * 1000)  # 512 bytes of header and 1024 of data each
    data = whole.read_bytes()
    safe_extract(whole, tmp_path / "out")
    assert files_under(tmp_path / "out") == ["CamVid", "CamVid/a.png", "CamVid/b.png", "CamVid/c.png"]
    damaged = bytearray(data)
    damaged[1536 + 100] ^= 0xFF  # b.png's header, its checksum now wrong
    for cut, after in ((data[:1536], "CamVid/a.png"), (data[:1536 * 2 + 172], "CamVid/b.png"),
                       (data[:1536 * 3], "CamVid/c.png"), (bytes(damaged), "CamVid/a.png")):
        (tmp_path / "cut.tar").write_bytes(cut)
        with pytest.raises(DataError) as refused:
            safe_extract(tmp_path / "cut.tar", tmp_path / "cut")
        assert str(refused.value) == (f"{tmp_path / 'cut.tar'}: damaged archive (it ends without tar's end-of-archive "
                                      f"block, after member {after}: cut short, or a header damaged)")
        assert not (tmp_path / "cut").exists()


def test_a_zip_s_utf_8_names_written_without_their_flag_are_read_as_utf_8(tmp_path):
    """Probe 22a case 2: Info-ZIP's `zip` on Linux (and macOS' Archive Utility) write UTF-8 names without the UTF-8
    flag; zipfile read `café1.jpg` as CP437, `caf├⌐1.jpg`, and a pair list naming it found nothing. A name in Info-ZIP's
    Unicode Path extra field is taken from there; bytes that are no UTF-8 stay CP437."""
    archive = tmp_path / "linux.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("data/cafXX1.jpg", b"x")  # ASCII of the UTF-8 name's length, so its bytes can be put in below
        named = zipfile.ZipInfo("data/plain.jpg")  # a CP437 name in the header, the UTF-8 one in the extra field
        utf8 = "data/ñandú.jpg".encode()
        field = b"\x01" + zlib.crc32(b"data/plain.jpg").to_bytes(4, "little") + utf8
        named.extra = (0x7075).to_bytes(2, "little") + len(field).to_bytes(2, "little") + field
        zf.writestr(named, b"y")
        zf.writestr("data/xQ.jpg", b"w")  # to be the byte 0x82: no UTF-8, so CP437's é
    archive.write_bytes(archive.read_bytes().replace(b"cafXX1.jpg", "café1.jpg".encode()).replace(b"xQ", b"x\x82"))
    with zipfile.ZipFile(archive) as zf:
        assert not any(info.flag_bits & 0x800 for info in zf.infolist())
    safe_extract(archive, tmp_path / "out")
    assert files_under(tmp_path / "out") == ["data", "data/café1.jpg", "data/xé.jpg", "data/ñandú.jpg"]


def test_a_zip_of_a_method_zipfile_lacks_is_said_so_not_damaged(tmp_path):
    """Probe 22a case 12: a Deflate64 zip (Windows Explorer writes them for large files), sound, was called a
    'damaged archive (That compression method is not supported)'."""
    archive = make_zip(tmp_path / "big.zip", {"CamVid/a.png": b"x" * 100})
    data = bytearray(archive.read_bytes())
    for signature, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # the method of the local and central headers
        start = data.index(signature)
        data[start + at:start + at + 2] = (9).to_bytes(2, "little")  # 9: Deflate64
    archive.write_bytes(bytes(data))
    with pytest.raises(DataError) as refused:
        safe_extract(archive, tmp_path / "out")
    assert str(refused.value) == (f"{archive}: compressed by a method Python's zipfile cannot read (That compression "
                                  "method is not supported); unpack it with 7-Zip or unzip, then give the folder to "
                                  "--from")
    assert not (tmp_path / "out").exists()
