"""MedXpertQA, its MM subset (``medxpertqa``) and its Text subset (``medxpertqa_text``), in two layouts.

1. The hub release (TsinghuaC3I/MedXpertQA, read by MedEvalKit): ``MM/{dev,test}.jsonl``,
   ``Text/{dev,test}.jsonl`` and ``images/`` (images.zip). Each line has ``id`` ("MM-0", "Text-0"),
   ``question`` (ending in an "Answer Choices: (A) ..." block, dropped here because the template lists
   the options), ``options`` {letter: text}, ``label`` (the letter), ``images`` (file names in
   ``images/``, MM only), ``medical_task``, ``body_system``, ``question_type``.
2. The GitHub evaluation inputs: ``eval/data/medxpertqa/input/medxpertqa_{mm,text}_input.jsonl`` with
   ``options`` as [{letter, content}], ``label`` as ["A"] and ``images`` as [{image_path}].

A row belongs to MM or Text by its id's prefix, else by its folder or file name. ``test`` (and the
evaluation inputs, which are the test set) is the "MedXpertQA-MM test" / "MedXpertQA-Text test"
benchmark; ``dev`` holds 5 few-shot examples per subset (official "val").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import find_files, jsonl_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    TEXT_MODALITY,
    Row,
    RowProblem,
    SourceError,
    Splits,
    checked_letter,
    convert_rows,
    split_token,
    text,
)

CHOICES_HEADER = "Answer Choices:"
SUBSETS = {"mm": "MM", "text": "Text"}


def _options(value: Any) -> dict[str, str]:
    if isinstance(value, Mapping) and value:
        return {str(k).strip().upper(): str(v).strip() for k, v in value.items()}
    if isinstance(value, list) and value and all(isinstance(item, Mapping) for item in value):
        return {str(item["letter"]).strip().upper(): str(item["content"]).strip() for item in value}
    raise RowProblem("malformed_row", "'options' must be {letter: text} or a list of {letter, content}")


def _label(value: Any) -> str:
    if isinstance(value, list):
        if len(value) != 1:
            raise RowProblem("malformed_row", f"'label' must name one choice, got {value!r}")
        value = value[0]
    return "" if value is None else str(value)


def _image_names(row: Row) -> list[str]:
    names = row.get("images") or []
    if not isinstance(names, list):
        raise RowProblem("malformed_row", "'images' must be a list of file names")
    return [str(name["image_path"] if isinstance(name, Mapping) else name) for name in names]


def _image_folder(jsonl: Path, root: Path) -> Path:
    candidates = (jsonl.parent / "images", root / "images", jsonl.parent.parent / "images")
    return next((folder for folder in candidates if folder.is_dir()), root / "images")


def _without_choices(question: str) -> str:
    """The question without its trailing "Answer Choices: (A) ..." block (the template lists options)."""
    start = question.find(CHOICES_HEADER)
    while start >= 0:
        if question[start + len(CHOICES_HEADER) :].lstrip().startswith("(A)"):
            return question[:start].rstrip()
        start = question.find(CHOICES_HEADER, start + 1)
    return question


def _convert(where: str, row: Row, images: Path, subset: str) -> RawRecord:
    options = _options(row.get("options"))
    names = _image_names(row)
    return RawRecord(
        where=where,
        question=_without_choices(text(row, "question")),
        answer=checked_letter(options, _label(row.get("label"))),
        answer_type="choice",
        options=options,
        images=[images / name for name in names],
        modality=TEXT_MODALITY if subset == "Text" else "",
        question_type="/".join(str(row.get(k) or "") for k in ("medical_task", "question_type")).strip("/"),
        body_part=str(row.get("body_system") or "").strip(),
    )


def _path_subset(path: Path, root: Path) -> str:
    """ "MM"/"Text" when the file's folder or name says so (``MM/test.jsonl``, ``..._text_input``)."""
    names = path.relative_to(root).parts or (path.name,)
    for name in reversed(names):
        for word in re.findall(r"[a-z]+", Path(name).stem.lower()):
            if word in SUBSETS:
                return SUBSETS[word]
    return ""


def _row_subset(row: Row, path_subset: str) -> str:
    prefix = str(row.get("id") or "").split("-", 1)[0].lower()
    return SUBSETS.get(prefix) or path_subset or ("MM" if row.get("images") else "Text")


def benchmark_of(subset: str) -> str:
    return f"MedXpertQA-{subset} test"


def _read(root: Path, subset: str) -> Iterator[Record]:
    benchmarks = {"test": benchmark_of(subset)}
    found = 0
    for path in find_files(root, ["**/*.jsonl"], "MedXpertQA jsonl files"):
        path_subset = _path_subset(path, root)
        if path_subset and path_subset != subset:
            continue
        images = _image_folder(path, root)
        splits = Splits.of(split_token(path, root) or "test", benchmarks)  # evaluation inputs: the test set
        rows = ((w, r) for w, r in jsonl_rows(path) if _row_subset(r, path_subset) == subset)
        for record in convert_rows(
            rows, lambda where, row, i=images: _convert(where, row, i, subset), splits
        ):
            found += 1
            yield record
    if not found:
        raise SourceError(
            f"no MedXpertQA {subset} rows under {root} (looked for {subset}/*.jsonl and ids {subset}-N)"
        )


@register_source(
    "medxpertqa",
    "MedXpertQA MM: MM/{dev,test}.jsonl + images/ (hub) or medxpertqa_mm_input.jsonl",
    {"test": benchmark_of("MM")},
)
def read_medxpertqa(root: Path) -> Iterator[Record]:
    return _read(root, "MM")


@register_source(
    "medxpertqa_text",
    "MedXpertQA Text: Text/{dev,test}.jsonl (hub) or medxpertqa_text_input.jsonl",
    {"test": benchmark_of("Text")},
)
def read_medxpertqa_text(root: Path) -> Iterator[Record]:
    return _read(root, "Text")
