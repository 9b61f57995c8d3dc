"""VQA-RAD in the three layouts it circulates in; its test set is the "VQA-RAD test" benchmark.

1. The OSF release: ``VQA_RAD Dataset Public.json`` + ``VQA_RAD Image Folder/``. Each object has
   ``image_name``, ``question``, ``answer``, ``answer_type`` (CLOSED/OPEN), ``question_type``,
   ``image_organ`` and ``phrase_type`` (``test_freeform``/``test_para`` mark the 451 test questions).
2. MEVF's preprocessed ``data_RAD/trainset.json``/``testset.json`` + ``data_RAD/images/`` (same fields;
   the split is the file's), as used by MEVF, PubMedCLIP and MUMC.
3. The model-hub parquet (flaviagiammarino/vqa-rad, read by MedEvalKit): ``data/{train,test}-*.parquet``
   with ``image`` {bytes, path}, ``question``, ``answer`` and no labels: as MedEvalKit does, a yes/no
   answer makes the question closed, any other open.

The set's CLOSED/OPEN label decides the answer type ("closed"/"open"); it is never re-guessed from the
answer (a CLOSED "Is this an AP or PA film?" -> "AP" stays closed). When a folder holds several of
these layouts only the first found, in the order above, is read (they are copies of one set).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from rlvr.data.records import RawRecord, Record
from rlvr.data.sources.readers import json_list_rows, parquet_rows
from rlvr.data.sources.registry import register_source
from rlvr.data.sources.rows import (
    Row,
    RowProblem,
    SourceError,
    Splits,
    closed_or_open,
    convert_rows,
    split_token,
    text,
)

OSF_ANNOTATIONS = "VQA_RAD Dataset Public.json"
OSF_IMAGES = "VQA_RAD Image Folder"
BENCHMARKS = {"test": "VQA-RAD test"}
YES_NO = ("yes", "no")


def _labelled(where: str, row: Row, images: Path) -> RawRecord:
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=text(row, "answer"),
        answer_type=closed_or_open(row),
        images=[images / text(row, "image_name")],
        question_type=str(row.get("question_type") or "").strip(),
        body_part=str(row.get("image_organ") or "").strip(),
    )


def _osf_splits(row: Row) -> Splits:
    test = str(row.get("phrase_type") or "").strip().lower().startswith("test")
    return Splits.of("test" if test else "train", BENCHMARKS)


def _hub(where: str, row: Row) -> RawRecord:
    image = row.get("image")
    if not isinstance(image, dict) or not image.get("bytes"):
        raise RowProblem("missing_image", "the row has no image bytes")
    answer = text(row, "answer")
    return RawRecord(
        where=where,
        question=text(row, "question"),
        answer=answer,
        answer_type="closed" if answer.lower() in YES_NO else "open",
        images=[image["bytes"]],
    )


def _matching(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    """Files under ``root`` matching a pattern; ``root`` itself when it is such a file."""
    if root.is_file():
        return [root] if any(root.match(pattern) for pattern in patterns) else []
    return sorted({path for pattern in patterns for path in root.glob(pattern) if path.is_file()})


def _read_osf(root: Path) -> Iterator[Record] | None:
    found = _matching(root, (OSF_ANNOTATIONS, f"*/{OSF_ANNOTATIONS}"))
    if not found:
        return None
    annotations = found[0]
    images = annotations.parent / OSF_IMAGES
    return convert_rows(json_list_rows(annotations), lambda w, r: _labelled(w, r, images), _osf_splits)


def _read_mevf(root: Path) -> Iterator[Record] | None:
    files = _matching(root, ("trainset.json", "testset.json", "*/trainset.json", "*/testset.json"))
    if not files:
        return None
    return (
        record
        for path in files
        for record in convert_rows(
            json_list_rows(path),
            lambda w, r, images=path.parent / "images": _labelled(w, r, images),
            Splits.of(split_token(path, root), BENCHMARKS),
        )
    )


def _read_hub(root: Path) -> Iterator[Record] | None:
    files = _matching(root, ("**/*.parquet", "*.parquet"))
    if not files:
        return None
    return (
        record
        for path in files
        for record in convert_rows(parquet_rows(path), _hub, Splits.of(split_token(path, root), BENCHMARKS))
    )


@register_source(
    "vqa_rad",
    f"VQA-RAD: OSF '{OSF_ANNOTATIONS}' + '{OSF_IMAGES}/', MEVF data_RAD/{{train,test}}set.json + images/, "
    "or hub parquet data/{train,test}-*.parquet",
    BENCHMARKS,
)
def read_vqa_rad(root: Path) -> Iterator[Record]:
    for layout in (_read_osf, _read_mevf, _read_hub):
        records = layout(root)
        if records is not None:
            yield from records
            return
    raise SourceError(
        f"no VQA-RAD annotations found under {root} (looked for '{OSF_ANNOTATIONS}', "
        "trainset.json/testset.json, or data/*.parquet)"
    )
