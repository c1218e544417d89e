import keras
import numpy as np
import pytest

from segbench.config import load_config
from segbench.registry import MODELS


def build(smoke_config, *overrides, num_classes=5):
    cfg = load_config(smoke_config, list(overrides))
    return MODELS.get(cfg.model.name)(cfg.model, num_classes)


@pytest.mark.parametrize("size", [[32, 48], [64, 32]])
def test_logits_at_full_input_size(smoke_config, size):
    model = build(smoke_config, f"model.input_size={size}", num_classes=7)
    out = model(np.zeros((2, *size, 3), np.uint8), training=False)
    assert tuple(out.shape) == (2, *size, 7)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"


def test_logits_are_not_probabilities(smoke_config):
    model = build(smoke_config)
    out = model.predict_on_batch(np.random.default_rng(0).integers(0, 255, (1, 32, 48, 3), dtype=np.uint8))
    assert not np.allclose(out.sum(-1), 1.0)  # the loss applies the softmax


def test_width_scales_the_parameters(smoke_config):
    narrow = build(smoke_config, "model.width=0.125").count_params()
    wide = build(smoke_config, "model.width=0.25").count_params()
    assert 3 * narrow < wide < 5 * narrow  # conv parameters grow with the square of the width
