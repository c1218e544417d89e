import pytest

from segbench.bench.model import PROTOCOL


def spread(median: float) -> dict:
    return {"min": 0.9 * median, "median": median, "max": 1.1 * median}


@pytest.fixture
def measured():
    """What ``bench_model`` returns, with made-up figures: ``measured(model, train=img/s, ...)``."""

    def make(model="resnet50_unet", train=20.0, infer=80.0, peak=None, memory=None, size=(352, 480), batch=8,
             precision="float32", device=None):
        flops = 91.4e9
        return {
            "model": model, "input_size": list(size), "batch": batch, "num_classes": 12, "precision": precision,
            "backend": "jax", "device": device or {"name": "NVIDIA H200", "kind": "gpu", "slug": "h200"},
            "versions": {"keras": "3.15.1", "jax": "0.10.2", "python": "3.11.7"},
            "parameters": 43_945_100, "flops_per_image": flops,
            "train": {"images_per_s": spread(train), "steps": 10, "repeats": 3, "warmup": 2, "items_per_call": batch},
            "infer": {"images_per_s": spread(infer), "steps": 10, "repeats": 3, "warmup": 2, "items_per_call": batch},
            "latency_ms": {"min": 5.0, "median": 6.0, "max": 9.0, "p95": 8.5, "calls": 30, "warmup": 2},
            "peak_memory_bytes": memory, "peak_tflops": peak, "peak_source": "table" if peak else None,
            "utilisation": {"train": 3 * flops * train / (peak * 1e12) if peak else None,
                            "infer": flops * infer / (peak * 1e12) if peak else None},
            "protocol": PROTOCOL,
        }

    return make
