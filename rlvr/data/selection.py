"""Rows left out on purpose, never counted as errors: evaluation splits, official splits, languages."""

from __future__ import annotations

from collections.abc import Collection

from rlvr.data.options import PrepareOptions, language_code
from rlvr.data.records import RawRecord, Record, Rejected


def left_out(record: Record, options: PrepareOptions, languages: Collection[str]) -> Rejected | None:
    """Why ``record`` (a bad row too: its split decides first) is left out on purpose, or None."""
    splits = {"official_split": record.official_split, "benchmark_split": record.benchmark_split}
    if record.benchmark_split and not options.allow_benchmark_training:
        detail = f"in the evaluation split {record.benchmark_split!r} (see --allow-benchmark-training)"
        return Rejected("benchmark_split", record.where, detail, **splits)
    if record.official_split not in options.official_splits:
        detail = f"official split {record.official_split or 'none'!r} (see --official-splits)"
        return Rejected("excluded_split", record.where, detail, **splits)
    if isinstance(record, RawRecord) and language_code(record.language) not in languages:
        return Rejected(
            "other_language", record.where, f"language {record.language!r} (see --lang)", **splits
        )
    return None
