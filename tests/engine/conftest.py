import keras
import pytest

from segbench.config import load_config
from segbench.engine.run import execute

# jax2onnx writes a max pooling as an ONNX MaxPool with a 4-D kernel, which onnxruntime refuses (test_export.py's last
# test): on JAX the exported model is MobileNet UNet, which pools by strides alone.
EXPORT_MODEL = "mobilenet_unet" if keras.backend.backend() == "jax" else "segnet"


@pytest.fixture(scope="session")
def export_run(tmp_path_factory, smoke_config):
    """A smoke run trained once (one epoch, in bf16) for the tests that export it: test_export.py and
    test_quantize.py."""
    out = tmp_path_factory.mktemp("run") / EXPORT_MODEL
    execute(load_config(smoke_config, [f"output.dir={out}", "train.epochs=1", "train.precision=mixed_bfloat16",
                                       f"model.name={EXPORT_MODEL}", "model.input_size=[32,64]"]))
    return out


@pytest.fixture
def stand_in(monkeypatch):
    """The sweep's children run tests/engine/stand_in_run.py instead of `segbench run`: the same command line, no
    framework or training in them. ``stand_in(seconds)`` makes each take that long."""
    import sys
    from pathlib import Path

    from segbench.engine import sweep

    script, real = str(Path(__file__).with_name("stand_in_run.py")), sweep.command
    monkeypatch.setattr(sweep, "command", lambda job, overrides: [sys.executable, script, *real(job, overrides)[3:]])
    return lambda seconds: monkeypatch.setenv("STAND_IN_SECONDS", str(seconds))
