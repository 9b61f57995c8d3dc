"""A raw record -> a checked sample: answer type settled, choice answer as a letter, images stored, modality
mapped onto the vocabulary; or the reason it cannot be one."""

from __future__ import annotations

from dataclasses import dataclass

from rewards.answer_types import infer_answer_type
from rlvr.data.image_store import ImageLoadError, ImageStore
from rlvr.data.modality import to_modality
from rlvr.data.options import language_code
from rlvr.data.records import RawRecord, Rejected
from rlvr.data.schema import Sample
from rlvr.data.sources.rows import RowProblem, letter_of


@dataclass
class CheckedSample:
    sample: Sample  # ``images`` left empty: the images are in the ImageStore under ``image_keys``
    image_keys: list[bytes]


def _answer_type(record: RawRecord) -> str:
    """The declared type (aliases such as "CLOSED" allowed) or one inferred like the verifiers do."""
    return infer_answer_type(record.answer, {"answer_type": record.answer_type, "options": record.options})


def _choice_letter(record: RawRecord) -> str:
    """The ground-truth letter of a choice row; an answer given as an option's text maps to its letter."""
    if record.answer in record.options:
        return record.answer
    return letter_of(record.options, record.answer)


def check_record(record: RawRecord, source: str, store: ImageStore) -> CheckedSample | Rejected:
    """The checked sample for ``record`` (its images added to ``store``), or why it cannot be one."""
    if not record.question:
        return Rejected("empty_question", record.where, "the question is empty")
    if not record.answer:
        return Rejected("empty_answer", record.where, "the answer is empty")
    try:
        answer_type = _answer_type(record)
    except ValueError as exc:
        return Rejected("unknown_answer_type", record.where, str(exc))
    answer = record.answer
    if answer_type == "choice":
        try:
            answer = _choice_letter(record)
        except RowProblem as problem:
            return Rejected(problem.reason, record.where, problem.detail)
    keys = []
    for number, ref in enumerate(record.images, start=1):
        try:
            keys.append(store.add(ref, f"image {number} of the row"))
        except ImageLoadError as problem:
            return Rejected(problem.reason, record.where, problem.detail)
    sample = Sample(
        data_source=source,
        question=record.question,
        answer=answer,
        answer_type=answer_type,
        options=record.options,
        modality=to_modality(record.modality, has_images=bool(record.images)),
        question_type=record.question_type,
        source_id=record.where,
        modality_raw=record.modality,
        body_part=record.body_part,
        language=language_code(record.language),
        benchmark_split=record.benchmark_split,
    )
    return CheckedSample(sample, keys)
