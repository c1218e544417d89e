"""train.tensorboard: Keras' TensorBoard logs in the run folder, the validation scores beside the loss."""

import pytest

from segbench.cli import main

pytest.importorskip("tensorboard", reason="train.tensorboard needs the tensorboard package: make test-cluster "
                                          "installs it")


def test_a_run_writes_tensorboard_logs_into_its_folder(smoke_config, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run = tmp_path / "run"
    assert main(["run", str(smoke_config), "--out", str(run), "--set", "train.tensorboard=true"]) == 0
    tags = {}
    for part in ("train", "validation"):
        events = EventAccumulator(str(run / "tensorboard" / part))
        events.Reload()
        tags[part] = set(events.Tags()["tensors"])
    assert {"epoch_loss", "epoch_learning_rate"} <= tags["train"]
    assert tags["validation"] == {"epoch_loss", "epoch_miou"}
