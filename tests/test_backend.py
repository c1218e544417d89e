"""The backend's facts, asked in one place; importing it (through the config, say) starts no framework."""

import json
import subprocess
import sys

from segbench import backend


def test_importing_it_or_its_light_callers_loads_no_framework():
    probe = ("import json, sys; import segbench.backend, segbench.precision, segbench.config, segbench.bench.metrics; "
             "print(json.dumps([m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_device_is_the_first_gpu_else_the_cpu_and_versions_name_the_backend():
    gpu = backend.first_gpu()
    if gpu is None:
        assert backend.device() == {"name": backend.cpu(), "kind": "cpu", "slug": "cpu"}
        assert backend.devices() and all(d.startswith("cpu") for d in backend.devices())
        assert backend.peak_memory() is None
    else:
        assert backend.device()["name"] == gpu.name and backend.device()["kind"] == "gpu"
        assert len(gpu.capability) == 2 and backend.devices()
    assert backend.cpu().endswith(" cores")
    assert {"keras", backend.name(), "python"} <= set(backend.versions())
