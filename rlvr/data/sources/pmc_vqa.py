"""PMC-VQA, both versions, as on the hub (xmcmic/PMC-VQA = RadGenome/PMC-VQA); every test file is the
"PMC-VQA test" benchmark.

Version 1: ``train.csv``, ``test.csv``, ``test_clean.csv`` + ``images/``; columns ``Figure_path``,
``Question``, ``Answer`` (the answer's text), ``Choice A``..``Choice D`` (written "A:text"),
``Answer_label`` (a letter). The label is checked against the text: they agree -> the label; the text
is exactly one other choice's -> that choice, with a ``label_fixed`` note (real row 78238 of train.csv
has label C and choice B's text); anything else -> ``label_mismatch``.

Version 2 (the one MedEvalKit evaluates, non-compound figures): ``train_2.csv``/``test_2.csv`` (the
card calls them train2/test2) + ``figures/`` (images_2.zip; MedEvalKit falls back to ``images/``);
columns ``index, Figure_path, Caption, Question, Choice A..D, Answer`` (the letter), ``split``. Whether
v2 choices carry the "A:" prefix is not documented; both forms are read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import csv_rows, find_files
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    Splits,
    checked_letter,
    convert_rows,
    letter_of,
    option_text,
    reconciled_letter,
    split_token,
    text,
)

CHOICES = "ABCD"
V1_IMAGES = ("images",)
V2_IMAGES = ("figures", "images_2", "images")
BENCHMARKS = {"test": "PMC-VQA test"}
CSV_PATTERNS = ("train*.csv", "test*.csv", "*/train*.csv", "*/test*.csv")


def _options(row: Row) -> dict[str, str]:
    options = {letter: option_text(text(row, f"Choice {letter}"), letter) for letter in CHOICES}
    return {letter: value for letter, value in options.items() if value}


def _image(folder: Path, folders: tuple[str, ...], name: str) -> Path:
    """The first of the version's image folders holding ``name`` (the first folder if none does)."""
    candidates = [folder / sub / name for sub in folders]
    return next((path for path in candidates if path.is_file()), candidates[0])


def _spelled(row: Row, key: str) -> str:
    return text(row, key if key in row else key.replace("Answer", "Anwser"))


def _convert(where: str, row: Row, folder: Path) -> RawRecord:
    options = _options(row)
    notes: list[tuple[str, str]] = []
    if "Answer_label" in row or "Anwser_label" in row:  # version 1 (the card also spells it "Anwser")
        label, answer_text = _spelled(row, "Answer_label"), _spelled(row, "Answer")
        answer = reconciled_letter(options, label, answer_text, notes, strict=True)
        folders = V1_IMAGES
    else:  # version 2: Answer is the letter ("B"); a choice's text ("B:MRI" or "MRI") is accepted too
        given = text(row, "Answer")
        answer = checked_letter(options, given) if len(given) <= 1 else letter_of(options, option_text(given))
        folders = V2_IMAGES
    return RawRecord(
        where=where,
        question=text(row, "Question"),
        answer=answer,
        answer_type="choice",
        options=options,
        images=[_image(folder, folders, text(row, "Figure_path"))],
        notes=notes,
    )


def _splits(row: Row, file_token: str) -> Splits:
    token = str(row.get("split") or "").strip().lower() or file_token
    return Splits.of(token, BENCHMARKS)


@register_source(
    "pmc_vqa",
    "PMC-VQA v1 train/test/test_clean.csv + images/ (label checked against answer text) and v2 "
    "train_2/test_2.csv + figures/",
    BENCHMARKS,
)
def read_pmc_vqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, CSV_PATTERNS, "PMC-VQA csv files"):
        token = split_token(path, root)
        yield from convert_rows(
            csv_rows(path),
            lambda where, row, folder=path.parent: _convert(where, row, folder),
            lambda row, token=token: _splits(row, token),
        )
