"""PMC-VQA: ``train.csv``/``test.csv`` (or the ``*_2.csv`` version) plus the ``images/`` folder.

Columns: ``Figure_path``, ``Question``, ``Answer``, ``Choice A``..``Choice D`` (written "A:text"),
``Answer_label`` (the correct letter).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    checked_letter,
    convert_rows,
    csv_rows,
    find_files,
    letter_of,
    option_text,
    split_from_name,
    text,
)

LETTERS = "ABCD"


def _convert(where: str, row: Row, images: Path, split: str) -> RawRecord:
    options = {letter: option_text(text(row, f"Choice {letter}")) for letter in LETTERS}
    options = {letter: value for letter, value in options.items() if value}
    label = text(row, "Answer_label")
    answer = checked_letter(options, label) if label else letter_of(options, option_text(text(row, "Answer")))
    return RawRecord(
        where=where,
        question=text(row, "Question"),
        answer=answer,
        answer_type="choice",
        options=options,
        images=[images / text(row, "Figure_path")],
        official_split=split,
    )


@register_source("pmc_vqa", "PMC-VQA: train.csv/test.csv (Figure_path, Choice A-D, Answer_label) + images/")
def read_pmc_vqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["train*.csv", "test*.csv"], "PMC-VQA csv files"):
        split = split_from_name(path.stem)
        yield from convert_rows(
            csv_rows(path), lambda where, row, s=split: _convert(where, row, root / "images", s)
        )
