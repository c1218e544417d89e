"""The backend's facts, asked in one place; importing it (through the config, say) starts no framework."""

import json
import subprocess
import sys

from segbench import backend


def test_importing_it_or_its_light_callers_loads_no_framework():
    probe = ("import json, sys; import segbench.backend, segbench.precision, segbench.config, segbench.bench.metrics; "
             "print(json.dumps([m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_device_is_the_first_gpu_else_the_cpu_and_versions_name_the_backend():
    gpu = backend.first_gpu()
    if gpu is None:
        assert backend.device() == {"name": backend.cpu(), "kind": "cpu", "slug": "cpu"}
        assert backend.devices() and all(d.startswith("cpu") for d in backend.devices())
        assert backend.peak_memory() is None
    else:
        assert backend.device()["name"] == gpu.name and backend.device()["kind"] == "gpu"
        assert len(gpu.capability) == 2 and backend.devices()
    assert backend.cpu().endswith(" cores")
    assert {"keras", backend.name(), "python"} <= set(backend.versions())


def test_a_gradient_is_looked_for_in_training_mode_and_the_models_state_is_kept():
    """A subclassed model that stops its gradient only when training passed the check, made in inference mode, and
    `run --force` deleted the finished run before training failed (probe 17b case 3). Training mode moves batch
    norm's statistics: they are put back."""
    import keras
    import numpy as np

    from segbench.backend import gradient_reaches

    class StopsWhenTraining(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv, self.norm = keras.layers.Conv2D(2, 1), keras.layers.BatchNormalization()

        def call(self, images, training=False):
            logits = self.norm(self.conv(keras.ops.cast(images, "float32")), training=training)
            return keras.ops.stop_gradient(logits) if training else logits

    model, images = StopsWhenTraining(), np.random.default_rng(0).integers(0, 255, (2, 8, 8, 3)).astype("uint8")
    model(images)
    before = [variable.numpy().copy() for variable in model.non_trainable_variables]
    assert not gradient_reaches(model, images)
    assert all((variable.numpy() == value).all() for variable, value in zip(model.non_trainable_variables, before))
    model.call = lambda images, training=False: model.norm(model.conv(keras.ops.cast(images, "float32")),
                                                          training=training)
    assert gradient_reaches(model, images)
    assert all((variable.numpy() == value).all() for variable, value in zip(model.non_trainable_variables, before))
