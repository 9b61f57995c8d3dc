"""The `rlvr data prepare` report: rows in/out, rows left out by reason and source, evaluation rows held out
(or, with --allow-benchmark-training, trained on), dedup, images, the train/val overlap and the mix."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from rlvr.data.check import OverlapReport
from rlvr.data.image_store import ImageCounts
from rlvr.data.records import ERROR_REASONS, Rejected
from rlvr.data.schema import Sample

MAX_PRINTED_PROBLEMS = 20
MB = 1 << 20


def _nested() -> defaultdict[str, Counter]:
    return defaultdict(Counter)


@dataclass
class PrepareReport:
    allow_benchmark_training: bool = False
    rows_read: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason -> count
    left_out_by_source: defaultdict[str, Counter] = field(default_factory=_nested)  # source -> reason -> n
    benchmark_held_out: defaultdict[str, Counter] = field(default_factory=_nested)  # source -> split -> n
    benchmark_trained: defaultdict[str, Counter] = field(default_factory=_nested)  # source -> split -> n
    repairs: defaultdict[str, Counter] = field(default_factory=_nested)  # source -> RawRecord.notes kind -> n
    problems: list[str] = field(default_factory=list)  # first MAX_PRINTED_PROBLEMS bad-row messages
    dropped_by_ratio: int = 0
    duplicates: int = 0
    duplicates_with_other_answer: int = 0
    images: ImageCounts = field(default_factory=ImageCounts)
    train_val_overlap: OverlapReport | None = None
    written: Counter = field(default_factory=Counter)  # split -> rows
    by_source: Counter = field(default_factory=Counter)
    by_modality: Counter = field(default_factory=Counter)
    by_answer_type: Counter = field(default_factory=Counter)
    by_language: Counter = field(default_factory=Counter)

    def reject(self, rejected: Rejected, source: str) -> None:
        self.rejected[rejected.reason] += 1
        self.left_out_by_source[source][rejected.reason] += 1
        if rejected.reason == "benchmark_split":
            self.benchmark_held_out[source][rejected.benchmark_split] += 1
        if rejected.is_error and len(self.problems) < MAX_PRINTED_PROBLEMS:
            self.problems.append(rejected.message())

    def count_repairs(self, source: str, notes: list[tuple[str, str]]) -> None:
        for kind, _ in notes:
            self.repairs[source][kind] += 1

    @property
    def errors(self) -> int:
        return sum(count for reason, count in self.rejected.items() if reason in ERROR_REASONS)

    def count_written(self, split: str, sample: Sample) -> None:
        self.written[split] += 1
        self.by_source[sample.data_source] += 1
        self.by_modality[sample.modality or "(none)"] += 1
        self.by_answer_type[sample.answer_type] += 1
        self.by_language[sample.language] += 1
        if sample.benchmark_split:
            self.benchmark_trained[sample.data_source][sample.benchmark_split] += 1

    def to_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_written": dict(self.written),
            "left_out": dict(self.rejected),
            "left_out_by_source": {
                source: dict(counts) for source, counts in self.left_out_by_source.items()
            },
            "benchmark_held_out": {source: dict(c) for source, c in self.benchmark_held_out.items()},
            "allow_benchmark_training": self.allow_benchmark_training,
            "benchmark_rows_trained_on": {source: dict(c) for source, c in self.benchmark_trained.items()},
            "repairs": {source: dict(counts) for source, counts in self.repairs.items()},
            "dropped_by_ratio": self.dropped_by_ratio,
            "duplicates_dropped": self.duplicates,
            "duplicates_with_other_answer": self.duplicates_with_other_answer,
            "images": vars(self.images),
            "train_val_overlap": self.train_val_overlap.to_dict() if self.train_val_overlap else None,
            "by_source": dict(self.by_source),
            "by_modality": dict(self.by_modality),
            "by_answer_type": dict(self.by_answer_type),
            "by_language": dict(self.by_language),
        }

    def _benchmark_lines(self) -> list[str]:
        lines = []
        for title, table in (
            ("held out: rows of evaluation splits (never trained on by default):", self.benchmark_held_out),
            (
                "WARNING: TRAINED ON EVALUATION ROWS (--allow-benchmark-training); "
                "scores on these benchmarks are contaminated:",
                self.benchmark_trained,
            ),
        ):
            if table:
                lines.append(title)
                lines += [
                    f"  {source:<14} {split:<30} {count:>7}"
                    for source, counts in sorted(table.items())
                    for split, count in sorted(counts.items())
                ]
        if self.allow_benchmark_training and not self.benchmark_trained:
            lines.append("--allow-benchmark-training was given; no evaluation rows were written")
        return lines

    def format(self) -> str:
        total = sum(self.written.values())
        splits = ", ".join(f"{split} {count}" for split, count in sorted(self.written.items()))
        lines = [
            f"rows read     {self.rows_read}",
            f"rows written  {total}" + (f" ({splits})" if splits else ""),
        ]
        for reason, count in sorted(self.rejected.items()):
            kind = "skipped" if reason in ERROR_REASONS else "filtered"
            by_source = ", ".join(
                f"{source} {counts[reason]}"
                for source, counts in sorted(self.left_out_by_source.items())
                if counts[reason]
            )
            lines.append(f"{kind:<13} {count:>6}  {reason} ({by_source})")
        lines += self._benchmark_lines()
        for source, counts in sorted(self.repairs.items()):
            lines += [
                f"repaired      {count:>6}  {kind} ({source})" for kind, count in sorted(counts.items())
            ]
        other = self.duplicates_with_other_answer
        lines.append(f"duplicates    {self.duplicates:>6}  dropped ({other} had another answer)")
        if self.dropped_by_ratio:
            lines.append(f"sampling      {self.dropped_by_ratio:>6}  dropped by --ratio")
        images = self.images
        lines.append(
            f"images        {images.distinct:>6}  distinct ({images.kept_as_given} kept as given, "
            f"{images.distinct - images.kept_as_given} re-encoded); {images.bytes_in / MB:.1f} MB read, "
            f"{images.bytes_stored / MB:.1f} MB stored"
        )
        if self.train_val_overlap is not None:
            overlap = self.train_val_overlap
            lines.append(
                f"overlap       {overlap.overlapping_rows:>6}  val rows also in train "
                f"({overlap.image_rows} by image, {overlap.question_rows} by text question)"
            )
        for title, counts in (
            ("source", self.by_source),
            ("modality", self.by_modality),
            ("answer type", self.by_answer_type),
            ("language", self.by_language),
        ):
            lines.append(f"by {title}:")
            lines += [f"  {name:<30} {count:>7}" for name, count in counts.most_common()]
        if self.problems:
            hidden = self.errors - len(self.problems)
            lines.append("bad rows:")
            lines += [f"  {message}" for message in self.problems]
            if hidden > 0:
                lines.append(f"  ... and {hidden} more")
        return "\n".join(lines)
