"""Procedurally drawn scenes of discs, boxes and triangles: the embedded default for demos and tests.

Each sample is drawn from (dataset seed, split, index) alone, so any sample can be made on its own, in any order,
in any worker. Object boundaries are labelled ``void``, as CamVid labels its unlabelled pixels, so the paper and
standard protocols differ on it as they do on the real datasets.
"""

from __future__ import annotations

import cv2
import numpy as np
from pydantic import Field, field_validator

from segbench.data.base import DatasetAdapter, Sample
from segbench.registry import DATASETS
from segbench.schema import SPLITS, DatasetConfig, Section, Split, height_width

BACKGROUND, DISC, BOX, TRIANGLE, VOID = range(5)
# Mean RGB colour of each shape class; a sample jitters it, so colour alone does not quite separate the classes.
SHAPE_COLOURS = {DISC: (200, 70, 60), BOX: (70, 180, 80), TRIANGLE: (70, 90, 200)}


# The most scenes a split may draw: ten ImageNets' worth of pairs; 10^11 listed their Samples for minutes, with
# nothing printed, until memory ran out (probe 19a case 17).
MAX_IMAGES = 10_000_000


class SplitSizes(Section):
    train: int = Field(64, ge=1, le=MAX_IMAGES)
    val: int = Field(16, ge=1, le=MAX_IMAGES)
    test: int = Field(16, ge=1, le=MAX_IMAGES)


class SyntheticConfig(DatasetConfig):
    image_size: height_width(16) = Field(default_factory=lambda: [96, 128], description="[height, width] of a sample")
    num_images: SplitSizes = Field(default_factory=SplitSizes)
    seed: int = Field(0, ge=0, description="fixes the data; train.seed varies the training alone")  # numpy's generators take no negative seed

    @field_validator("root")
    @classmethod
    def _no_root(cls, root: str | None) -> str | None:
        # A root given here would be ignored without a word: the scenes are drawn in memory, never read.
        if root is not None:
            raise ValueError("the synthetic dataset is drawn in memory and reads no folder; leave dataset.root "
                             "out (`segbench datasets imitate` writes files in a real dataset's layout)")
        return root


@DATASETS.register("synthetic", options=SyntheticConfig)
class Synthetic(DatasetAdapter):
    classes = ("background", "disc", "box", "triangle", "void")
    palette = ((40, 40, 40), (220, 60, 50), (60, 190, 80), (60, 90, 220), (255, 255, 255))
    ignore_index = VOID
    config: SyntheticConfig

    def list_pairs(self, split: Split) -> list[Sample]:
        count = getattr(self.config.num_images, split)
        return [Sample(id=f"synthetic/{split}/{index:05d}") for index in range(count)]

    def load(self, sample: Sample) -> tuple[np.ndarray, np.ndarray]:
        _, split, index = sample.id.split("/")
        return draw_scene(self.config.image_size, (self.config.seed, SPLITS.index(split), int(index)))


def draw_scene(size: list[int], seed) -> tuple[np.ndarray, np.ndarray]:
    """An RGB uint8 image and its label map, both of ``size`` (height, width), determined by ``seed``."""
    rng = np.random.default_rng(seed)
    height, width = size
    image = _background(rng, height, width)
    label = np.full((height, width), BACKGROUND, np.uint8)
    for _ in range(rng.integers(2, 6)):
        cls = int(rng.choice(list(SHAPE_COLOURS)))
        points = _shape(rng, cls, height, width)
        colour = np.clip(np.array(SHAPE_COLOURS[cls]) + rng.normal(0, 25, 3), 0, 255)
        cv2.fillPoly(image, [points], colour.tolist(), lineType=cv2.LINE_AA)
        cv2.fillPoly(label, [points], cls)
    image = np.clip(image + rng.normal(0, 8, image.shape), 0, 255).astype(np.uint8)
    kernel = np.ones((3, 3), np.uint8)
    edges = cv2.dilate(label, kernel) != cv2.erode(label, kernel)
    label[edges] = VOID
    return image, label


def _background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    top, bottom = rng.uniform(60, 170, 3), rng.uniform(60, 170, 3)
    ramp = np.linspace(0.0, 1.0, height)[:, None, None]
    return np.broadcast_to(top + (bottom - top) * ramp, (height, width, 3)).astype(np.float64).copy()


def _shape(rng: np.random.Generator, cls: int, height: int, width: int) -> np.ndarray:
    scale = min(height, width)
    radius = rng.uniform(0.08, 0.25) * scale
    cy, cx = rng.uniform(0, height), rng.uniform(0, width)
    if cls == DISC:
        angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    elif cls == BOX:
        angles = rng.uniform(0, np.pi / 2) + np.arange(4) * np.pi / 2
    else:
        angles = rng.uniform(0, 2 * np.pi) + np.arange(3) * 2 * np.pi / 3
    points = np.stack([cx + radius * np.cos(angles), cy + radius * np.sin(angles)], axis=1)
    return np.round(points).astype(np.int32)
