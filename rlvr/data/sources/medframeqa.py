"""MedFrameQA (multi-image: 2-5 frames of one medical video per question): the "MedFrameQA" benchmark.

Layout of the hub release SuhaoYu1020/MedFrameQA as MedEvalKit reads it: ``data/*.parquet`` (one
"test" split) with ``question_id``, ``system``, ``organ``, ``keyword``, ``modality``, ``video_id``,
``question``, ``options`` (a list), ``correct_answer``, ``reasoning_chain``, ``image_url`` and
``image_1``..``image_5`` ({bytes, path} or null). Copies that keep the frames as one ``image``/``images``
list and the answer as ``answer`` are read too. Whether ``correct_answer`` is the letter or the option's
text is not documented: a letter of the options is taken as the letter, else the text is matched.
Frames keep their order; ``<image N>`` markers, if a question has them, place frames as in MMMU.
``body_part`` is the organ, ``question_type`` the body system.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import ImageRef, RawRecord, Record
from rlvr.data.sources.image_markers import place_images
from rlvr.data.sources.readers import find_files, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    Splits,
    checked_letter,
    convert_rows,
    letter_of,
    lettered,
    split_token,
    text,
)

MAX_FRAMES = 5
BENCHMARK = "MedFrameQA"  # the whole set, whatever its one split is called


def _frames(row: Row) -> dict[int, ImageRef]:
    listed = row.get("images", row.get("image"))
    if isinstance(listed, list):
        values = listed
    else:
        values = [row.get(f"image_{number}") for number in range(1, MAX_FRAMES + 1)]
    frames = [value["bytes"] for value in values if isinstance(value, dict) and value.get("bytes")]
    if not frames:
        raise RowProblem("missing_image", "the row has no frame images")
    return dict(enumerate(frames, start=1))


def _answer(options: dict[str, str], given: str) -> str:
    if len(given) == 1 or given.upper() in options:
        return checked_letter(options, given)
    return letter_of(options, given)


def _convert(where: str, row: Row) -> RawRecord:
    choices = row.get("options")
    if not isinstance(choices, list) or not choices:
        raise RowProblem("malformed_row", "'options' must be a list of option texts")
    options = lettered(choices)
    given = text(row, "correct_answer" if "correct_answer" in row else "answer")
    placed = place_images(text(row, "question"), options, _frames(row))
    return RawRecord(
        where=where,
        question=placed.question,
        answer=_answer(options, given) if given else "",
        answer_type="choice",
        options=placed.options,
        images=placed.images,
        modality=str(row.get("modality") or "").strip(),
        question_type=str(row.get("system") or "").strip(),
        body_part=str(row.get("organ") or "").strip(),
    )


@register_source(
    "medframeqa",
    "MedFrameQA (multi-image): hub parquet data/*.parquet (image_1..image_5, options, correct_answer)",
    {"every row": BENCHMARK},
)
def read_medframeqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/*.parquet"], "MedFrameQA parquet files"):
        official = Splits.of(split_token(path, root) or "test").official
        yield from convert_rows(parquet_rows(path), _convert, Splits(official, BENCHMARK))
