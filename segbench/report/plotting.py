"""pyplot, drawing into files only: the Agg backend is chosen here, before pyplot first loads, for every module that
draws (no display on servers and CI). They take ``plt`` from here rather than from matplotlib."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["plt"]
