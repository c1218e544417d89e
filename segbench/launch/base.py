"""What every launcher shares: the options the sweep verb's flags give it, and the optional engines' import."""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from segbench.errors import SegbenchError

CLUSTER_EXTRA = "pip install 'segbench[cluster]'"


@dataclass(frozen=True)
class Options:
    """What the sweep verb's flags say about where runs go; each launcher reads the fields that concern it."""

    results: Path = Path("results")
    devices: tuple[str, ...] = ()  # local: one run per device at once; empty: one run at a time, no device set
    gpus_per_run: float = 0.0  # ray, slurm; 0: CPU runs
    cpus_per_run: int = 1  # ray, slurm
    retries: int = 3  # ray: tries again for a run whose process or worker died; slurm: requeues after --time
    ray_address: str | None = None  # ray: an existing cluster; None starts a local one
    partition: str | None = None  # slurm
    time: int = 24 * 60  # slurm: minutes per job (a job requeued after its time resumes where it stopped)
    slurm_options: dict[str, str] = field(default_factory=dict)  # slurm: extra sbatch options, without the "--"
    dry_run: bool = False  # slurm: print the array, submit nothing


def engine(module: str, launcher: str, name: str):
    """Import an optional engine, or stop with one line saying how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise SegbenchError(f"--launcher {launcher} needs {name}: {CLUSTER_EXTRA}") from None
