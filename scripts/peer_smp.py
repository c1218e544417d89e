#!/usr/bin/env python3
"""The peer of `segbench bench`: segmentation_models_pytorch's Unet and PSPNet on a ResNet-50, measured with the
same protocol (segbench/bench/timing.py) at the same input size, batch and precision, printed as JSON.

    python scripts/peer_smp.py --input-size 352x480 --batch 16 --precision mixed_bfloat16 > peer.json
    segbench bench suite --suite camvid --set train.batch_size=16 --set train.precision=mixed_bfloat16 --peer peer.json

It needs PyTorch and segmentation_models_pytorch (not segbench's dependencies: install them where you run it); where
either is missing it says so in one line and exits 0. It runs on the first CUDA device, else the CPU.

Like ours, each model takes uint8 images (placed on the device once) and normalises them inside the timed step; a
training step is forward, cross-entropy, backward and an Adam update, synchronised by `loss.item()`; inference
returns the argmax class maps to the host. Mixed precision is torch.autocast (bfloat16; float16 with a GradScaler).
The rows are named after the segbench models they stand beside, so `bench --peer` finds them; the decoders differ
in detail (channel widths), so compare the parameter counts too.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from segbench.bench.timing import REPEATS, STEPS, WARMUP, latency, throughput

# segbench model -> smp class and the arguments that make it the same kind of model: smp's PSPNet by default pools the
# stride-8 features of a 3-stage encoder; segbench's (and the older Keras library's) the stride-32 ones of all five.
PEERS = {"resnet50_unet": ("Unet", {}),
         "resnet50_pspnet": ("PSPNet", {"encoder_depth": 5, "upsampling": 32})}
AUTOCAST = {"float32": None, "mixed_bfloat16": "bfloat16", "mixed_float16": "float16"}


def measure(torch, smp, name: str, args, device) -> dict:
    architecture, options = PEERS[name]
    label = f"smp.{architecture}({', '.join(['resnet50', *(f'{k}={v}' for k, v in options.items())])})"
    torch.manual_seed(0)
    model = getattr(smp, architecture)("resnet50", encoder_weights=None, classes=args.num_classes, **options)
    model = model.to(device)
    height, width = args.input_size
    images = torch.randint(0, 256, (args.batch, 3, height, width), dtype=torch.uint8, device=device)
    labels = torch.randint(0, args.num_classes, (args.batch, height, width), device=device)
    cast = getattr(torch, AUTOCAST[args.precision]) if AUTOCAST[args.precision] else None
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=cast is torch.float16)

    def autocast():
        return torch.autocast(device.type, dtype=cast, enabled=cast is not None)

    def normalised(x):
        return x.float() / 127.5 - 1.0

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            logits = model(normalised(images))
        loss = torch.nn.functional.cross_entropy(logits.float(), labels)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        return loss.item()

    def predict(x):
        with torch.inference_mode(), autocast():
            return model(normalised(x)).argmax(1).cpu()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    model.train()
    train = throughput(train_step, args.batch, args.steps, args.repeats, WARMUP)
    model.eval()
    infer = throughput(lambda: predict(images), args.batch, args.steps, args.repeats, WARMUP)
    single = latency(lambda: predict(images[:1]), args.steps * args.repeats, WARMUP)
    return {"model": name, "peer_model": label, "input_size": [height, width], "batch": args.batch,
            "precision": args.precision, "num_classes": args.num_classes,
            "parameters": sum(p.numel() for p in model.parameters()),
            "train": {"images_per_s": train.pop("per_s"), **train},
            "infer": {"images_per_s": infer.pop("per_s"), **infer},
            "latency_ms": single,
            "peak_memory_bytes": torch.cuda.max_memory_allocated() if device.type == "cuda" else None}


def size(text: str) -> list[int]:
    height, _, width = text.lower().partition("x")
    if not height.isdigit() or not width.isdigit():
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH such as 352x480, got {text!r}")
    return [int(height), int(width)]


def models(text: str) -> list[str]:
    names = text.split(",")
    unknown = [name for name in names if name not in PEERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"{', '.join(unknown)}: the peers are {', '.join(PEERS)}")
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input-size", type=size, default=[352, 480], metavar="HxW", help="default: 352x480")
    parser.add_argument("--batch", type=int, default=8, help="default: 8")
    parser.add_argument("--precision", choices=tuple(AUTOCAST), default="float32")
    parser.add_argument("--num-classes", type=int, default=12, help="default: 12")
    parser.add_argument("--steps", type=int, default=STEPS, help=f"timed steps per repeat (default: {STEPS})")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"default: {REPEATS}")
    parser.add_argument("--models", type=models, default=list(PEERS), help=f"default: {','.join(PEERS)}")
    args = parser.parse_args(argv)
    missing = [name for name in ("torch", "segmentation_models_pytorch") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"peer_smp: skipped: {' and '.join(missing)} not installed (pip install torch "
              "segmentation-models-pytorch)", file=sys.stderr)
        return 0
    import segmentation_models_pytorch as smp
    import torch

    torch.backends.cudnn.benchmark = True  # fixed sizes: let cuDNN pick its fastest kernels, as XLA autotunes ours
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    rows = [measure(torch, smp, name, args, device) for name in args.models]
    print(json.dumps({
        "peer": "segmentation_models_pytorch",
        "versions": {"segmentation_models_pytorch": smp.__version__, "torch": torch.__version__,
                     "python": platform.python_version()},
        "device": {"name": torch.cuda.get_device_name(0) if device.type == "cuda" else platform.processor() or "cpu",
                   "kind": "gpu" if device.type == "cuda" else "cpu"},
        "rows": rows,
    }, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
