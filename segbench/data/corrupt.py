"""Common corruptions of test images at severities 1-5, for ``segbench evaluate --corrupt`` and ``--robustness``.

The corruptions and their severity ladders follow ImageNet-C (Hendrycks & Dietterich, 2019) and its segmentation
versions (Cityscapes-C), built from albumentations' transforms rather than re-implemented: noise and the two
colour corruptions take ImageNet-C's parameters on the [0, 1] scale directly; blur sizes are in pixels of the native
image. Each corruption's random draws (the noise, the blur's direction, the fog's patches) are fixed by the seed
and the image's position in the split, so a score under corruption is repeatable.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # see segbench.data.augment
import albumentations as A

SEVERITIES = (1, 2, 3, 4, 5)


def _gaussian_noise(std: float) -> A.BasicTransform:
    return A.GaussNoise(std_range=(std, std), per_channel=True, p=1)  # std as a fraction of 255


def _motion_blur(length: int) -> A.BasicTransform:
    return A.MotionBlur(blur_limit=(length, length), allow_shifted=False, p=1)


def _defocus_blur(radius_alias: tuple[int, float]) -> A.BasicTransform:
    radius, alias = radius_alias
    return A.Defocus(radius=(radius, radius), alias_blur=(alias, alias), p=1)


def _jpeg(quality: int) -> A.BasicTransform:
    return A.ImageCompression(compression_type="jpeg", quality_range=(quality, quality), p=1)


def _brightness(shift: float) -> A.BasicTransform:
    return A.RandomBrightnessContrast(brightness_limit=(shift, shift), contrast_limit=(0, 0), p=1)


def _contrast(factor: float) -> A.BasicTransform:
    # ColorJitter blends with the image's mean grey, as ImageNet-C's contrast does.
    return A.ColorJitter(brightness=(1, 1), contrast=(factor, factor), saturation=(1, 1), hue=(0, 0), p=1)


def _fog(coefficient: float) -> A.BasicTransform:
    return A.RandomFog(fog_coef_range=(coefficient, coefficient), alpha_coef=0.08, p=1)


# name -> (transform for one severity's parameter, the parameters of severities 1-5)
CORRUPTIONS: dict[str, tuple[Callable[..., A.BasicTransform], tuple]] = {
    "gaussian_noise": (_gaussian_noise, (0.08, 0.12, 0.18, 0.26, 0.38)),
    "motion_blur": (_motion_blur, (5, 9, 13, 17, 21)),
    "defocus_blur": (_defocus_blur, ((3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5))),
    "jpeg_compression": (_jpeg, (25, 18, 15, 10, 7)),
    "brightness": (_brightness, (0.1, 0.2, 0.3, 0.4, 0.5)),
    "contrast": (_contrast, (0.4, 0.3, 0.2, 0.1, 0.05)),
    "fog": (_fog, (0.2, 0.35, 0.5, 0.65, 0.8)),
}


def parse(text: str) -> tuple[str, int]:
    """``NAME[:SEVERITY]`` (severity 3 when left out) as (name, severity); a ValueError says what is wrong."""
    name, _, severity = text.partition(":")
    if name not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {name!r}; known: {', '.join(CORRUPTIONS)}")
    if not severity:
        return name, 3
    if not severity.isdigit() or int(severity) not in SEVERITIES:
        raise ValueError(f"{text}: the severity is one of {', '.join(map(str, SEVERITIES))}")
    return name, int(severity)


def corrupter(name: str, severity: int, seed: int = 0) -> Callable[[np.ndarray, int], np.ndarray]:
    """``apply(image, index)``: the RGB uint8 ``image`` corrupted by ``name`` at ``severity``, with random draws
    fixed by (``seed``, ``index``), ``index`` being the image's position in its split."""
    build, parameters = CORRUPTIONS[name]
    transform = A.Compose([build(parameters[severity - 1])])
    offset = list(CORRUPTIONS).index(name) * len(SEVERITIES) + severity  # another draw for another corruption

    def apply(image: np.ndarray, index: int) -> np.ndarray:
        transform.set_random_seed(int(np.random.SeedSequence([seed, offset, index]).generate_state(1)[0]))
        return transform(image=image)["image"]

    return apply
