"""A synthetic medical-style VQA task, generated locally, for the CPU quickstart and the tests.

Each row is one PIL-drawn image in one of four "modalities" with a distinct global look (CT: grey
disc on black; MRI: bright centre fading to the edges; X-ray: vertical bands on a mid-grey field;
ultrasound: a speckled fan) carrying 0-3 bright "lesions", each in its own quadrant, and one question:
which modality (choice), is there a lesion (closed), how many (numeric), where (open, or choice).
Row ``i`` of a split depends only on (seed, split, i), so it is reproducible and independent of ``n``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from rlvr.data.images import encode_png
from rlvr.data.io import write_parquet_files
from rlvr.data.schema import Sample, build_row
from rlvr.data.templates import DEFAULT_TEMPLATE, get_template

DATA_SOURCE = "medrlvr_synth"
MODALITIES = ("CT", "MRI", "X-ray", "Ultrasound")
QUADRANTS = ("upper left", "upper right", "lower left", "lower right")
TASKS = ("modality", "presence", "count", "location", "location_choice")
LESION_VALUE = 255.0
SPLITS = {"train": 0, "val": 1}  # split name -> stream id in the per-row seed

QUESTIONS = {
    "modality": ("Which imaging modality was used to acquire this image?", "What kind of scan is this?"),
    "presence": ("Is there a lesion in this image?", "Does this image show any lesion?"),
    "count": ("How many lesions are visible in this image?", "How many lesions does this image show?"),
    "location": ("Where is the lesion located in the image?", "In which part of the image is the lesion?"),
    "location_choice": ("Where is the lesion located in the image?", "Which region contains the lesion?"),
}


@dataclass(frozen=True)
class SynthImage:
    modality: str
    lesion_quadrants: tuple[str, ...]
    png: bytes


def _background(modality: str, size: int, rng: np.random.Generator) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size] / (size - 1)  # both in [0, 1]
    radius = np.hypot(xx - 0.5, yy - 0.5)
    if modality == "CT":  # uniform grey body disc on black, mild noise
        img = np.where(radius < 0.46, 105.0, 5.0) + rng.normal(0, 4, (size, size))
    elif modality == "MRI":  # smooth bright centre fading to a dark rim
        img = 190.0 * np.clip(1.0 - radius / 0.6, 0, 1) ** 1.5 + rng.normal(0, 3, (size, size))
    elif modality == "X-ray":  # mid-grey field with dark vertical bands ("ribs")
        bands = 40.0 * (np.sin(xx * np.pi * 7 + rng.uniform(0, np.pi)) > 0.3)
        img = 150.0 - bands + rng.normal(0, 6, (size, size))
    else:  # Ultrasound: speckled fan opening downwards on black
        angle = np.abs(np.arctan2(xx - 0.5, yy + 0.05))
        fan = (angle < 0.6) & (yy > 0.05)
        img = np.where(fan, np.minimum(rng.gamma(2.0, 40.0, (size, size)), 200.0), 0.0)
    return img


def _draw_lesions(img: np.ndarray, quadrants: tuple[str, ...], rng: np.random.Generator) -> None:
    size = img.shape[0]
    half = size // 2
    radius = max(3.0, size / 12)
    yy, xx = np.mgrid[0:size, 0:size]
    for quadrant in quadrants:
        row0 = 0 if quadrant.startswith("upper") else half
        col0 = 0 if quadrant.endswith("left") else half
        margin = radius + 2
        cy = row0 + rng.uniform(margin, half - margin)
        cx = col0 + rng.uniform(margin, half - margin)
        img[np.hypot(yy - cy, xx - cx) <= radius] = LESION_VALUE


def draw_image(modality: str, quadrants: tuple[str, ...], size: int, rng: np.random.Generator) -> SynthImage:
    img = _background(modality, size, rng)
    _draw_lesions(img, quadrants, rng)
    grey = np.clip(img, 0, 255).astype(np.uint8)
    rgb = Image.fromarray(np.stack([grey] * 3, axis=-1), mode="RGB")
    return SynthImage(modality, quadrants, encode_png(rgb))


def _shuffled_options(correct: str, choices: tuple[str, ...], rng: np.random.Generator) -> tuple[dict, str]:
    order = [choices[i] for i in rng.permutation(len(choices))]
    options = {letter: text for letter, text in zip("ABCD", order, strict=True)}
    return options, "ABCD"[order.index(correct)]


def check_tasks(tasks: Sequence[str]) -> tuple[str, ...]:
    """``tasks`` as a tuple, each one of ``TASKS``; an empty or unknown entry is an error naming it."""
    unknown = [task for task in tasks if task not in TASKS]
    if unknown or not tasks:
        problem = f"unknown {unknown}" if unknown else "no tasks given"
        raise ValueError(f"{problem}; choose a non-empty subset of the synthetic tasks {list(TASKS)}")
    return tuple(tasks)


def make_sample(
    seed: int, split: str, index: int, image_size: int = 56, tasks: Sequence[str] = TASKS
) -> Sample:
    """Row ``index`` of ``split``: a task drawn from ``tasks``, an image for it, its question and answer."""
    rng = np.random.default_rng([seed, SPLITS[split], index])
    task = tasks[rng.integers(len(tasks))]
    modality = MODALITIES[rng.integers(len(MODALITIES))]
    if task.startswith("location"):
        n_lesions = 1
    elif task == "presence":  # half the presence questions have no lesion: "yes" must not be a free win
        n_lesions = 0 if rng.random() < 0.5 else int(rng.integers(1, 4))
    else:
        n_lesions = int(rng.integers(0, 4))
    picked = rng.choice(len(QUADRANTS), size=n_lesions, replace=False)
    quadrants = tuple(QUADRANTS[i] for i in sorted(picked))
    image = draw_image(modality, quadrants, image_size, rng)
    question = QUESTIONS[task][rng.integers(len(QUESTIONS[task]))]

    options: dict[str, str] = {}
    if task == "modality":
        options, answer, answer_type = *_shuffled_options(modality, MODALITIES, rng), "choice"
    elif task == "location_choice":
        options, answer, answer_type = *_shuffled_options(quadrants[0], QUADRANTS, rng), "choice"
    elif task == "presence":
        answer, answer_type = ("yes" if n_lesions else "no"), "closed"
    elif task == "count":
        answer, answer_type = str(n_lesions), "numeric"
    else:
        answer, answer_type = quadrants[0], "open"
    return Sample(
        data_source=DATA_SOURCE,
        question=question,
        answer=answer,
        answer_type=answer_type,
        images=[image.png],
        options=options,
        modality=modality,
        question_type=task,
        source_id=f"synth:{seed}:{split}:{index}",
    )


def split_sizes(n: int, val_fraction: float) -> dict[str, int]:
    if n < 2:
        raise ValueError(f"n must be at least 2 (one train and one val row), got {n}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction}")
    n_val = min(n - 1, max(1, round(n * val_fraction)))
    return {"train": n - n_val, "val": n_val}


def write_synth(
    out_dir: str | Path,
    n: int = 1000,
    seed: int = 0,
    val_fraction: float = 0.1,
    image_size: int = 56,
    template: str = DEFAULT_TEMPLATE,
    tasks: Sequence[str] = TASKS,
) -> dict[str, Path]:
    """Write ``out_dir/train.parquet`` and ``out_dir/val.parquet`` (``n`` rows in all); return their paths.

    ``tasks`` picks the question types (default: all of ``TASKS``); each row draws one of them.
    """
    if image_size < 28:
        raise ValueError(f"image_size must be at least 28 pixels, got {image_size}")
    prompt_template = get_template(template)
    tasks = check_tasks(tasks)
    out = Path(out_dir)
    files = {}
    paths = {}
    for split, size in split_sizes(n, val_fraction).items():
        rows = [
            build_row(make_sample(seed, split, i, image_size, tasks), prompt_template, split, i)
            for i in range(size)
        ]
        metadata = {
            "generator": "rlvr.data.synth",
            "seed": seed,
            "split": split,
            "rows": size,
            "image_size": image_size,
            "tasks": list(tasks),
            "template": prompt_template.to_metadata(),
        }
        paths[split] = out / f"{split}.parquet"
        files[paths[split]] = (rows, metadata)
    write_parquet_files(files)
    return paths
