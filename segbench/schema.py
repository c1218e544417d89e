"""The config's sections as pydantic types: what each key accepts, its default and its meaning.

A leaf module: it imports nothing of segbench, so that dataset adapters and model builders can extend these types
(and the loader in ``segbench.config`` can find their extensions through the registries) without an import loop.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

# Keras' dtype policies a run may ask for; ``auto`` is resolved per device by ``segbench.precision``.
AUTO = "auto"
POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")  # Keras dtype policies; AUTO resolves to one of them
PRECISIONS = (AUTO, *POLICIES)



def _home(value: Any) -> Any:
    """A path's leading ``~`` as the shell would expand it: YAML and ``--set`` give it as written, so `root: ~/cvh`
    was "no such folder" of data that was there, and `output.dir: ~/runs` made a folder named `~` here (probe 22a
    case 16)."""
    return os.path.expanduser(value) if isinstance(value, str) and value.startswith("~") else value


PathText = Annotated[str, AfterValidator(_home)]  # a config's file or folder name, `~` expanded

SPLITS = ("train", "val", "test")  # in this order everywhere: folders, split files, reports
Split = Literal[SPLITS]


# The longest side a size may have: 8192x8192 RGB is 200 MB a batch element before the first layer's activations,
# beyond any segmentation input; a larger one can only end out of memory, somewhere deep in OpenCV or a backend.
MAX_SIDE = 8192


class KeyProblem(ValueError):
    """What a section's own validator raises where the problem is one key's, with its value, though only the
    section as a whole can tell (the key's value fits or not by another key's): the config's error names that
    key, and the file or --set it came from, not the section."""

    def __init__(self, key: str, value, message: str):
        super().__init__(message)
        self.key, self.value = key, value


def height_width(min_side: int = 1):
    """The type of a [height, width] pair whose sides are at least ``min_side`` and at most ``MAX_SIDE``."""
    return Annotated[list[Annotated[int, Field(ge=min_side, le=MAX_SIDE)]], Field(min_length=2, max_length=2)]


class Section(BaseModel):
    # strict: a YAML typo such as `epochs: "3"` or `epochs: yes` is an error, not a silent conversion. No inf or
    # nan: `learning_rate: .inf` passed "greater than 0" and diverged at the first step.
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class DatasetConfig(Section):
    """Keys every dataset accepts; each adapter extends this with its own."""

    name: str
    # An empty root (`--set dataset.root=`) read the default datasets/<name> without a word: null says "default".
    root: Annotated[str, Field(min_length=1, pattern=r"\S"), AfterValidator(_home)] | None = Field(
        None, description="the data's folder (default: datasets/<name>)")
    subset: int | None = Field(None, ge=1, description="first N pairs of each split, for smoke runs")


class ModelConfig(Section):
    """Keys every model accepts; each builder extends this with its own."""

    name: str
    input_size: height_width() = Field(default_factory=lambda: [224, 224], description="[height, width] the model sees")
    encoder_weights: PathText | None = Field(None, description="imagenet, a weights file, or null for random init")


# Far past any segmentation recipe on one machine; a batch size of 10**30 was numpy's OverflowError traceback after
# the first epoch (a short batch is padded to the full size).
MAX_BATCH = 1024
# A thousand times a long recipe; 10**23 passed, and the cosine and poly schedules ended in TensorFlow's overflow
# traceback (probe 20a case 8). Loader threads or processes: far past the cores of any machine.
MAX_EPOCHS = 100_000
MAX_WORKERS = 1024


class TrainConfig(Section):
    epochs: int = Field(10, ge=1, le=MAX_EPOCHS)
    batch_size: int = Field(8, ge=1, le=MAX_BATCH)
    # NumPy's legacy seeding (Keras' set_random_seed) takes 0..2**32-1: a -1 was a traceback once the run had begun.
    seed: int = Field(0, ge=0, le=2**32 - 1)
    optimizer: Literal["adam", "adamw", "sgd"] = "adam"
    learning_rate: float = Field(1e-3, gt=0, description="the peak rate, reached after the warm-up")
    schedule: Literal["constant", "poly", "cosine"] = "constant"
    warmup_epochs: float = Field(0.0, ge=0, description="linear warm-up from 0, in epochs (fractions allowed)")
    poly_power: float = Field(0.9, gt=0)
    # The void label has one home, the dataset: the loss skips it unless told otherwise here.
    ignore_index: int | Literal["void"] | None = Field(
        "void", description="label the loss skips: void (default), the dataset's void label; null learns every "
                            "class, an in-range void class included (the paper's recipe); a number must be the "
                            "dataset's void")
    class_weights: Literal["none", "median_frequency"] | list[float] = Field(
        "none", description="loss weight per class: none, median_frequency (from the train labels) or a list")
    precision: Literal[PRECISIONS] = Field(
        "auto", description="Keras dtype policy; auto: mixed_bfloat16 where the device computes bf16 in hardware, "
                            "else float32 (metrics.json records the one used)")
    augment: list[dict[str, Any]] = Field(
        default_factory=list, description="albumentations transforms for the train batches, in order; each is "
        "{name: <albumentations class>, <its arguments>...}")
    workers: int = Field(1, ge=0, le=MAX_WORKERS,
                         description="threads (processes with use_multiprocessing) loading train batches; "
                         "0, or 1 without use_multiprocessing: the main process loads them")
    use_multiprocessing: bool = Field(False, description="workers are processes, so augmentation runs in parallel")
    distribute: Literal["none", "mirrored", "data_parallel"] = Field(
        "none", description="one replica per device, each batch split between them: mirrored (tensorflow) or "
                            "data_parallel (jax)")
    deterministic: bool = Field(False, description="deterministic kernels where the backend has them (slower on GPU)")
    tensorboard: bool = Field(False, description="Keras' TensorBoard logs (losses per epoch) in <run folder>/"
                                                 "tensorboard, to watch runs where they run")

    @model_validator(mode="after")
    def _warmup_within_the_run(self):
        # A warm-up longer than the run ended it still rising: the peak rate (and the schedule after it) never came.
        if self.warmup_epochs > self.epochs:
            raise KeyProblem("warmup_epochs", self.warmup_epochs,
                             f"longer than the run's {self.epochs} epoch{'s' * (self.epochs != 1)}: the rate would "
                             "never reach train.learning_rate")
        return self

    @model_validator(mode="after")
    def _weights_that_weigh(self):
        # A negative weight turns the loss into one that grows by predicting that class wrong (it fell to -3e16 and
        # the run finished as if trained); all zero leaves nothing to learn from (loss 0 at every step).
        # The loss computes in float32: 1e-300 is 0 there (a loss of 0 again), and weights near its largest value
        # overflow the weighted sum (a NaN loss blamed on the learning rate).
        weights = self.class_weights
        if isinstance(weights, list) and (min(weights, default=0) < 0 or max(weights, default=0) < MIN_WEIGHT
                                          or max(weights) > MAX_WEIGHT):
            raise KeyProblem("class_weights", weights, f"weights must be 0 to {MAX_WEIGHT:g}, the largest at least "
                                                       f"{MIN_WEIGHT:g}")
        return self


MIN_WEIGHT, MAX_WEIGHT = 1e-6, 1e6  # a loss weight per class: median frequency gives tens at the most


class EvalConfig(Section):
    split: Split = "test"
    batch_size: int = Field(8, ge=1, le=MAX_BATCH)
    checkpoint: Literal["best", "last"] = Field(
        "best", description="weights scored: the best epoch by val mIoU, or the last (best needs a val split)")
    figure_images: int = Field(4, ge=0, description="images of the split, evenly spaced, whose input, label and "
                                                    "prediction are saved under predictions/ for the figures; 0: none")


class OutputConfig(Section):
    dir: PathText | None = Field(None, description="run folder; default results/<dataset>/<model>")
    save_weights: bool = True


class Config(Section):
    # The plugins, as the loader resolved them (segbench.plugins): left out of the saved config when there are none,
    # so that the config of a run made before plugins existed hashes as it did.
    imports: list[str] = Field(default_factory=list, exclude_if=lambda imports: not imports,
                               description="modules or .py files (relative to the config naming them) to import "
                                           "first; they register models and datasets")
    dataset: DatasetConfig
    model: ModelConfig
    train: TrainConfig = Field(default_factory=TrainConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)

    def run_dir(self) -> Path:
        return Path(self.output.dir or Path("results") / self.dataset.name / self.model.name)

