"""Plugins: a model or dataset in a file outside segbench, named by a config's ``imports:``, trains and scores like a
bundled one, from any directory; whatever is wrong with a plugin is one line naming its file."""

import json
import re
import sys
from importlib.metadata import EntryPoint
from pathlib import Path

import keras
import numpy as np
import pytest
import yaml
from helpers import (
    after_each_epoch,
    edited_copy,
    one_error_line,
    plugin_run_config,
    reseeded,
    stop_at,
    stripes,
    write_model_plugin,
    write_pair,
)

from segbench import plugins
from segbench.cli import main
from segbench.config import load_config
from segbench.errors import ConfigError
from segbench.registry import DATASETS, MODELS, Registry

DATASET_PLUGIN = '''\
import numpy as np
from pydantic import Field

from segbench.data.base import DatasetAdapter, Sample
from segbench.registry import DATASETS
from segbench.schema import DatasetConfig


class HalvesConfig(DatasetConfig):
    images: int = Field(4, ge=1)


@DATASETS.register("halves", options=HalvesConfig)
class Halves(DatasetAdapter):
    """Dark left half, bright right half: one class each."""

    classes = ("dark", "bright")
    palette = ((0, 0, 0), (255, 255, 255))

    def list_pairs(self, split):
        return [Sample(id=f"halves/{split}/{i}") for i in range(self.config.images)]

    def load(self, sample):
        label = np.zeros((24, 32), np.uint8)
        label[:, 16:] = 1
        return np.repeat(label[..., None] * 200 + 20, 3, axis=2).astype(np.uint8), label
'''


@pytest.fixture
def registries(monkeypatch):
    """MODELS and DATASETS as they are now, given back after the test: what its plugins register goes with it."""
    for registry in (MODELS, DATASETS):
        registry.names()  # the bundled entries first, as a command has them by the time it reads a plugin
        monkeypatch.setattr(registry, "_entries", dict(registry._entries))


def test_a_model_in_one_file_trains_scores_and_is_found_again_from_other_directories(cli, tmp_path):
    """The plugin beside its config, a dataset plugin named by a base in another folder (relative to that base),
    the run started from a third folder and its run folder scored from a fourth."""
    write_model_plugin(tmp_path / "project" / "my_model.py", "tiny_plugin")
    (tmp_path / "shared" / "plugins").mkdir(parents=True)
    (tmp_path / "shared" / "plugins" / "halves.py").write_text(DATASET_PLUGIN)
    (tmp_path / "shared" / "data.yaml").write_text("imports: [plugins/halves.py]\n")
    config = plugin_run_config(tmp_path / "project" / "tiny.yaml", "tiny_plugin", ["my_model.py"],
                               dataset="{name: halves, images: 2}", extra="base: ../shared/data.yaml\n")
    (tmp_path / "here").mkdir()
    done = cli("run", config, "--out", "run", cwd=tmp_path / "here")
    assert done.returncode == 0, done.stderr
    run = tmp_path / "here" / "run"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["model"] == "tiny_plugin" and metrics["dataset"] == "halves" and metrics["num_images"] == 2
    saved = yaml.safe_load((run / "config.yaml").read_text())
    assert saved["imports"] == [str(tmp_path / "shared" / "plugins" / "halves.py"),
                                str(tmp_path / "project" / "my_model.py")]  # the base's first
    (tmp_path / "there").mkdir()
    scored = cli("evaluate", run, cwd=tmp_path / "there")
    assert scored.returncode == 0, scored.stderr
    assert json.loads((run / "eval" / "single.json").read_text())["miou"] == metrics["miou"]


def test_a_run_folder_reads_back_with_its_plugins_and_importing_twice_registers_once(registries, tmp_path,
                                                                                      monkeypatch):
    plugin = write_model_plugin(tmp_path / "my_model.py", "tiny_again")
    first = load_config(plugin_run_config(tmp_path / "tiny.yaml", "tiny_again", ["my_model.py"]))
    assert first.imports == [str(plugin)] and first.model.filters == 4  # the plugin's own key, through its schema
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.yaml").write_text(yaml.safe_dump(first.model_dump(mode="json")))
    monkeypatch.chdir(tmp_path / "run")
    assert load_config("config.yaml").model_dump() == first.model_dump()  # the same file again: imported once, so no name registered twice


def test_a_config_without_plugins_saves_as_before():
    """No ``imports`` key in a saved config that has none, so a run made before plugins hashes as it did."""
    config = load_config("smoke/segnet")
    assert config.imports == [] and "imports" not in config.model_dump(mode="json")


def test_a_module_name_and_a_set_override_relative_to_where_one_stands(registries, tmp_path, monkeypatch):
    write_model_plugin(tmp_path / "site" / "tiny_module_plugin.py", "tiny_module")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "tiny_module_plugin", raising=False)
    config = plugin_run_config(tmp_path / "tiny.yaml", "tiny_module", ["tiny_module_plugin"])
    assert load_config(config).imports == ["tiny_module_plugin"] and "tiny_module" in MODELS
    write_model_plugin(tmp_path / "cwd" / "other.py", "tiny_other")
    monkeypatch.chdir(tmp_path / "cwd")
    other = plugin_run_config(tmp_path / "other.yaml", "tiny_other")
    assert load_config(other, ["imports=[other.py]"]).imports == [str(tmp_path / "cwd" / "other.py")]


@pytest.mark.parametrize("source, problem", [
    ("import keras\n\ndef build(:\n", "line 3: SyntaxError: invalid syntax"),
    ("import keras\nimport not_a_module_here\n", "line 2: ModuleNotFoundError: No module named 'not_a_module_here'"),
    ("x = 1\nraise RuntimeError('no weights\\nsecond line')\n", "line 2: RuntimeError: no weights"),
    ("import sys\nsys.exit(3)\n", "called sys.exit(3) while being imported"),
], ids=["syntax", "import", "raises", "exits"])
def test_a_broken_plugin_is_one_line_naming_its_file_and_line(registries, tmp_path, capsys, source, problem):
    (tmp_path / "broken.py").write_text(source)
    config = plugin_run_config(tmp_path / "tiny.yaml", "tiny_broken", ["broken.py"])
    assert main(["run", str(config), "--out", str(tmp_path / "run")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"segbench: error: {tmp_path / 'broken.py'}: {problem}"]
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("entry, problem", [
    ("missing.py", "imports: missing.py not found (looked for {tmp}/missing.py)"),
    ("plugins/x", "imports: 'plugins/x' is neither a .py file nor a module name"),
    ("no_such_module_here", "imports: no_such_module_here: ModuleNotFoundError: No module named 'no_such_module_here'"),
    # Read as a module name, this.yaml imported the stdlib's `this` (printing the Zen of Python) before it failed.
    ("this.yaml", ("imports: 'this.yaml' names a yaml file; imports take .py files and module names (a config's base "
                   "files go under base:)")),
    # Read as the module name PDS: "No module named 'PDS'" of a file that is there.
    ("PDS.PY", "imports: 'PDS.PY' ends in PY, not .py: a plugin file's name ends in lower-case .py; rename it"),
], ids=["missing", "not-a-name", "no-such-module", "a-config-file", "upper-case-suffix"])
def test_an_import_that_names_nothing_is_one_line_naming_the_config(tmp_path, entry, problem):
    config = plugin_run_config(tmp_path / "tiny.yaml", "tiny", [entry])
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value) == f"{config}: {problem.format(tmp=tmp_path)}"


def test_two_plugins_claiming_one_name_are_one_line_naming_both(registries, tmp_path):
    first, second = (write_model_plugin(tmp_path / f"{stem}.py", "tiny_twice") for stem in ("first", "second"))
    config = plugin_run_config(tmp_path / "tiny.yaml", "tiny_twice", ["first.py", "second.py"])
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert str(caught.value) == f"{second}: model 'tiny_twice' is registered twice: by {first} and by {second}"


def test_a_plugin_claiming_a_bundled_name_is_one_line_naming_both(cli, tmp_path):
    """In a fresh process, where the plugin registers before segbench's own models are imported."""
    plugin = write_model_plugin(tmp_path / "mine.py", "segnet")
    line = one_error_line(cli("run", plugin_run_config(tmp_path / "tiny.yaml", "segnet", ["mine.py"])))
    assert line.endswith(f"model 'segnet' is registered twice: by {plugin} and by segbench.models.grid")


def test_a_broken_entry_point_is_one_line_naming_it(monkeypatch):
    """An installed package's plugin that fails as the registry loads it (the package itself is tested installed in
    tests/test_packaging.py)."""
    broken = EntryPoint(name="tiny", value="not_a_module_here.models", group="segbench.models")
    monkeypatch.setattr(plugins, "entry_points", lambda group: [broken] if group == "segbench.models" else [])
    things = Registry("thing", group="segbench.models")
    with pytest.raises(ConfigError) as caught:
        things.names()
    assert str(caught.value) == ("entry point tiny = not_a_module_here.models (segbench.models): "
                                 "ModuleNotFoundError: No module named 'not_a_module_here'")


def halves_plugin(tmp_path: Path, name: str, old: str = "", new: str = "") -> tuple[Path, Path]:
    """DATASET_PLUGIN registered as ``name`` in ``name``.py, with ``old`` replaced by ``new``, and a config
    ``name``.yaml that imports it: (the plugin file, the config)."""
    plugin = tmp_path / f"{name}.py"
    plugin.write_text(DATASET_PLUGIN.replace('"halves"', f'"{name}"').replace(old, new))
    config = tmp_path / f"{name}.yaml"
    config.write_text(f"imports: [{name}.py]\ndataset: {{name: {name}}}\nmodel: {{name: segnet}}\n")
    return plugin, config


def odd_model(tmp_path: Path, name: str, body: str) -> Path:
    """A plugin model ``name`` in ``name``.py whose builder runs ``body``, and a one-epoch config that trains it."""
    (tmp_path / f"{name}.py").write_text(
        "import keras\nfrom segbench.registry import MODELS\n\n\n"
        f"def build(config, num_classes):\n    {body}\n\n\nbuild.default_classes = 5\n"
        f"MODELS.register('{name}')(build)\n")
    config = tmp_path / f"{name}.yaml"
    config.write_text(f"imports: [{name}.py]\ndataset: {{name: synthetic, image_size: [24, 32], num_images: {{train: "
                      f"4, val: 2, test: 2}}}}\nmodel: {{name: {name}, input_size: [24, 32]}}\ntrain: {{epochs: 1, "
                      "batch_size: 2}\n")
    return config


@pytest.mark.parametrize("body, said", [
    ("return None", "its builder returned NoneType, not a keras.Model"),
    ("raise RuntimeError('no GPU kernels here')", "its builder failed (RuntimeError: no GPU kernels here)"),
    # sys.exit(0) ended `run` at rc 0 without a word, and a sweep counted it finished (probe 22b case 13).
    ("import sys; sys.exit(0)", "its builder failed (SystemExit: 0)"),
    # Its run was written under / (its output.dir relative), the folder it had locked left empty (probe 22b 13b).
    (("import os; os.chdir('/')\n    image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
      "    return keras.Model(image, keras.layers.Conv2D(num_classes, 1)(keras.layers.Rescaling(1 / 255)(image)))"),
     ("its builder changed the current folder (to /), where the run's relative paths are read from; a builder "
      "leaves it as it was")),
    (("image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
      "    return keras.Model(image, keras.layers.Conv2D(num_classes + 1, 1)(keras.layers.AveragePooling2D(2)(image)))"),
     ("returns (None, 12, 16, 6) for inputs of (24, 32); a model's logits are (batch, 24, 32, 5): one per class, at "
      "the input's size")),
    (("image = keras.Input((config.input_size[0] // 2, config.input_size[1] // 2, 3), dtype='uint8')\n"
      "    return keras.Model(image, keras.layers.Conv2D(num_classes, 1)(keras.layers.UpSampling2D(2)(image)))"),
     "takes (None, 12, 16, 3), not the (batch, 24, 32, 3) images of model.input_size"),
    (("class Sub(keras.Model):\n"
      "        def call(self, x):\n"
      "            return keras.ops.zeros((keras.ops.shape(x)[0], 24, 32, num_classes + 2))\n"
      "    return Sub()"),
     "returns (None, 24, 32, 7) for inputs of (24, 32)"),
    # Int logits ended training in "No gradients provided"; a dict of one output broke inference: tracebacks.
    (("image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
      "    return keras.Model(image, keras.ops.cast(keras.layers.Conv2D(num_classes, 1)("
      "keras.layers.Rescaling(1 / 255)(image)), 'int32'))"),
     "returns int32 values; a model's logits are floating point"),
    (("image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
      "    return keras.Model(image, {'out': keras.layers.Conv2D(num_classes, 1)("
      "keras.layers.Rescaling(1 / 255)(image))})"),
     "returns a mapping of outputs (out); a model's logits are one tensor"),
    (("class Sub(keras.Model):\n"
      "        def call(self, x):\n"
      "            return keras.ops.zeros((keras.ops.shape(x)[0], 24, 32, num_classes), dtype='int32')\n"
      "    return Sub()"),
     "returns int32 values; a model's logits are floating point"),
    # A final softmax trained as logits (softmaxed twice), and its calibration was the second softmax's, rc 0.
    (("image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
      "    return keras.Model(image, keras.layers.Lambda(keras.ops.softmax)(keras.layers.Conv2D(num_classes, 1)("
      "keras.layers.Rescaling(1 / 255)(image))))"),
     ("returns probabilities (at every pixel, values >= 0 that sum to 1 over the classes), not logits; leave out its "
      "final softmax")),
    # A final sigmoid: TensorFlow's loss reached behind it, and the calibration was softmax(sigmoid) (probe 16c 18).
    (("image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
      "    return keras.Model(image, keras.layers.Conv2D(num_classes, 1, activation='sigmoid')("
      "keras.layers.Rescaling(1 / 255)(image)))"),
     "returns the output of a final sigmoid (probabilities), not logits; leave out its final sigmoid"),
    # Saturated: exact 1.0s in float32 (no Rescaling), which "strictly between 0 and 1" let through (probe 17b case 2).
    (("image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
      "    return keras.Model(image, keras.layers.Lambda(keras.ops.sigmoid)(keras.layers.Conv2D(num_classes, 1)("
      "keras.ops.cast(image, 'float32'))))"),
     "returns values between 0 and 1 at every pixel (a sigmoid's), not logits; leave out its final sigmoid"),
], ids=["none", "raises", "exits", "moves", "half-size-one-class-too-many", "half-size-input", "subclassed", "int-logits", "dict",
        "subclassed-int-logits", "softmax", "sigmoid", "saturated-sigmoid"])
def test_a_plugin_model_off_the_contract_is_one_line_and_leaves_no_run_folder(registries, tmp_path, capsys, body,
                                                                               said):
    """Each was a traceback (count_params of None, the loss's shapes) or, for one class too many, an error blamed
    on a validation image an epoch later; and each left a config.yaml that `results` called resumable."""
    config = odd_model(tmp_path, "odd_plugin", body)
    assert main(["run", str(config), "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err.strip().startswith(
        f"segbench: error: model 'odd_plugin' ({tmp_path / 'odd_plugin.py'}): {said}")
    assert not (tmp_path / "run").exists()


@pytest.mark.skipif(keras.backend.backend() == "jax", reason="JAX trains on zero gradients, as the model asks")
def test_a_plugin_model_no_gradient_reaches_is_one_line_before_the_folder_is_touched(registries, tmp_path, capsys):
    """Logits behind a stop_gradient: TensorFlow's "No gradients provided for any variable", a traceback; then
    found only as training started, after `--force` had deleted the finished run in the folder (probe 16b case 3)."""
    finished = odd_model(tmp_path, "fine", "image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
                         "    return keras.Model(image, keras.layers.Conv2D(num_classes, 1)(keras.layers.Rescaling(1 / 255)(image)))")
    out = tmp_path / "run"
    assert main(["run", str(finished), "--out", str(out)]) == 0
    before = {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()}
    config = odd_model(tmp_path, "stopped", "image = keras.Input((*config.input_size, 3), dtype='uint8')\n"
                       "    logits = keras.layers.Conv2D(num_classes, 1)(keras.layers.Rescaling(1 / 255)(image))\n"
                       "    return keras.Model(image, keras.layers.Lambda(keras.ops.stop_gradient)(logits))")
    capsys.readouterr()
    assert main(["run", str(config), "--out", str(out), "--force"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: model 'stopped' ({tmp_path / 'stopped.py'}): no gradient of its logits reaches any of its "
        "trainable weights (a stop_gradient?); it cannot be trained")
    assert {path.name: path.read_bytes() for path in out.iterdir() if path.is_file()} == before
    assert main(["run", str(config), "--out", str(tmp_path / "new")]) == 2 and not (tmp_path / "new").exists()


def test_a_plugin_edited_after_its_run_is_refused_by_its_readers(registries, tmp_path, capsys):
    """The model's code edited (weights of the same shapes, another model): evaluate wrote its score as the run's
    re-scoring and `run` skipped it as finished."""
    plugin = write_model_plugin(tmp_path / "my_model.py", "edited_plugin")
    config = plugin_run_config(tmp_path / "tiny.yaml", "edited_plugin", ["my_model.py"])
    out = tmp_path / "run"
    assert main(["run", str(config), "--out", str(out)]) == 0
    assert main(["results", str(out)]) == 0
    plugin.write_text(plugin.read_text().replace("Rescaling(1 / 255)", "Rescaling(-1 / 25)"))
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {plugin}: the plugin {out} imported has changed (or gone) since the run finished, so its "
        "model is not the one scored; restore it, or run the config again")
    assert main(["results", str(out)]) == 2
    assert main(["run", str(config), "--out", str(out)]) == 2
    assert f"the plugin {plugin} changed since" in capsys.readouterr().err
    assert not (out / "eval").exists()


@pytest.mark.parametrize("edited", ["module", "helper"])
def test_a_plugin_by_module_name_or_its_helper_module_edited_after_its_run_is_refused(registries, tmp_path, capsys,
                                                                                       monkeypatch, edited):
    """Only `.py` entries were recorded: a plugin named as a module, or a plugin's model code in a module of the
    user's that it imports, was edited and `evaluate` wrote another model's score as the run's re-scoring."""
    name = f"plugin_{edited}_{tmp_path.name.replace('-', '_')}"  # a module of its own: sys.modules outlives a test
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = tmp_path / f"{name}_scale.py"
    helper.write_text("SCALE = 1 / 255\n")
    plugin = write_model_plugin(tmp_path / f"{name}.py", name)
    plugin.write_text(f"from {helper.stem} import SCALE\n" + plugin.read_text().replace("Rescaling(1 / 255)",
                                                                                      "Rescaling(SCALE)"))
    config = plugin_run_config(tmp_path / "tiny.yaml", name, [name])
    out = tmp_path / "run"
    assert main(["run", str(config), "--out", str(out)]) == 0
    recorded = json.loads((out / "metrics.json").read_text())["plugins_sha256"]
    assert sorted(recorded) == sorted(str(path) for path in (plugin, helper))  # not segbench's nor keras' files
    changed, old, new = (plugin, "Rescaling(SCALE)", "Rescaling(-SCALE)") if edited == "module" else \
        (helper, "1 / 255", "-1 / 25")
    changed.write_text(changed.read_text().replace(old, new))
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 2
    assert f"segbench: error: {changed}: the plugin {out} imported has changed" in capsys.readouterr().err
    assert not (out / "eval").exists()


def test_run_force_with_a_model_that_cannot_be_built_leaves_the_finished_run_as_it_was(registries, tmp_path, capsys):
    """The finished run's metrics.json, weights and per-image files were deleted before the new model was built,
    and what was left (its config.yaml and history.csv) was called an unfinished run that --resume continues."""
    write_model_plugin(tmp_path / "good.py", "good_plugin")
    out = tmp_path / "run"
    assert main(["run", str(plugin_run_config(tmp_path / "good.yaml", "good_plugin", ["good.py"])), "--out",
                 str(out)]) == 0
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    (tmp_path / "broken.py").write_text("from segbench.registry import MODELS\n\n\ndef build(config, num_classes):\n"
                                        "    raise RuntimeError('no kernels')\n\n\nbuild.default_classes = 12\n"
                                        "MODELS.register('broken_plugin')(build)\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text((tmp_path / "good.yaml").read_text().replace("good", "broken").replace(", filters: 4", ""))
    capsys.readouterr()
    assert main(["run", str(broken), "--out", str(out), "--force"]) == 2
    assert "its builder failed (RuntimeError: no kernels)" in capsys.readouterr().err
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before
    assert main(["results", str(out)]) == 0


def test_a_dataset_plugin_whose_classes_are_named_alike_is_refused_as_it_is_imported(registries, tmp_path):
    """("a", "a", "b") trained and finished, and the table showed class 1's IoU under "a", class 0's gone."""
    plugin, config = halves_plugin(tmp_path, "dup_halves", 'classes = ("dark", "bright")',
                                   'classes = ("dark", "Dark\\ufe0f")')
    with pytest.raises(ConfigError, match=rf"^{plugin}: dataset Halves: 'dark' and 'Dark\ufe0f' name classes 0 and 1 "
                                          "alike; each class needs a name of its own$"):
        load_config(config)


@pytest.mark.parametrize("declared, said", [
    ('classes = "db"', "classes is one str, not a tuple of class names$"),  # trained as the classes d and b
    # A set's order follows string hashing: stats was pandas' traceback, and each process numbered the classes its
    # own way (probe 16c case 23); a palette or void off its type ended in tracebacks in show, predict, run (case 25).
    ('classes = {"dark", "bright"}', "classes is a set, not a tuple of class names in label-index order$"),
    ("palette = ((0, 0, 0), (300, 0, 0))", r"palette \(\(0, 0, 0\), \(300, 0, 0\)\) is not a tuple of \(r, g, b\)"),
    ("palette = None", "palette None is not a tuple of"),
    ("palette = ((0, 0, 0), (9, 9, 9))\n    ignore_index = 0", None),  # a class index as the void: fine
    # Numpy's numbers are numbers: a palette computed with numpy was refused (probe 17c case 9).
    ("palette = np.array([[0, 0, 0], [255, 0, 0]], np.uint8)", None),
    ("palette = [tuple(c) for c in np.array([[0, 0, 0], [255, 0, 0]], np.uint8)]", None),
    ("palette = ((0, 0, 0),)", "palette has 1 colours for 2 classes$"),
    ('ignore_index = "void"', "ignore_index 'void' is not a label value"),
], ids=["one-string", "a-set", "a-colour-of-300", "palette-none", "void-a-class", "numpy-array", "numpy-values",
        "too-few-colours", "void-a-string"])
def test_a_dataset_plugin_declaring_classes_palette_or_void_off_their_types_is_refused_as_it_is_imported(
        registries, tmp_path, declared, said):
    body = declared if declared.startswith(("classes", "ignore")) else declared + '\n    classes = ("dark", "bright")'
    plugin, config = halves_plugin(
        tmp_path, "letter_halves", 'classes = ("dark", "bright")\n    palette = ((0, 0, 0), (255, 255, 255))',
        body + ("" if "palette" in declared else "\n    palette = ((0, 0, 0), (255, 255, 255))"))
    if said is None:
        load_config(config)
        return
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(plugin))}: dataset Halves: {said}"):
        load_config(config)


@pytest.mark.parametrize("given, said", [
    ('@property\n    def classes(self):\n        return {"dark", "bright"}',
     "classes is a set, not a tuple of class names in label-index order$"),
    ('def __init__(self, config):\n        super().__init__(config)\n        self.classes = ("bg", "BG")',
     "'bg' and 'BG' name classes 0 and 1 alike"),
    ('def __init__(self, config):\n        super().__init__(config)\n        self.ignore_index = "void"',
     "ignore_index 'void' is not a label value"),
    # numpy's int64 ended `run` in json's "not JSON serializable" traceback (probe 17d case 8): a property cannot be
    # made a Python int for it.
    ("@property\n    def ignore_index(self):\n        return np.int64(255)", ("ignore_index is numpy's int64; return a "
                                                                             "Python int")),
], ids=["a-set-property", "alike-in-init", "void-in-init", "numpy-void-property"])
def test_what_a_dataset_plugin_gives_per_instance_is_held_to_the_same_rules(registries, tmp_path, given, said):
    """A property or an __init__ escaped the import-time check: a set was pandas' traceback in stats, two classes
    alike two columns of one name, rc 0, a "void" ignore_index a TypeError in show (probe 17a case 12)."""
    plugin, config = halves_plugin(tmp_path, "own_halves", 'classes = ("dark", "bright")\n',
                                   f'classes = ("dark", "bright")\n\n    {given}\n')
    from segbench.registry import DATASETS

    loaded = load_config(config)
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(plugin))}: dataset Halves: {said}"):
        DATASETS.get("own_halves")(loaded.dataset)


def test_a_dataset_plugins_numpy_void_is_kept_as_a_python_int(registries, tmp_path):
    """`ignore_index = np.int64(255)`, in the class body or set in __init__, passed verify and ended `run` in json's
    "Object of type int64 is not JSON serializable" (probe 17d case 8)."""
    import json

    from segbench.registry import DATASETS

    for where, given in (("body", "    ignore_index = np.int64(255)\n"),
                         ("init", ("    def __init__(self, config):\n        super().__init__(config)\n"
                                  "        self.ignore_index = np.int64(255)\n"))):
        _, config = halves_plugin(tmp_path, f"void_{where}", 'classes = ("dark", "bright")\n',
                                  f'classes = ("dark", "bright")\n{given}')
        loaded = load_config(config)
        adapter = DATASETS.get(f"void_{where}")(loaded.dataset)
        assert type(adapter.ignore_index) is int and json.dumps(adapter.data_record())


def test_verify_reads_a_dataset_plugin_of_no_files_through_its_load(registries, tmp_path, capsys):
    """Pairs of no paths (the documented `Sample(id=...)` plugin) were "drawn in memory, it has no files to verify",
    rc 2, and its load's mistakes were found only by `run` (probe 19b case 18)."""
    from segbench.cli import main

    plugin, _ = halves_plugin(tmp_path, "sound_halves")
    assert main(["datasets", "verify", "sound_halves", "--set", f"imports=[{plugin}]"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == ["test: 4 pairs, 0 errors, 0 warnings",
                                                        "sound_halves at datasets/sound_halves: OK"]
    plugin, _ = halves_plugin(tmp_path, "float_halves", "return np.repeat", "label = label.astype(np.float32)\n"
                              "        return np.repeat")
    assert main(["datasets", "verify", "float_halves", "--set", f"imports=[{plugin}]"]) == 1
    out = capsys.readouterr().out
    assert "ERROR halves/train/0: Halves.load returned a label of float32 of shape (24, 32)" in out, out
    assert "train: 4 pairs, 4 errors" in out


def test_a_dataset_plugin_whose_init_raises_is_one_line_naming_its_line(cli, tmp_path):
    """A KeyError in a plugin's __init__ was a Python traceback, rc 1, in run, verify and stats (probe 19b case 19),
    where one its list_pairs or load raises is one line naming the plugin's line."""
    plugin, config = halves_plugin(tmp_path, "broken_halves", 'classes = ("dark", "bright")\n',
                                   'classes = ("dark", "bright")\n\n    def __init__(self, config):\n'
                                   '        super().__init__(config)\n        self.index = {}["files"]\n')
    line = next(n for n, text in enumerate(plugin.read_text().splitlines(), 1) if '{}["files"]' in text)
    said = f"dataset Halves: __init__ raised KeyError: 'files' ({plugin}:{line})"
    for args in (("run", config, "--out", tmp_path / "run"), ("datasets", "verify", "broken_halves", "--set",
                 f"imports=[{plugin}]"), ("datasets", "stats", "broken_halves", "--split", "train", "--set",
                 f"imports=[{plugin}]")):
        result = cli(*args)
        assert result.returncode != 0 and one_error_line(result).endswith(said), (args, result.stderr[-500:])
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_a_dataset_plugin_without_a_palette_is_drawn_in_colours_of_its_own(registries, tmp_path):
    """One with no palette trained, then predict and datasets show ended in an AttributeError (probe 17a case 11)."""
    from segbench.data.base import spread_colours
    from segbench.registry import DATASETS

    _, config = halves_plugin(tmp_path, "plain_halves", "    palette = ((0, 0, 0), (255, 255, 255))\n", "")
    loaded = load_config(config)
    adapter = DATASETS.get("plain_halves")(loaded.dataset)
    assert adapter.palette == spread_colours(2) and len(set(adapter.palette)) == 2
    with pytest.raises(AttributeError, match="no attribute 'pallete'"):
        adapter.pallete  # noqa: B018 (any other missing name is still missing)


@pytest.mark.parametrize("returned, said", [
    ("np.repeat(label[..., None], 3, axis=2).astype(np.uint8)[..., 0], label", "an image of uint8 of shape (24, 32)"),
    ("np.zeros((24, 32, 4), np.uint8), label", "an image of uint8 of shape (24, 32, 4)"),
    ("np.zeros((24, 32, 3), np.float32), label", "an image of float32 of shape (24, 32, 3)"),
    ("np.zeros((24, 32, 3), np.uint8), label + 0.5", "a label of float64 of shape (24, 32)"),
], ids=["grey", "rgba", "float-image", "float-label"])
def test_a_dataset_plugin_whose_load_breaks_its_contract_is_one_line(registries, tmp_path, capsys, returned, said):
    """Grey or RGBA images and float labels ended in Keras' tracebacks (after a whole epoch, for the labels); float
    images were cast to black and trained on without a word."""
    plugin = tmp_path / "odd_data.py"
    plugin.write_text(DATASET_PLUGIN.replace('"halves"', '"odd_halves"').replace(
        "return np.repeat(label[..., None] * 200 + 20, 3, axis=2).astype(np.uint8), label", f"return {returned}"))
    config = tmp_path / "c.yaml"
    config.write_text("imports: [odd_data.py]\ndataset: {name: odd_halves, images: 2}\nmodel: {name: segnet, "
                      "input_size: [32, 32], width: 0.125}\ntrain: {epochs: 1, batch_size: 2}\n")
    assert main(["run", str(config), "--out", str(tmp_path / "run")]) == 2
    wanted = "HxWx3 uint8 (RGB)" if "image" in said else "HxW of integer class indices"
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"segbench: error: halves/train/0: Halves.load returned {said}, not {wanted}")
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_the_dataset_verbs_read_a_plugin_dataset_named_by_set_imports(registries, tmp_path, capsys):
    """`datasets verify/stats` knew no way to import a plugin: "unknown dataset 'halves'"."""
    (tmp_path / "halves_plugin.py").write_text(DATASET_PLUGIN.replace('"halves"', '"verb_halves"'))
    assert main(["datasets", "stats", "verb_halves", "--split", "train", "--set",
                 f"imports=[{tmp_path / 'halves_plugin.py'}]"]) == 0
    table = capsys.readouterr().out
    assert "| dark " in table and "| bright " in table and "50.00" in table
    assert main(["datasets", "stats", "verb_halves", "--split", "train", "--set", "imports=[gone.py]"]) == 2
    assert "--set imports: gone.py not found" in capsys.readouterr().err


def test_a_helper_a_builder_imports_only_as_it_builds_is_recorded(registries, tmp_path, capsys, monkeypatch):
    """Heavy imports kept in the builder: the helper was not seen as the plugin was imported, and its edit let
    `evaluate` write another model's score as the run's."""
    name = f"lazy_{tmp_path.name.replace('-', '_')}"
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = tmp_path / f"{name}_scale.py"
    helper.write_text("SCALE = 1 / 255\n")
    plugin = write_model_plugin(tmp_path / f"{name}.py", name)
    plugin.write_text(plugin.read_text().replace("    x = keras.layers.Rescaling(1 / 255)(image)",
                                                 f"    from {helper.stem} import SCALE\n"
                                                 "    x = keras.layers.Rescaling(SCALE)(image)"))
    config = plugin_run_config(tmp_path / "tiny.yaml", name, [plugin.name])
    out = tmp_path / "run"
    assert main(["run", str(config), "--out", str(out)]) == 0
    assert str(helper) in json.loads((out / "metrics.json").read_text())["plugins_sha256"]
    helper.write_text("SCALE = -1 / 25\n")
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 2
    assert f"segbench: error: {helper}: the plugin {out} imported has changed" in capsys.readouterr().err


def test_a_module_plugin_found_in_another_folder_is_not_the_runs(registries, tmp_path, capsys, monkeypatch):
    """`imports: [pmod]` is found from where segbench is called: from another folder another pmod.py, another
    model, was scored as the run's, and two such runs were pooled as seeds of one config."""
    name = f"where_{tmp_path.name.replace('-', '_')}"
    here, there = tmp_path / "here", tmp_path / "there"
    for folder, scale in ((here, "1 / 255"), (there, "-1 / 25")):
        plugin = write_model_plugin(folder / f"{name}.py", name)
        plugin.write_text(plugin.read_text().replace("1 / 255", scale))
    config = plugin_run_config(tmp_path / "tiny.yaml", name, [name])
    monkeypatch.syspath_prepend(str(here))
    out = tmp_path / "runs" / "m-seed0"
    assert main(["run", str(config), "--out", str(out)]) == 0
    # As a later process started from `there` would find it (this one keeps its first import).
    monkeypatch.setattr(plugins, "_LOADED", {name: [str(there / f"{name}.py")]})
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {there / f'{name}.py'}: plugin code {out}'s config loads from here, which the run did not "
        "(a module name found in another folder?); run this from the folder the run was run from")
    assert not (out / "eval").exists()
    # Two seeds of one config that ran other plugin files are not pooled.
    from segbench.io import sha256

    edited_copy(out, out.with_name("m-seed1"), reseeded,
                plugins_sha256={str(there / f"{name}.py"): sha256(there / f"{name}.py")})
    assert main(["results", str(out.parent)]) == 2
    assert "m-seed1: pooled as a seed of" in capsys.readouterr().err


def test_a_resume_after_its_plugin_changed_is_refused(registries, tmp_path, capsys, monkeypatch):
    """The helper edited between a kill and the resume: epochs 1..56 trained one model, the rest another, and
    metrics.json vouched for the edited plugin as the whole run's."""

    plugin = write_model_plugin(tmp_path / "resumed_model.py", "resumed_plugin")
    config = plugin_run_config(tmp_path / "tiny.yaml", "resumed_plugin", ["resumed_model.py"])
    config.write_text(config.read_text().replace("epochs: 1", "epochs: 3"))
    out = tmp_path / "run"
    after_each_epoch(monkeypatch, stop_at(1))
    assert main(["run", str(config), "--out", str(out)]) == 130
    assert json.loads((out / "checkpoints" / "state.json").read_text())["plugins_sha256"] == {
        str(plugin): plugins.sha256(plugin)}
    plugin.write_text(plugin.read_text().replace("Rescaling(1 / 255)", "Rescaling(-1 / 25)"))
    capsys.readouterr()
    assert main(["run", str(config), "--out", str(out), "--resume"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"segbench: error: {plugin}: the plugin the interrupted run's epochs trained with has changed (or is found "
        "elsewhere from here); restore it, or drop --resume to start over")
    assert not (out / "metrics.json").exists()


def test_a_dataset_plugin_whose_load_returns_a_binary_mask_trains_on_classes_0_and_1(registries, tmp_path, capsys):
    """A bool label (`mask > 0`) passed the contract, trained, and ended the run in an IndexError at its scoring:
    the calibration indexed with it as a mask."""
    (tmp_path / "mask_data.py").write_text(DATASET_PLUGIN.replace('"halves"', '"mask_halves"').replace(
        "return np.repeat(label[..., None] * 200 + 20, 3, axis=2).astype(np.uint8), label",
        "return np.repeat(label[..., None] * 200 + 20, 3, axis=2).astype(np.uint8), label > 0"))
    config = tmp_path / "c.yaml"
    config.write_text("imports: [mask_data.py]\ndataset: {name: mask_halves, images: 2}\nmodel: {name: segnet, "
                      "input_size: [32, 32], width: 0.125}\ntrain: {epochs: 1, batch_size: 2}\neval: {figure_images: 0}\n")
    assert main(["run", str(config), "--out", str(tmp_path / "run")]) == 0, capsys.readouterr().err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["classes"] == ["dark", "bright"] and np.asarray(metrics["confusion_matrix"]).sum() == 2 * 24 * 32


def test_an_editable_entry_point_plugin_edited_after_its_run_is_refused(tmp_path, cli):
    """An installed package's model (an entry point, as a `pip install -e .` of the user's project gives): its code
    was never recorded, so an edit of it was scored as the run's re-scoring and the run skipped as finished. A run
    of a bundled model beside it records none of it."""
    project = tmp_path / "project"
    (project / "epm-0.1.dist-info").mkdir(parents=True)
    (project / "epm-0.1.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: epm\nVersion: 0.1\n")
    (project / "epm-0.1.dist-info" / "entry_points.txt").write_text("[segbench.models]\nm_ep = epm\n")
    plugin = write_model_plugin(project / "epm.py", "m_ep")
    config = plugin_run_config(project / "ep.yaml", "m_ep")  # no imports: the entry point brings it
    done = cli("run", config, "--out", tmp_path / "run", cwd=project)  # python -m puts the project on sys.path
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["plugins_sha256"] == {
        str(plugin.resolve()): plugins.sha256(plugin)}
    bundled = plugin_run_config(project / "bundled.yaml", "segnet").read_text().replace(", filters: 4", ", width: 0.125")
    (project / "bundled.yaml").write_text(bundled.replace("input_size: [24, 32]", "input_size: [32, 32]"))
    done = cli("run", project / "bundled.yaml", "--out", tmp_path / "bundled", cwd=project)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "bundled" / "metrics.json").read_text())["plugins_sha256"] is None
    plugin.write_text(plugin.read_text().replace("Rescaling(1 / 255)", "Rescaling(-1 / 25)"))
    refused = cli("evaluate", tmp_path / "run", cwd=project)
    assert refused.returncode == 2 and f"{plugin.resolve()}: the plugin {tmp_path / 'run'} imported has changed" in \
        refused.stderr
    assert cli("evaluate", tmp_path / "bundled", cwd=project).returncode == 0  # a bundled model's run stands


def test_a_plugin_edited_while_its_run_trains_is_recorded_as_it_ran(registries, tmp_path, capsys, monkeypatch):
    """The helper edited mid-run: every epoch ran the code imported at the start, but metrics.json recorded the
    edited file's digest, and `evaluate` then scored the edited model as the run's re-scoring."""
    name = f"midrun_{tmp_path.name.replace('-', '_')}"
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = tmp_path / f"{name}_scale.py"
    helper.write_text("SCALE = 1 / 255\n")
    plugin = write_model_plugin(tmp_path / f"{name}.py", name)
    plugin.write_text(f"from {helper.stem} import SCALE\n" + plugin.read_text().replace("Rescaling(1 / 255)",
                                                                                      "Rescaling(SCALE)"))
    config = plugin_run_config(tmp_path / "tiny.yaml", name, [plugin.name])
    recorded_as_it_ran(config, helper, "SCALE = -1 / 25\n", tmp_path / "run", monkeypatch, capsys)


def recorded_as_it_ran(config: Path, helper: Path, edited: str, out: Path, monkeypatch, capsys) -> None:
    """Run ``config`` into ``out`` with ``helper`` made ``edited`` after each epoch: metrics.json records the
    helper as it was imported, the code that ran, so `evaluate` refuses the run rather than score the edit."""
    ran = plugins.sha256(helper)
    after_each_epoch(monkeypatch, lambda epoch: helper.write_text(edited))
    assert main(["run", str(config), "--out", str(out)]) == 0
    assert json.loads((out / "metrics.json").read_text())["plugins_sha256"][str(helper)] == ran
    capsys.readouterr()
    assert main(["evaluate", str(out)]) == 2
    assert f"segbench: error: {helper}: the plugin {out} imported has changed" in capsys.readouterr().err


@pytest.mark.parametrize("module, projects", [("epk.common.scale", 1), ("epkc.scale", 1), ("epkc.scale", 2)],
                         ids=["subpackage", "top-level-package", "another-project"])
def test_two_entry_points_sharing_a_helper_record_it(tmp_path, cli, module, projects):
    """m_a, loaded first, imported the helper (in a sibling subpackage, another top-level package of the project,
    or of m_a's own project); m_b's run recorded only its own files, and an edit of the helper was scored by
    `evaluate` as m_b's run."""
    project = tmp_path / "project"
    points = {"epk": "m_a = epk.models.a\nm_b = epk.models.b\n"} if projects == 1 else \
        {"epa": "m_a = epk.models.a\n", "epk": "m_b = epk.models.b\n"}
    for dist, lines in points.items():
        (project / f"{dist}-0.1.dist-info").mkdir(parents=True)
        (project / f"{dist}-0.1.dist-info" / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n")
        (project / f"{dist}-0.1.dist-info" / "entry_points.txt").write_text(f"[segbench.models]\n{lines}")
    for package in ("epk", "epk/models", module.rpartition(".")[0].replace(".", "/")):
        (project / package).mkdir(parents=True, exist_ok=True)
        (project / package / "__init__.py").write_text("")
    helper = project / f"{module.replace('.', '/')}.py"
    helper.write_text("SCALE = 1 / 255\n")
    for name in ("a", "b"):
        plugin = write_model_plugin(project / "epk" / "models" / f"{name}.py", f"m_{name}")
        plugin.write_text(f"from {module} import SCALE\n" + plugin.read_text().replace("Rescaling(1 / 255)",
                                                                                            "Rescaling(SCALE)"))
    # The model of the entry point loaded last: the helper is not new when it is imported.
    from importlib.metadata import distributions

    last = [point.name for dist in distributions(path=[str(project)]) for point in dist.entry_points][-1]
    config = plugin_run_config(project / "ep.yaml", last)
    done = cli("run", config, "--out", tmp_path / "run", cwd=project)
    assert done.returncode == 0, done.stderr
    assert str(helper.resolve()) in json.loads((tmp_path / "run" / "metrics.json").read_text())["plugins_sha256"]
    helper.write_text("SCALE = -1 / 25\n")
    refused = cli("evaluate", tmp_path / "run", cwd=project)
    assert refused.returncode == 2 and f"{helper.resolve()}: the plugin {tmp_path / 'run'} imported has changed" in \
        refused.stderr


def lazy_dataset_plugin(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A dataset plugin whose load() imports its helper only when it first reads a sample (in a loader thread,
    once training has begun), and a 3-epoch run config of it."""
    name = f"lazyds_{tmp_path.name.replace('-', '_')}"
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = tmp_path / f"{name}_bright.py"
    helper.write_text("BRIGHT = 200\n")
    (tmp_path / f"{name}.py").write_text(DATASET_PLUGIN.replace('"halves"', f'"{name}"').replace(
        "        return np.repeat(label[..., None] * 200 + 20",
        f"        from {helper.stem} import BRIGHT\n\n        return np.repeat(label[..., None] * BRIGHT + 20"))
    config = tmp_path / "c.yaml"
    config.write_text(f"imports: [{name}.py]\ndataset: {{name: {name}, images: 2}}\nmodel: {{name: segnet, "
                      "input_size: [32, 32], width: 0.125}\ntrain: {epochs: 3, batch_size: 2}\n"
                      "eval: {figure_images: 0}\n")
    return helper, config


def test_a_dataset_helper_imported_in_load_and_edited_mid_run_is_recorded_as_it_ran(registries, tmp_path, capsys,
                                                                                    monkeypatch):
    """Edited while the run trained: every epoch read labels through the helper as imported, but metrics.json
    recorded the edited file's digest (its first sight), and `evaluate` scored other data as the run's."""
    helper, config = lazy_dataset_plugin(tmp_path, monkeypatch)
    recorded_as_it_ran(config, helper, "BRIGHT = 90\n", tmp_path / "run", monkeypatch, capsys)


def test_a_resume_after_a_helper_imported_in_load_changed_is_refused(registries, tmp_path, capsys, monkeypatch):
    """The checkpoint's record was made before the loader's threads imported the helper: it never held it, and a
    resume after its edit trained the rest on other labels."""

    helper, config = lazy_dataset_plugin(tmp_path, monkeypatch)
    after_each_epoch(monkeypatch, stop_at(1))
    out = tmp_path / "run"
    assert main(["run", str(config), "--out", str(out)]) == 130
    state = json.loads((out / "checkpoints" / "state.json").read_text())
    assert state["plugins_sha256"][str(helper)] == plugins.sha256(helper)
    helper.write_text("BRIGHT = 90\n")
    capsys.readouterr()
    assert main(["run", str(config), "--out", str(out), "--resume"]) == 2
    assert capsys.readouterr().err.strip().startswith(f"segbench: error: {helper}: the plugin the interrupted run's "
                                                      "epochs trained with has changed")


@pytest.mark.parametrize("returned, said", [
    ("(sample for sample in pairs)", None),  # a generator is as good as its list
    ("[str(sample.id) for sample in pairs]", "returned a str among its pairs, not a Sample"),
    ("len(pairs)", "returned int, not a list of Samples"),
    # The plugin's own failures, and ids of ints, were tracebacks too; its failure names the plugin's line.
    ("{'a': 1}['b']", r"raised KeyError: 'b' \({file}:\d+\)"),
    ("(pairs[i] if i < 1 else 1 / 0 for i in range(2))", r"raised ZeroDivisionError: division by zero \({file}:\d+\)"),
    ("[Sample(id=i) for i in range(2)]", "returned a Sample whose id is int 0, not a str"),
    # An OSError of the plugin's own named nothing ("server down"); a Sample's path of another type, a traceback.
    ("exec('raise ConnectionError(\\'server down\\')')", r"raised ConnectionError: server down \({file}:\d+\)"),
    ("[Sample(id=s.id, image=1) for s in pairs]", "returned a Sample whose image is int, not a path"),
    # "two images of one name ()" (probe 16b case 19).
    ("[Sample(id='') for s in pairs]", r"returned a Sample whose id is empty; give each pair an id of its own \(its file's path, say\)"),
    # sys.exit(0) ended `run` at rc 0, nothing printed (probe 22b case 13).
    ("exec('import sys; sys.exit(0)')", r"raised SystemExit: 0 \({file}:\d+\)"),
], ids=["generator", "names", "count", "raises", "generator-raises", "int-ids", "oserror", "int-image", "empty-id",
        "exits"])
def test_a_dataset_plugin_whose_list_pairs_is_off_its_contract_is_one_line(registries, tmp_path, capsys, returned,
                                                                            said):
    """A generator was a TypeError traceback in `verify` and in the run's loader, which left a folder behind."""
    name = f"pairs_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(DATASET_PLUGIN.replace('"halves"', f'"{name}"').replace(
        '        return [Sample(id=f"halves/{split}/{i}") for i in range(self.config.images)]',
        '        pairs = [Sample(id=f"halves/{split}/{i}") for i in range(self.config.images)]\n'
        f"        return {returned}"))
    config = tmp_path / "c.yaml"
    config.write_text(f"imports: [{name}.py]\ndataset: {{name: {name}, images: 2}}\nmodel: {{name: segnet, "
                      "input_size: [32, 32], width: 0.125}\ntrain: {epochs: 1, batch_size: 2}\n"
                      "eval: {figure_images: 0}\n")
    code = main(["run", str(config), "--out", str(tmp_path / "run")])
    if said is None:
        assert code == 0, capsys.readouterr().err
        return
    assert code == 2
    said = said.replace("{file}", re.escape(str(tmp_path / f"{name}.py")))
    assert re.fullmatch(rf"segbench: error: dataset Halves: list_pairs\('\w+'\) {said}", capsys.readouterr().err.strip())
    assert not (tmp_path / "run").exists()


def test_list_pairs_from_a_mixin_is_held_to_the_contract_and_str_paths_are_paths(registries, tmp_path):
    """A list_pairs that the adapter inherits (a mixin of the user's) was not checked: its KeyError was a traceback
    in verify, stats and run; and a Sample's paths given as text were AttributeError tracebacks in verify and run."""
    from segbench.data.base import DatasetAdapter, Sample
    from segbench.errors import DataError

    class Listing:
        def list_pairs(self, split):
            if split == "train":
                raise KeyError(f"manifest has no {split}")
            return [Sample(id="a", image=str(tmp_path / "a.jpg"), label=str(tmp_path / "a.png"))]

    class Mixed(Listing, DatasetAdapter):
        classes, palette = ("bg", "fg"), ((0, 0, 0), (255, 0, 0))

    adapter = Mixed(None)
    with pytest.raises(DataError, match=r"^dataset Mixed: list_pairs\('train'\) raised KeyError: 'manifest has no "
                                        rf"train' \({re.escape(__file__)}:\d+\)$"):
        adapter.list_pairs("train")
    assert adapter.list_pairs("test") == [Sample(id="a", image=tmp_path / "a.jpg", label=tmp_path / "a.png")]


def test_verify_reads_a_plugin_that_decodes_its_own_labels_through_its_load_alone(registries, tmp_path):
    """Labels stored as 0/10/20 that the plugin's load maps to classes 0/1/2 were read by segbench's own reader
    first, and every sound file was called "outside [0, 3)", rc 1, while stats and run read them fine (probe 17a
    case 10)."""
    from segbench.data.base import DatasetAdapter, Sample
    from segbench.data.verify import verify

    image, label = write_pair(tmp_path, tmp_path, "a", stripes(8, 8, [0, 10, 20]))

    class Decoding(DatasetAdapter):
        classes, palette = ("bg", "a", "b"), ((0, 0, 0), (255, 0, 0), (0, 255, 0))

        def list_pairs(self, split):
            return [Sample(id="a", image=image, label=label)]

        def load(self, sample):
            found, stored = super().load(sample)
            return found, stored // 10

    [report] = verify(Decoding(None), ["test"])
    assert report.problems == [] and report.pairs == 1


@pytest.mark.parametrize("mode, said", [
    ("raise", r"/a.jpg: Own.load raised ValueError: bad decode \({file}:\d+\)"),
    ("shift", r"/a.png: label values -1 outside \[0, 2\) \(as Own.load returned it\)"),
    ("none", r"/a.jpg: Own.load returned NoneType, not an \(image, label\) pair"),
    # 0 rows: stats counted nothing, and a run ended in OpenCV's resize assertion (probe 16c case 5).
    ("empty", r"/a.jpg: Own.load returned an image of 0x8 pixels, none to read"),
    # Its masked pixels' values were read: stats counted pixels twice, a run failed in scoring (probe 17a case 13).
    ("masked", r"/a.jpg: Own.load returned a masked array as its label; return a plain array"),
])
def test_a_plugin_load_off_its_contract_is_named_by_verify_and_by_readers(registries, tmp_path, mode, said):
    """verify said OK of a plugin whose own load raised or returned -1s (it read the files, not load); the readers
    blamed the sound image ("a.jpg: cannot be read (bad decode)"), or the file for values it does not hold."""
    from segbench.data.base import DatasetAdapter, Sample
    from segbench.data.pairs import read_pair
    from segbench.data.verify import verify
    from segbench.errors import DataError

    image, label = write_pair(tmp_path, tmp_path, "a", stripes(8, 8, [0, 1]))

    class Own(DatasetAdapter):
        classes, palette = ("bg", "fg"), ((0, 0, 0), (255, 0, 0))

        def list_pairs(self, split):
            return [Sample(id=str(image), image=image, label=label)]

        def load(self, sample):
            found, classes = super().load(sample)
            if mode == "raise":
                raise ValueError("bad decode")
            if mode == "empty":
                return found[:0], classes[:0]
            if mode == "masked":
                return found, np.ma.masked_array(classes, mask=classes == 0)
            return (found, classes.astype(np.int16) - 1) if mode == "shift" else None

    said = said.replace("{file}", re.escape(__file__))
    [report] = verify(Own(None), ["test"])
    assert len(report.problems) == 1 and re.search(said, f"{report.problems[0].path}: {report.problems[0].message}")
    with pytest.raises(DataError, match=said):
        read_pair(Own(None), Own(None).list_pairs("test")[0])


def test_a_plugin_moved_and_linked_back_where_the_run_imported_it_is_the_run_s(tmp_path):
    """Probe 22b case 15: docs/models.md says to move a plugin back, or link it there, to read its run; linked, it
    was refused as plugin code the run did not load (its path resolves to where it moved)."""
    (tmp_path / "moved").mkdir()
    (tmp_path / "plug").mkdir()
    (tmp_path / "moved" / "tiny.py").write_text("# the plugin\n")
    recorded = {str(tmp_path / "plug" / "tiny.py"): "digest"}
    assert plugins.unrecorded(recorded, [str(tmp_path / "moved" / "tiny.py")]) == str(tmp_path / "moved" / "tiny.py")
    (tmp_path / "plug" / "tiny.py").symlink_to(tmp_path / "moved" / "tiny.py")
    assert plugins.unrecorded(recorded, [str(tmp_path / "moved" / "tiny.py")]) is None
    (tmp_path / "other.py").write_text("# another plugin\n")
    assert plugins.unrecorded(recorded, [str(tmp_path / "other.py")]) == str(tmp_path / "other.py")
