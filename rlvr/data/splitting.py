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
        raise ValueError(f"--ratio {spec!r}: write SOURCE=FRACTION or modality:NAME=FRACTION, fraction in (0, 1]")
    return key.strip(), fraction


def keep_fraction(sample: Sample, ratios: Mapping[str, float]) -> float:
    return ratios.get(sample.data_source, 1.0) * ratios.get(f"modality:{sample.modality}", 1.0)


def apply_ratios(samples: list[Sample], ratios: Mapping[str, float], seed: int) -> list[Sample]:
    """Keep each sample with probability ``keep_fraction``, decided by a hash of its source id."""
    if not ratios:
        return samples
    return [s for s in samples if _unit_interval(seed, "ratio:" + s.source_id) < keep_fraction(s, ratios)]


def drop_duplicates(samples: list[Sample]) -> tuple[list[Sample], list[tuple[Sample, Sample]]]:
    """First occurrence of each (images, normalised question); the dropped ones paired with what they repeat."""
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
    """Whole image groups go to val, in seeded hash order, until val holds ``val_fraction`` of the rows."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"--val-fraction must be in (0, 1), got {val_fraction}")
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(image_key(sample), []).append(sample)
    order = sorted(groups, key=lambda key: _unit_interval(seed, "split:" + key))
    target = round(len(samples) * val_fraction)
    val_keys: set[str] = set()
    n_val = 0
    for key in order:
        if n_val >= target:
            break
        val_keys.add(key)
        n_val += len(groups[key])
    return {
        "train": [s for s in samples if image_key(s) not in val_keys],
        "val": [s for s in samples if image_key(s) in val_keys],
    }
