"""``segbench bench``: measured speed of models, the input pipeline and the metrics.

``timing`` holds the protocol every measurement follows, ``scripts/peer_smp.py`` included (it imports nothing else
from segbench, so it runs where only PyTorch is installed); ``model``, ``loader``, ``metrics`` and ``suite`` measure;
``report`` renders and writes what they return.
"""
