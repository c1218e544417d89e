import h5py
import keras
import pytest

from segbench.registry import MODELS


@pytest.fixture(scope="session")
def build_model():
    """``build_model(name, num_classes, **model_keys)``: a registered model with its config validated as a run's."""

    def build(name: str, num_classes: int = 5, **keys) -> keras.Model:
        config = MODELS.options(name).model_validate({"name": name, **keys})
        return MODELS.get(name)(config, num_classes)

    return build


@pytest.fixture(scope="session")
def write_legacy_h5():
    """``write_legacy_h5(model, path, full_model=False, split_names=False)``: the model's weights in Keras 2's HDF5
    layout, as ``save_weights`` (or, with ``full_model``, ``save``) wrote them; ``split_names`` stores the layer
    names in two chunks, as Keras 2 did when they overflowed an HDF5 header."""

    def write(model: keras.Model, path, full_model: bool = False, split_names: bool = False):
        with h5py.File(path, "w") as file:
            root = file.create_group("model_weights") if full_model else file
            names = [layer.name.encode() for layer in model.layers]
            if split_names:
                root.attrs["layer_names0"], root.attrs["layer_names1"] = names[:2], names[2:]
            else:
                root.attrs["layer_names"] = names
            root.attrs["backend"], root.attrs["keras_version"] = b"tensorflow", b"2.2.4"
            for layer in model.layers:
                group = root.create_group(layer.name)
                weight_names = [f"{layer.name}/{weight.name}:0" for weight in layer.weights]
                group.attrs["weight_names"] = [name.encode() for name in weight_names]
                for name, weight in zip(weight_names, layer.weights):
                    group.create_dataset(name, data=keras.ops.convert_to_numpy(weight))
        return path

    return write
