"""segbench: a benchmark harness for semantic segmentation on Keras 3."""

import os

# Before anything imports TensorFlow: its C++ log lines (CUDA probing on CPU machines, oneDNN notices) would bury
# our output and turn a one-line error into a screenful. TF_CPP_MIN_LOG_LEVEL=0 in the environment brings them back.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"


def __getattr__(name: str):
    """``segbench.load_run``, for notebooks, imported on first use: ``import segbench`` loads no framework."""
    if name == "load_run":
        from segbench.engine.loaded import load_run

        return load_run
    raise AttributeError(f"module 'segbench' has no attribute {name!r}")
