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
