"""``segbench evaluate``: a run scored again without training, under test-time augmentation or a corruption, or
through an exported ONNX file instead of its Keras model, into ``eval/<mode>.json`` (the schema of ``metrics.json``
plus how it was scored); and the robustness sweep over every corruption and severity, with its table and plot."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from segbench.data.corrupt import CORRUPTIONS, SEVERITIES, corrupter
from segbench.engine.evaluate import evaluate
from segbench.engine.finished import config_hash
from segbench.engine.inference import Inference
from segbench.engine.loaded import LoadedRun, weights_of
from segbench.engine.onnxfile import OnnxModel, runtime
from segbench.engine.run import environment, scored_figures
from segbench.engine.views import SINGLE, Views
from segbench.errors import DataError, SegbenchError
from segbench.io import sha256
from segbench.rundir import BEST_WEIGHTS, CONFIG, LAST_WEIGHTS, read_eval, write_eval, write_per_image


def mode_name(run: LoadedRun, views: Views, corruption: tuple[str, int] | None, split: str,
              onnx: str | None = None) -> str:
    """The file name of a re-scoring in ``eval/``: the views' name (``ms+flip``) or, for an exported file scored
    instead of the Keras model, its format and precision ``onnx`` (``onnx-int8``), the corruption
    (``corrupt-fog-3``), then what differs from the run's own scoring: the split and the weights."""
    if onnx is not None:
        parts = [f"onnx-{onnx}"]
    else:
        parts = [views.name] if views != SINGLE or corruption is None else []
    if corruption is not None:
        parts.append(f"corrupt-{corruption[0]}-{corruption[1]}")
    if split != run.config.eval.split:
        parts.append(f"split-{split}")
    if run.weights.resolve() != _own_weights(run):
        parts.append(f"weights-{_weights_label(run)}")
    return "+".join(parts)


def _weights_label(run: LoadedRun) -> str:
    """``best`` or ``last`` for the run's own files, else the file's stem and the start of its SHA-256: a file of
    another folder named best.weights.h5 was written as ``weights-best``, read as the run's own, and two files named
    other.weights.h5 shared one name."""
    if _is_own(run):
        return "best" if run.weights.name == BEST_WEIGHTS else "last"
    return f"{run.weights.stem.removesuffix('.weights')}-{run.weights_sha256[:8]}"


def _is_own(run: LoadedRun) -> bool:
    return run.weights.parent.resolve() == run.path.resolve() and run.weights.name in (BEST_WEIGHTS, LAST_WEIGHTS)


def _own_weights(run: LoadedRun) -> Path | None:
    """The weights file the run's own scoring used (the best epoch's where it kept and scored it, else the last);
    None where the folder holds neither."""
    try:
        return weights_of(run.path, run.config, "best").resolve()
    except SegbenchError:
        return None


def rescore(run: LoadedRun, views: Views = SINGLE, corruption: tuple[str, int] | None = None,
            split: str | None = None, batch_size: int | None = None, seed: int = 0, progress: bool = True,
            onnx: OnnxModel | None = None) -> dict:
    """Score ``run`` on ``split`` (the run's own eval split by default) under ``views`` and ``corruption`` (name,
    severity), write ``eval/<mode>.json`` and return what it holds. With ``onnx``, that file computes the logits
    instead of the run's Keras model, fed the same batches: everything else (the resizes, the argmax at each
    image's size, the figures, the per-image arrays) is the one path every scoring takes."""
    split = split or run.config.eval.split
    if onnx is not None:
        check_exported(run, onnx, views)
    if run.metrics.get("decoding_sha256") not in (None, run.adapter.decoding_sha256()):
        # Labels read as other classes than the run's were scored as its re-scoring (a class file's mapping swapped).
        raise DataError(f"{run.path}: its dataset's labels are decoded otherwise since the run (the class file's "
                        "mapping, labels, palette or void colour changed); a scoring now is not comparable with its "
                        "own: restore the class file, or run the config again")
    samples = run.adapter.samples(split)
    if not samples:
        raise DataError(f"{run.adapter.root}: {run.config.dataset.name} has no {split} pairs there to score")
    batch_size = batch_size or run.config.eval.batch_size
    started = time.perf_counter()
    model, infer = (run.model, run.inference(batch_size, views)) if onnx is None else \
        (onnx, Inference(lambda size: onnx, run.input_size, batch_size))
    scored = evaluate(model, run.adapter, samples, batch_size, progress=progress, detailed=True, infer=infer,
                      corrupt=corrupter(*corruption, seed) if corruption else None)
    mode = {"name": mode_name(run, views, corruption, split, onnx and onnx.precision),
            "weights": run.weights.name if _is_own(run) else str(run.weights.resolve()),
            "weights_sha256": run.weights_sha256, "flip": views.flip, "scales": list(views.scales),
            "window": list(views.window) if views.window else None, "stride": views.stride,
            "corruption": corruption[0] if corruption else None, "severity": corruption[1] if corruption else None,
            "corruption_seed": seed if corruption else None, "seconds": round(time.perf_counter() - started, 2)}
    if onnx is not None:
        mode["onnx"] = {"file": str(onnx.path), "sha256": onnx.sha256, "precision": onnx.precision,
                        "bytes": onnx.path.stat().st_size, "runtime": runtime()}
    metrics = {
        "dataset": run.config.dataset.name,
        "model": run.config.model.name,
        "split": split,
        "num_images": scored["num_images"],
        "classes": list(run.adapter.classes),
        "ignore_index": run.adapter.ignore_index,
        **scored_figures(scored, run.adapter.ignore_index),
        "config_sha256": config_hash(run.config.model_dump(mode="json")),
        "config_file_sha256": sha256(run.path / CONFIG),
        "seed": run.config.train.seed,
        "precision": run.precision if onnx is None else onnx.precision,
        "environment": environment(),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": mode,
    }
    # The arrays first: eval/<mode>.json is the mark of a finished scoring, as metrics.json is of a run.
    write_per_image(run.path, samples, scored, run.adapter.ignore_index, mode["name"])
    return write_eval(run.path, metrics)


def check_exported(run: LoadedRun, onnx: OnnxModel, views: Views) -> None:
    """One line where ``onnx`` cannot be scored as ``run``'s model would be: views it cannot take (its input size
    is fixed), another input size, class maps instead of logits (the protocol resizes logits to each image's size
    before the argmax), or a file exported from other weights than those loaded, or recording none."""
    if views != SINGLE:
        raise SegbenchError(f"{onnx.path}: an exported file takes its input size only; score it without --tta, "
                            "--scales and --window")
    if onnx.input_size != run.input_size:
        raise SegbenchError(f"{onnx.path}: takes {'x'.join(map(str, onnx.input_size))} images, but {run.path}'s "
                            f"model {'x'.join(map(str, run.input_size))}: not a file of this run")
    output = onnx.session.get_outputs()[0].shape
    if len(output) == 4 and isinstance(output[-1], int) and output[-1] != run.adapter.num_classes:
        raise SegbenchError(f"{onnx.path}: returns the logits of {output[-1]} classes, but {run.path}'s model has "
                            f"{run.adapter.num_classes} ({run.config.dataset.name}): not a file of this run")
    if len(output) != 4 or output[-1] != run.adapter.num_classes:
        raise SegbenchError(f"{onnx.path}: returns {onnx.output_name}, not the {run.adapter.num_classes} classes' "
                            "logits; evaluation resizes logits to each image's size before the argmax: export it "
                            "with --output logits")
    made_from = onnx.metadata.get("weights_sha256")
    if made_from is None:  # another run's file scored as this one's was "18 points better than its source"
        raise SegbenchError(f"{onnx.path}: records no weights it was exported from (segbench export writes them into "
                            "its metadata; a tool that rewrites the file may drop them), so it cannot be checked to "
                            f"be {run.path}'s model; export it again with segbench export")
    model = onnx.metadata.get("model")
    if made_from != run.weights_sha256 and model and model != run.config.model.name:
        raise SegbenchError(f"{onnx.path}: a file of another model ({model}, from the run "
                            f"{onnx.metadata.get('run', '?')}) than {run.path}'s {run.config.model.name}")
    if made_from != run.weights_sha256:
        raise SegbenchError(f"{onnx.path}: exported from other weights ({onnx.metadata.get('weights', '?')}, SHA-256 "
                            f"{made_from[:12]}...) than {run.weights} ({run.weights_sha256[:12]}...); --checkpoint "
                            "names the weights it was made from")


def robustness(run: LoadedRun, views: Views = SINGLE, split: str | None = None, batch_size: int | None = None,
               seed: int = 0, log=print) -> tuple[dict, dict[tuple[str, int], dict]]:
    """The clean score and every corruption at every severity, each its own ``eval/`` file. A file already there
    from the same weights, views, split and seed is kept rather than computed again, so an interrupted sweep (35
    scorings) continues where it stopped."""
    split = split or run.config.eval.split

    def scored(corruption):
        name = mode_name(run, views, corruption, split)
        try:
            kept = read_eval(run.path, name)
        except DataError:  # damaged, or another config's: not this run's scoring, which is computed again over it
            kept = None
        if kept is not None and kept["mode"]["weights_sha256"] == run.weights_sha256 and kept["split"] == split \
                and kept["mode"].get("corruption_seed") == (seed if corruption else None):
            log(f"{name}: mIoU {100 * kept['miou']:.2f} (kept from eval/{name}.json)")
            return kept
        found = rescore(run, views, corruption, split, batch_size, seed, progress=False)
        log(f"{name}: mIoU {100 * found['miou']:.2f} ({found['mode']['seconds']:.0f} s)")
        return found

    clean = scored(None)
    return clean, {(name, severity): scored((name, severity)) for name in CORRUPTIONS for severity in SEVERITIES}
