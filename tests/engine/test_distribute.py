"""train.distribute on two logical CPU devices, and train.deterministic, each in a fresh process (device set-up and
determinism are process-wide)."""

import json
import os
import subprocess
import sys

import pytest

# TensorFlow splits the CPU only before its runtime starts, so this happens ahead of segbench's CLI.
TF_TWO_CPUS = """
import sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
from segbench.cli import main
sys.exit(main(sys.argv[1:]))
"""


def segbench(args, script=None, **env):
    """``segbench ARGS`` (or ``script`` with them) on TensorFlow unless ``env`` names another backend."""
    command = [sys.executable, "-c", script, *args] if script else [sys.executable, "-m", "segbench", *args]
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", **env}
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, check=False)


def run_args(smoke_config, out, *overrides):
    return ["run", str(smoke_config), "--out", str(out), *(x for o in overrides for x in ("--set", o))]


def assert_finished(out, result, replicas, strategy, test_images):
    assert result.returncode == 0, result.stderr
    assert f"{replicas} replicas ({strategy})" in result.stdout
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["distribute"] == {"strategy": strategy, "replicas": replicas}
    # every test pixel, those of the padded last batch included
    assert sum(map(sum, metrics["confusion_matrix"])) == test_images * 40 * 56
    assert metrics["epochs"] == 2


def test_mirrored_on_two_logical_cpus(smoke_config, tmp_path):
    # 9 train images in batches of 4: the incomplete last batch is dropped; the 3rd test image is padded to 2.
    out = tmp_path / "mirrored"
    result = segbench(run_args(smoke_config, out, "train.distribute=mirrored",
                               "dataset.num_images={train: 9, val: 4, test: 3}", "eval.batch_size=2"), TF_TWO_CPUS)
    assert_finished(out, result, 2, "mirrored", 3)


def test_data_parallel_on_two_jax_cpu_devices(smoke_config, tmp_path):
    pytest.importorskip("jax", reason="the jax backend is not installed (make test-jax installs it)")
    out = tmp_path / "data_parallel"
    result = segbench(run_args(smoke_config, out, "train.distribute=data_parallel",
                               "dataset.num_images={train: 9, val: 3, test: 5}", "eval.batch_size=2"),
                      KERAS_BACKEND="jax", XLA_FLAGS="--xla_force_host_platform_device_count=2")
    assert_finished(out, result, 2, "data_parallel", 5)


@pytest.mark.parametrize("setting, message", [
    ("train.distribute=data_parallel", ("train.distribute: data_parallel needs KERAS_BACKEND=jax (this is "
                                        "tensorflow); on tensorflow use train.distribute: mirrored")),
    ("train.batch_size=3", ("train.batch_size: 3 does not split evenly over the 2 devices of train.distribute: "
                            "mirrored")),
])
def test_refused_before_any_work(smoke_config, tmp_path, setting, message):
    out = tmp_path / "refused"
    result = segbench(run_args(smoke_config, out, "train.distribute=mirrored", setting), TF_TWO_CPUS)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"segbench: error: {message}"
    assert not out.exists()


def test_deterministic_turns_on_tensorflow_op_determinism(smoke_config, tmp_path):
    script = """
import sys
from segbench.cli import main
code = main(sys.argv[1:])
from tensorflow.python.framework import config
print("determinism", config.is_op_determinism_enabled())
sys.exit(code)
"""
    plain = segbench(run_args(smoke_config, tmp_path / "plain", "train.epochs=1"), script)
    exact, again = (segbench(run_args(smoke_config, tmp_path / name, "train.epochs=1", "train.deterministic=true"),
                             script) for name in ("exact", "again"))
    assert plain.returncode == exact.returncode == again.returncode == 0, plain.stderr + exact.stderr
    assert "determinism False" in plain.stdout
    assert "determinism True" in exact.stdout
    # Runs with it repeat exactly. Not that they equal runs without it: on the AMD EPYC they did, and on an Intel
    # Xeon with bf16 instructions (where precision auto is mixed_bfloat16) its kernels added in another order, and
    # 7 of 8,960 pixels came out in another class.
    figures = [json.loads((tmp_path / name / "metrics.json").read_text())["confusion_matrix"]
               for name in ("exact", "again")]
    assert figures[0] == figures[1]
