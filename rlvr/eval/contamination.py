"""Contamination check before generating: the benchmark's rows against the training parquet files, by
``rlvr.data.check.find_overlap`` (image content hash + normalised question). Overlap stops the run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr.data.io import write_parquet_files
from rlvr.data.schema import Sample, build_row
from rlvr.data.templates import DEFAULT_TEMPLATE, get_template
from rlvr.errors import RecipeError
from rlvr.eval.loading import EvalItem, decode_images

EVAL_ROWS_FILE = "eval_rows.parquet"
MAX_EXAMPLES = 5


class ContaminationError(RecipeError):
    """Benchmark rows also appear in the training data; the message gives the count and examples."""


@dataclass(frozen=True)
class Overlap:
    count: int
    examples: list[str]


def default_find_overlap() -> Callable[[list[str], list[str]], Any]:
    try:
        from rlvr.data.check import find_overlap  # type: ignore[import-not-found]
    except ImportError as exc:
        raise RecipeError(
            "the contamination check needs rlvr.data.check.find_overlap, which this install lacks; update "
            "medrlvr, or pass allow_overlap=true to evaluate without the check (recorded in run.json)"
        ) from exc
    return find_overlap


def summarise(report: Any, items: Sequence[EvalItem]) -> Overlap:
    """Count and readable examples of an ``OverlapReport``: each example's eval "file:row" is mapped back
    to the benchmark row's id and question."""
    examples = []
    for example in list(getattr(report, "examples", []))[:MAX_EXAMPLES]:
        _, _, row = str(getattr(example, "eval", "")).rpartition(":")
        item = items[int(row)] if row.isdigit() and int(row) < len(items) else None
        shown = f"{item.id} ({item.question[:80]!r})" if item else str(getattr(example, "eval", example))
        examples.append(
            f"{getattr(example, 'kind', 'overlap')}: {shown} = training row {getattr(example, 'train', '?')}"
        )
    return Overlap(int(getattr(report, "overlapping_rows", 0)), examples)


def write_eval_rows(items: Sequence[EvalItem], path: Path) -> Path:
    """The benchmark's rows in verl's RL schema (what ``find_overlap`` reads)."""
    template = get_template(DEFAULT_TEMPLATE)
    rows = [
        build_row(
            Sample(
                data_source="eval",
                question=item.question,
                answer=item.answer,
                answer_type=item.answer_type,
                images=decode_images(item.images),
                options=item.options,
                source_id=item.id,
            ),
            template,
            "test",
            index,
        )
        for index, item in enumerate(items)
    ]
    write_parquet_files({path: (rows, {"generator": "rlvr.eval", "rows": len(rows)})})
    return path


def check_contamination(
    name: str,
    items: Sequence[EvalItem],
    train_files: Sequence[str],
    work_dir: Path,
    allow_overlap: bool,
    find_overlap: Callable[[list[str], list[str]], Any] | None = None,
) -> Overlap | None:
    """None when there is nothing to compare; else the overlap, raising ``ContaminationError`` when it is not
    empty and ``allow_overlap`` is false."""
    if not train_files or not items:
        return None
    finder = find_overlap or default_find_overlap()
    eval_rows = write_eval_rows(items, work_dir / EVAL_ROWS_FILE)
    try:
        report = finder(list(train_files), [str(eval_rows)])
    except ValueError as exc:  # a training file that is missing, not parquet, or not `rlvr data` output
        raise RecipeError(f"contamination check for {name}: {exc}") from None
    overlap = summarise(report, items)
    if overlap.count and not allow_overlap:
        shown = "\n    ".join(overlap.examples) or "(no examples given)"
        raise ContaminationError(
            f"{name}: {overlap.count} evaluation row(s) also appear in the training data "
            f"({', '.join(train_files)}), e.g.\n    {shown}\nRemove them from training, or pass "
            "allow_overlap=true to evaluate anyway (the overlap is recorded in metrics.json)."
        )
    return overlap
