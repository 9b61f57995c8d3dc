"""Text-only sets, rows without images: MedQA, MedMCQA and PubMedQA in their released layouts.

MedQA: ``*.jsonl`` lines with ``question``, ``options`` {letter: text}, ``answer_idx`` (the letter).
MedMCQA: ``train.json``/``dev.json``/``test.json`` JSON lines with ``question``, ``opa``..``opd`` and
``cop``, 1-based (1-4) in the original release; the Hugging Face parquet's ``cop`` is 0-based (0-3).
PubMedQA: ``ori_pqal.json``, an object {pmid: {QUESTION, CONTEXTS, final_decision yes/no/maybe}}.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    SourceError,
    checked_letter,
    convert_rows,
    find_files,
    jsonl_rows,
    load_json,
    parquet_rows,
    split_from_name,
    text,
)

TEXT_MODALITY = "text"
MEDMCQA_COLUMNS = {"A": "opa", "B": "opb", "C": "opc", "D": "opd"}
PUBMEDQA_OPTIONS = {"A": "yes", "B": "no", "C": "maybe"}


def _medqa(where: str, row: Row, split: str) -> RawRecord:
    options = row.get("options")
    if not isinstance(options, Mapping) or not options:
        raise RowProblem("malformed_row", "'options' must be an object {letter: text}")
    options = {str(k).strip().upper(): str(v).strip() for k, v in options.items()}
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=checked_letter(options, text(row, "answer_idx")),
        answer_type="choice",
        options=options,
        modality=TEXT_MODALITY,
        question_type=str(row.get("meta_info") or ""),
        official_split=split,
    )


@register_source("medqa", "MedQA (text): *.jsonl with question, options, answer_idx")
def read_medqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/*.jsonl"], "MedQA jsonl files"):
        split = split_from_name(path.stem)
        yield from convert_rows(jsonl_rows(path), lambda where, row, s=split: _medqa(where, row, s))


def _medmcqa(where: str, row: Row, split: str, first_index: int) -> RawRecord:
    options = {letter: text(row, column) for letter, column in MEDMCQA_COLUMNS.items()}
    cop = row.get("cop")
    if cop in (None, "", -1):  # the released test file carries no answers
        answer = ""
    else:
        position = int(cop) - first_index
        if not 0 <= position < len(options):
            raise RowProblem("malformed_row", f"cop={cop!r} is outside {first_index}..{first_index + 3}")
        answer = "ABCD"[position]
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=answer,
        answer_type="choice",
        options=options,
        modality=TEXT_MODALITY,
        question_type=str(row.get("subject_name") or ""),
        official_split=split,
    )


@register_source("medmcqa", "MedMCQA (text): train/dev/test.json lines (cop 1-4) or HF parquet (cop 0-3)")
def read_medmcqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["**/*.json", "**/*.parquet"], "MedMCQA json or parquet files"):
        is_parquet = path.suffix == ".parquet"
        rows = parquet_rows(path) if is_parquet else jsonl_rows(path)
        split, first = split_from_name(path.stem), 0 if is_parquet else 1
        yield from convert_rows(rows, lambda where, row, s=split, f=first: _medmcqa(where, row, s, f))


def _pubmedqa(where: str, row: Row) -> RawRecord:
    contexts = row.get("CONTEXTS") or []
    if not isinstance(contexts, list):
        raise RowProblem("malformed_row", "'CONTEXTS' must be a list of strings")
    decision = text(row, "final_decision").lower() if "final_decision" in row else ""
    if decision and decision not in PUBMEDQA_OPTIONS.values():
        raise RowProblem("unknown_answer_type", f"final_decision {decision!r} is not yes/no/maybe")
    question = "Context:\n" + "\n".join(str(c) for c in contexts) + "\n\nQuestion: " + text(row, "QUESTION")
    answer = next((k for k, v in PUBMEDQA_OPTIONS.items() if v == decision), "")
    return RawRecord(
        where=where,
        question=question if text(row, "QUESTION") else "",
        answer=answer,
        answer_type="choice",
        options=dict(PUBMEDQA_OPTIONS),
        modality=TEXT_MODALITY,
    )


@register_source("pubmedqa", "PubMedQA (text): ori_pqal.json {pmid: {QUESTION, CONTEXTS, final_decision}}")
def read_pubmedqa(root: Path) -> Iterator[Record]:
    for path in find_files(root, ["ori_pqal.json", "**/ori_pqal.json"], "PubMedQA ori_pqal.json")[:1]:
        data = load_json(path)
        if not isinstance(data, Mapping):
            raise SourceError(f"{path}: expected an object {{pmid: question}}, got {type(data).__name__}")
        rows = ((f"{path}:{pmid}", row if isinstance(row, Mapping) else {}) for pmid, row in data.items())
        yield from convert_rows(rows, _pubmedqa)
