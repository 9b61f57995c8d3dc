"""Seeded, order-independent sampling ratios, (image, question) dedup and train/val assignment.

Every decision hashes (seed, a key of the sample) rather than drawing from a shared RNG, so adding or
removing rows elsewhere never changes what happens to a given row. All questions about the same
image(s) land in the same split, so no image is seen in both train and val.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from rlvr.data.schema import Sample


def _unit_interval(seed: int, key: str) -> float:
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def image_key(sample: Sample) -> str:
    """Hash of the sample's images (its question when it has none): the unit kept in one split."""
    if not sample.images:
        return "text:" + normalize_question(sample.question)
    digest = hashlib.sha256()
    for image in sample.images:
        digest.update(hashlib.sha256(image).digest())
    return "img:" + digest.hexdigest()


def normalize_question(question: str) -> str:
    return " ".join(question.lower().split())


def parse_ratio(spec: str) -> tuple[str, float]:
    """``"vqa_rad=0.5"`` or ``"modality:CT=0.2"`` -> (key, keep fraction in (0, 1])."""
    key, sep, value = spec.partition("=")
    try:
        fraction = float(value) if sep else float("nan")
    except ValueError:
        fraction = float("nan")
    if not key.strip() or not 0 < fraction <= 1:
        raise ValueError(
            f"--ratio {spec!r}: write SOURCE=FRACTION or modality:NAME=FRACTION, fraction in (0, 1]"
        )
    return key.strip(), fraction


def kept_by_ratio(ratios: Mapping[str, float], seed: int, source: str, modality: str, row_id: str) -> bool:
    """Whether a row survives ``--ratio``: kept with probability source ratio x modality ratio (default 1)."""
    fraction = ratios.get(source, 1.0) * ratios.get(f"modality:{modality}", 1.0)
    return fraction >= 1.0 or _unit_interval(seed, "ratio:" + row_id) < fraction


def drop_duplicates(samples: list[Sample]) -> tuple[list[Sample], list[tuple[Sample, Sample]]]:
    """First occurrence of each (images, normalised question); dropped ones paired with what they repeat."""
    first: dict[tuple[str, str], Sample] = {}
    kept, dropped = [], []
    for sample in samples:
        key = (image_key(sample), normalize_question(sample.question))
        if key in first:
            dropped.append((sample, first[key]))
        else:
            first[key] = sample
            kept.append(sample)
    return kept, dropped


def assign_splits(samples: list[Sample], val_fraction: float, seed: int) -> dict[str, list[Sample]]:
    """Whole image groups go to val, in seeded hash order, until val holds ``val_fraction`` of the rows.

    Both splits get at least one group; ValueError when there are fewer than two groups.
    """
    if not 0 < val_fraction < 1:
        raise ValueError(f"--val-fraction must be in (0, 1), got {val_fraction}")
    keys = [image_key(sample) for sample in samples]
    sizes: dict[str, int] = {}
    for key in keys:
        sizes[key] = sizes.get(key, 0) + 1
    if len(sizes) < 2:
        raise ValueError("all rows share one image: cannot make a train and a val split without leaking it")
    order = sorted(sizes, key=lambda key: _unit_interval(seed, "split:" + key))
    target = max(1, round(len(samples) * val_fraction))
    val_keys: set[str] = set()
    n_val = 0
    for key in order[:-1]:  # the last group always stays in train
        if n_val >= target:
            break
        val_keys.add(key)
        n_val += sizes[key]
    in_val = [key in val_keys for key in keys]
    return {
        "train": [s for s, val in zip(samples, in_val, strict=True) if not val],
        "val": [s for s, val in zip(samples, in_val, strict=True) if val],
    }
