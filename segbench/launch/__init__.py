"""Where a sweep's runs go: one module per launcher, each running the same ``segbench run`` command line per job
(segbench.engine.sweep.command) and reporting into the same live summary (summary.py).

- local: on this machine, one run at a time, or one per device of ``--devices`` at once;
- ray: each run a Ray task, on a local Ray or an existing cluster;
- slurm: one Slurm job array through submitit.

The engines are optional (``pip install 'segbench[cluster]'``) and imported only by the launcher that uses them,
so that the CLI starts without them and says in one line what is missing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from segbench.errors import SegbenchError

if TYPE_CHECKING:
    from segbench.launch.base import Options

LAUNCHERS = ("local", "ray", "slurm")


def launch(name: str, jobs: list, overrides: list[str], options: Options) -> list[str]:
    """Run ``jobs`` with launcher ``name``; one line per failed job (empty when every run finished)."""
    if name == "local":
        from segbench.launch.local import launch as run
    elif name == "ray":
        from segbench.launch.ray import launch as run
    elif name == "slurm":
        from segbench.launch.slurm import launch as run
    else:
        raise SegbenchError(f"--launcher {name}: unknown; choose from {', '.join(LAUNCHERS)}")
    return run(jobs, overrides, options)
