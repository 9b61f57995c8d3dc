"""The `rlvr data prepare` report: rows in/out, rows left out by reason, dedup, and the kept rows' mix."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rlvr.data.records import ERROR_REASONS, Rejected

MAX_PRINTED_PROBLEMS = 20


@dataclass
class PrepareReport:
    rows_read: int = 0
    rejected: Counter = field(default_factory=Counter)  # reason -> count
    problems: list[str] = field(default_factory=list)  # first MAX_PRINTED_PROBLEMS bad-row messages
    dropped_by_ratio: int = 0
    duplicates: int = 0
    duplicates_with_other_answer: int = 0
    written: Counter = field(default_factory=Counter)  # split -> rows
    by_source: Counter = field(default_factory=Counter)
    by_modality: Counter = field(default_factory=Counter)
    by_answer_type: Counter = field(default_factory=Counter)

    def reject(self, rejected: Rejected) -> None:
        self.rejected[rejected.reason] += 1
        if rejected.is_error and len(self.problems) < MAX_PRINTED_PROBLEMS:
            self.problems.append(rejected.message())

    @property
    def errors(self) -> int:
        return sum(count for reason, count in self.rejected.items() if reason in ERROR_REASONS)

    def count_written(self, split: str, source: str, modality: str, answer_type: str) -> None:
        self.written[split] += 1
        self.by_source[source] += 1
        self.by_modality[modality or "(none)"] += 1
        self.by_answer_type[answer_type] += 1

    def to_dict(self) -> dict:
        return {
            "rows_read": self.rows_read,
            "rows_written": dict(self.written),
            "left_out": dict(self.rejected),
            "dropped_by_ratio": self.dropped_by_ratio,
            "duplicates_dropped": self.duplicates,
            "duplicates_with_other_answer": self.duplicates_with_other_answer,
            "by_source": dict(self.by_source),
            "by_modality": dict(self.by_modality),
            "by_answer_type": dict(self.by_answer_type),
        }

    def format(self) -> str:
        total = sum(self.written.values())
        splits = ", ".join(f"{split} {count}" for split, count in sorted(self.written.items()))
        lines = [
            f"rows read     {self.rows_read}",
            f"rows written  {total}" + (f" ({splits})" if splits else ""),
        ]
        for reason, count in sorted(self.rejected.items()):
            kind = "skipped" if reason in ERROR_REASONS else "filtered"
            lines.append(f"{kind:<13} {count:>6}  {reason}")
        other = self.duplicates_with_other_answer
        lines.append(f"duplicates    {self.duplicates:>6}  dropped ({other} had another answer)")
        if self.dropped_by_ratio:
            lines.append(f"sampling      {self.dropped_by_ratio:>6}  dropped by --ratio")
        for title, counts in (
            ("source", self.by_source),
            ("modality", self.by_modality),
            ("answer type", self.by_answer_type),
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
