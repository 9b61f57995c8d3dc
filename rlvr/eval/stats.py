"""Bootstrap statistics over per-row 0/1 (or [0, 1]) scores: a percentile interval for one run and a
paired test for two runs on the same rows. Fixed seeds: the same predictions always give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

CHUNK = 256  # resamples drawn at a time: bounds memory for 80k-row benchmarks


@dataclass(frozen=True)
class PairedResult:
    n: int
    mean_a: float
    mean_b: float
    delta: float  # mean_b - mean_a
    ci_low: float
    ci_high: float
    p_value: float  # two-sided, H0: no difference


def _resampled_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    means = []
    for start in range(0, resamples, CHUNK):
        size = min(CHUNK, resamples - start)
        idx = rng.integers(0, len(values), size=(size, len(values)))
        means.append(values[idx].mean(axis=1))
    return np.concatenate(means)


def bootstrap_ci(values: Sequence[float], resamples: int = 1000, seed: int = 0, level: float = 0.95) -> tuple:
    """(low, high) percentile bootstrap interval of the mean; (nan, nan) with no values."""
    array = np.asarray(values, dtype=float)
    if array.size == 0:
        return float("nan"), float("nan")
    means = _resampled_means(array, resamples, seed)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(means, tail)), float(np.percentile(means, 100 - tail))


def paired_bootstrap(
    a: Sequence[float], b: Sequence[float], resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> PairedResult:
    """Difference of means of paired scores (``b - a``), its interval, and a two-sided p-value from the
    bootstrap distribution of the difference shifted to the null (how often a shift this large arises)."""
    a_arr, b_arr = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a_arr.shape != b_arr.shape:
        raise ValueError(f"paired scores need equal lengths, got {a_arr.size} and {b_arr.size}")
    if a_arr.size == 0:
        nan = float("nan")
        return PairedResult(0, nan, nan, nan, nan, nan, nan)
    diffs = b_arr - a_arr
    observed = float(diffs.mean())
    means = _resampled_means(diffs, resamples, seed)
    tail = (1 - level) / 2 * 100
    extreme = int(np.sum(np.abs(means - observed) >= abs(observed) - 1e-12))
    p_value = 1.0 if observed == 0 else min(1.0, (extreme + 1) / (resamples + 1))
    return PairedResult(
        n=int(a_arr.size),
        mean_a=float(a_arr.mean()),
        mean_b=float(b_arr.mean()),
        delta=observed,
        ci_low=float(np.percentile(means, tail)),
        ci_high=float(np.percentile(means, 100 - tail)),
        p_value=p_value,
    )
