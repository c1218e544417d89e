"""Model builders; importing this package registers every bundled one."""

from segbench.models import encoders, grid, pspnet50  # noqa: F401
