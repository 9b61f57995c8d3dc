"""What a converter yields: a raw record (one question, image references) or a rejected row with a reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# Reasons a row is rejected because the input is bad; --on-error decides between skip and fail.
ERROR_REASONS = (
    "missing_image",
    "unreadable_image",
    "empty_question",
    "empty_answer",
    "unknown_answer_type",
    "malformed_row",
    "label_mismatch",  # the answer label and the answer text name different choices (PMC-VQA v1)
)
# Reasons a row is left out on purpose (never an error): e.g. SLAKE's Chinese questions.
FILTER_REASONS = ("other_language", "excluded_split", "benchmark_split")

ImageRef = Path | bytes  # a file to read, or the encoded image itself (parquet-embedded sets)


@dataclass
class RawRecord:
    """One question as a converter read it: images not yet loaded, answer type possibly unknown."""

    where: str  # "file:row" for messages and extra_info.source_id
    question: str
    answer: str
    answer_type: str | None = None  # None: infer from the answer (yes/no -> closed, number -> numeric)
    options: dict[str, str] = field(default_factory=dict)
    images: list[ImageRef] = field(default_factory=list)
    modality: str = ""
    question_type: str = ""
    official_split: str = ""  # the set's own split ("train", "val", "test"), "" if it has none
    # Non-empty when the row belongs to a split that a Lingshu table evaluates on, named as the table
    # names it ("VQA-RAD test", "MMMU-Med validation", "PubMedQA test"): never trained on by default.
    benchmark_split: str = ""
    language: str = "en"  # ISO 639-1 code of the question ("en", "zh")
    body_part: str = ""  # organ or region as the set labels it (VQA-RAD image_organ, SLAKE location)
    # Repairs the converter made while reading, as (kind, detail): ("label_fixed", "label C but the
    # answer text is choice B's") when a label disagreed with its answer text; the report counts kinds.
    notes: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Rejected:
    """A row that is not turned into a sample, why (one of the reasons above) and where."""

    reason: str
    where: str
    detail: str
    # The row's splits when the converter knows them (e.g. from the file name), so that prepare can
    # leave out rows of excluded splits before counting them as errors.
    official_split: str = ""
    benchmark_split: str = ""

    @property
    def is_error(self) -> bool:
        return self.reason in ERROR_REASONS

    def message(self) -> str:
        return f"{self.where}: {self.reason.replace('_', ' ')}: {self.detail}"


Record = RawRecord | Rejected
