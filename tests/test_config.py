import os
from pathlib import Path

import pytest
import yaml

from segbench.config import dataset_config, load_config, parse_override
from segbench.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def base_dir(tmp_path):
    write(tmp_path / "_base" / "data.yaml", "dataset:\n  name: synthetic\n  num_images: {train: 64, val: 16, test: 16}\n")
    write(tmp_path / "_base" / "model.yaml", "model:\n  name: segnet\n  input_size: [64, 64]\n")
    write(tmp_path / "_base" / "train.yaml", "train:\n  epochs: 5\n  learning_rate: 0.01\n")
    return tmp_path


def child(base_dir, text, name="run.yaml"):
    bases = "base: [_base/data.yaml, _base/model.yaml, _base/train.yaml]\n"
    return write(base_dir / name, bases + text)


def test_bases_merge_deeply_and_the_child_wins(base_dir):
    cfg = load_config(child(base_dir, "dataset:\n  num_images: {train: 8}\ntrain:\n  epochs: 2\n"))
    assert cfg.dataset.num_images.train == 8
    assert cfg.dataset.num_images.val == 16  # kept from the base: sections merge key by key
    assert cfg.train.epochs == 2
    assert cfg.train.learning_rate == 0.01
    assert cfg.model.input_size == [64, 64]


def test_later_bases_override_earlier_ones(tmp_path):
    write(tmp_path / "a.yaml", "dataset: {name: synthetic}\nmodel: {name: segnet}\ntrain: {epochs: 1}\n")
    write(tmp_path / "b.yaml", "train: {epochs: 7}\n")
    assert load_config(write(tmp_path / "c.yaml", "base: [a.yaml, b.yaml]\n")).train.epochs == 7


def test_nested_bases_resolve_relative_to_their_own_file(tmp_path, monkeypatch):
    write(tmp_path / "x" / "_base" / "all.yaml", "dataset: {name: synthetic}\nmodel: {name: segnet}\n")
    write(tmp_path / "x" / "mid.yaml", "base: _base/all.yaml\ntrain: {epochs: 3}\n")
    leaf = write(tmp_path / "y" / "leaf.yaml", "base: ../x/mid.yaml\n")
    monkeypatch.chdir(tmp_path / "y")
    cfg = load_config(leaf)
    assert (cfg.dataset.name, cfg.train.epochs) == ("synthetic", 3)


def test_lists_are_replaced_not_merged(base_dir):
    assert load_config(child(base_dir, "model:\n  input_size: [32, 48]\n")).model.input_size == [32, 48]


def test_set_overrides_parse_values_as_yaml(base_dir):
    cfg = load_config(child(base_dir, ""), ["model.input_size=[96,128]", "train.learning_rate=2e-4",
                                            "dataset.subset=3", "model.width=0.5"])
    assert cfg.model.input_size == [96, 128]
    assert cfg.train.learning_rate == pytest.approx(2e-4)
    assert cfg.dataset.subset == 3
    assert cfg.model.width == 0.5


def test_set_null_and_strings():
    assert parse_override("dataset.root=null") == (("dataset", "root"), None)
    assert parse_override("dataset.root=/data/camvid") == (("dataset", "root"), "/data/camvid")
    assert parse_override("output.dir=") == (("output", "dir"), None)


def test_a_tab_and_keys_of_other_scripts_are_told_in_words(base_dir):
    """A tab was libyaml's "found character that cannot start any token"; `train.ëpochs` was "expected KEY.PATH=VALUE"
    where `train.epöchs` got "did you mean" (probe 19a cases 22, 19)."""
    assert error_of(child(base_dir, "train:\n\tepochs: 1\n")).endswith(
        "run.yaml: line 3: a tab at column 1, where YAML takes spaces only")
    assert error_of(child(base_dir, "model:\n  name: @x\n")).endswith(
        "line 3: found character that cannot start any token")
    for key in ("ëpochs", "epöchs"):
        assert error_of(child(base_dir, ""), [f"train.{key}=1"]) == (
            f"--set train.{key}: unknown key 'train.{key}' (did you mean 'train.epochs'?)")
    assert error_of(child(base_dir, ""), ["train.1x=1"]) == (
        "--set train.1x=1: expected KEY.PATH=VALUE, e.g. train.epochs=5")


def test_defaults_and_run_dir(base_dir):
    cfg = load_config(child(base_dir, ""))
    assert cfg.eval.split == "test"
    assert str(cfg.run_dir()) == "results/synthetic/segnet"


def error_of(path, overrides=()):
    with pytest.raises(ConfigError) as info:
        load_config(path, list(overrides))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_typo_names_the_file_and_the_closest_key(base_dir):
    path = child(base_dir, "train:\n  epoch: 3\n")
    assert error_of(path) == f"{path}: unknown key 'train.epoch' (did you mean 'train.epochs'?)"


def test_typo_in_a_base_file_names_that_base(base_dir):
    write(base_dir / "_base" / "train.yaml", "train:\n  epochs: 5\n  learnig_rate: 0.01\n")
    message = error_of(child(base_dir, ""))
    assert message.startswith(str(base_dir / "_base" / "train.yaml"))
    assert "did you mean 'train.learning_rate'?" in message


def test_unknown_section_suggests_the_section(base_dir):
    assert "did you mean 'dataset'?" in error_of(child(base_dir, "datset:\n  root: x\n"))


def test_typo_in_set_names_the_override(base_dir):
    message = error_of(child(base_dir, ""), ["dataset.num_images.trian=3"])
    assert message == ("--set dataset.num_images.trian: unknown key 'dataset.num_images.trian' "
                       "(did you mean 'dataset.num_images.train'?)")


def test_an_unknown_key_a_longer_set_path_made_names_that_set(base_dir):
    # Once blamed on run.yaml, which holds a train section but no 'trän' nor 'train.a'.
    assert error_of(child(base_dir, ""), ["trän.epochs=1"]) == (
        "--set trän.epochs: unknown key 'trän' (did you mean 'train'?)")
    assert error_of(child(base_dir, ""), ["train.a.b.c=1"]) == "--set train.a.b.c: unknown key 'train.a'"


def test_a_section_emptied_by_set_blames_the_set_not_the_file_it_emptied(base_dir):
    assert error_of(child(base_dir, ""), ["dataset={}"]) == (
        "--set dataset: missing key 'dataset.name' "
        "(available: ade20k, camvid, cityscapes, folder, sitting, suim, synthetic, voc)")
    # A later --set replaces an earlier one's keys the same way.
    assert error_of(child(base_dir, ""), ["model.name=segnet", "model={input_size: [64, 64]}"]).startswith(
        "--set model: missing key 'model.name' (available: ")


def test_a_section_given_a_value_is_named_as_the_user_writes_it(base_dir):
    assert error_of(child(base_dir, ""), ["train=null"]) == (
        "--set train: expected a section (a mapping of keys such as epochs, batch_size, seed), got null")
    path = child(base_dir, "eval: 3\n")
    assert error_of(path) == (f"{path}: eval: expected a section (a mapping of keys such as split, batch_size, "
                              "checkpoint), got 3")


def test_wrong_types_are_not_coerced(base_dir):
    assert "train.epochs: input should be a valid integer (got 'three')" in error_of(
        child(base_dir, "train:\n  epochs: three\n"))
    assert "train.epochs" in error_of(child(base_dir, "train:\n  epochs: '3'\n"))
    assert "train.epochs" in error_of(child(base_dir, "train:\n  epochs: yes\n"))


def test_out_of_range_values(base_dir):
    assert "train.epochs" in error_of(child(base_dir, "train:\n  epochs: 0\n"))
    assert "dataset.subset" in error_of(child(base_dir, "dataset:\n  subset: -1\n"))
    assert "model.input_size" in error_of(child(base_dir, "model:\n  input_size: [64]\n"))
    # Seeds numpy cannot take: a traceback once the run folder was made (train), "cannot be read" of a sample (data).
    assert error_of(child(base_dir, ""), ["train.seed=-1"]) == (
        "--set train.seed: input should be greater than or equal to 0 (got -1)")
    assert "train.seed" in error_of(child(base_dir, ""), ["train.seed=4294967296"])
    assert "dataset.seed" in error_of(child(base_dir, ""), ["dataset.seed=-1"])
    # inf passed "greater than 0" and diverged at the first step; 10**30 images a batch overflowed numpy once trained.
    assert error_of(child(base_dir, "train:\n  learning_rate: .inf\n")).endswith(
        "train.learning_rate: input should be a finite number (got inf)")
    assert "train.poly_power" in error_of(child(base_dir, ""), ["train.poly_power=.inf"])
    assert error_of(child(base_dir, ""), ["eval.batch_size=1000000000000000000000000000000"]).startswith(
        "--set eval.batch_size: input should be less than or equal to 1024")
    assert "train.batch_size" in error_of(child(base_dir, ""), ["train.batch_size=1025"])
    # 10^23 epochs: TensorFlow's overflow traceback under the cosine and poly schedules (probe 20a case 8).
    assert error_of(child(base_dir, ""), ["train.epochs=99999999999999999999999"]).startswith(
        "--set train.epochs: input should be less than or equal to 100000")
    assert "train.workers" in error_of(child(base_dir, ""), ["train.workers=1000000"])
    # 10^11 synthetic scenes: minutes of listing Samples, nothing printed, until memory ran out (probe 19a case 17).
    assert error_of(child(base_dir, ""), ["dataset.num_images={train: 100000000000}"]) == (
        "--set dataset.num_images: dataset.num_images.train: input should be less than or equal to 10000000 (got "
        "100000000000)")


def test_unknown_dataset_suggests_or_lists_the_available_ones(base_dir):
    path = child(base_dir, "dataset:\n  name: camvd\n")
    assert error_of(path) == f"{path}: dataset.name: unknown dataset 'camvd' (did you mean 'camvid'?)"
    path = child(base_dir, "dataset:\n  name: mapillary\n")
    assert error_of(path) == (f"{path}: dataset.name: unknown dataset 'mapillary' "
                              "(available: ade20k, camvid, cityscapes, folder, sitting, suim, synthetic, voc)")


def test_a_name_yaml_reads_as_no_string_is_refused_where_it_was_given(base_dir):
    # A number, a boolean or a date is not a string: it was checked against the section of no dataset or model, so
    # the base's own keys were blamed as unknown ("_base/data.yaml: unknown key 'dataset.num_images'").
    path = child(base_dir, "")
    assert error_of(path, ["dataset.name=123"]) == (
        "--set dataset.name: expected the name of a dataset, got 123 "
        "(available: ade20k, camvid, cityscapes, folder, sitting, suim, synthetic, voc)")
    assert error_of(path, ["model.name=true"]).startswith("--set model.name: expected the name of a model, got true")
    assert error_of(path, ["dataset.name=null"]).startswith("--set dataset.name: expected the name of a dataset, got null")
    assert error_of(path, ["model={}"]).startswith("--set model: missing key 'model.name' (available: ")
    written = child(base_dir, "model:\n  name: 2020-01-01\n", name="dated.yaml")
    assert error_of(written).startswith(
        f"{written}: model.name: expected the name of a model, got 2020-01-01, which YAML reads as a date")
    # An unknown name given by --set is said once, after the --set that gave it.
    assert error_of(path, ["model.name=segnett"]) == "--set model.name: unknown model 'segnett' (did you mean 'segnet'?)"


def test_a_date_is_echoed_as_written(base_dir):
    path = child(base_dir, "train:\n  epochs: 2020-01-01\n")
    assert error_of(path) == (f"{path}: train.epochs: input should be a valid integer "
                              "(got 2020-01-01, which YAML reads as a date)")


@pytest.mark.parametrize("value, said", [
    # A list of weights was told it is not one of the two words, its null hidden behind "[and 1 more problem]",
    # and echoed as Python writes it.
    ("[1,null,2]", "train.class_weights.1: input should be a valid number (got null)"),
    ("[1,2020-01-01,2]", ("train.class_weights.1: input should be a valid number (got 2020-01-01, which YAML "
                          "reads as a date)")),
    ("medianfreq", "input should be 'none' or 'median_frequency' (got 'medianfreq')"),
    ("{a: null}", "input should be 'none' or 'median_frequency' (got {a: null})"),
])
def test_a_union_is_told_the_problem_of_the_branch_the_value_is_of_and_echoed_as_yaml(base_dir, value, said):
    assert error_of(child(base_dir, ""), [f"train.class_weights={value}"]) == f"--set train.class_weights: {said}"


def test_a_typo_is_reported_before_the_key_it_leaves_missing(tmp_path):
    path = write(tmp_path / "c.yaml", "dataset: {name: folder, num_clases: 3}\nmodel: {name: segnet}\n")
    assert "unknown key 'dataset.num_clases' (did you mean 'dataset.num_classes'?)" in error_of(path)


def test_unknown_model_suggests_a_near_name(base_dir):
    assert "did you mean 'segnet'?" in error_of(child(base_dir, "model:\n  name: segnett\n"))


def test_missing_name(tmp_path):
    assert "missing key 'dataset.name'" in error_of(write(tmp_path / "c.yaml", "dataset: {}\nmodel: {name: segnet}\n"))


def test_python_tags_are_refused(tmp_path):
    path = write(tmp_path / "evil.yaml", "train: !!python/object/apply:os.system ['echo pwned']\n")
    message = error_of(path)
    assert message.startswith(f"{path}: line 1:")
    assert "!!python/object/apply:os.system" in message


def test_missing_file(tmp_path):
    assert error_of(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}: no such config file"


def test_missing_base(tmp_path):
    assert "base: gone.yaml not found" in error_of(write(tmp_path / "c.yaml", "base: gone.yaml\n"))


@pytest.mark.parametrize("what, said", [("folder", "is a folder, not a file"), ("fifo", "is a FIFO (a named pipe), not a file"),
                                        ("dangling link", "is a link to nothing")])
def test_a_config_or_base_that_is_there_but_no_file_is_called_what_it_is(tmp_path, what, said):
    """A folder, a FIFO or /dev/zero named as a config or a base was "not found"/"no such config file", sending the
    user to look for a file that is there."""
    there = tmp_path / "there.yaml"
    {"folder": there.mkdir, "fifo": lambda: os.mkfifo(there),
     "dangling link": lambda: there.symlink_to(tmp_path / "gone")}[what]()
    assert error_of(there) == f"{there}: {said}"
    # A base or plugin is looked for where its links lead, so a dangling one names the place it leads to (it was "not
    # found", which guarantees.md said it is not: probe 17b case 21).
    def looked(path):
        return f"{said} (looked for {tmp_path / 'gone'})" if what == "dangling link" else f"{said} (looked for {path})"

    assert error_of(write(tmp_path / "c.yaml", "base: there.yaml\n")) == \
        f"{tmp_path / 'c.yaml'}: base: there.yaml {looked(there)}"
    plugin = tmp_path / "plugin.py"
    there.rename(plugin)
    assert error_of(write(tmp_path / "d.yaml", f"imports: [{plugin}]\n")) == \
        f"{tmp_path / 'd.yaml'}: imports: {plugin} {looked(plugin)}"


def test_base_cycle(tmp_path):
    write(tmp_path / "a.yaml", "base: b.yaml\n")
    assert "cycle" in error_of(write(tmp_path / "b.yaml", "base: a.yaml\n"))


def test_not_a_mapping(tmp_path):
    assert "expected a mapping" in error_of(write(tmp_path / "c.yaml", "- dataset\n- model\n"))


def test_bad_override_syntax(base_dir):
    assert "expected KEY.PATH=VALUE" in error_of(child(base_dir, ""), ["train.epochs"])
    assert "is a value, not a section" in error_of(child(base_dir, ""), ["train.epochs.x=1"])
    # An item by its index was called the wrong form, though it is KEY.PATH=VALUE as the message asked.
    assert error_of(child(base_dir, ""), ["model.input_size.0=64"]) == \
        "--set model.input_size.0=64: a list is set whole, not one item by its index (e.g. model.input_size=[...])"


def test_a_warm_up_longer_than_the_run_is_refused(base_dir):
    # Once accepted: the run ended still warming up, never at the learning rate it was given.
    assert error_of(child(base_dir, ""), ["train.warmup_epochs=6"]) == (
        "--set train.warmup_epochs: longer than the run's 5 epochs: the rate would never reach train.learning_rate "
        "(got 6.0)")
    assert load_config(child(base_dir, ""), ["train.warmup_epochs=5"]).train.warmup_epochs == 5


def test_model_specific_checks(base_dir):
    assert "multiples of 16" in error_of(child(base_dir, "model:\n  input_size: [90, 128]\n"))
    assert "from scratch" in error_of(child(base_dir, "model:\n  encoder_weights: imagenet\n"))


def test_a_key_checked_against_another_is_blamed_where_it_was_set(base_dir):
    """The input size fits or not by the output stride: the section checks both, the message names the one key at
    fault and where it was written, not the section and its base."""
    run = child(base_dir, "model:\n  name: resnet50_deeplabv3plus\n  encoder_weights: null\n")
    assert error_of(run, ["model.input_size=[72,96]"]) == (
        "--set model.input_size: resnet50_deeplabv3plus pools down to 1/16: height and width must be multiples of "
        "16 (got [72, 96])")
    assert error_of(run, ["model.output_stride=32"]) == (
        "--set model.output_stride: resnet50_deeplabv3plus runs at output stride 16 or 8 (got 32)")
    assert load_config(run, ["model.input_size=[72,96]", "model.output_stride=8"]).model.output_stride == 8
    assert load_config(run).model.output_stride == 16  # the model's default, written into the resolved config


def test_resolved_config_round_trips(base_dir, tmp_path):
    cfg = load_config(child(base_dir, ""), ["train.seed=4"])
    dumped = write(tmp_path / "resolved.yaml", yaml.safe_dump(cfg.model_dump(mode="json")))
    assert load_config(dumped).model_dump() == cfg.model_dump()


def test_exponent_floats_are_floats(base_dir):
    cfg = load_config(child(base_dir, "train:\n  learning_rate: 1e-4\n"), ["model.width=5E-1"])
    assert cfg.train.learning_rate == pytest.approx(1e-4)
    assert cfg.model.width == 0.5


def test_shipped_configs_validate():
    configs = [p for p in (ROOT / "configs").rglob("*.yaml") if "_base" not in p.parts]
    assert configs
    for path in configs:
        load_config(path)


def test_a_set_cannot_replace_the_dataset_the_command_line_names():
    # `datasets imitate suim --root R --set dataset.root=ELSEWHERE` wrote into ELSEWHERE; dataset.name=camvid was
    # ignored and suim written.
    with pytest.raises(ConfigError, match=r"^--set dataset.root: --root gives it \(R\); leave out the --set$"):
        dataset_config("suim", "R", ["dataset.root=ELSEWHERE"])
    with pytest.raises(ConfigError, match=r"^--set name: the command names it 'suim'; leave out the --set$"):
        dataset_config("suim", "R", ["name=camvid"])
    assert dataset_config("suim", None, ["root=ELSEWHERE"]).root == "ELSEWHERE"  # without --root, a --set gives it


def test_a_key_given_twice_is_refused_with_both_lines(base_dir):
    # PyYAML keeps the last one silently: `epochs: 1` above `epochs: 7` ran 7 epochs.
    path = child(base_dir, "train:\n  epochs: 1\n  epochs: 7\n")
    assert error_of(path) == f"{path}: line 4: key 'epochs' given twice in one mapping (first on line 3)"
    # A second section replaced the first whole: epochs 1 was lost without a word.
    assert "key 'train' given twice" in error_of(child(base_dir, "train: {epochs: 1}\ntrain: {batch_size: 2}\n"))
    assert "key 'epochs' given twice" in error_of(child(base_dir, ""), ["train={epochs: 1, epochs: 2}"])


def test_a_merge_key_may_be_overridden(base_dir):
    cfg = load_config(child(base_dir, "train:\n  <<: {epochs: 1, batch_size: 3}\n  epochs: 2\n"))
    assert (cfg.train.epochs, cfg.train.batch_size) == (2, 3)


def test_a_base_shared_along_many_paths_is_read_once(tmp_path, monkeypatch):
    # A diamond of 40 levels, each file naming the one below twice: 2**40 readings before the cache, a hang.
    write(tmp_path / "d0.yaml", "dataset: {name: synthetic}\nmodel: {name: segnet}\ntrain: {epochs: 3}\nimports: []\n")
    for level in range(1, 41):
        write(tmp_path / f"d{level}.yaml", f"base: [d{level - 1}.yaml, d{level - 1}.yaml]\n")
    from segbench import config
    reads = []
    real = config._read_yaml
    monkeypatch.setattr(config, "_read_yaml", lambda path: reads.append(path) or real(path))
    assert load_config(tmp_path / "d40.yaml").train.epochs == 3
    assert len(reads) == 41


def test_a_set_relative_to_the_dataset_is_named_once(tmp_path):
    # `datasets imitate folder --set classes=...` said "--set classes: dataset.classes: ...".
    with pytest.raises(ConfigError) as info:
        dataset_config("folder", str(tmp_path), ["classes=[a, b, a]"])
    assert str(info.value).startswith("--set classes: 'a' and 'a' name classes 0 and 2 alike; each class needs a name")


def test_an_empty_dataset_root_is_refused_not_read_as_the_default(base_dir):
    # `dataset.root: ""` read datasets/<name> without a word; null (or `--set dataset.root=`) is the default.
    assert error_of(child(base_dir, ""), ['dataset.root=""']) == (
        "--set dataset.root: string should have at least 1 character (got '')")
    assert "dataset.root" in error_of(child(base_dir, "dataset:\n  root: '  '\n"))
    assert load_config(child(base_dir, ""), ["dataset.root="]).dataset.root is None


def test_a_set_imports_replaces_the_files_own_so_a_moved_plugin_can_be_named_again(tmp_path, monkeypatch):
    """docs/models.md: a plugin file that moves is named again with --set imports=[...]. The file's own missing
    plugin was looked for as the file was read, before any --set, so no --set (not even imports=[]) got past it."""
    config = write(tmp_path / "m" / "c.yaml", "imports: [gone.py]\ndataset: {name: synthetic}\nmodel: {name: segnet}\n")
    assert error_of(config) == f"{config}: imports: gone.py not found (looked for {tmp_path / 'm' / 'gone.py'})"
    assert load_config(config, ["imports=[]"]).model.name == "segnet"
    moved = write(tmp_path / "n" / "moved.py", "MARK = 1\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(config, ["imports=[n/moved.py]"]).imports == [str(moved)]
    # A base's missing plugin is named by the base, as before, when nothing replaces it.
    child = write(tmp_path / "m" / "child.yaml", "base: c.yaml\n")
    assert error_of(child).startswith(f"{config}: imports: gone.py not found")


def test_an_empty_base_name_is_said_to_be_empty(tmp_path):
    """`base: [""]` read the config's own folder: "base:  is a folder, not a file" (probe 16c case 20)."""
    for given in ('base: [""]', 'base: " "', 'base: [a.yaml, ""]'):
        config = write(tmp_path / "c.yaml", given + "\n")
        assert error_of(config) == f"{config}: base: expected a file name or a list of file names, got an empty one"


def test_a_base_s_key_of_another_dataset_or_model_says_so(base_dir):
    """Probe 21a case 7: a config naming dataset folder over the demo's synthetic base was told "unknown key
    'dataset.image_size' (did you mean 'dataset.image_suffix'?)", of a key it never wrote; and mmsegmentation's
    `_base_` got no hint. A file's own key of the wrong dataset keeps the plain message."""
    write(base_dir / "_base" / "data.yaml", "dataset:\n  name: synthetic\n  image_size: [64, 64]\n")
    path = child(base_dir, "dataset:\n  name: folder\n  num_classes: 3\n")
    assert error_of(path) == (
        f"{base_dir / '_base' / 'data.yaml'}: unknown key 'dataset.image_size' for the dataset 'folder' that {path} "
        "names: it is a key of 'synthetic', which this file names, and a base's dataset keys merge into a config's; "
        "base your config on files that set none (configs/_base/schedule.yaml and configs/_base/models/*.yaml set "
        "no dataset)")
    assert error_of(child(base_dir, ""), ["dataset.name=folder", "dataset.num_classes=3"]).endswith(
        "set no dataset), or give the whole section (--set 'dataset={name: folder, ...}' replaces the files')")
    write(base_dir / "_base" / "model.yaml", "model:\n  name: pspnet_50\n  weights: null\n")
    assert error_of(child(base_dir, "model: {name: segnet}\n")) == (
        f"{base_dir / '_base' / 'model.yaml'}: unknown key 'model.weights' for the model 'segnet' that "
        f"{base_dir / 'run.yaml'} names: it is a key of 'pspnet_50', which this file names, and a base's model keys "
        "merge into a config's; base your config on files that set none (configs/_base/schedule.yaml and "
        "configs/_base/datasets/*.yaml set no model)")
    own = child(base_dir, "dataset:\n  image_suffix: .jpg\n")
    assert error_of(own) == f"{own}: unknown key 'dataset.image_suffix' (did you mean 'dataset.image_size'?)"
    assert error_of(write(base_dir / "mm.yaml", "_base_: run.yaml\n")).startswith(
        f"{base_dir / 'mm.yaml'}: unknown key '_base_' (did you mean 'base'?)")


def test_a_second_yaml_document_is_said_whole(base_dir, tmp_path):
    """Probe 22a case 8: a config or class file with a second document (`---`) was "line 4: but found another
    document", the second half of PyYAML's sentence, saying neither what nor what to do."""
    from segbench.data.description import load
    from segbench.errors import DataError

    said = "a second YAML document starts here (`---`), where the file is one; remove the line, or merge the two"
    path = child(base_dir, "train: {epochs: 2}\n---\ntrain: {epochs: 5}\n")
    assert error_of(path) == f"{path}: line 3: {said}"
    write(tmp_path / "data" / "classes.yaml", "classes: [a, b]\n---\nvoid: 255\n")
    with pytest.raises(DataError) as refused:
        load(None, {}, tmp_path / "data" / "classes.yaml")
    assert str(refused.value) == f"{tmp_path / 'data' / 'classes.yaml'}: line 2: {said}"


def test_a_leading_tilde_in_a_config_s_paths_is_the_home_folder(tmp_path, monkeypatch):
    """Probe 22a case 16: `root: ~/cvh` was "no such folder" of data that was there, and `output.dir: ~/runs` made a
    folder named `~` in the current folder, which `rm -rf ~` would have cleaned up with the home folder."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    write(home / "configs" / "model.yaml", "model: {name: vgg_unet, input_size: [64, 64]}\n")
    write(home / "w.weights.h5", "")
    write(home / "plugins" / "noop.py", "")
    path = write(tmp_path / "c.yaml", "base: ~/configs/model.yaml\nimports: [~/plugins/noop.py]\n"
                                      "dataset: {name: sitting, root: ~/data, split_file: ~/split.json}\n"
                                      "output: {dir: ~/runs/x}\n")
    cfg = load_config(path, ["model.encoder_weights=~/w.weights.h5"])
    assert (cfg.dataset.root, cfg.dataset.split_file, cfg.output.dir, cfg.model.encoder_weights) == (
        str(home / "data"), str(home / "split.json"), str(home / "runs" / "x"), str(home / "w.weights.h5"))
    assert cfg.imports == [str(home / "plugins" / "noop.py")]
    assert load_config(path, ["dataset.root=a/~b"]).dataset.root == "a/~b"  # only a leading one
