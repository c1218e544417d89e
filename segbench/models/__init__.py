"""Model builders; importing this package registers every bundled one."""

from segbench.models import encoders, segnet  # noqa: F401
