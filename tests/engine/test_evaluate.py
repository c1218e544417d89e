import numpy as np
import pytest

from segbench import boundary, calibration
from segbench.config import load_config
from segbench.data.pairs import resize_pair
from segbench.engine.evaluate import evaluate
from segbench.engine.inference import logits_at
from segbench.metrics import confusion_matrix
from segbench.registry import DATASETS


def test_logits_are_resized_to_the_label_before_the_argmax():
    logits = np.zeros((2, 2, 2), np.float32)
    logits[:, 0, 0] = 1.0  # left column says class 0
    logits[:, 1, 1] = 1.0  # right column says class 1
    labels = logits_at(logits, (4, 6)).argmax(axis=-1)
    assert labels.shape == (4, 6)
    assert (labels[:, :3] == 0).all() and (labels[:, 3:] == 1).all()


def test_a_model_that_copies_the_label_scores_perfectly_at_native_size(smoke_config):
    """A fake model whose logits are the one-hot label at the input size: every native pixel must come back."""
    cfg = load_config(smoke_config)
    data = DATASETS.get("synthetic")(cfg.dataset)
    samples = data.samples("test")
    height, width = cfg.model.input_size

    class Oracle:
        input_shape = (None, height, width, 3)

        def predict_on_batch(self, images):
            assert len(images) == 3  # the last, incomplete batch comes padded to full size
            # evaluate() feeds images in sample order, so the oracle looks up the matching labels; padding gets 0s
            return np.stack([np.eye(data.num_classes, dtype=np.float32)[next(truths, blank)] for _ in images])

    truths = iter([resize_pair(*data.load(s), (height, width))[1] for s in samples])
    blank = np.zeros((height, width), int)
    assert len(samples) % 3
    scored = evaluate(Oracle(), data, samples, batch_size=3)
    cm = scored["confusion_matrix"]
    native = [data.load(s)[1] for s in samples]
    assert cm.sum() == sum(label.size for label in native)  # counted at 40x56, not at the 32x48 input
    assert scored["num_images"] == len(samples)
    # Nearest-resized labels blown back up are close to, not exactly, the native ones: mostly diagonal.
    assert np.trace(cm) / cm.sum() > 0.9
    reference = sum(confusion_matrix(label, label, data.num_classes) for label in native)
    assert (cm.sum(axis=1) == reference.sum(axis=1)).all()  # the ground-truth side is exactly the native labels


def test_void_outside_the_class_range_is_not_counted(smoke_config):
    """A dataset whose void label is 255 (not a class): its pixels leave the matrix instead of raising."""
    cfg = load_config(smoke_config)
    data = DATASETS.get("synthetic")(cfg.dataset)

    class WithDontCare(type(data)):
        classes, palette, ignore_index = data.classes[:4], data.palette[:4], 255

        def load(self, sample):
            image, label = super().load(sample)
            return image, np.where(label == 4, 255, label).astype(np.uint8)

    dontcare = WithDontCare(cfg.dataset)
    samples = dontcare.samples("test")
    height, width = cfg.model.input_size

    class Background:
        input_shape = (None, height, width, 3)

        def predict_on_batch(self, images):
            return np.zeros((len(images), height, width, 4), np.float32)

    cm = evaluate(Background(), dontcare, samples, batch_size=4)["confusion_matrix"]
    labels = [dontcare.load(s)[1] for s in samples]
    assert cm.shape == (4, 4)
    assert cm.sum() == sum(int((label != 255).sum()) for label in labels)


def test_on_prediction_sees_every_image_with_the_class_map_that_was_scored(smoke_config):
    cfg = load_config(smoke_config)
    data = DATASETS.get("synthetic")(cfg.dataset)
    samples = data.samples("test")
    height, width = cfg.model.input_size

    class Stripes:  # class 1 on the left half of the input, class 2 on the right
        input_shape = (None, height, width, 3)

        def predict_on_batch(self, images):
            logits = np.zeros((len(images), height, width, data.num_classes), np.float32)
            logits[:, :, : width // 2, 1] = 1.0
            logits[:, :, width // 2:, 2] = 1.0
            return logits

    seen = []
    scored = evaluate(Stripes(), data, samples, batch_size=3,
                      on_prediction=lambda *args: seen.append(args))
    assert [s for s, *_ in seen] == samples  # every image once, in order, including the short last batch
    cm = np.zeros_like(scored["confusion_matrix"])
    for sample, image, label, prediction, image_cm in seen:
        assert (image_cm == confusion_matrix(label, prediction, data.num_classes)).all()
        native_image, native_label = data.load(sample)
        assert (image == native_image).all() and (label == native_label).all()
        assert prediction.shape == label.shape  # native resolution, not the input size
        assert set(np.unique(prediction)) == {1, 2}
        cm += confusion_matrix(label, prediction, data.num_classes)
    assert (cm == scored["confusion_matrix"]).all()


def test_detailed_scoring_keeps_each_images_boundary_counts_and_confidence(smoke_config):
    cfg = load_config(smoke_config)
    data = DATASETS.get("synthetic")(cfg.dataset)
    samples = data.samples("test")
    height, width = cfg.model.input_size

    class Sure:  # class 1 on the left half at softmax 0.9, class 2 on the right at about 0.6
        input_shape = (None, height, width, 3)

        def predict_on_batch(self, images):
            logits = np.zeros((len(images), height, width, data.num_classes), np.float32)
            logits[:, :, : width // 2, 1] = np.log(0.9 * (data.num_classes - 1) / 0.1)
            logits[:, :, width // 2:, 2] = 1.8
            return logits

    seen = []
    scored = evaluate(Sure(), data, samples, batch_size=3, detailed=True, on_prediction=lambda *args: seen.append(args))
    assert scored["boundary"].shape == (len(samples), data.num_classes, boundary.COLUMNS)
    for (_, _, label, prediction, _), counts in zip(seen, scored["boundary"]):
        assert (counts == boundary.counts(label, prediction, data.num_classes, data.ignore_index)).all()
    # Calibration is of the pixels with a true class: the synthetic void outlines are left out.
    pixels = sum(int((label != data.ignore_index).sum()) for _, _, label, _, _ in seen)
    histograms = scored["confidence"]
    assert histograms[..., calibration.PIXELS].sum() == pixels
    # Pixels at 0.9 (bin 13) or about 0.6 (bin 9), but for the seam, where the resized logits blend.
    per_bin = histograms[..., calibration.PIXELS].sum(axis=0)
    assert per_bin[[9, 13]].sum() > 0.9 * pixels
    assert histograms[:, 13, calibration.CONFIDENCE].sum() / per_bin[13] == pytest.approx(0.9, abs=2e-3)
    assert scored["nll"].shape == (len(samples),) and (scored["nll"] > 0).all()
    assert "boundary" not in evaluate(Sure(), data, samples, batch_size=3)  # the per-epoch validation's cost stays
