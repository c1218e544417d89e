"""segbench: a benchmark harness for semantic segmentation on Keras 3."""

import os

# Before anything imports TensorFlow: its C++ log lines (CUDA probing on CPU machines, oneDNN notices) would bury
# our output and turn a one-line error into a screenful. TF_CPP_MIN_LOG_LEVEL=0 in the environment brings them back.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
